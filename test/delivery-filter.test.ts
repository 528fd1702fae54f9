/**
 * DeliveryFilter: which entries met oldest first are new, and which occurrence of their content
 * each one is. Expected values are written by hand from the fixtures.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryFilter } from '../src/delivery/delivery-filter.js';
import type { CursorPosition } from '../src/core/types.js';

// Fingerprints are opaque to the filter; readable stand-ins (32 hex chars, like the real ones).
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const D = 'd'.repeat(32);

type Item = [date: number, fingerprint: string];

/** Runs `items` through a fresh filter; returns what was delivered as `date/fp/occurrence` keys. */
function deliverAll(
  start: CursorPosition,
  items: Item[],
): { delivered: string[]; results: Array<{ deliver: boolean; occurrence: number }> } {
  const filter = new DeliveryFilter(start);
  const results = items.map(([date, fp]) => filter.admit(date, fp));
  return {
    results,
    delivered: items.flatMap(([date, fp], i) => (results[i]!.deliver ? [key(date, fp, results[i]!.occurrence)] : [])),
  };
}

function key(date: number, fp: string, occurrence: number): string {
  return `${date}/${fp[0]}/${occurrence}`;
}

describe('DeliveryFilter.admit', () => {
  it("skips the first delivered[fp] occurrences at the cursor's second and delivers the rest", () => {
    const start: CursorPosition = { date: 100, delivered: { [A]: 2, [B]: 1 } };
    const items: Item[] = [
      [100, A],
      [100, B],
      [100, A],
      [100, A],
      [100, C],
      [100, B],
      [100, A],
    ];
    const { results } = deliverAll(start, items);
    expect(results).toEqual([
      { deliver: false, occurrence: 0 }, // A#0 delivered before
      { deliver: false, occurrence: 0 }, // B#0 delivered before
      { deliver: false, occurrence: 1 }, // A#1 delivered before
      { deliver: true, occurrence: 2 }, // A#2 new
      { deliver: true, occurrence: 0 }, // C#0 new (not in delivered)
      { deliver: true, occurrence: 1 }, // B#1 new
      { deliver: true, occurrence: 3 }, // A#3 new
    ]);
  });

  it('entries at later seconds are all new, occurrences counted per second from 0', () => {
    const start: CursorPosition = { date: 100, delivered: { [A]: 1 } };
    const items: Item[] = [
      [100, A],
      [101, A],
      [101, A],
      [101, B],
      [101, A],
      [102, A],
      [102, B],
      [102, B],
    ];
    const { results } = deliverAll(start, items);
    expect(results).toEqual([
      { deliver: false, occurrence: 0 },
      { deliver: true, occurrence: 0 },
      { deliver: true, occurrence: 1 },
      { deliver: true, occurrence: 0 },
      { deliver: true, occurrence: 2 },
      { deliver: true, occurrence: 0 },
      { deliver: true, occurrence: 0 },
      { deliver: true, occurrence: 1 },
    ]);
  });

  it("entries before the cursor's second are never delivered", () => {
    const start: CursorPosition = { date: 100, delivered: {} };
    const { results } = deliverAll(start, [
      [98, A],
      [99, A],
      [100, A],
    ]);
    expect(results.map((r) => r.deliver)).toEqual([false, false, true]);
    expect(results[2]!.occurrence).toBe(0);
  });

  it('a later second does not inherit the cursor second counts', () => {
    // delivered counts apply to the cursor second only: A at 101 is new even though A:5 at 100.
    const start: CursorPosition = { date: 100, delivered: { [A]: 5 } };
    const { results } = deliverAll(start, [[101, A]]);
    expect(results).toEqual([{ deliver: true, occurrence: 0 }]);
  });

  it('out-of-order input throws', () => {
    const filter = new DeliveryFilter({ date: 100, delivered: {} });
    filter.admit(100, A);
    filter.admit(102, A);
    expect(() => filter.admit(101, B)).toThrow(/out of date order \(101 after 102\)/);
  });
});

describe('DeliveryFilter.position', () => {
  it('is the start position before anything is admitted', () => {
    const start: CursorPosition = { date: 100, delivered: { [A]: 1 } };
    expect(new DeliveryFilter(start).position()).toEqual({ date: 100, delivered: { [A]: 1 } });
  });

  it('counts every fingerprint of the newest second admitted', () => {
    const filter = new DeliveryFilter({ date: 100, delivered: { [A]: 1 } });
    for (const [d, fp] of [
      [100, A],
      [100, B],
      [101, A],
      [101, C],
      [101, A],
    ] as Item[]) {
      filter.admit(d, fp);
    }
    expect(filter.position()).toEqual({ date: 101, delivered: { [A]: 2, [C]: 1 } });
  });

  it('keeps a larger delivered count when a read returned fewer of them', () => {
    const filter = new DeliveryFilter({ date: 100, delivered: { [A]: 3, [B]: 1 } });
    filter.admit(100, A);
    filter.admit(100, C);
    expect(filter.position()).toEqual({ date: 100, delivered: { [A]: 3, [B]: 1, [C]: 1 } });
  });

  // A fixed log, oldest first, as a pass meets it (entries before the cursor already left out).
  const LOG: Item[] = [
    [100, A],
    [100, B],
    [100, A],
    [101, A],
    [101, A],
    [101, C],
    [101, A],
    [102, D],
    [102, D],
    [103, B],
  ];
  const START: CursorPosition = { date: 100, delivered: { [A]: 1 } };
  // Every event not delivered before START, as date/fingerprint/occurrence, written by hand.
  const ALL_NEW = ['100/b/0', '100/a/1', '101/a/0', '101/a/1', '101/c/0', '101/a/2', '102/d/0', '102/d/1', '103/b/0'];

  it('the full run delivers exactly the hand-computed set', () => {
    expect(deliverAll(START, LOG).delivered).toEqual(ALL_NEW);
  });

  it('a crash after any number of entries, then a resume from position(), delivers the rest exactly once', () => {
    for (let crashAfter = 0; crashAfter <= LOG.length; crashAfter++) {
      // First run: admit and deliver the first `crashAfter` entries, then save the cursor.
      const first = new DeliveryFilter(START);
      const before: string[] = [];
      for (const [date, fp] of LOG.slice(0, crashAfter)) {
        const r = first.admit(date, fp);
        if (r.deliver) before.push(key(date, fp, r.occurrence));
      }
      const saved = JSON.parse(JSON.stringify(first.position())) as CursorPosition;

      // Resume: Slack returns everything again from the saved second; the entries before it were
      // dropped by the sequencer (dated before the floor), so they are not met here.
      const again = LOG.filter(([date]) => date >= saved.date);
      const after = deliverAll(saved, again).delivered;

      const union = [...before, ...after];
      expect(new Set(union).size, `duplicates after a crash at ${crashAfter}: ${union.join(' ')}`).toBe(union.length);
      expect([...union].sort(), `crash after ${crashAfter}`).toEqual([...ALL_NEW].sort());
    }
  });

  it('a crash in the middle of a second with identical entries resumes at the right occurrence', () => {
    // Spelled out for one point: after 101/a/0 and 101/a/1 (entries 4 and 5 of LOG).
    const first = new DeliveryFilter(START);
    for (const [date, fp] of LOG.slice(0, 5)) first.admit(date, fp);
    const saved = first.position();
    expect(saved).toEqual({ date: 101, delivered: { [A]: 2 } });
    const after = deliverAll(
      saved,
      LOG.filter(([d]) => d >= 101),
    ).delivered;
    expect(after).toEqual(['101/c/0', '101/a/2', '102/d/0', '102/d/1', '103/b/0']);
  });
});

describe('UndatedFilter', () => {
  it('delivers each undated content as many times as it was ever seen at once, never again', async () => {
    const { UndatedFilter } = await import('../src/delivery/delivery-filter.js');
    const first = new UndatedFilter();
    expect([first.admit('a'.repeat(32)), first.admit('a'.repeat(32)), first.admit('b'.repeat(32))]).toEqual([
      { deliver: true, occurrence: 0 },
      { deliver: true, occurrence: 1 },
      { deliver: true, occurrence: 0 },
    ]);
    const saved = first.delivered();
    expect(saved).toEqual({ ['a'.repeat(32)]: 2, ['b'.repeat(32)]: 1 });
    // A later pass sees the two a's again and a third one: only the third is new.
    const next = new UndatedFilter(saved);
    expect([next.admit('a'.repeat(32)), next.admit('a'.repeat(32)), next.admit('a'.repeat(32))].map((r) => r.deliver)).toEqual([
      false,
      false,
      true,
    ]);
  });
});
