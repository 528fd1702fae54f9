/**
 * End to end: the real `@slack/web-api` client (inside the receiver) against FakeSlack, the real
 * OTLP/HTTP exporter against FakeCollector. Assertions are on what the collector decoded, compared
 * with the fixtures built in each test.
 */
import { stat, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeCollector } from '../src/testing/fake-collector.js';
import { EXPORT_BATCH_SIZE } from '../src/delivery/pass.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import {
  BASE_DATE,
  NS_PER_SECOND,
  OTHER_TOKEN,
  PKG,
  TEST_TOKEN,
  dateOf,
  expectExactlyOnce,
  expectNoTokenLeak,
  expectOldestFirst,
  freePort,
  keyOfEntry,
  keyOfRecord,
  makeEntries,
  nowSeconds,
  startHarness,
  uidsOf,
  type Harness,
  type HarnessOptions,
} from './helpers.js';
import { SlackFatalError } from '../src/core/errors.js';

const ORDERS = ['newest-first', 'oldest-first'] as const;

let h: Harness | undefined;
/** Extra collectors started by a test (collector-down cases), checked for leaks and stopped. */
let extraCollectors: FakeCollector[] = [];

async function setup(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

afterEach(async () => {
  const harness = h;
  h = undefined;
  const extra = extraCollectors;
  extraCollectors = [];
  if (!harness) return;
  try {
    // Every scenario: the token never shows in logs, errors, the cursor file or OTLP bodies.
    await expectNoTokenLeak(
      harness,
      TEST_TOKEN,
      extra.flatMap((c) => c.bodies),
    );
  } finally {
    for (const c of extra) await c.stop().catch(() => undefined);
    await harness.cleanup();
  }
});

/** The newest date of a fixture, seconds. */
function newest(entries: SlackIntegrationLogRaw[]): number {
  return Math.max(...entries.map(dateOf));
}

describe('where the first run starts', () => {
  it('without a backfill start, exports nothing older than the first run; later entries are exported next pass', async () => {
    const past = makeEntries(20, { startDate: nowSeconds() - 3600, perSecond: 2 });
    const s = await setup({ entries: past });
    const firstRunAt = nowSeconds();
    const r = s.receiver();

    await r.syncOnce();
    expect(s.collector.records).toHaveLength(0);
    expect(await s.cursorText()).toBeDefined();

    // One entry dated at/after the first run (new), one dated before it (older than the start: never exported).
    const fresh = makeEntries(1, { startDate: Math.max(nowSeconds(), firstRunAt), prefix: 'NEW' });
    const stale = makeEntries(1, { startDate: firstRunAt - 10, prefix: 'OLD' });
    s.slack.add(...fresh, ...stale);
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, fresh);
  });

  it('backfill 0 exports everything Slack has', async () => {
    const entries = makeEntries(25, { perSecond: 3 });
    const s = await setup({ entries });
    await s.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(s.collector.records, entries);
  });

  it.each([
    ['ISO date-time', new Date((BASE_DATE + 17) * 1000).toISOString(), BASE_DATE + 17],
    ['ISO date-time without offset (UTC)', '2024-01-01T00:00:23', BASE_DATE + 23],
    ['Unix seconds as a string', String(BASE_DATE + 11), BASE_DATE + 11],
    ['Unix seconds as a number', BASE_DATE + 29, BASE_DATE + 29],
  ] as const)('backfill from %s exports exactly the entries dated at or after it', async (_what, start, startSeconds) => {
    const entries = makeEntries(60, { perSecond: 2 });
    const s = await setup({ entries });
    await s.receiver({ backfillStartTime: start }).syncOnce();
    const expected = entries.filter((e) => dateOf(e) >= startSeconds);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(entries.length);
    expectExactlyOnce(s.collector.records, expected);
  });

  it('backfill from an ISO date reads it as UTC midnight', async () => {
    const lateEvening = Date.UTC(2024, 0, 1, 23, 59, 50) / 1000;
    const entries = makeEntries(20, { startDate: lateEvening });
    const s = await setup({ entries });
    await s.receiver({ backfillStartTime: '2024-01-02' }).syncOnce();
    const expected = entries.filter((e) => dateOf(e) >= Date.UTC(2024, 0, 2) / 1000);
    expect(expected).toHaveLength(10);
    expectExactlyOnce(s.collector.records, expected);
  });
});

describe('incremental passes', () => {
  it('export only the entries that are new since the last pass', async () => {
    const first = makeEntries(30, { perSecond: 2 });
    const s = await setup({ entries: first });
    const r = s.receiver({ backfillStartTime: 0 });
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, first);

    const second = makeEntries(7, { startDate: newest(first) + 5, prefix: 'B' });
    s.slack.add(...second);
    await r.syncOnce();
    expectExactlyOnce(s.collector.records.slice(first.length), second);

    await r.syncOnce();
    expectExactlyOnce(s.collector.records, [...first, ...second]);
  });
});

describe.each(ORDERS)('Slack order %s', (order) => {
  it('95 entries over 10-entry pages, then new ones: each exactly once, oldest first, time = date', async () => {
    const entries = makeEntries(95, { perSecond: 2, dateAs: 'alternate' });
    const s = await setup({ entries, order });
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    const beforeMs = Date.now();
    await r.syncOnce();
    const afterMs = Date.now();
    expectExactlyOnce(s.collector.records, entries);
    expectOldestFirst(s.collector.records);
    expect(s.slack.requests.length).toBeGreaterThanOrEqual(10);

    const byKey = new Map(entries.map((e) => [keyOfEntry(e), e]));
    for (const rec of s.collector.records) {
      const e = byKey.get(keyOfRecord(rec))!;
      expect(typeof rec.timeUnixNano).toBe('bigint');
      expect(rec.timeUnixNano).toBe(BigInt(dateOf(e)) * NS_PER_SECOND);
      expect(rec.observedTimeUnixNano).toBeGreaterThanOrEqual(BigInt(beforeMs) * 1_000_000n);
      expect(rec.observedTimeUnixNano).toBeLessThanOrEqual(BigInt(afterMs) * 1_000_000n);
    }

    // New entries: some in the cursor's own second (distinct content), the rest later.
    const sameSecond = makeEntries(2, { startDate: newest(entries), prefix: 'SAME' });
    const later = makeEntries(13, { startDate: newest(entries) + 1, perSecond: 3, prefix: 'LATER' });
    s.slack.add(...sameSecond, ...later);
    await r.syncOnce();
    expectExactlyOnce(s.collector.records.slice(entries.length), [...sameSecond, ...later]);
    expectExactlyOnce(s.collector.records, [...entries, ...sameSecond, ...later]);
    expectOldestFirst(s.collector.records);
  });

  it('an idle poll costs exactly 1 Slack request', async () => {
    const entries = makeEntries(95);
    const s = await setup({ entries, order });
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    const before = s.slack.requests.length;
    await r.syncOnce();
    expect(s.slack.requests.length - before).toBe(1);
    expect(s.collector.records).toHaveLength(95);
  });

  it('an idle poll stays cheap (<= 3 requests, nothing exported) when the newest second fills a whole page', async () => {
    // 100 entries, 10 per second, pages of 10: the cursor's second is exactly one page. Newest-first
    // must read page 2 to know the second ended; oldest-first steps back one page to be sure.
    const entries = makeEntries(100, { perSecond: 10 });
    const s = await setup({ entries, order });
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, entries);
    const before = s.slack.requests.length;
    await r.syncOnce();
    expect(s.collector.records).toHaveLength(100);
    // Pages until past the cursor's second, stepping back oldest-first, plus the first page re-read.
    expect(s.slack.requests.length - before).toBeLessThanOrEqual(4);
  });

  it('a backfill of 2500 entries with pageSize 1000 costs ceil(2500/1000) (+1 at most) requests', async () => {
    const entries = makeEntries(2500, { perSecond: 4 });
    const s = await setup({ entries, order });
    await s.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    const n = s.slack.requests.length;
    expect(n).toBeGreaterThanOrEqual(Math.ceil(2500 / 1000));
    expect(n).toBeLessThanOrEqual(Math.ceil(2500 / 1000) + 1);
    expectExactlyOnce(s.collector.records, entries);
    expectOldestFirst(s.collector.records);
  });

  it('Slack clamping count (maxCount 7, pageSize 10) still delivers each entry once', async () => {
    const entries = makeEntries(30, { perSecond: 2 });
    const s = await setup({ entries, order, maxCount: 7 });
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, entries);
    expectOldestFirst(s.collector.records);
    expect(s.slack.requests.every((q) => q.params.count === '10')).toBe(true);
    expect(s.slack.requests.length).toBeGreaterThanOrEqual(Math.ceil(30 / 7));
    expect(s.slack.requests.length).toBeLessThanOrEqual(Math.ceil(30 / 7) + 1);

    const more = makeEntries(9, { startDate: newest(entries) + 1, prefix: 'M' });
    s.slack.add(...more);
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, [...entries, ...more]);
  });

  it('identical entries in one second, split over pages and across runs, are all delivered once', async () => {
    const T = BASE_DATE + 100;
    const older = makeEntries(2, { startDate: BASE_DATE });
    const same = (): SlackIntegrationLogRaw => ({
      app_id: 'A0TOGGLE',
      app_type: 'Toggle App',
      user_id: 'UTOGGLER',
      user_name: 'toggler',
      date: String(T),
      change_type: 'disabled',
      reason: 'user',
      scope: '',
    });
    const s = await setup({ entries: [...older, same(), same(), same()], order });
    const first = s.receiver({ backfillStartTime: 0, pageSize: 2 });
    await first.syncOnce();
    const toggles = () => s.collector.records.filter((r) => r.attributes['slack.integration.app_id'] === 'A0TOGGLE');
    expect(s.collector.records).toHaveLength(5);
    expect(toggles()).toHaveLength(3);
    expect(new Set(uidsOf(toggles())).size).toBe(3);

    // A new receiver (restart) on the same cursor; 2 more identical entries appear in that same second.
    await s.shutdown(first);
    const restarted = s.receiver({ backfillStartTime: 0, pageSize: 2 });
    s.slack.add(same(), same());
    await restarted.syncOnce();
    await restarted.syncOnce();
    expect(s.collector.records).toHaveLength(7);
    expect(toggles()).toHaveLength(5);
    expect(new Set(uidsOf(toggles())).size).toBe(5);
    for (const r of toggles()) expect(r.timeUnixNano).toBe(BigInt(T) * NS_PER_SECOND);
  });
});

describe('identical entries only', () => {
  it('3 identical entries over a page boundary, then 2 more in that second: exactly 5 records, 5 distinct uids', async () => {
    const T = BASE_DATE + 7;
    const same = (): SlackIntegrationLogRaw => ({
      service_id: 555000111,
      service_type: 'Webhook',
      user_id: 'UTWICE',
      user_name: 'twice',
      channel: 'C0TWICE',
      date: T,
      change_type: 'enabled',
    });
    const s = await setup({ entries: [same(), same(), same()] });
    const r = s.receiver({ backfillStartTime: 0, pageSize: 2 });
    await r.syncOnce();
    expect(s.collector.records).toHaveLength(3);
    s.slack.add(same(), same());
    await r.syncOnce();
    await r.syncOnce();
    expect(s.collector.records).toHaveLength(5);
    expect(new Set(uidsOf(s.collector.records)).size).toBe(5);
  });
});

describe('drift between page requests', () => {
  it('newest-first backfill: entries added at the top while paging are each delivered once across this pass and the next', async () => {
    const entries = makeEntries(95, { perSecond: 2 });
    const s = await setup({ entries, order: 'newest-first' });
    const added: SlackIntegrationLogRaw[] = [];
    let passOne = true;
    s.slack.beforeAnswer = (page, fake) => {
      if (passOne && (page === 3 || page === 6)) {
        const batch = makeEntries(3, { startDate: newest(entries) + 10 + added.length, prefix: `D${page}-` });
        added.push(...batch);
        fake.add(...batch);
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    passOne = false;
    expectExactlyOnce(s.collector.records, entries);
    await r.syncOnce();
    expect(added).toHaveLength(6);
    expectExactlyOnce(s.collector.records, [...entries, ...added]);
    expectOldestFirst(s.collector.records);
  });

  it('newest-first backfill: one entry added before every page request', async () => {
    const entries = makeEntries(95);
    const s = await setup({ entries, order: 'newest-first' });
    const added: SlackIntegrationLogRaw[] = [];
    let drifting = true;
    s.slack.beforeAnswer = (page, fake) => {
      if (drifting && page > 1) {
        const e = makeEntries(1, { startDate: newest(entries) + 1 + added.length, prefix: `E${added.length}-` });
        added.push(...e);
        fake.add(...e);
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    drifting = false;
    await r.syncOnce();
    expect(added.length).toBeGreaterThanOrEqual(9);
    expectExactlyOnce(s.collector.records, [...entries, ...added]);
  });

  it('newest-first backfill: a jump of more than a page between requests still ends with each entry once', async () => {
    const entries = makeEntries(95);
    const s = await setup({ entries, order: 'newest-first' });
    const added: SlackIntegrationLogRaw[] = [];
    let done = false;
    s.slack.beforeAnswer = (page, fake) => {
      if (!done && page === 3) {
        done = true;
        const batch = makeEntries(12, { startDate: newest(entries) + 1, prefix: 'JUMP' });
        added.push(...batch);
        fake.add(...batch);
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, [...entries, ...added]);
  });

  it('oldest-first backfill: retention expiring entries already read, while paging', async () => {
    const entries = makeEntries(95, { perSecond: 2 });
    const s = await setup({ entries, order: 'oldest-first' });
    let expired = false;
    s.slack.beforeAnswer = (page, fake) => {
      if (!expired && page === 3) {
        expired = true;
        fake.expireOldest(3); // entries 0..2 were on page 1, already read
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    await r.syncOnce();
    expect(expired).toBe(true);
    expectExactlyOnce(s.collector.records, entries);
    expectOldestFirst(s.collector.records);
  });

  it('oldest-first backfill: entries appended at the end while paging', async () => {
    const entries = makeEntries(95, { perSecond: 2 });
    const s = await setup({ entries, order: 'oldest-first' });
    const added: SlackIntegrationLogRaw[] = [];
    s.slack.beforeAnswer = (page, fake) => {
      if (added.length === 0 && page === 4) {
        added.push(...makeEntries(4, { startDate: newest(entries) + 1, prefix: 'APP' }));
        fake.add(...added);
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, [...entries, ...added]);
  });

  // BUG (reported): the sequencer infers the shift from the net change of paging.total, so expiry
  // and appends in one pass cancel out; the pass restarts, and the restart drops the entries it had
  // already read that expired meanwhile (0..2 here): they are never exported.
  // KNOWN LIMIT (docs/sync.md, "Limits"): when entries expire and arrive in one oldest-first pass, the
  // pass is read again, and entries read before they expired are gone from Slack by then.
  it.fails('oldest-first backfill: expiry, then appends, in one pass: entries read before they expired are not lost', async () => {
    const entries = makeEntries(95, { perSecond: 2 });
    const s = await setup({ entries, order: 'oldest-first' });
    const added: SlackIntegrationLogRaw[] = [];
    let step = 0;
    s.slack.beforeAnswer = (page, fake) => {
      if (step === 0 && page === 3) {
        step = 1;
        fake.expireOldest(3); // entries 0..2 were on page 1, already read
      } else if (step === 1 && page === 6) {
        step = 2;
        added.push(...makeEntries(4, { startDate: newest(entries) + 1, prefix: 'APP' }));
        fake.add(...added);
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    await r.syncOnce();
    expect(step).toBe(2);
    expectExactlyOnce(s.collector.records, [...entries, ...added]);
  });

  // One entry added at the top plus one expired at the bottom nets 0 in paging.total, so page 2
  // looks unmoved; the end-of-pass re-read of page 1 sees the addition and reads the pass again.
  it('newest-first: one entry added at the top and one expired at the bottom between pages: no duplicate', async () => {
    const entries = makeEntries(40, { perSecond: 2 });
    const s = await setup({ entries, order: 'newest-first' });
    const added = makeEntries(1, { startDate: newest(entries) + 10, prefix: 'TOP' });
    let done = false;
    s.slack.beforeAnswer = (page, fake) => {
      if (!done && page === 2) {
        done = true;
        fake.add(...added);
        fake.expireOldest(1); // the oldest entry, on the last page: never served
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    await r.syncOnce();
    expectExactlyOnce(s.collector.records, [...entries.slice(1), ...added]);
  });

  // The same with identical entries, where a misaligned overlap check would pass on equal content.
  it('newest-first: growth masked by expiry next to identical entries does not invent an extra event', async () => {
    const T = BASE_DATE + 1000;
    const older = makeEntries(28, { startDate: BASE_DATE, prefix: 'O' });
    const x = (): SlackIntegrationLogRaw => ({ app_id: 'AX', user_id: 'UX', date: String(T), change_type: 'enabled' });
    const newer = makeEntries(7, { startDate: T + 1, prefix: 'N' });
    const s = await setup({ entries: [...older, x(), x(), x(), x(), x(), ...newer], order: 'newest-first' });
    const top = makeEntries(3, { startDate: T + 100, prefix: 'TOP' });
    let done = false;
    s.slack.beforeAnswer = (page, fake) => {
      if (!done && page === 2) {
        done = true;
        fake.add(...top);
        fake.expireOldest(1);
      }
    };
    const r = s.receiver({ backfillStartTime: 0, pageSize: 10 });
    await r.syncOnce();
    await r.syncOnce();
    const xs = s.collector.records.filter((rec) => rec.attributes['slack.integration.app_id'] === 'AX');
    expect(xs).toHaveLength(5);
    expect(s.collector.records).toHaveLength(27 + 5 + 7 + 3);
  });
});

describe('record mapping on the wire', () => {
  it('date as string and as number both give time = date seconds in nanoseconds', async () => {
    const asString: SlackIntegrationLogRaw = { app_id: 'ASTR', user_id: 'U1', date: '1392163200', change_type: 'added' };
    const asNumber: SlackIntegrationLogRaw = { app_id: 'ANUM', user_id: 'U1', date: 1392163201, change_type: 'added' };
    const s = await setup({ entries: [asString, asNumber] });
    await s.receiver({ backfillStartTime: 0 }).syncOnce();
    const byKey = new Map(s.collector.records.map((r) => [keyOfRecord(r), r]));
    expect(byKey.get('ASTR')!.timeUnixNano).toBe(1392163200n * NS_PER_SECOND);
    expect(byKey.get('ANUM')!.timeUnixNano).toBe(1392163201n * NS_PER_SECOND);
    for (const r of s.collector.records) expect(r.observedTimeUnixNano).toBeGreaterThan(0n);
  });

  it('service_id as a number becomes a string attribute; unknown fields are kept as slack.integration.<field>', async () => {
    const custom: SlackIntegrationLogRaw = {
      service_id: 1234567890,
      service_type: 'Airbrake',
      user_id: 'U3456CDEF',
      user_name: 'joey',
      channel: 'C0456ALERTS',
      date: String(BASE_DATE),
      change_type: 'disabled',
      reason: 'errors',
      scope: 'incoming-webhook',
    };
    const customString: SlackIntegrationLogRaw = { ...custom, service_id: '3456789012', date: String(BASE_DATE + 1) };
    const app: SlackIntegrationLogRaw = {
      app_id: 'A0999LEGACY',
      app_type: 'Legacy Exporter',
      user_id: 'U0001ADMIN',
      user_name: 'security-admin',
      date: BASE_DATE + 2,
      change_type: 'frobnicated',
      resolution: 'approved',
      admin_app_id: 'A0000ADMIN',
      some_count: 3,
      scope: '',
    };
    const s = await setup({ entries: [custom, customString, app] });
    await s.receiver({ backfillStartTime: 0 }).syncOnce();
    const recs = [...s.collector.records].sort((a, b) => Number(a.timeUnixNano - b.timeUnixNano));
    expect(recs).toHaveLength(3);
    const [a, b, c] = recs as [(typeof recs)[0], (typeof recs)[0], (typeof recs)[0]];

    expect(a.attributes['slack.integration.service_id']).toBe('1234567890');
    expect(typeof a.attributes['slack.integration.service_id']).toBe('string');
    expect(a.attributes['slack.integration.service_type']).toBe('Airbrake');
    expect(a.attributes['slack.integration.channel_id']).toBe('C0456ALERTS');
    expect(a.attributes['slack.integration.reason']).toBe('errors');
    expect(a.attributes['slack.integration.change_type']).toBe('disabled');
    expect(a.attributes['slack.integration.scopes']).toEqual(['incoming-webhook']);
    expect(a.attributes['user.id']).toBe('U3456CDEF');
    expect(a.attributes['user.name']).toBe('joey');
    expect(a.eventName).toBe('slack.integration.change');
    expect(a.severityNumber).toBe(13); // WARN for disabled (docs/mapping.md)
    expect(b.attributes['slack.integration.service_id']).toBe('3456789012');

    expect(c.attributes['slack.integration.resolution']).toBe('approved');
    expect(c.attributes['slack.integration.admin_app_id']).toBe('A0000ADMIN');
    expect(c.attributes['slack.integration.some_count']).toBe(3);
    expect(c.attributes['slack.integration.change_type']).toBe('frobnicated');
    expect(c.severityNumber).toBe(9); // INFO for an unknown change_type
    expect('slack.integration.scopes' in c.attributes).toBe(false); // empty scope: absent
    expect(c.attributes['log.record.uid']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('resource service.name defaults to slack-integration-logs; scope is the package name and version', async () => {
    const s = await setup({ entries: makeEntries(3) });
    await s.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(s.collector.records).toHaveLength(3);
    for (const r of s.collector.records) {
      expect(r.resource['service.name']).toBe('slack-integration-logs');
      expect(r.scope.name).toBe(PKG.name);
      expect(r.scope.name).toBe('slack-integration-logs-receiver');
      expect(r.scope.version).toBe(PKG.version);
    }
  });

  it('fromEnv: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES set the resource', async () => {
    const entries = makeEntries(4);
    const s = await setup({ entries });
    await s
      .receiverFromEnv({
        SLACK_BACKFILL_START_TIME: '0',
        OTEL_SERVICE_NAME: 'audit-pipeline',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team.name=sec%20ops,service.name=ignored',
      })
      .syncOnce();
    expectExactlyOnce(s.collector.records, entries);
    for (const r of s.collector.records) {
      expect(r.resource['service.name']).toBe('audit-pipeline');
      expect(r.resource['deployment.environment.name']).toBe('test');
      expect(r.resource['team.name']).toBe('sec ops');
    }
  });

  it('fromEnv: service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset', async () => {
    const entries = makeEntries(2);
    const s = await setup({ entries });
    await s.receiverFromEnv({ SLACK_BACKFILL_START_TIME: '0', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes' }).syncOnce();
    expect(s.collector.records).toHaveLength(2);
    for (const r of s.collector.records) expect(r.resource['service.name']).toBe('from-attributes');
  });

  it("takes the host's resource when given one (an SDK Resource)", async () => {
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const entries = makeEntries(3);
    const s = await setup({ entries });
    const host = resourceFromAttributes({ 'service.name': 'host-service', 'deployment.environment.name': 'prod' });
    await s.receiverFromEnv({ SLACK_BACKFILL_START_TIME: '0', OTEL_SERVICE_NAME: 'ignored' }, { resource: host }).syncOnce();
    expect(s.collector.records).toHaveLength(3);
    for (const r of s.collector.records) {
      expect(r.resource['service.name']).toBe('host-service');
      expect(r.resource['deployment.environment.name']).toBe('prod');
    }
  });

  it('fromEnv: OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs appended', async () => {
    const entries = makeEntries(5);
    const s = await setup({ entries });
    const base = s.collector.url.replace(/\/v1\/logs$/, '');
    await s
      .receiverFromEnv({
        SLACK_BACKFILL_START_TIME: '0',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: undefined,
        OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/`,
      })
      .syncOnce();
    expectExactlyOnce(s.collector.records, entries);
  });
});

describe('the Slack request', () => {
  it('is a form-encoded POST to team.integrationLogs with Authorization: Bearer <token>, token not in the body', async () => {
    const entries = makeEntries(25);
    const s = await setup({ entries });
    await s.receiver({ backfillStartTime: 0, pageSize: 10 }).syncOnce();
    expect(s.slack.requests).toHaveLength(4); // pages 1-3, then page 1 again (the drift check)
    s.slack.requests.forEach((q, i) => {
      expect(q.method).toBe('POST');
      expect(q.path.endsWith('/team.integrationLogs')).toBe(true);
      expect(q.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(q.authorization).toBe(`Bearer ${TEST_TOKEN}`);
      expect(q.params.token).toBeUndefined();
      expect(q.params.count).toBe('10');
      expect(q.params.page).toBe(String([1, 2, 3, 1][i]));
    });
    expectExactlyOnce(s.collector.records, entries);
  });

  it('sends the configured filters on every page (option `filters`)', async () => {
    const entries = makeEntries(60); // change_type cycles through 6 values: 10 are `removed`
    const s = await setup({ entries });
    await s.receiver({ backfillStartTime: 0, pageSize: 4, filters: { change_type: 'removed' } }).syncOnce();
    expect(s.slack.requests.length).toBeGreaterThanOrEqual(3);
    for (const q of s.slack.requests) expect(q.params.change_type).toBe('removed');
    expectExactlyOnce(
      s.collector.records,
      entries.filter((e) => e.change_type === 'removed'),
    );
  });
});

describe('the cursor file', () => {
  it('a new receiver on the same cursor file exports only new entries (the cursor wins over the backfill start)', async () => {
    const entries = makeEntries(40, { perSecond: 2 });
    const s = await setup({ entries });
    const first = s.receiver({ backfillStartTime: 0 });
    await first.syncOnce();
    await s.shutdown(first);
    expectExactlyOnce(s.collector.records, entries);

    const more = makeEntries(6, { startDate: newest(entries) + 1, prefix: 'R' });
    s.slack.add(...more);
    const second = s.receiver({ backfillStartTime: 0 });
    await second.syncOnce();
    expectExactlyOnce(s.collector.records.slice(entries.length), more);
  });

  it('log.record.uid is stable across a re-export (cursor file restored to a copy)', async () => {
    const entries = makeEntries(20, { perSecond: 2 });
    const s = await setup({ entries });
    const first = s.receiver({ backfillStartTime: 0 });
    await first.syncOnce();
    const same = (): SlackIntegrationLogRaw => ({
      app_id: 'ADUP',
      user_id: 'UDUP',
      date: String(newest(entries) + 3),
      change_type: 'enabled',
    });
    const more = [...makeEntries(5, { startDate: newest(entries) + 1, prefix: 'U' }), same(), same()];
    s.slack.add(...more);

    const copy = (await s.cursorText())!;
    await first.syncOnce();
    await s.shutdown(first);
    const firstExport = s.collector.records.slice(entries.length);
    expect(firstExport).toHaveLength(more.length);

    await writeFile(s.cursorFile, copy);
    const second = s.receiver({ backfillStartTime: 0 });
    await second.syncOnce();
    const secondExport = s.collector.records.slice(entries.length + more.length);
    expect(secondExport).toHaveLength(more.length);
    expect(new Set(uidsOf(firstExport)).size).toBe(more.length);
    expect([...uidsOf(secondExport)].sort()).toEqual([...uidsOf(firstExport)].sort());
    // and each uid belongs to the same entry both times
    const pairs = (recs: typeof firstExport) => recs.map((r) => `${keyOfRecord(r)}|${r.attributes['log.record.uid']}`).sort();
    expect(pairs(secondExport)).toEqual(pairs(firstExport));
  });

  it('has mode 0600', async () => {
    const s = await setup({ entries: makeEntries(3) });
    await s.receiver({ backfillStartTime: 0 }).syncOnce();
    const st = await stat(s.cursorFile);
    expect(st.mode & 0o777).toBe(0o600);
  });
});

describe('OTLP failures', () => {
  it('collector answering 500 on a first run: rejects naming the OTLP export, the cursor stays at the start, next pass delivers all once', async () => {
    const entries = makeEntries(30, { perSecond: 2 });
    const s = await setup({ entries });
    s.collector.enqueue({ status: 500, body: 'boom' });
    const r = s.receiver({ backfillStartTime: 0 });
    const error = await s.failingPass(r);
    expect(error.message).toContain('OTLP export');
    expect(s.collector.records).toHaveLength(0);
    expect(JSON.parse((await s.cursorText())!).position).toEqual({ date: 0, delivered: {} });

    await r.syncOnce();
    expectExactlyOnce(s.collector.records, entries);
  });

  it('collector answering 500 on an incremental pass: the cursor file is unchanged, the retry delivers the new entries once', async () => {
    const entries = makeEntries(20);
    const s = await setup({ entries });
    const r = s.receiver({ backfillStartTime: 0 });
    await r.syncOnce();
    const more = makeEntries(8, { startDate: newest(entries) + 1, prefix: 'N' });
    s.slack.add(...more);
    const before = await s.cursorText();
    s.collector.enqueue({ status: 500 });
    const error = await s.failingPass(r);
    expect(error.message).toContain('OTLP export');
    expect(await s.cursorText()).toBe(before);
    expect(s.collector.records).toHaveLength(entries.length);

    // a new instance too: nothing was remembered in memory only
    await s.shutdown(r);
    await s.receiver().syncOnce();
    expectExactlyOnce(s.collector.records, [...entries, ...more]);
  });

  it('a failure on the second batch keeps the first and sends nothing after it; the next pass delivers the rest, none twice, in time order', async () => {
    const B = EXPORT_BATCH_SIZE;
    const entries = makeEntries(2 * B + 200, { perSecond: 3 }); // batches of B, B and 200; B splits a second
    expect(B % 3).not.toBe(0);
    const s = await setup({ entries });
    s.collector.enqueue({ delayMs: 0 }, { status: 500 });
    const r = s.receiver({ backfillStartTime: 0, pageSize: 1000 });
    const error = await s.failingPass(r);
    expect(error.message).toContain('OTLP export');
    // Batch 1 arrived; batch 2 was refused; batch 3 was never sent (one request at a time).
    expect(s.collector.records).toHaveLength(B);
    expect(s.collector.requests).toBe(2);
    // The first B to arrive are the B oldest entries (ties in the boundary second aside).
    const lastDateOfBatch1 = BigInt(entries.map(dateOf).sort((a, b) => a - b)[B - 1]!) * 1_000_000_000n;
    expect(s.collector.records.every((rec) => rec.timeUnixNano <= lastDateOfBatch1)).toBe(true);

    await r.syncOnce();
    // Nothing lost, nothing twice, and the stream never went back in time.
    expectExactlyOnce(s.collector.records, entries);
    expectOldestFirst(s.collector.records);
  });

  it('collector down: rejects naming the OTLP export, the cursor stays at the start; after it comes up, everything once', async () => {
    const entries = makeEntries(15);
    const s = await setup({ entries });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/logs`;
    const r = s.receiver({ backfillStartTime: 0, otlpEndpoint: url, otlpTimeoutMillis: 2000 });
    const t0 = Date.now();
    const error = await s.failingPass(r);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(error.message).toContain('OTLP export');
    expect(JSON.parse((await s.cursorText())!).position).toEqual({ date: 0, delivered: {} }); // the start only

    const up = await new FakeCollector().start(port);
    extraCollectors.push(up);
    await r.syncOnce();
    expectExactlyOnce(up.records, entries);
  });
});

describe('Slack failures', () => {
  it('invalid_auth rejects with SlackFatalError naming the code and the fix; nothing exported', async () => {
    const s = await setup({ entries: makeEntries(5), slackToken: OTHER_TOKEN });
    const error = await s.failingPass(s.receiver({ backfillStartTime: 0 }));
    expect(error).toBeInstanceOf(SlackFatalError);
    expect((error as SlackFatalError).code).toBe('invalid_auth');
    expect(error.message).toContain('invalid_auth');
    expect(error.message).toContain('SLACK_TOKEN');
    expect(s.collector.records).toHaveLength(0);
    expect(JSON.parse((await s.cursorText())!).position).toEqual({ date: 0, delivered: {} }); // the start only
    expect(s.slack.requests).toHaveLength(1); // not retried
  });

  it('missing_scope rejects with SlackFatalError naming the code and the admin scope', async () => {
    const s = await setup({ entries: makeEntries(5) });
    s.slack.enqueue({ slackError: 'missing_scope', extra: { needed: 'admin', provided: 'identify,users:read' } });
    const error = await s.failingPass(s.receiver({ backfillStartTime: 0 }));
    expect(error).toBeInstanceOf(SlackFatalError);
    expect((error as SlackFatalError).code).toBe('missing_scope');
    expect(error.message).toContain('missing_scope');
    expect(error.message).toMatch(/\badmin\b/);
    expect(s.collector.records).toHaveLength(0);
    expect(JSON.parse((await s.cursorText())!).position).toEqual({ date: 0, delivered: {} }); // the start only
  });

  it('HTTP 429 with Retry-After: 1 is waited out visibly and the pass completes', async () => {
    const entries = makeEntries(12);
    const s = await setup({ entries });
    s.slack.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: 'ratelimited' });
    const t0 = Date.now();
    await s.receiver({ backfillStartTime: 0, pageSize: 10 }).syncOnce();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    const warns = s.logger.at('warn').filter((l) => /wait/i.test(l.message));
    expect(warns.length).toBeGreaterThanOrEqual(1);
    expect(warns[0]!.message).toMatch(/\b1(\.0)?\s*s\b/);
    expect(warns[0]!.message).toMatch(/429|rate limit/i);
    expect(s.slack.requests).toHaveLength(4); // the 429, pages 1 and 2, page 1 again (the drift check)
    expectExactlyOnce(s.collector.records, entries);
  });
});
