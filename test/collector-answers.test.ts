/**
 * What a pass does with each answer of the collector: split the batch (a record or the size was
 * refused), fail at once (a person must fix something), let the exporter retry (the collector is
 * busy), count a partial success, and never take a web page for an acknowledgement.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { harnessPerTest, makeEntries, ONE_LINE, passWithFirstAnswer, type Harness, savedCursor } from './helpers.js';
import type { OtlpProtocol } from '../src/config/otlp.js';

const harness = harnessPerTest();
let h: Harness;
const extra: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of extra.splice(0).reverse()) await c().catch(() => undefined);
});

describe('HTTP statuses', () => {
  it.each<[number, string]>([
    [400, 'split'],
    [413, 'split'],
  ])('HTTP %i for the whole batch: split, and every record delivered', async (status) => {
    const { outcome, requests, delivered } = await passWithFirstAnswer(harness, 'http/json', status, '{"code":3,"message":"nope"}');
    expect(outcome.ok).toBe(true);
    expect(delivered).toBe(4);
    expect(requests).toBe(3);
  });

  it.each([401, 403, 404, 405, 415])('HTTP %i: the pass fails at once, nothing dead-lettered, one request', async (status) => {
    const { outcome, requests, delivered } = await passWithFirstAnswer(harness, 'http/json', status, 'go away');
    expect(outcome.ok).toBe(false);
    expect(requests).toBe(1);
    expect(delivered).toBe(0);
    if (!outcome.ok) expect(outcome.error.message).toMatch(ONE_LINE);
  });

  it.each([429, 502, 503, 504])('HTTP %i once: retried by the exporter within the timeout, then delivered', async (status) => {
    const { outcome, delivered } = await passWithFirstAnswer(harness, 'http/json', status, 'busy');
    expect(outcome.ok).toBe(true);
    expect(delivered).toBe(4);
  });

  it.each<OtlpProtocol>(['http/json', 'http/protobuf'])(
    'over %s, an endpoint that answers 200 with an HTML page (not a collector) does not count as delivered',
    async (protocol) => {
      const entries = makeEntries(5);
      h = await harness.start({ entries, protocol });
      // A web server, a load balancer's default backend, a login page: 200 to every POST.
      const web = createServer((req, res) => {
        req.resume();
        req.on('end', () =>
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body><h1>Welcome</h1></body></html>'),
        );
      });
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
      extra.push(() => new Promise<void>((resolve) => web.close(() => resolve())));
      const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/v1/logs`;
      const r = h.receiver({ backfillStartTime: 0, otlpEndpoint: url });
      const outcome = await r.syncOnce().then(
        (s) => `resolved: ${s.exported} exported, cursor ${s.cursor.date}`,
        (e: Error) => `rejected: ${e.message}`,
      );
      // Nothing reached a collector: the cursor must not move past the 5 entries.
      expect(outcome).toMatch(/^rejected: /);
      expect(savedCursor((await h.cursorText())!).position.date).toBe(0);
    },
  );
});

describe('gRPC status codes', () => {
  it.each<[number, string]>([
    [3, 'bad record'],
    [8, 'grpc: received message larger than max (9000000 vs. 4194304)'],
  ])(
    'gRPC code %i (%s): split, and every record delivered',
    async (code, details) => {
      const { outcome, delivered } = await passWithFirstAnswer(harness, 'grpc', code, details);
      expect(outcome.ok).toBe(true);
      expect(delivered).toBe(4);
    },
    30_000,
  );

  it.each([5, 7, 12, 16])('gRPC code %i: the pass fails at once, one request', async (code) => {
    const { outcome, requests } = await passWithFirstAnswer(harness, 'grpc', code, 'no');
    expect(outcome.ok).toBe(false);
    expect(requests).toBe(1);
  });

  it('gRPC RESOURCE_EXHAUSTED that is not about size (the memory limiter): not split, no dead letter', async () => {
    const entries = makeEntries(4);
    h = await harness.start({ entries, protocol: 'grpc' });
    for (let i = 0; i < 20; i++) h.collector.enqueue({ status: 8, body: 'data refused due to high memory usage' });
    const r = h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 1_000 });
    const error = await h.failingPass(r);
    expect(error.message).toContain('RESOURCE_EXHAUSTED');
    expect(savedCursor((await h.cursorText())!).position.date).toBe(0);
  }, 30_000);
});

describe('OTLP partial success', () => {
  it('counts the rejected records of each request correctly, never more than it held', async () => {
    const entries = makeEntries(300);
    h = await harness.start({ entries });
    // The collector claims more than the second request (50 records) held.
    h.collector.enqueue({ delayMs: 0 }, { partialSuccess: { rejectedLogRecords: 250, errorMessage: 'too old' } });
    const summary = await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expect(summary.rejectedByCollector).toBe(50);
    expect(h.logger.at('warn').map((l) => l.message)).toContain(
      "the collector rejected 50 of 50 records (OTLP partial success: too old); they are not re-sent and the cursor moves on: check the collector's logs and limits",
    );
  });

  it.each<OtlpProtocol>(['http/json', 'http/protobuf', 'grpc'])(
    'over %s: a partial success on a split half is counted, capped at that half',
    async (protocol) => {
      const entries = makeEntries(8);
      h = await harness.start({ entries, protocol });
      // The whole batch is refused (split); its first half (4) answered with "99 rejected"; the rest plain.
      h.collector.enqueue(
        { status: protocol === 'grpc' ? 3 : 400, body: 'too big' },
        { partialSuccess: { rejectedLogRecords: 99, errorMessage: 'too old' } },
      );
      const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
      expect(summary.rejectedByCollector).toBe(4);
      expect(summary.exported).toBe(8);
      expect(h.collector.records).toHaveLength(8);
    },
  );
});
