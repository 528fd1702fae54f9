/**
 * One bench subject in a fresh process (forked with --expose-gc): the receiver, or the baseline.
 * Driven by the parent over IPC so that nothing but the subject runs here while it is measured:
 *   { id, cmd: 'init', kind: 'receiver' | 'baseline', slackUrl, otlpUrl, otlpProtocol, jsonOtlpUrl, cursorFile, token, pageSize }
 *   { id, cmd: 'phase', name }   -> measures one syncOnce (receiver) or one full run (baseline)
 *   { id, cmd: 'exit' }
 * The receiver exports with `otlpProtocol` to `otlpUrl`; the baseline always posts OTLP/JSON there.
 */
// The package's public entry point: works whether dist/ is tsc output or an esbuild bundle.
import { SlackIntegrationLogsReceiver } from '../dist/index.js';
import { runBaseline } from './baseline.mjs';
import { measure } from './measure.mjs';
import { countingLogger, serveSubject } from './subject.mjs';

/** Records per OTLP request in the receiver (src/delivery/pass.ts EXPORT_BATCH_SIZE); the baseline uses the same. */
const EXPORT_BATCH_SIZE = 250;

const { logged, logger: silent } = countingLogger(5);
let config;
let receiver;

const handlers = {
  async init(msg) {
    config = msg;
    if (msg.kind === 'receiver') {
      receiver = new SlackIntegrationLogsReceiver({
        token: msg.token,
        slackApiUrl: msg.slackUrl,
        otlpProtocol: msg.otlpProtocol,
        otlpEndpoint: msg.otlpUrl,
        cursorFile: msg.cursorFile,
        backfillStartTime: 0,
        pageSize: msg.pageSize,
        // The exactly-once count is of change records; the inventory is still folded and saved
        // (its cost is in the figures), only its snapshot records are left out (bench/inventory.mjs).
        inventoryInterval: 0,
        logger: silent,
      });
    }
    // Load fetch (undici is compiled on first use) outside the measured run, for both subjects: the
    // receiver's Slack client uses it too, and the comparison is of steady work, not module loading.
    // An HTTP/1.1 GET to the JSON receiver (404): a gRPC port would not answer it.
    await fetch(msg.jsonOtlpUrl, { method: 'GET' }).then((r) => r.arrayBuffer());
    return { pid: process.pid, exportBatchSize: EXPORT_BATCH_SIZE };
  },
  async phase({ name }) {
    const run =
      config.kind === 'receiver'
        ? () => receiver.syncOnce()
        : () =>
            runBaseline({
              slackUrl: config.slackUrl,
              otlpUrl: config.otlpUrl,
              token: config.token,
              pageSize: config.pageSize,
              batchSize: EXPORT_BATCH_SIZE,
            });
    logged.warn = logged.error = 0;
    logged.messages = [];
    const m = await measure(run);
    const { cursor, ...summary } = m.result;
    return { ...m, name, logged: { ...logged }, result: { ...summary, ...(cursor ? { cursorDate: cursor.date } : {}) } };
  },
};

serveSubject(handlers, () => receiver);
