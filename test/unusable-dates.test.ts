import { describe, expect, it } from 'vitest';
import { BASE_DATE, harnessPerTest, makeEntries } from './helpers.js';

/**
 * Entries whose `date` is not usable Unix seconds (milliseconds, text, an hour ahead, missing):
 * each is delivered exactly once, and none moves the cursor past entries still to come.
 */

const harness = harnessPerTest();

describe('dates that are not Unix seconds', () => {
  it('a date in milliseconds is exported as malformed and does not move the cursor into the future', async () => {
    const entries = makeEntries(3);
    const h = await harness.start({
      entries: [...entries, { app_id: 'A-ms', user_id: 'U1', date: String((BASE_DATE + 3) * 1000), change_type: 'added' }],
    });
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
    const h = await harness.start({ entries: [...entries, { app_id: 'A-garbage', user_id: 'U1', date: 'garbage', change_type: 'added' }] });
    const receiver = h.receiver({ backfillStartTime: 0 });
    expect((await receiver.syncOnce()).exported).toBe(3);
    h.slack.add(...makeEntries(1, { startDate: BASE_DATE + 100, prefix: 'N' }));
    expect((await receiver.syncOnce()).exported).toBe(1);
    expect(h.collector.records.filter((r) => r.attributes['slack.integration.app_id'] === 'A-garbage')).toHaveLength(1);
  });
});

describe('dates in the future and no date at all', () => {
  it('a date a little in the future is held back, then counted once when it becomes usable, and the cursor never runs ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = { app_id: 'A-ahead', user_id: 'U1', date: String(now + 3_600), change_type: 'added' };
    const h = await harness.start({ entries: [...makeEntries(2, { startDate: now - 60 }), ahead] });
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
    const h = await harness.start({ entries: makeEntries(5, { startDate: Math.floor(Date.now() / 1000) - 3_600 }) });
    const receiver = h.receiver({});
    expect((await receiver.syncOnce()).exported).toBe(0);
    h.slack.add({ app_id: 'A-undated', user_id: 'U1', date: 'n/a', change_type: 'added' });
    expect((await receiver.syncOnce()).exported).toBe(1);
    expect((await receiver.syncOnce()).exported).toBe(0);
  });
});
