/**
 * One receiver backfill for bench/ab.mjs, in a fresh process: the receiver of the checkout given,
 * one `syncOnce()` of everything in the fake Slack, and its wall time, CPU time (all threads) and
 * longest event-loop delay sent to the parent.
 *   node ab-subject.mjs CHECKOUT SLACK_URL OTLP_URL PROTOCOL CURSOR_FILE
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [checkout, slackApiUrl, otlpEndpoint, otlpProtocol, cursorFile] = process.argv.slice(2);
const { SlackIntegrationLogsReceiver } = await import(pathToFileURL(join(checkout, 'dist', 'index.js')).href);
const silent = { debug() {}, info() {}, warn() {}, error: (m) => process.stderr.write(`${m}\n`) };
const receiver = new SlackIntegrationLogsReceiver({
  token: 'xoxp-bench-not-a-real-token', // the fake Slack's (bench/servers.mjs)
  slackApiUrl,
  otlpProtocol,
  otlpEndpoint,
  cursorFile,
  backfillStartTime: 0,
  pageSize: 1000,
  logger: silent,
});
// Node compiles its fetch (undici) on first use: done here, outside the measured run, as
// bench/scenario.mjs does, so the comparison is of steady work.
await fetch(slackApiUrl)
  .then((r) => r.arrayBuffer())
  .catch(() => undefined);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const cpu = process.cpuUsage();
const loop = performance.eventLoopUtilization();
const start = performance.now();
const summary = await receiver.syncOnce();
const wallMs = performance.now() - start;
const used = process.cpuUsage(cpu);
// Time the event loop waited with nothing to run: for the acknowledgements, file syncs, Slack.
const { idle } = performance.eventLoopUtilization(loop);
delay.disable();
await receiver.shutdown();
process.send({
  exported: summary.exported,
  wallMs,
  cpuMs: (used.user + used.system) / 1000,
  idleMs: idle,
  eldMaxMs: Math.max(0, delay.max / 1e6 - 10),
});
setImmediate(() => process.exit(0));
