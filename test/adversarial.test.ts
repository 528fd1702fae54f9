import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/config.js';
import { CLI, spawnNode, startLocalServers, until } from './process-helpers.js';
import { BASE_DATE, expectExactlyOnce, expectNoTokenLeak, makeEntries, startHarness, TEST_TOKEN, type Harness } from './helpers.js';

/** Cases found by attacking the receiver with bad input: each once lost, duplicated or hung. */

let h: Harness | undefined;
afterEach(async () => {
  if (h) {
    await expectNoTokenLeak(h);
    await h.cleanup();
  }
  h = undefined;
});

const json = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('paging answers that contradict themselves', () => {
  it('a short page before the last one does not end the pass (nothing older is skipped)', async () => {
    const entries = makeEntries(35);
    h = await startHarness({ entries });
    // Page 1 of 4 with one entry left out, while paging stays honest.
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(1, 10), paging: { count: 10, total: 35, page: 1, pages: 4 } }));
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    expect(h.logger.at('warn').some((l) => l.message.includes('Slack returned 9 entries on page 1 of 4'))).toBe(true);
  });

  it.each([
    ['no paging at all', undefined],
    ['pages 0 with a total', { count: 10, total: 35, page: 1, pages: 0 }],
    ['every field -1', { count: -1, total: -1, page: -1, pages: -1 }],
  ])('a full page with %s is not taken for the last one', async (_name, paging) => {
    const entries = makeEntries(35);
    h = await startHarness({ entries });
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(0, 10), ...(paging ? { paging } : {}) }));
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
  });
});

describe('dates that are not Unix seconds', () => {
  it('a date in milliseconds is exported as malformed and does not move the cursor into the future', async () => {
    const entries = makeEntries(3);
    h = await startHarness({ entries: [...entries, { app_id: 'A-ms', user_id: 'U1', date: String((BASE_DATE + 3) * 1000), change_type: 'added' }] });
    const receiver = h.receiver({ backfillStartTime: 0 });
    const first = await receiver.syncOnce();
    expect(first.exported).toBe(4);
    expect(first.undatedEntries).toBe(1);
    expect(first.cursor.date).toBeLessThan(Date.now() / 1000);
    const later = makeEntries(2, { startDate: BASE_DATE + 100, prefix: 'L' });
    h.slack.add(...later);
    const second = await receiver.syncOnce();
    expect(second.exported).toBe(2);
  });

  it('an entry without a usable date is not delivered again when newer entries arrive', async () => {
    const entries = makeEntries(2);
    h = await startHarness({ entries: [...entries, { app_id: 'A-garbage', user_id: 'U1', date: 'garbage', change_type: 'added' }] });
    const receiver = h.receiver({ backfillStartTime: 0 });
    expect((await receiver.syncOnce()).exported).toBe(3);
    h.slack.add(...makeEntries(1, { startDate: BASE_DATE + 100, prefix: 'N' }));
    expect((await receiver.syncOnce()).exported).toBe(1);
    expect(h.collector.records.filter((r) => r.attributes['slack.integration.app_id'] === 'A-garbage')).toHaveLength(1);
  });
});

describe('shutdown while an export waits for a slow collector', () => {
  it('keeps the cursor lock until the export ends, so a second receiver cannot export the batch again', async () => {
    const entries = makeEntries(30);
    h = await startHarness({ entries });
    h.collector.enqueue({ delayMs: 2_500 });
    const a = h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 5_000 });
    const pass = a.syncOnce().catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 500));
    await a.shutdown({ timeoutMillis: 300 });
    const b = h.receiver({ backfillStartTime: 0 });
    const second = await b.syncOnce(); // waits for the lock, then finds nothing new
    await pass;
    expect(second.exported).toBe(0);
    expectExactlyOnce(h.collector.records, entries);
  });
});

describe('signals during a long wait', () => {
  it('SIGTERM during a 429 wait stops the CLI within seconds, exit 0', async () => {
    const servers = await startLocalServers(TEST_TOKEN, makeEntries(3));
    try {
      servers.slack.enqueue({ status: 429, headers: { 'retry-after': '30' }, body: '' });
      const cli = spawnNode([CLI], servers.env());
      await until(() => cli.stderr().includes('waiting 30s'), 5_000);
      const at = Date.now();
      cli.child.kill('SIGTERM');
      expect(await cli.exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - at).toBeLessThan(3_000);
      expect(servers.slack.requests).toHaveLength(1);
    } finally {
      await servers.stop();
    }
  });
});

describe('settings that looked valid', () => {
  const problemsOf = (options: Parameters<typeof resolveConfig>[0]) => {
    try {
      resolveConfig({ token: TEST_TOKEN, ...options });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it.each([
    ['a poll interval past a day (timers overflow)', { pollInterval: '600h' }, /SLACK_POLL_INTERVAL "600h" is not a duration from 1s to 24h/],
    ['a backfill start in milliseconds', { backfillStartTime: String(Date.now()) }, /in the future \(milliseconds\? it takes Unix seconds\)/],
    ['a backfill start in the future', { backfillStartTime: '2099-01-01' }, /SLACK_BACKFILL_START_TIME "2099-01-01" is in the future/],
    ['a date that does not exist', { backfillStartTime: '2026-02-30' }, /SLACK_BACKFILL_START_TIME "2026-02-30" is not an ISO 8601 date/],
    ['a token with a line break inside', { token: 'xoxp-abc\ndef' }, /line breaks or non-ASCII/],
  ])('%s is refused', (_name, options, message) => {
    expect(problemsOf(options as never).join('\n')).toMatch(message);
  });

  it.each(['xoxe.xoxp-1-rotating-not-a-real-token', 'Bearer xoxp-not-a-real-token'])('a token put in SLACK_TOKEN_FILE (%s) is never echoed', (value) => {
    const problems = problemsOf({ token: undefined, tokenFile: value });
    expect(problems.join('\n')).toContain('SLACK_TOKEN_FILE holds what looks like a token');
    expect(problems.join('\n')).not.toContain(value);
  });

  it('a rotating user token (xoxe.xoxp-) gets no "not xoxp-" warning', () => {
    expect(resolveConfig({ token: 'xoxe.xoxp-1-rotating-not-a-real-token' }).warnings).toEqual([]);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT with a query string keeps the query after /v1/logs', async () => {
    const { optionsFromEnv } = await import('../src/config.js');
    expect(optionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/?tenant=a' }).otlpEndpoint).toBe(
      'http://collector:4318/base/v1/logs?tenant=a',
    );
  });
});

describe('a SLACK_API_URL that can never work', () => {
  it.each([
    ['a port fetch refuses (9)', (url: string) => url.replace(/:\d+\//, ':9/'), 'bad_port', /blocked port/],
    ['a redirect', (url: string) => url, 'redirect', /redirect: set it to the final URL/],
  ])('%s stops at once as needing a person, not as a retryable failure', async (name, urlOf, code, message) => {
    h = await startHarness({ entries: makeEntries(2) });
    if (name === 'a redirect') h.slack.enqueue({ status: 301, headers: { location: 'https://example.invalid/api/' }, body: '' });
    const started = Date.now();
    const error = (await h.failingPass(h.receiver({ backfillStartTime: 0, slackApiUrl: urlOf(h.slack.url), retryDeadline: 20 }))) as Error & { code?: string };
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.name).toBe('SlackFatalError');
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});

describe('second round', () => {
  it('a full page whose paging.total is below what it shows is not the last page', async () => {
    const entries = makeEntries(25);
    h = await startHarness({ entries });
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(0, 10), paging: { count: 10, total: 5, page: 1, pages: 1 } }));
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
  });

  it('a short page that reaches past the cursor is still refused (its missing entries may be new)', async () => {
    const entries = makeEntries(20);
    h = await startHarness({ entries });
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();
    const more = makeEntries(15, { startDate: BASE_DATE + 100, prefix: 'N' });
    h.slack.add(...more);
    // Page 2 (5 new + 5 old) comes back with one of the new ones left out, once.
    const newestFirst = [...entries, ...more].reverse();
    h.slack.beforeAnswer = (page) => {
      if (page === 2 && h!.slack.requests.length <= 3) {
        h!.slack.enqueue(json({ ok: true, logs: [...newestFirst.slice(10, 11), ...newestFirst.slice(12, 20)], paging: { count: 10, total: 35, page: 2, pages: 4 } }));
      }
    };
    await receiver.syncOnce().catch(() => undefined);
    h.slack.beforeAnswer = undefined;
    await receiver.syncOnce();
    expectExactlyOnce(h.collector.records, [...entries, ...more]);
  });

  it('a date a little in the future is held back, then counted once when it becomes usable, and the cursor never runs ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = { app_id: 'A-ahead', user_id: 'U1', date: String(now + 3_600), change_type: 'added' };
    h = await startHarness({ entries: [...makeEntries(2, { startDate: now - 60 }), ahead] });
    const receiver = h.receiver({ backfillStartTime: 0 });
    const first = await receiver.syncOnce();
    expect(first.exported).toBe(3);
    expect(first.undatedEntries).toBe(1);
    expect(first.cursor.date).toBeLessThanOrEqual(now);
    // Entries that happen now still arrive (the cursor did not jump an hour ahead).
    h.slack.add(...makeEntries(2, { startDate: now, prefix: 'N' }));
    expect((await receiver.syncOnce()).exported).toBe(2);
    expect(h.collector.records.filter((r) => r.attributes['slack.integration.app_id'] === 'A-ahead')).toHaveLength(1);
  });

  it('an undated entry that arrives after a first run with the default start (now) is delivered', async () => {
    h = await startHarness({ entries: makeEntries(5, { startDate: Math.floor(Date.now() / 1000) - 3_600 }) });
    const receiver = h.receiver({});
    expect((await receiver.syncOnce()).exported).toBe(0);
    h.slack.add({ app_id: 'A-undated', user_id: 'U1', date: 'n/a', change_type: 'added' });
    expect((await receiver.syncOnce()).exported).toBe(1);
    expect((await receiver.syncOnce()).exported).toBe(0);
  });

  it('a receiver that was shut down refuses to start or sync again, instead of exporting nothing', async () => {
    h = await startHarness({ entries: makeEntries(2) });
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();
    await receiver.shutdown();
    await expect(receiver.start()).rejects.toThrow('was shut down: create a new one');
    await expect(receiver.syncOnce()).rejects.toThrow('was shut down: create a new one');
  });

  it('a prefetched page the pass no longer needs stops retrying when the pass ends', async () => {
    const entries = makeEntries(35);
    h = await startHarness({ entries });
    // Page 1 comes back with more entries than its paging announces (the pass restarts) while
    // page 2, prefetched, gets a 503 and would be retried 3 s later if nothing stopped it.
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(0, 11), paging: { count: 10, total: 35, page: 1, pages: 4 } }), { status: 503, body: '' });
    await h.receiver({ backfillStartTime: 0, retryDeadline: 30 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    const after = h.slack.requests.length;
    await new Promise((r) => setTimeout(r, 4_000));
    expect(h.slack.requests.length).toBe(after);
  });

  it('an explicit backfill start wins over a cursor that never delivered anything', async () => {
    const entries = makeEntries(6);
    h = await startHarness({ entries, slackToken: 'xoxp-other-not-a-real-token' });
    const first = h.receiver({ backfillStartTime: BASE_DATE + 3 });
    await first.syncOnce().catch(() => undefined); // invalid_auth: the cursor stays at its start
    await h.shutdown(first);
    h.slack.options.token = TEST_TOKEN;
    const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(summary.exported).toBe(6);
  });
});
