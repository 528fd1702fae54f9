/**
 * PageSequencer, driven page by page against a simulated Slack log.
 *
 * The simulation is deliberately dumb: a list of entries kept oldest first, shown newest-first or
 * oldest-first, sliced into pages of `count`. Expected results are computed from the dates and ids
 * the fixtures were built from, never from the sequencer.
 */
import { describe, expect, it } from 'vitest';
import { normalizeEntry, type NormalizedEntry } from '../src/entry/normalize.js';
import { PageSequencer, type NextStep, type SequencerOptions, type TakenEntry } from '../src/paging/page-sequencer.js';
import type { PageResponse } from '../src/slack/page.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

interface Spec {
  date: number;
  /** Becomes the entry's `app_id`: equal ids on equal dates give identical entries. */
  id: string;
}

/** A Slack entry from a spec. Identical specs give identical entries (same fingerprint). */
function entryOf(spec: Spec): NormalizedEntry {
  return normalizeEntry({
    user_id: 'U0001',
    user_name: 'alice',
    change_type: 'added',
    app_id: spec.id,
    app_type: 'Test App',
    date: String(spec.date),
  });
}

/** One distinct spec per date: `id` = `e<date>`. */
function specsFor(dates: number[]): Spec[] {
  return dates.map((date) => ({ date, id: `e${date}` }));
}

function range(from: number, toInclusive: number): number[] {
  const out: number[] = [];
  for (let d = from; d <= toInclusive; d++) out.push(d);
  return out;
}

type Order = 'newest-first' | 'oldest-first';

/** A Slack log: entries kept oldest first (by the order they were created), paged in `order`. */
class SimLog {
  readonly chrono: Array<{ spec: Spec; entry: NormalizedEntry }>;

  constructor(
    readonly order: Order,
    specs: Spec[],
    /** Slack's own ceiling on `count`: it answers with fewer per page than asked. */
    readonly maxCount = Number.POSITIVE_INFINITY,
  ) {
    this.chrono = specs.map((spec) => ({ spec, entry: entryOf(spec) }));
  }

  /** New entries, newer than everything already there. */
  add(specs: Spec[]): void {
    this.chrono.push(...specs.map((spec) => ({ spec, entry: entryOf(spec) })));
  }

  /** Retention: the `n` oldest entries disappear. */
  expireOldest(n: number): void {
    this.chrono.splice(0, n);
  }

  specs(): Spec[] {
    return this.chrono.map((c) => c.spec);
  }

  page(page: number, askedCount: number, fetchedAtMs = 1_700_000_000_000 + page): PageResponse {
    const count = Math.min(askedCount, this.maxCount);
    const view = this.order === 'newest-first' ? [...this.chrono].reverse() : [...this.chrono];
    const total = view.length;
    return {
      page,
      count,
      total,
      pages: Math.ceil(total / count),
      entries: view.slice((page - 1) * count, page * count).map((c) => c.entry),
      fetchedAtMs,
    };
  }
}

interface DriveResult {
  end: Exclude<NextStep, { kind: 'fetch' }>;
  /** Page numbers requested, in order. */
  requests: number[];
  taken: TakenEntry[];
  overlap: number;
  older: number;
}

/**
 * Asks the sequencer for pages until it says done or restart. `beforeRequest(i)` runs before the
 * i-th request (0-based), so the log can change between requests.
 */
function drive(
  sequencer: PageSequencer,
  fetch: (page: number) => PageResponse,
  beforeRequest: (index: number) => void = () => {},
  maxRequests = 200,
): DriveResult {
  const requests: number[] = [];
  const taken: TakenEntry[] = [];
  let overlap = 0;
  let older = 0;
  let page = sequencer.firstPage;
  for (;;) {
    if (requests.length >= maxRequests) throw new Error(`more than ${maxRequests} requests: ${requests.join(',')}`);
    beforeRequest(requests.length);
    const response = fetch(page);
    requests.push(page);
    const result = sequencer.accept(response);
    taken.push(...result.taken);
    overlap += result.overlap;
    older += result.older;
    if (result.next.kind !== 'fetch') {
      return { end: result.next, requests, taken, overlap, older };
    }
    page = result.next.page;
  }
}

function run(log: SimLog, count: number, options: SequencerOptions, beforeRequest?: (i: number) => void): DriveResult {
  const sequencer = new PageSequencer(options);
  return drive(sequencer, (page) => log.page(page, count), beforeRequest);
}

/** Sorted ids of taken entries: a multiset, so an entry taken twice shows twice. */
function takenIds(taken: TakenEntry[]): string[] {
  return taken.map((t) => String(t.entry.fields.app_id)).sort();
}

/** Sorted ids of the specs dated at or after `floor`: what a pass must take. */
function expectedIds(specs: Spec[], floor: number): string[] {
  return specs
    .filter((s) => s.date >= floor)
    .map((s) => s.id)
    .sort();
}

// ---------------------------------------------------------------------------------------------

describe('newest-first with a cursor floor', () => {
  const dates = range(1000, 1024); // 25 entries, pages of 10: [1024..1015] [1014..1005] [1004..1000]

  // Columns: the floor, the pages requested, how many entries are taken, how many read are older
  // than the floor (page 2, 1014..1005, holds five below 1010). A pass that read past page 1 ends by
  // reading it again (drift check).
  it.each([
    ['stops after the first page holding an entry older than the floor', 1010, [1, 2, 1], 15, 5],
    ['takes the entries at the floor second itself (the delivery filter decides on them)', 1018, [1], 7, 3],
    ['idle poll (cursor at the newest second) costs exactly one page request', 1024, [1], 1, 9],
    ['idle poll with the cursor past every entry: one request, nothing taken', 1025, [1], 0, 10],
    ['with floor 0 reads every page and takes everything once', 0, [1, 2, 3, 1], 25, 0],
  ])('%s', (_name, floor, requests, taken, older) => {
    const log = new SimLog('newest-first', specsFor(dates));
    const r = run(log, 10, { floor });
    expect(r.end).toEqual({ kind: 'done' });
    expect(r.requests).toEqual(requests);
    expect(r.taken).toHaveLength(taken);
    expect(takenIds(r.taken)).toEqual(expectedIds(specsFor(dates), floor));
    expect(r.taken.map((t) => t.sortDate)).toEqual(dates.filter((d) => d >= floor).reverse());
    expect(r.older).toBe(older);
    expect(r.overlap).toBe(0);
  });

  it('decides the order from the data', () => {
    const log = new SimLog('newest-first', specsFor(dates));
    const sequencer = new PageSequencer({ floor: 1010 });
    drive(sequencer, (p) => log.page(p, 10));
    expect(sequencer.detectedOrder).toBe('newest-first');
    expect(sequencer.pageCount).toBe(10);
  });

  it('records offsets in the reference view and the fetch time of the page', () => {
    const log = new SimLog('newest-first', specsFor(dates));
    const r = run(log, 10, { floor: 1012 });
    // 1024 is offset 0; the entry dated d is at offset 1024 - d.
    expect(r.taken.map((t) => t.offset)).toEqual(
      range(1012, 1024)
        .reverse()
        .map((d) => 1024 - d),
    );
    // The simulation stamps page p with 1_700_000_000_000 + p.
    expect(r.taken.map((t) => t.fetchedAtMs)).toEqual(
      range(1012, 1024)
        .reverse()
        .map((d) => 1_700_000_000_000 + (d >= 1015 ? 1 : 2)),
    );
  });
});

describe('oldest-first', () => {
  it('from page 1 scans to the end of the log', () => {
    const dates = range(1000, 1024); // pages [1000..1009] [1010..1019] [1020..1024]
    const log = new SimLog('oldest-first', specsFor(dates));
    const r = run(log, 10, { floor: 1012 });
    expect(r.end).toEqual({ kind: 'done' });
    expect(r.requests).toEqual([1, 2, 3, 1]); // the last request re-reads the first page taken (drift check)
    expect(takenIds(r.taken)).toEqual(expectedIds(specsFor(dates), 1012));
    expect(r.older).toBe(12);
  });

  it('stops on the last page when it is full (page == pages)', () => {
    const dates = range(1000, 1029);
    const log = new SimLog('oldest-first', specsFor(dates));
    const sequencer = new PageSequencer({ floor: 0 });
    const r = drive(sequencer, (p) => log.page(p, 10));
    expect(r.requests).toEqual([1, 2, 3, 1]); // the last request re-reads the first page taken (drift check)
    expect(takenIds(r.taken)).toEqual(expectedIds(specsFor(dates), 0));
    expect(sequencer.detectedOrder).toBe('oldest-first');
  });

  it('a startPage hint that is too far (its first entry is not older than the floor) steps back', () => {
    const dates = range(1000, 1039); // pages [1000..1009] [1010..1019] [1020..1029] [1030..1039]
    const log = new SimLog('oldest-first', specsFor(dates));
    const r = run(log, 10, { floor: 1012, startPage: 3, orderHint: 'oldest-first' });
    expect(r.end).toEqual({ kind: 'done' });
    expect(r.requests[0]).toBe(3);
    // Page 3 starts at 1020 >= 1012: back to page 2 (starts at 1010 < 1012), then forward.
    expect(r.requests).toEqual([3, 2, 3, 4, 2]); // the last request re-reads the first page taken (drift check)
    expect(takenIds(r.taken)).toEqual(expectedIds(specsFor(dates), 1012));
  });

  it('a hint page whose first entry is exactly at the floor second also steps back', () => {
    // Identical entries at the floor second may sit on the page before; they must be seen.
    const specs: Spec[] = [
      ...specsFor(range(1000, 1007)),
      { date: 1008, id: 'dup' },
      { date: 1008, id: 'dup' },
      { date: 1008, id: 'dup' },
      ...specsFor(range(1009, 1019)),
    ]; // page 1 = 1000..1007, dup, dup; page 2 = dup, 1009..1017; page 3 = 1018, 1019
    const log = new SimLog('oldest-first', specs);
    const r = run(log, 10, { floor: 1008, startPage: 2, orderHint: 'oldest-first' });
    expect(r.end).toEqual({ kind: 'done' });
    expect(r.requests).toEqual([2, 1, 2, 3, 1]); // the last request re-reads the first page taken (drift check)
    expect(takenIds(r.taken)).toEqual(expectedIds(specs, 1008));
    expect(takenIds(r.taken).filter((id) => id === 'dup')).toHaveLength(3);
  });

  it('a hint past the end of the log steps back until it finds the cursor page', () => {
    const dates = range(1000, 1039);
    const log = new SimLog('oldest-first', specsFor(dates));
    const r = run(log, 10, { floor: 1012, startPage: 6, orderHint: 'oldest-first' });
    expect(r.end).toEqual({ kind: 'done' });
    expect(r.requests[0]).toBe(6);
    expect(r.requests.at(-2)).toBe(4);
    expect(takenIds(r.taken)).toEqual(expectedIds(specsFor(dates), 1012));
  });

  it('a hint that is right (page starts before the floor) costs one request on an idle poll', () => {
    const dates = range(1000, 1039);
    const log = new SimLog('oldest-first', specsFor(dates));
    const r = run(log, 10, { floor: 1039, startPage: 4, orderHint: 'oldest-first' });
    expect(r.requests).toEqual([4]);
    expect(takenIds(r.taken)).toEqual(['e1039']);
    expect(r.taken[0]!.offset).toBe(39);
  });
});

describe('drift between page requests', () => {
  it('newest-first: entries inserted at the top between requests are neither taken twice nor missed', () => {
    const initial = specsFor(range(1000, 1029)); // 30 entries, pages of 10
    const log = new SimLog('newest-first', initial);
    const floor = 1005;
    const r = run(log, 10, { floor }, (i) => {
      if (i === 1) log.add(specsFor([1030, 1031, 1032])); // before page 2
      if (i === 2) log.add(specsFor([1033, 1034])); // before page 3
    });
    expect(r.end).toEqual({ kind: 'done' });
    // Every entry the log held when page 1 was read, from the floor on, exactly once. Entries
    // added after page 1 are newer than everything taken: the next pass takes them.
    expect(takenIds(r.taken)).toEqual(expectedIds(initial, floor));
    // Page 2 repeated 3 entries already taken, page 3 repeated 2.
    expect(r.overlap).toBe(5);

    // The next pass (cursor at the newest second taken) picks up exactly the inserted ones plus
    // the entry at its own second.
    const next = run(log, 10, { floor: 1029 });
    expect(takenIds(next.taken)).toEqual(expectedIds(log.specs(), 1029));
    expect(next.requests).toEqual([1]);
  });

  it('newest-first: inserts with identical entries at the overlap are matched by position, not content', () => {
    const specs: Spec[] = [
      ...specsFor(range(1000, 1004)),
      { date: 1005, id: 'dup' },
      { date: 1005, id: 'dup' },
      { date: 1005, id: 'dup' },
      { date: 1005, id: 'dup' },
      ...specsFor(range(1006, 1012)),
    ]; // newest-first pages of 5: [1012..1008] [1007 1006 dup dup dup] [dup 1004..1001] [1000]
    const log = new SimLog('newest-first', specs);
    const r = run(log, 5, { floor: 1000 }, (i) => {
      if (i === 1) log.add(specsFor([1013]));
      if (i === 2)
        log.add([
          { date: 1014, id: 'top' },
          { date: 1014, id: 'top' },
        ]);
    });
    expect(r.end).toEqual({ kind: 'done' });
    expect(takenIds(r.taken)).toEqual(expectedIds(specs, 1000));
    expect(takenIds(r.taken).filter((id) => id === 'dup')).toHaveLength(4);
  });

  it('oldest-first: retention expiring the oldest entries between requests misses none and takes none twice', () => {
    const initial = specsFor(range(1000, 1039)); // 40 entries, pages of 10
    const log = new SimLog('oldest-first', initial);
    const r = run(log, 10, { floor: 0 }, (i) => {
      if (i === 1) log.expireOldest(3); // before page 2: 1000..1002 gone (already taken)
      if (i === 4) log.expireOldest(2); // later: 1003, 1004 gone (already taken)
    });
    expect(r.end).toEqual({ kind: 'done' });
    expect(takenIds(r.taken)).toEqual(expectedIds(initial, 0));
    expect(new Set(takenIds(r.taken)).size).toBe(40);
  });

  it('oldest-first: expiry of entries older than the floor while paging from a hint', () => {
    const initial = specsFor(range(1000, 1049)); // 50 entries
    const log = new SimLog('oldest-first', initial);
    const floor = 1025;
    const r = run(log, 10, { floor, startPage: 3, orderHint: 'oldest-first' }, (i) => {
      if (i === 1) log.expireOldest(4);
    });
    expect(r.end).toEqual({ kind: 'done' });
    expect(takenIds(r.taken)).toEqual(expectedIds(initial, floor));
  });

  it('oldest-first: entries appended at the end while paging are taken once when reached', () => {
    const initial = specsFor(range(1000, 1024));
    const log = new SimLog('oldest-first', initial);
    const r = run(log, 10, { floor: 1003 }, (i) => {
      if (i === 1) log.add(specsFor(range(1025, 1031)));
    });
    expect(r.end).toEqual({ kind: 'done' });
    expect(takenIds(r.taken)).toEqual(expectedIds(log.specs(), 1003));
  });

  it('newest-first: insert at the top and expiry at the bottom of the same size, distinct seconds: restarts', () => {
    // total does not move, but page 2 starts with a date newer than the last one taken: caught.
    const initial = specsFor(range(1000, 1029));
    const log = new SimLog('newest-first', initial);
    const r = run(log, 10, { floor: 1005 }, (i) => {
      if (i === 1) {
        log.add(specsFor([1030, 1031]));
        log.expireOldest(2);
      }
    });
    expect(r.end.kind).toBe('restart');
  });

  // `paging.total` alone cannot tell an insert at the top from an expiry at the bottom of the same
  // size (they cancel out); the re-read of the first page at the end of the pass catches it.
  it('newest-first: insert at the top and expiry at the bottom in one interval, same second at the boundary: nothing twice', () => {
    // Two distinct entries per second: 1000a 1000b 1001a 1001b ... 1014a 1014b (30 entries).
    const initial: Spec[] = range(1000, 1014).flatMap((d) => [
      { date: d, id: `e${d}a` },
      { date: d, id: `e${d}b` },
    ]);
    const log = new SimLog('newest-first', initial);
    // Page 1 (newest-first) = 1014b 1014a ... 1010b 1010a.
    const r = run(log, 10, { floor: 1005 }, (i) => {
      if (i === 1) {
        log.add([{ date: 1015, id: 'new' }]);
        log.expireOldest(1);
      }
    });
    // Acceptable: a restart, or exactly the entries present at page 1 from the floor on, once each.
    if (r.end.kind === 'done') {
      expect(takenIds(r.taken)).toEqual(expectedIds(initial, 1005));
    }
  });

  // The same, oldest-first: entries expire at the start while as many (or more) arrive at the end.
  it('oldest-first: expiry at the start and appends at the end in the same interval miss nothing', () => {
    const initial = specsFor(range(1000, 1039));
    const log = new SimLog('oldest-first', initial);
    const r = run(log, 10, { floor: 0 }, (i) => {
      if (i === 1) {
        log.expireOldest(3);
        log.add(specsFor([1040, 1041, 1042]));
      }
    });
    if (r.end.kind === 'done') {
      // 1000..1009 were taken on page 1 before they expired; 1040..1042 were reached at the end.
      expect(takenIds(r.taken)).toEqual(expectedIds(log.specs(), 0).concat(['e1000', 'e1001', 'e1002']).sort());
    }
  });
});

describe('page size', () => {
  // Slack answers with fewer entries per page than asked: paging and offsets follow what it applied.
  // Columns: the order, Slack's ceiling on count, the count asked, the floor, the offsets taken.
  it.each([
    ['uses the count Slack applied (clamped) rather than the count asked', 'oldest-first', 10, 100, 0, range(0, 24)],
    ['clamped count, newest-first: offsets follow the applied count', 'newest-first', 7, 1000, 1005, range(0, 19)],
  ] as const)('%s', (_name, order, maxCount, asked, floor, offsets) => {
    const dates = range(1000, 1024);
    const log = new SimLog(order, specsFor(dates), maxCount);
    const sequencer = new PageSequencer({ floor });
    const r = drive(sequencer, (p) => log.page(p, asked));
    expect(r.end).toEqual({ kind: 'done' });
    expect(r.requests).toEqual([1, 2, 3, 1]); // the last request re-reads the first page taken (drift check)
    expect(sequencer.pageCount).toBe(maxCount);
    expect(takenIds(r.taken)).toEqual(expectedIds(specsFor(dates), floor));
    expect(r.taken.map((t) => t.offset)).toEqual(offsets);
  });

  it('a page size change in the middle of a pass restarts it', () => {
    const log = new SimLog('newest-first', specsFor(range(1000, 1029)));
    const sequencer = new PageSequencer({ floor: 0 });
    const first = sequencer.accept(log.page(1, 10));
    expect(first.next).toEqual({ kind: 'fetch', page: 2 });
    const second = sequencer.accept(log.page(2, 5));
    expect(second.next.kind).toBe('restart');
    expect(second.taken).toEqual([]);
    expect((second.next as { reason: string }).reason).toMatch(/page size from 10 to 5/);
  });
});

describe('order problems', () => {
  it('entries in neither date order within one page restart the pass', () => {
    const entries = [1005, 1003, 1007, 1001].map((d) => entryOf({ date: d, id: `e${d}` }));
    const sequencer = new PageSequencer({ floor: 0 });
    const r = sequencer.accept({ page: 1, count: 10, total: 4, pages: 1, entries, fetchedAtMs: 1 });
    expect(r.next.kind).toBe('restart');
    expect((r.next as { reason: string }).reason).toMatch(/neither date order/);
    expect(r.taken).toEqual([]);
  });

  it('a page in the other order than the pages before restarts the pass', () => {
    const sequencer = new PageSequencer({ floor: 0 });
    const p1 = [1010, 1009, 1008].map((d) => entryOf({ date: d, id: `e${d}` }));
    const p2 = [1001, 1002, 1003].map((d) => entryOf({ date: d, id: `e${d}` }));
    expect(sequencer.accept({ page: 1, count: 3, total: 6, pages: 2, entries: p1, fetchedAtMs: 1 }).next).toEqual({
      kind: 'fetch',
      page: 2,
    });
    const r = sequencer.accept({ page: 2, count: 3, total: 6, pages: 2, entries: p2, fetchedAtMs: 2 });
    expect(r.next.kind).toBe('restart');
    expect(r.taken).toEqual([]);
  });
});

describe('identical entries and missing dates', () => {
  const sameAcrossBoundary: Spec[] = [
    ...specsFor([1000, 1001, 1002]),
    { date: 1003, id: 'same' },
    { date: 1003, id: 'same' },
    { date: 1003, id: 'same' },
    { date: 1003, id: 'same' },
    ...specsFor([1008, 1009, 1010]),
  ];

  // Pages of 5: newest-first [1010 1009 1008 same same] [same same 1002 1001 1000],
  // oldest-first [1000 1001 1002 same same] [same same 1008 1009 1010].
  it.each(['newest-first', 'oldest-first'] as const)(
    'identical entries (same fingerprint) across a page boundary are all taken, %s',
    (order) => {
      const specs = sameAcrossBoundary;
      expect(entryOf(specs[3]!).fingerprint).toBe(entryOf(specs[6]!).fingerprint);
      const log = new SimLog(order, specs);
      const r = run(log, 5, { floor: 1003 });
      expect(r.end).toEqual({ kind: 'done' });
      expect(r.requests).toEqual([1, 2, 1]); // the last request re-reads the first page taken (drift check)
      expect(takenIds(r.taken)).toEqual(['e1008', 'e1009', 'e1010', 'same', 'same', 'same', 'same']);
    },
  );

  function undated(id: string): NormalizedEntry {
    return normalizeEntry({ user_id: 'U0001', change_type: 'added', app_id: id, date: 'yesterday' });
  }
  const dated = (d: number) => entryOf({ date: d, id: `e${d}` });

  // Newest-first, the older neighbour is the entry after it: it does not change when newer entries
  // arrive above, so the entry keeps its place and is not delivered again on the next pass.
  it.each([
    [
      'oldest-first',
      'the one before it',
      0,
      [dated(1000), dated(1001), undated('u'), dated(1002)],
      [
        ['e1000', 1000],
        ['e1001', 1001],
        ['u', 1001],
        ['e1002', 1002],
      ],
    ],
    [
      'newest-first',
      'the one after it',
      1000,
      [dated(1005), dated(1004), undated('u'), dated(1003)],
      [
        ['e1005', 1005],
        ['e1004', 1004],
        ['u', 1003],
        ['e1003', 1003],
      ],
    ],
  ] as const)(
    'an entry with no usable date gets the sortDate of its older neighbour (%s: %s)',
    (_order, _neighbour, floor, entries, sortDates) => {
      const sequencer = new PageSequencer({ floor });
      const r = sequencer.accept({ page: 1, count: 10, total: 4, pages: 1, entries: [...entries], fetchedAtMs: 5 });
      expect(r.next).toEqual({ kind: 'done' });
      expect(r.taken.map((t) => [t.entry.fields.app_id, t.sortDate])).toEqual(sortDates);
    },
  );

  it('the entry before may be on the previous page', () => {
    const sequencer = new PageSequencer({ floor: 0 });
    const p1 = [dated(1000), dated(1001)];
    const p2 = [undated('u'), dated(1002)];
    expect(sequencer.accept({ page: 1, count: 2, total: 4, pages: 2, entries: p1, fetchedAtMs: 1 }).next).toEqual({
      kind: 'fetch',
      page: 2,
    });
    const r = sequencer.accept({ page: 2, count: 2, total: 4, pages: 2, entries: p2, fetchedAtMs: 2 });
    expect(r.taken.map((t) => [t.entry.fields.app_id, t.sortDate])).toEqual([
      ['u', 1001],
      ['e1002', 1002],
    ]);
  });

  it('sortDates stay in page order even when the very first entry has no usable date (newest-first)', () => {
    // The export replays newest-first pages reversed and needs non-decreasing dates; an undated
    // first entry must not sort at the floor, below everything after it.
    const entries = [undated('u'), dated(1005), dated(1004)];
    const sequencer = new PageSequencer({ floor: 1000 });
    const r = sequencer.accept({ page: 1, count: 10, total: 3, pages: 1, entries, fetchedAtMs: 5 });
    const sortDates = r.taken.map((t) => t.sortDate);
    expect(sortDates).toHaveLength(3);
    for (let i = 1; i < sortDates.length; i++) {
      expect(sortDates[i]!).toBeLessThanOrEqual(sortDates[i - 1]!);
    }
  });
});
