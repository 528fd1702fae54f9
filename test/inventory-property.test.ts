/**
 * Property (issue 18 §7): for any history, any split into pages and passes, any backfill start,
 * export failures and cursor-save failures anywhere (a crash: the next pass starts from the cursor
 * file as saved), and rebuilds from nothing (a version 1 cursor, `--rebuild-inventory`):
 * - every saved cursor's inventory is a single in-order fold of exactly the entries it covers;
 * - every record's `scopes.added` / `scopes.removed`, on every copy sent, is what that fold says
 *   as of its entry.
 *
 * The reference fold (`inventory-reference.ts`) is written independently of src/inventory/: the log
 * in export order (date, then arrival), scopes as sets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, parseCursor, serializeCursor, type CursorState } from '../src/state/cursor.js';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { PageResponse } from '../src/slack/page.js';
import { runSyncPass, type DeliverableEntry } from '../src/delivery/pass.js';
import { referenceFold, referenceProjection, savedProjection } from './inventory-reference.js';

interface Raw {
  id: number;
  body: Record<string, unknown>;
}

const APPS = [{ app_id: 'A1' }, { app_id: 'A2' }, { service_id: '77', service_type: 'RSS' }];
const CHANGES = ['added', 'expanded', 'expanded', 'updated', 'removed', 'disabled', 'enabled'];
const SCOPES = ['commands', 'chat:write', 'im:history', 'admin.users:read'];

class SimLog {
  entries: Raw[] = [];
  private seq = 0;
  constructor(readonly order: 'newest-first' | 'oldest-first') {}

  add(date: number, app: number, change: number, scopes: number): void {
    const scope = SCOPES.filter((_, i) => (scopes >> i) & 1).join(',');
    this.entries.push({
      id: this.seq++,
      body: { user_id: 'U1', date: String(date), change_type: CHANGES[change], ...APPS[app], ...(scope ? { scope } : {}) },
    });
  }

  /** Export order: by date, then arrival (newest-first pages list a second's newest first). */
  exportOrder(): Raw[] {
    return [...this.entries].sort((a, b) => Number(a.body.date) - Number(b.body.date) || a.id - b.id);
  }

  page(page: number, count: number): PageResponse {
    const list = this.order === 'oldest-first' ? this.exportOrder() : this.exportOrder().reverse();
    return {
      page,
      count,
      total: list.length,
      pages: Math.max(1, Math.ceil(list.length / count)),
      entries: list.slice((page - 1) * count, page * count).map((r) => normalizeEntry(r.body)),
      fetchedAtMs: 0,
    };
  }

  maxDate(): number {
    return Math.max(1_000, ...this.entries.map((e) => Number(e.body.date)));
  }
}

/** The entries of the log (export order) a cursor position covers: before its second, and the delivered prefix of it. */
function covered(log: Raw[], state: CursorState): Raw[] {
  const seen = new Map<string, number>();
  return log.filter((r) => {
    const date = Number(r.body.date);
    if (date !== state.position.date) return date < state.position.date;
    const fp = normalizeEntry(r.body).fingerprint;
    const n = seen.get(fp) ?? 0;
    seen.set(fp, n + 1);
    return n < (state.position.delivered[fp] ?? 0);
  });
}

const arrival = fc.record({
  dt: fc.integer({ min: 0, max: 2 }),
  app: fc.integer({ min: 0, max: APPS.length - 1 }),
  change: fc.integer({ min: 0, max: CHANGES.length - 1 }),
  scopes: fc.integer({ min: 0, max: 15 }),
});

const scenario = fc.record({
  // Oldest-first too, but then with a first second of its own (entries 0 and 1 a second apart), so
  // that the order can be told from the data: a log whose every entry is in one second is taken
  // as newest-first, Slack's usual order (docs/inventory.md, "Limits").
  order: fc.constantFrom('newest-first' as const, 'oldest-first' as const),
  pageSize: fc.integer({ min: 1, max: 5 }),
  batchSize: fc.integer({ min: 1, max: 4 }),
  initial: fc.array(arrival, { maxLength: 20 }),
  backfillOffset: fc.integer({ min: 0, max: 12 }),
  passes: fc.array(
    fc.record({
      before: fc.array(arrival, { maxLength: 8 }),
      failExportNo: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      failSaveNo: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      rebuild: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

describe('the inventory: one in-order fold, whatever the pages, passes and crashes (property-based)', () => {
  it('saved inventories and every record copy match a single fold over the log', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const log = new SimLog(s.order);
        let date = 1_000;
        if (s.order === 'oldest-first') log.add(date - 1, 2, 0, 0);
        for (const e of s.initial) log.add((date += e.dt), e.app, e.change, e.scopes);
        const backfillStart = 1_000 + s.backfillOffset;
        let saved: CursorState = initialState(backfillStart);
        /** Every copy sent, with the log entry it stands for. */
        const sent: Array<{ record: DeliverableEntry; pass: number }> = [];

        const runPass = async (pass: (typeof s.passes)[number] | undefined, passNo: number) => {
          let exports = 0;
          let saves = 0;
          await runSyncPass(
            {
              fetchPage: async (page) => log.page(page, s.pageSize),
              prepare: (batch) => async () => {
                exports++;
                if (pass?.failExportNo === exports) throw new Error('collector down');
                for (const record of batch) sent.push({ record, pass: passNo });
                return batch.length;
              },
              saveCursor: async (state) => {
                if (pass?.failSaveNo === ++saves) throw new Error('disk full');
                // Through the file format, as a restart reads it.
                saved = parseCursor(serializeCursor(state));
                const cover = referenceFold(covered(log.exportOrder(), saved).map((r) => r.body));
                expect(savedProjection(saved.inventory ?? [])).toEqual(referenceProjection(cover.apps));
              },
              logger: { debug() {}, info() {}, warn() {}, error() {} },
              batchSize: s.batchSize,
            },
            saved,
          ).catch((e: Error) => {
            if (e.message !== 'collector down' && e.message !== 'disk full') throw e;
          });
        };

        let passNo = 0;
        for (const pass of s.passes) {
          // New entries are dated now or later, and the backfill start is never after now.
          for (const b of pass.before) log.add(Math.max(log.maxDate(), backfillStart) + b.dt, b.app, b.change, b.scopes);
          if (pass.rebuild) {
            const { inventory: _dropped, ...rest } = saved;
            saved = rest;
          }
          await runPass(pass, passNo++);
        }
        for (let i = 0; i < 2; i++) await runPass(undefined, passNo++);

        const order = log.exportOrder();
        const reference = referenceFold(order.map((r) => r.body));
        expect(savedProjection(saved.inventory ?? [])).toEqual(referenceProjection(reference.apps));

        // Each record copy: find its log entry by (content, occurrence in its second) and compare.
        const idOf = new Map<string, number>();
        const counts = new Map<string, number>();
        const effectOf = new Map(order.map((r, i) => [r.id, reference.effects[i]!]));
        for (const r of order) {
          const fp = normalizeEntry(r.body).fingerprint;
          const k = `${String(r.body.date)}:${fp}`;
          const n = counts.get(k) ?? 0;
          counts.set(k, n + 1);
          idOf.set(`${fp}:${n}`, r.id);
        }
        const delivered = new Set<number>();
        for (const { record } of sent) {
          const id = idOf.get(`${record.entry.fingerprint}:${record.occurrence}`);
          expect(id).toBeDefined();
          delivered.add(id!);
          const want = effectOf.get(id!)!;
          expect({ added: record.scopesAdded, removed: record.scopesRemoved }).toEqual({ added: want.added, removed: want.removed });
        }
        // Everything at or after the backfill start was sent (at least once), and nothing before it.
        expect([...delivered].sort((a, b) => a - b)).toEqual(
          order
            .filter((r) => Number(r.body.date) >= backfillStart)
            .map((r) => r.id)
            .sort((a, b) => a - b),
        );
      }),
      { numRuns: 200 },
    );
  });
});
