import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlackIntegrationLogsReceiver } from './receiver.js';
import type { SyncSummary } from './core/types.js';
import { FakeSlack } from './testing/fake-slack.js';
import { FakeCollector, type DecodedLogRecord } from './testing/fake-collector.js';
import { demoEntries, demoLaterEntries } from './testing/workspace.js';

const DEMO_TOKEN = 'xoxp-demo-token-not-a-real-one';

/**
 * `--demo`: the whole pipeline against an embedded fake Slack workspace (no Slack token needed).
 * Records go to an embedded OTLP receiver that prints what it decoded, or, when an OTLP endpoint
 * is set in the environment, to that collector. Two passes: a backfill, then an incremental poll.
 * @returns the two pass summaries.
 */
export async function runDemo(env: Record<string, string | undefined>, out: (line: string) => void): Promise<SyncSummary[]> {
  const now = Math.floor(Date.now() / 1000);
  const slack = await new FakeSlack({ token: DEMO_TOKEN, entries: demoEntries(now) }).start();
  const useOwnCollector = !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  const collector = useOwnCollector ? await new FakeCollector().start() : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'slack-integration-logs-demo-'));
  out('DEMO: an embedded fake Slack workspace (not your Slack; no token needed).');
  const yours = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ?? `${env.OTEL_EXPORTER_OTLP_ENDPOINT} (+ /v1/logs)`;
  out(
    `DEMO: Slack API ${slack.url}, OTLP ${collector ? `${collector.url} (embedded receiver, prints what it decodes)` : `${yours} (your collector)`}`,
  );
  if (collector) collector.onRecords = (records) => records.forEach((r) => out(formatRecord(r)));

  const receiver = SlackIntegrationLogsReceiver.fromEnv(
    { ...env, SLACK_TOKEN: DEMO_TOKEN, SLACK_TOKEN_FILE: undefined },
    {
      slackApiUrl: slack.url,
      cursorFile: join(dir, 'cursor.json'),
      backfillStartTime: 0,
      ...(collector ? { otlpEndpoint: collector.url } : {}),
    },
  );
  const summaries: SyncSummary[] = [];
  try {
    out('\nDEMO pass 1: backfill of everything the workspace has');
    summaries.push(await receiver.syncOnce());
    out(summaryLine(summaries[0]!));
    out(
      '  (the two identical "maria disabled" lines are two real events in one second: both are delivered, each with its own log.record.uid)',
    );
    slack.add(...demoLaterEntries(now));
    out('\nDEMO pass 2: two new entries arrived; only they are exported');
    summaries.push(await receiver.syncOnce());
    out(summaryLine(summaries[1]!));
    out(`\nDEMO done. A real run (see README): SLACK_TOKEN=xoxp-... OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 npm start`);
    return summaries;
  } finally {
    await receiver.shutdown();
    await collector?.stop();
    await slack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function summaryLine(s: SyncSummary): string {
  return `  -> ${s.exported} records exported, ${s.skippedAlreadyDelivered} already delivered, ${s.olderThanCursor} older than the cursor, ${s.slackRequests} Slack request(s), order ${s.order}`;
}

function formatRecord(r: DecodedLogRecord): string {
  const time = new Date(Number(r.timeUnixNano / 1_000_000n)).toISOString();
  return `  ${time} ${r.severityText ?? ''} ${r.eventName ?? ''} | ${String(r.body)}\n      ${JSON.stringify(r.attributes)}`;
}
