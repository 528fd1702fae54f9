/**
 * The bench's "outside world", in its own process so that the receiver's process measures only
 * the receiver: the fake Slack Web API (no rate limit) and a local OTLP receiver for each protocol,
 * each decoding every request: OTLP/HTTP JSON (the package's FakeCollector, ../dist/testing), OTLP/HTTP
 * protobuf and OTLP/gRPC (./otlp-collectors.mjs). Driven by its parent over IPC:
 *   { id, cmd: 'load', count }           -> a fresh fake Slack holding entries 0..count-1 -> { slackUrl }
 *   { id, cmd: 'add', from, count }      -> adds entries from..from+count-1 (newer)   -> { size }
 *   { id, cmd: 'stats' }                 -> { slackRequests, otlpRequests, otlpRecords, ... } (all protocols together)
 *   { id, cmd: 'stop' }
 * On start it sends { type: 'ready', otlpUrls: { 'http/json', 'http/protobuf', grpc } }.
 */
import { FakeSlack } from '../dist/testing/fake-slack.js';
import { FakeCollector } from '../dist/testing/fake-collector.js';
import { makeEntries } from './entries.mjs';
import { startGrpc, startProtobufHttp } from './otlp-collectors.mjs';

export const BENCH_TOKEN = 'xoxp-bench-not-a-real-token';

const otlp = await new FakeCollector().start();
// Keep nothing: the receiver decodes every request (so malformed OTLP still fails with 400), we only count.
otlp.records.push = () => 0;
otlp.bodies.push = () => 0;
let otlpRecords = 0;
otlp.onRecords = (records) => {
  otlpRecords += records.length;
};
const countRecords = (n) => {
  otlpRecords += n;
};
const otlpProtobuf = await startProtobufHttp(countRecords);
const otlpGrpc = await startGrpc(countRecords);

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
      otlpRequests: otlp.requests + otlpProtobuf.requests + otlpGrpc.requests,
      otlpRecords,
      serversRssMB: m.rss / 2 ** 20,
      serversHeapMB: m.heapUsed / 2 ** 20,
    };
  },
  async stop() {
    await slack?.stop();
    await otlp.stop();
    await otlpProtobuf.stop();
    await otlpGrpc.stop();
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
process.send({ type: 'ready', otlpUrls: { 'http/json': otlp.url, 'http/protobuf': otlpProtobuf.url, grpc: otlpGrpc.url } });
