/**
 * The bench's "outside world", in its own process so that the receiver's process measures only
 * the receiver: the fake Slack Web API (no rate limit) and a local OTLP collector for each protocol
 * (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC), all from the package's test kit (../dist/testing).
 * Each decodes every request, so a malformed one is refused (400 / INVALID_ARGUMENT) instead of
 * counted, and keeps no record: they are only counted. Driven by its parent over IPC:
 *   { id, cmd: 'load', count }           -> a fresh fake Slack holding entries 0..count-1 -> { slackUrl }
 *   { id, cmd: 'add', from, count }      -> adds entries from..from+count-1 (newer)   -> { size }
 *   { id, cmd: 'stats' }                 -> { slackRequests, otlpRequests, otlpRecords, ... } (all protocols together)
 *   { id, cmd: 'stop' }
 * On start it sends { type: 'ready', otlpUrls: { 'http/json', 'http/protobuf', grpc } }.
 */
import { FakeSlack, startFakeCollector } from '../dist/testing/index.js';
import { makeEntries } from './entries.mjs';

export const BENCH_TOKEN = 'xoxp-bench-not-a-real-token';

let otlpRecords = 0;
const collectors = {};
for (const protocol of ['http/json', 'http/protobuf', 'grpc']) {
  const c = await startFakeCollector(protocol);
  c.collector.keepRecords = false;
  c.collector.onRecords = (records) => {
    otlpRecords += records.length;
  };
  collectors[protocol] = c;
}
const running = Object.values(collectors);

let slack;

/** One request so the fake sorts its list now, not inside the receiver's measured run. */
async function warm(fake) {
  await fetch(`${fake.url}team.integrationLogs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${BENCH_TOKEN}` },
    body: 'count=1&page=1',
  }).then((r) => r.arrayBuffer());
  fake.requests.pop(); // not one of the receiver's
}

const handlers = {
  async load({ count }) {
    await slack?.stop();
    slack = await new FakeSlack({ token: BENCH_TOKEN, entries: makeEntries(0, count), order: 'newest-first', maxCount: 1000 }).start();
    await warm(slack);
    return { slackUrl: slack.url, size: slack.size };
  },
  async add({ from, count }) {
    slack.add(...makeEntries(from, count));
    await warm(slack);
    return { size: slack.size };
  },
  async stats() {
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      serversCpuMs: (cpu.user + cpu.system) / 1000,
      slackRequests: slack?.requests.length ?? 0,
      otlpRequests: running.reduce((n, r) => n + r.collector.requests, 0),
      otlpRecords,
      serversRssMB: m.rss / 2 ** 20,
      serversHeapMB: m.heapUsed / 2 ** 20,
    };
  },
  async stop() {
    await slack?.stop();
    for (const r of running) await r.stop();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async (msg) => {
  try {
    const result = await handlers[msg.cmd](msg);
    process.send({ id: msg.id, ok: true, result });
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', otlpUrls: Object.fromEntries(Object.entries(collectors).map(([protocol, r]) => [protocol, r.endpoint])) });
