import { afterEach, describe, expect, it } from 'vitest';
import {
  BASE_DATE,
  expectExactlyOnce,
  expectNoTokenLeak,
  expectOldestFirst,
  makeEntries,
  NS_PER_SECOND,
  startHarness,
  type Harness,
  waitFor,
  savedCursor,
} from './helpers.js';

/** Faults injected for real: the fake Slack and the OTLP receiver misbehave on the wire. */

let h: Harness;
const cursorPosition = (text: string | undefined) => (text ? savedCursor(text).position : undefined);
afterEach(async () => {
  await expectNoTokenLeak(h);
  await h.cleanup();
});

describe('Slack side faults', () => {
  it.each([
    ['HTTP 503', { status: 503, body: 'unavailable' }, 'HTTP 503'],
    ['an HTML page', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway</body></html>' }, 'not JSON'],
    ['a truncated body', { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true,"logs":[{"date":' }, 'not JSON'],
    ['a connection reset', { destroy: true as const }, 'Slack request failed'],
    ['internal_error', { slackError: 'internal_error' }, 'internal_error'],
  ])('retries %s with a visible wait, then delivers everything once', async (_name, reply, wanted) => {
    const entries = makeEntries(15);
    h = await startHarness({ entries });
    h.slack.enqueue(reply as never);
    const summary = await h.receiver({ backfillStartTime: 0, retryDeadline: 20 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    expect(summary.exported).toBe(15);
    const waits = h.logger.at('warn').map((l) => l.message);
    expect(waits.some((m) => m.includes(wanted) && /waiting \d+(\.\d)?s before retrying page 1/.test(m))).toBe(true);
  });

  it('gives up after the retry deadline, naming the cause, with the cursor unmoved', async () => {
    h = await startHarness({ entries: makeEntries(5) });
    for (let i = 0; i < 50; i++) h.slack.enqueue({ status: 502, body: 'bad gateway' });
    const started = Date.now();
    const error = await h.failingPass(h.receiver({ backfillStartTime: 0, retryDeadline: 2 }));
    // Near the 2 s deadline, far below what retrying all 50 answers would take.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.name).toBe('SlackUnavailableError');
    expect(error.message).toContain('HTTP 502');
    expect(error.message).toContain('SLACK_RETRY_DEADLINE');
    expect(cursorPosition(await h.cursorText())).toEqual({ date: 0, delivered: {} }); // the start, kept for the next run
    expect(h.collector.records).toHaveLength(0);
  });

  it('does not wait out a Retry-After longer than the deadline', async () => {
    h = await startHarness({ entries: makeEntries(5) });
    h.slack.enqueue({ status: 429, headers: { 'retry-after': '30' }, body: '' });
    const started = Date.now();
    const error = await h.failingPass(h.receiver({ backfillStartTime: 0, retryDeadline: 10 }));
    // At once: not after the 30 s, nor at the 10 s deadline.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toContain('Retry-After 30s');
  });

  it('reports the gap when Slack will not page far enough (over_pagination_limit)', async () => {
    const entries = makeEntries(45);
    h = await startHarness({ entries, maxPage: 2 });
    const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
    // Newest-first: pages 1-2 hold the 20 newest entries; the 25 older ones cannot be reached.
    const reachable = entries.slice(25);
    expectExactlyOnce(h.collector.records, reachable);
    expect(summary.gap).toEqual({ entriesNotRead: 25, fromDate: 0, toDate: BASE_DATE + 25 });
    const error = h.logger
      .at('error')
      .map((l) => l.message)
      .join('\n');
    expect(error).toContain('over_pagination_limit');
    expect(error).toContain('up to 25 entries');
    expect(error).toContain('may be missing');
  });

  it('exports malformed entries without harming the valid ones around them, once', async () => {
    const valid = makeEntries(6);
    const huge = 'x'.repeat(300_000);
    const odd = 'emoji 🔐, RTL \u202Eevil\u202C, lone surrogate \ud800, NUL \u0000 end';
    const raw: unknown[] = [
      valid[0],
      { app_id: 'A-bad-date', user_id: 'U1', date: 'yesterday', change_type: 'added' },
      valid[1],
      42,
      valid[2],
      null,
      { app_id: 'A-float-date', date: 1.5 },
      valid[3],
      { app_id: 'A-huge', user_id: 'U1', date: String(BASE_DATE + 3), change_type: 'added', app_type: huge },
      { app_id: 'A-odd', user_id: 'U1', date: String(BASE_DATE + 4), change_type: odd },
      valid[4],
      valid[5],
    ];
    h = await startHarness({ entries: raw as never });
    const receiver = h.receiver({ backfillStartTime: 0 });
    const before = BigInt(Date.now()) * 1_000_000n;
    const summary = await receiver.syncOnce();
    const after = BigInt(Date.now()) * 1_000_000n;
    expect(summary.exported).toBe(12);
    expect(summary.undatedEntries).toBe(4); // bad date, 42, null, float date

    const byApp = new Map(h.collector.records.map((r) => [r.attributes['slack.integration.app_id'], r]));
    for (const v of valid) {
      expect(byApp.get(v.app_id)!.timeUnixNano).toBe(BigInt(Number(v.date)) * NS_PER_SECOND);
    }
    const badDate = byApp.get('A-bad-date')!;
    expect(badDate.attributes['slack.integration.date']).toBe('yesterday');
    // Its neighbour's date (a dated entry's time), not the fetch time: the stream stays in order.
    const datedTimes = new Set(h.collector.records.filter((r) => !('slack.integration.date' in r.attributes)).map((r) => r.timeUnixNano));
    expect(datedTimes.has(badDate.timeUnixNano)).toBe(true);
    expect(badDate.timeUnixNano < before).toBe(true);
    expect(badDate.observedTimeUnixNano >= before && badDate.observedTimeUnixNano <= after).toBe(true);
    expectOldestFirst(h.collector.records);
    expect(byApp.get('A-float-date')!.attributes['slack.integration.date']).toBe('1.5');
    expect(byApp.get('A-huge')!.attributes['slack.integration.app_type']).toBe(huge);
    expect(byApp.get('A-odd')!.attributes['slack.integration.change_type']).toBe(odd); // JSON escapes the lone surrogate, so it arrives as sent
    const rawOnes = h.collector.records
      .filter((r) => 'slack.integration.raw' in r.attributes)
      .map((r) => r.attributes['slack.integration.raw']);
    expect(rawOnes).toEqual([42]); // null carries no attribute; 42 is kept as it came
    expect(h.logger.at('warn').some((l) => l.message.includes('4 entries had no usable date'))).toBe(true);

    // Nothing again on the next pass, malformed entries included.
    const again = await receiver.syncOnce();
    expect(again.exported).toBe(0);
    expect(h.collector.records).toHaveLength(12);
  });
});

describe('collector side faults', () => {
  it('surfaces an OTLP partial success with its count and moves on', async () => {
    const entries = makeEntries(8);
    h = await startHarness({ entries });
    h.collector.enqueue({ partialSuccess: { rejectedLogRecords: 3, errorMessage: 'timestamp too old' } });
    const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(summary.rejectedByCollector).toBe(3);
    expect(summary.exported).toBe(8);
    const warn = h.logger
      .at('warn')
      .map((l) => l.message)
      .join('\n');
    expect(warn).toContain('rejected 3 of 8 records (OTLP partial success: timestamp too old)');
    expect(savedCursor((await h.cursorText())!).position.date).toBe(BASE_DATE + 7);
  });

  it.each([
    [
      'HTTP 401',
      { status: 401, body: '{"code":16,"message":"missing API key"}' },
      /OTLP export to .* failed: HTTP 401 .*the collector said "missing API key"; the cursor stays at .*OTEL_EXPORTER_OTLP_HEADERS/,
    ],
    ['a collector slower than the export timeout', { delayMs: 3_000 }, /OTLP export to .* failed/],
  ])('keeps the cursor where acknowledged data ends on %s, then catches up', async (_name, reply, message) => {
    const entries = makeEntries(25);
    h = await startHarness({ entries });
    const first = h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 1_000 });
    await first.syncOnce();
    const cursorBefore = await h.cursorText();
    const more = makeEntries(12, { startDate: BASE_DATE + 100, prefix: 'n' });
    h.slack.add(...more);
    h.collector.enqueue(reply as never);
    const error = await h.failingPass(first);
    expect(error.message).toMatch(message);
    expect(await h.cursorText()).toBe(cursorBefore);
    await h.shutdown(first);

    // The collector recovers: everything arrives, none twice (the failed request's records were not kept).
    // A slow reply lands first: the collector keeps the records of the request the exporter gave up on.
    const arrived = () => h!.collector.records.filter((r) => String(r.attributes['slack.integration.app_id']).startsWith('An'));
    if ('delayMs' in reply) await waitFor(() => arrived().length === 12, 30_000, 'the slow reply');
    const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(summary.exported).toBe(12);
    expect(new Set(arrived().map((r) => r.attributes['log.record.uid'])).size).toBe(12);
  });
});

describe('polling with an error that needs a person', () => {
  it('does not spin: one request, the error stays visible in status, a long wait is announced', async () => {
    h = await startHarness({ entries: makeEntries(3), slackToken: 'xoxp-the-right-one-not-a-real-token' });
    const receiver = h.receiver({ backfillStartTime: 0, pollInterval: 1 });
    await receiver.start();
    await waitFor(() => h!.logger.at('error').some((l) => l.message.includes('invalid_auth')), 30_000, 'the error line');
    // Two and a half poll intervals more: a receiver that spins would ask Slack again by then.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(h.slack.requests).toHaveLength(1);
    const status = receiver.status;
    expect(status.running).toBe(true);
    expect(status.lastError).toContain('invalid_auth');
    const line = h.logger
      .at('error')
      .map((l) => l.message)
      .find((m) => m.includes('invalid_auth'));
    expect(line).toMatch(/next try in 900s/);
    await h.shutdown(receiver);
  });
});

describe('a Slack that hangs', () => {
  it('is abandoned within the retry deadline, naming the timeout, with the cursor unmoved', async () => {
    h = await startHarness({ entries: makeEntries(4) });
    h.slack.enqueue({ delayMs: 10_000 }, { delayMs: 10_000 }, { delayMs: 10_000 });
    const started = Date.now();
    const error = await h.failingPass(h.receiver({ backfillStartTime: 0, retryDeadline: 2 }));
    // Before the hung Slack would answer (10 s).
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(error.name).toBe('SlackUnavailableError');
    expect(error.message).toMatch(/TimeoutError|timeout/i);
    expect(cursorPosition(await h.cursorText())).toEqual({ date: 0, delivered: {} });
  });
});

describe('progress on a long backfill', () => {
  it('logs pages read with what is left, then records acknowledged', async () => {
    const entries = makeEntries(45);
    h = await startHarness({ entries });
    await h.receiver({ backfillStartTime: 0, progressInterval: 0 }).syncOnce();
    const lines = h.logger.at('info').map((l) => l.message);
    // Pages of 10, newest-first: after page 1, 10 new so far and 4 more pages (35 entries) to read.
    expect(lines).toContain('reading Slack: page 1 of 5, 10 new entries so far; at most 4 more pages (35 entries) to read');
    expect(lines).toContain('exporting: 45 of at most 45 new entries acknowledged by the collector');
  });
});
