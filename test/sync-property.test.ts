import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, type CursorState } from '../src/state/cursor.js';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { PageResponse } from '../src/slack/page.js';
import { runSyncPass, type DeliverableEntry } from '../src/delivery/pass.js';

/**
 * Property: whatever Slack's order, page size, clamping, drift between page requests, identical
 * entries and failed exports, every entry dated at or after the backfill start is delivered
 * exactly once over a series of passes, and nothing else is.
 *
 * The simulated log is independent of the code under test: a list of raw entries, sorted and
 * sliced into pages the way Slack's paging answers.
 */

interface Raw {
  id: number; // test-only identity: never sent (entries are identified by content alone)
  body: Record<string, unknown>;
}

class SimLog {
  entries: Raw[] = [];
  private seq = 0;
  constructor(
    readonly order: 'newest-first' | 'oldest-first',
    readonly maxCount: number,
  ) {}

  add(date: number, variant: number, dateAsNumber: boolean): void {
    // Few variants, so identical entries in one second are common.
    const body: Record<string, unknown> = {
      user_id: `U${variant % 3}`,
      change_type: ['added', 'removed', 'disabled'][variant % 3],
      app_id: `A${variant % 2}`,
      date: dateAsNumber ? date : String(date),
    };
    this.entries.push({ id: this.seq++, body });
  }

  sorted(): Raw[] {
    const list = [...this.entries].sort((a, b) => Number(a.body.date) - Number(b.body.date) || a.id - b.id);
    return this.order === 'oldest-first' ? list : list.reverse();
  }

  page(page: number, count: number): PageResponse {
    const c = Math.min(count, this.maxCount);
    const list = this.sorted();
    return {
      page,
      count: c,
      total: list.length,
      pages: Math.max(1, Math.ceil(list.length / c)),
      entries: list.slice((page - 1) * c, page * c).map((r) => normalizeEntry(r.body)),
      fetchedAtMs: 0,
    };
  }

  maxDate(): number {
    return Math.max(0, ...this.entries.map((e) => Number(e.body.date)));
  }
}

const scenario = fc.record({
  order: fc.constantFrom('newest-first' as const, 'oldest-first' as const),
  pageSize: fc.integer({ min: 1, max: 6 }),
  maxCount: fc.integer({ min: 1, max: 6 }),
  initial: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 0, max: 5 }), n: fc.boolean() }), {
    maxLength: 25,
  }),
  backfillOffset: fc.integer({ min: 0, max: 15 }),
  // Per pass: entries arriving before it, entries arriving while it pages, whether an export fails.
  passes: fc.array(
    fc.record({
      before: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 0, max: 5 }) }), { maxLength: 6 }),
      during: fc.array(
        fc.record({ atPage: fc.integer({ min: 1, max: 5 }), dt: fc.integer({ min: 0, max: 1 }), v: fc.integer({ min: 0, max: 5 }) }),
        { maxLength: 3 },
      ),
      failExportNo: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      expireDelivered: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

describe('sync pass: exactly once (property-based)', () => {
  it('delivers every entry at or after the backfill start exactly once, in any order and drift', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const log = new SimLog(s.order, s.maxCount);
        let date = 1_000;
        for (const e of s.initial) {
          date += e.dt;
          log.add(date, e.v, e.n);
        }
        const backfillStart = 1_000 + s.backfillOffset;
        const expected = new Map<number, Raw>(); // by test id: entries that must arrive
        const noteExpected = () => {
          for (const e of log.entries) if (Number(e.body.date) >= backfillStart) expected.set(e.id, e);
        };
        noteExpected();

        let saved: CursorState = initialState(backfillStart);
        const delivered: DeliverableEntry[] = [];

        const runPass = async (pass: (typeof s.passes)[number] | undefined) => {
          let exports = 0;
          const during = [...(pass?.during ?? [])];
          await runSyncPass(
            {
              fetchPage: async (page) => {
                for (const d of during.filter((x) => x.atPage === page)) {
                  log.add(log.maxDate() + d.dt, d.v, false);
                  during.splice(during.indexOf(d), 1);
                }
                noteExpected();
                return log.page(page, s.pageSize);
              },
              prepare: (batch) => async () => {
                exports++;
                if (pass?.failExportNo === exports) throw new Error('collector down');
                delivered.push(...batch);
                return batch.length;
              },
              saveCursor: async (state) => {
                saved = state;
              },
              logger: { debug() {}, info() {}, warn() {}, error() {} },
            },
            saved,
          ).catch((e: Error) => {
            if (e.message !== 'collector down' && !e.message.includes('changed while paging')) throw e;
          });
        };

        for (const pass of s.passes) {
          // Retention removes only what is behind the cursor.
          const old = log.entries.filter((e) => Number(e.body.date) < saved.position.date).slice(0, pass.expireDelivered);
          log.entries = log.entries.filter((e) => !old.includes(e));
          for (const b of pass.before) log.add(log.maxDate() + b.dt, b.v, false);
          noteExpected();
          await runPass(pass);
        }
        // Quiet log: passes until nothing moves.
        for (let i = 0; i < 3; i++) await runPass(undefined);

        // Compare multisets of content, and check no (content, occurrence) was delivered twice.
        const key = (body: Record<string, unknown>) => normalizeEntry(body).fingerprint;
        const want = new Map<string, number>();
        for (const e of expected.values()) want.set(key(e.body), (want.get(key(e.body)) ?? 0) + 1);
        const got = new Map<string, number>();
        const uids = new Set<string>();
        for (const d of delivered) {
          got.set(d.entry.fingerprint, (got.get(d.entry.fingerprint) ?? 0) + 1);
          const uid = `${d.entry.date}:${d.entry.fingerprint}:${d.occurrence}`;
          expect(uids.has(uid), `delivered twice: ${uid}`).toBe(false);
          uids.add(uid);
        }
        expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
      }),
      { numRuns: 1000 },
    );
  }, 120_000);
});
