import { describe, expect, it } from 'vitest';
import { BASE_DATE, expectExactlyOnce, harnessPerTest, makeEntries } from './helpers.js';

/**
 * Slack paging answers that contradict themselves (short pages, paging objects that are missing,
 * zero, negative or below what the page shows): the pass neither ends early nor skips anything,
 * and work started for a page the pass no longer needs stops with it.
 */

const harness = harnessPerTest();

const json = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('a short page', () => {
  it('a short page before the last one does not end the pass (nothing older is skipped)', async () => {
    const entries = makeEntries(35);
    const h = await harness.start({ entries });
    // Page 1 of 4 with one entry left out, while paging stays honest.
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(1, 10), paging: { count: 10, total: 35, page: 1, pages: 4 } }));
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    expect(h.logger.at('warn').some((l) => l.message.includes('Slack returned 9 entries on page 1 of 4'))).toBe(true);
  });

  it('a short page that reaches past the cursor is still refused (its missing entries may be new)', async () => {
    const entries = makeEntries(20);
    const h = await harness.start({ entries });
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();
    const more = makeEntries(15, { startDate: BASE_DATE + 100, prefix: 'N' });
    h.slack.add(...more);
    // Page 2 (5 new + 5 old) comes back with one of the new ones left out, once.
    const newestFirst = [...entries, ...more].reverse();
    h.slack.beforeAnswer = (page) => {
      if (page === 2 && h.slack.requests.length <= 3) {
        h.slack.enqueue(
          json({
            ok: true,
            logs: [...newestFirst.slice(10, 11), ...newestFirst.slice(12, 20)],
            paging: { count: 10, total: 35, page: 2, pages: 4 },
          }),
        );
      }
    };
    await receiver.syncOnce().catch(() => undefined);
    h.slack.beforeAnswer = undefined;
    await receiver.syncOnce();
    expectExactlyOnce(h.collector.records, [...entries, ...more]);
  });
});

describe('a full page whose paging is missing or wrong', () => {
  it.each([
    ['no paging at all', undefined],
    ['pages 0 with a total', { count: 10, total: 35, page: 1, pages: 0 }],
    ['every field -1', { count: -1, total: -1, page: -1, pages: -1 }],
  ])('a full page with %s is not taken for the last one', async (_name, paging) => {
    const entries = makeEntries(35);
    const h = await harness.start({ entries });
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(0, 10), ...(paging ? { paging } : {}) }));
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
  });

  it('a full page whose paging.total is below what it shows is not the last page', async () => {
    const entries = makeEntries(25);
    const h = await harness.start({ entries });
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(0, 10), paging: { count: 10, total: 5, page: 1, pages: 1 } }));
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
  });
});

describe('a pass restarted by a page longer than its paging announces', () => {
  it('a prefetched page the pass no longer needs stops retrying when the pass ends', async () => {
    const entries = makeEntries(35);
    const h = await harness.start({ entries });
    // Page 1 comes back with more entries than its paging announces (the pass restarts) while
    // page 2, prefetched, gets a 503 and would be retried 3 s later if nothing stopped it.
    const newestFirst = [...entries].reverse();
    h.slack.enqueue(json({ ok: true, logs: newestFirst.slice(0, 11), paging: { count: 10, total: 35, page: 1, pages: 4 } }), {
      status: 503,
      body: '',
    });
    await h.receiver({ backfillStartTime: 0, retryDeadline: 30 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    const after = h.slack.requests.length;
    await new Promise((r) => setTimeout(r, 4_000));
    expect(h.slack.requests.length).toBe(after);
  });
});
