/**
 * The practical limit on this machine: a minimal pipeline with none of the receiver's guarantees.
 * It fetches the same pages from the fake Slack (plain fetch, form-encoded POST), parses them,
 * builds OTLP/JSON by hand and posts it to the same OTLP receiver in batches of the receiver's size,
 * one request at a time, like the receiver.
 */

const SEVERITY = { expanded: 13, removed: 13, disabled: 13 };

function anyValue(v) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  return { stringValue: JSON.stringify(v) };
}

function toOtlpRecord(entry, observedNano) {
  const attributes = [];
  for (const key in entry) {
    if (key === 'date') continue;
    attributes.push({ key: `slack.integration.${key}`, value: anyValue(entry[key]) });
  }
  const sev = SEVERITY[entry.change_type] ?? 9;
  return {
    timeUnixNano: `${entry.date}000000000`,
    observedTimeUnixNano: observedNano,
    severityNumber: sev,
    severityText: sev === 13 ? 'WARN' : 'INFO',
    eventName: 'slack.integration.change',
    body: { stringValue: `${entry.user_name} ${entry.change_type} ${entry.app_type ?? entry.service_type ?? 'integration'}` },
    attributes,
  };
}

export async function runBaseline({ slackUrl, otlpUrl, token, pageSize, batchSize }) {
  let slackRequests = 0;
  let otlpRequests = 0;
  let exported = 0;
  const post = async (records) => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench-baseline' } }] },
          scopeLogs: [{ scope: { name: 'bench-baseline', version: '0' }, logRecords: records }],
        },
      ],
    });
    otlpRequests++;
    const res = await fetch(otlpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`OTLP answered ${res.status}`);
    exported += records.length;
  };
  for (let page = 1; ; page++) {
    slackRequests++;
    const res = await fetch(`${slackUrl}team.integrationLogs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams({ count: String(pageSize), page: String(page) }).toString(),
    });
    const json = await res.json();
    if (!json.ok) throw new Error(`Slack answered ${json.error}`);
    const observedNano = `${Date.now()}000000`;
    const records = json.logs.map((e) => toOtlpRecord(e, observedNano));
    for (let i = 0; i < records.length; i += batchSize) await post(records.slice(i, i + batchSize));
    if (page >= json.paging.pages || json.logs.length === 0) break;
  }
  return { exported, slackRequests, exportBatches: otlpRequests };
}
