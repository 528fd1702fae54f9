/**
 * Attack: how collector answers are classified (split, fail, retry), and the error messages made
 * of them: one line, no control characters, bounded, and no secret (the Slack token, nor the
 * OTLP endpoint's own credentials).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectorMessageOf } from '../src/export/refusal.js';
import { harnessPerTest, makeEntries, type Harness } from './helpers.js';
import type { Protocol } from './otlp/transports.js';

const harness = harnessPerTest();
let h: Harness;

/** One pass of 4 entries where the collector gives `reply` to the first request only. */
async function firstRequestAnswered(protocol: Protocol, status: number, body: string) {
  const entries = makeEntries(4);
  h = await harness.start({ entries, protocol });
  h.collector.enqueue({ status, body });
  const r = h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 3_000 });
  const outcome = await r.syncOnce().then(
    (summary) => ({ ok: true as const, summary }),
    (error: Error) => {
      h!.errors.push(error.message, inspect(error, { depth: Infinity, showHidden: true }));
      return { ok: false as const, error };
    },
  );
  return { outcome, requests: h.collector.requests, delivered: h.collector.records.length };
}

// eslint-disable-next-line no-control-regex -- a line must hold no control characters
const ONE_LINE = /^[^\x00-\x1f\x7f\u0085\u2028\u2029]*$/;

describe('attack: classification over HTTP', () => {
  it.each<[number, string]>([
    [400, 'split'],
    [413, 'split'],
  ])('HTTP %i for the whole batch: split, and every record delivered', async (status) => {
    const { outcome, requests, delivered } = await firstRequestAnswered('http/json', status, '{"code":3,"message":"nope"}');
    expect(outcome.ok).toBe(true);
    expect(delivered).toBe(4);
    expect(requests).toBe(3);
  });

  it.each([401, 403, 404, 405, 415])('HTTP %i: the pass fails at once, nothing dead-lettered, one request', async (status) => {
    const { outcome, requests, delivered } = await firstRequestAnswered('http/json', status, 'go away');
    expect(outcome.ok).toBe(false);
    expect(requests).toBe(1);
    expect(delivered).toBe(0);
    if (!outcome.ok) expect(outcome.error.message).toMatch(ONE_LINE);
  });

  it.each([429, 502, 503, 504])('HTTP %i once: retried by the exporter within the timeout, then delivered', async (status) => {
    const { outcome, delivered } = await firstRequestAnswered('http/json', status, 'busy');
    expect(outcome.ok).toBe(true);
    expect(delivered).toBe(4);
  });
});

describe('attack: classification over gRPC', () => {
  it.each<[number, string]>([
    [3, 'bad record'],
    [8, 'grpc: received message larger than max (9000000 vs. 4194304)'],
  ])(
    'gRPC code %i (%s): split, and every record delivered',
    async (code, details) => {
      const { outcome, delivered } = await firstRequestAnswered('grpc', code, details);
      expect(outcome.ok).toBe(true);
      expect(delivered).toBe(4);
    },
    30_000,
  );

  it.each([5, 7, 12, 16])('gRPC code %i: the pass fails at once, one request', async (code) => {
    const { outcome, requests } = await firstRequestAnswered('grpc', code, 'no');
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
    expect(JSON.parse((await h.cursorText())!).position.date).toBe(0);
  }, 30_000);
});

describe('attack: error bodies', () => {
  it('a 5 MB error body: the message stays short and on one line', async () => {
    const { outcome } = await firstRequestAnswered('http/json', 401, `${'x'.repeat(2_000_000)}\n${'y'.repeat(3_000_000)}`);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.message).toMatch(ONE_LINE);
      expect(outcome.error.message.length).toBeLessThan(1_000);
    }
  });

  it('binary and HTML bodies: one line, no control characters', () => {
    const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    for (const body of [binary, '<html>\r\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\r\n</html>', '\x1b[2J\x1b[31mred\x07']) {
      const message = collectorMessageOf(body) ?? '';
      expect(message).toMatch(ONE_LINE);
    }
  });

  it.each<Protocol>(['http/json', 'grpc'])(
    "over %s, the collector's message with terminal escapes or a Unicode line break: the logged error is one line without control characters",
    async (protocol) => {
      const { outcome } = await firstRequestAnswered(
        protocol,
        protocol === 'grpc' ? 16 : 401,
        protocol === 'grpc'
          ? 'denied\x1b[2J\x1b[1Afake line\u0085INFO all good'
          : JSON.stringify({ code: 16, message: 'denied\x1b[2J\x1b[1Afake line\u0085INFO all good' }),
      );
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error.message).toMatch(ONE_LINE);
    },
  );

  it('a JSON Status with a huge message: bounded', () => {
    expect((collectorMessageOf(JSON.stringify({ code: 3, message: 'm'.repeat(1_000_000) })) ?? '').length).toBeLessThanOrEqual(300);
  });
});

describe('attack: secrets in errors', () => {
  it('an OTLP endpoint with credentials in it (user:password@, or ?api-key=): the error and the logs do not repeat them', async () => {
    const entries = makeEntries(2);
    h = await harness.start({ entries });
    h.collector.enqueue({ status: 401, body: 'bad key' }, { status: 401, body: 'bad key' });
    const url = new URL(h.endpoint);
    const withUser = `http://collector-user:pw-not-a-real-secret@${url.host}/v1/logs`;
    const error = await h.failingPass(h.receiver({ backfillStartTime: 0, otlpEndpoint: withUser }));
    const withKey = `http://${url.host}/v1/logs?api-key=key-not-a-real-secret`;
    const error2 = await h.failingPass(h.receiver({ backfillStartTime: 0, otlpEndpoint: withKey, cursorFile: `${h.cursorFile}.2.json` }));
    const text = [error.message, error2.message, h.logger.allText].join('\n');
    expect(text).not.toContain('pw-not-a-real-secret');
    expect(text).not.toContain('key-not-a-real-secret');
  });

  it("util.inspect of a failed pass's error, causes and hidden fields included, never holds the Slack token (Slack down, collector down)", async () => {
    const entries = makeEntries(2);
    h = await harness.start({ entries });
    h.slack.enqueue({ status: 500, body: 'oops' }, { status: 500, body: 'oops' }, { status: 500, body: 'oops' });
    const e1 = await h.failingPass(h.receiver({ backfillStartTime: 0, retryDeadline: 0 }));
    await h.collector.stop();
    const e2 = await h.failingPass(h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 500, cursorFile: `${h.cursorFile}.2.json` }));
    for (const e of [e1, e2]) h.errors.push(inspect(e, { depth: Infinity, showHidden: true, maxStringLength: Infinity }));
  });
});
