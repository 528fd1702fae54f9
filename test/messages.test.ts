/**
 * The error messages made of a collector's answer: one line, no control characters, bounded, and
 * no secret (neither the Slack token nor the OTLP endpoint's own credentials).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectorMessageOf } from '../src/export/refusal.js';
import { harnessPerTest, makeEntries, ONE_LINE, passWithFirstAnswer, type Harness } from './helpers.js';
import type { OtlpProtocol } from '../src/config/otlp.js';

const harness = harnessPerTest();
let h: Harness;

describe("a collector's error body in a message", () => {
  it('a 5 MB error body: the message stays short and on one line', async () => {
    const { outcome } = await passWithFirstAnswer(harness, 'http/json', 401, `${'x'.repeat(2_000_000)}\n${'y'.repeat(3_000_000)}`);
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

  it.each<OtlpProtocol>(['http/json', 'grpc'])(
    "over %s, the collector's message with terminal escapes or a Unicode line break: the logged error is one line without control characters",
    async (protocol) => {
      const { outcome } = await passWithFirstAnswer(
        harness,
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

describe('secrets in errors', () => {
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
    // The token check after each test reads these.
    for (const e of [e1, e2]) h.errors.push(inspect(e, { depth: Infinity, showHidden: true, maxStringLength: Infinity }));
  });
});
