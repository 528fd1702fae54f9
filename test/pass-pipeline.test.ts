/**
 * How a pass overlaps its work: the next batch is built while the cursor save of an acknowledged
 * one is still running (the save's file sync is not on the build's path), and still no batch is
 * sent before the saved cursor covers all but MAX_RESENT_BATCHES batches before it.
 */
import { describe, expect, it } from 'vitest';
import { initialState } from '../src/state/cursor.js';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { PageResponse } from '../src/slack/page.js';
import { MAX_RESENT_BATCHES, runSyncPass, type PassDeps } from '../src/delivery/pass.js';

const T0 = 1_796_000_000;
const ENTRIES = 8;

/** Turns of the event loop a cursor save takes: far longer than a send, as a file sync is. */
const SAVE_TURNS = 4;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('a pass with slow cursor saves', () => {
  it('builds the next batches while a save runs, and sends none past the bound', async () => {
    // One entry a second, one entry a batch: batch n holds the entry dated T0 + n - 1.
    const log = Array.from({ length: ENTRIES }, (_, i) => ({ date: T0 + i, change_type: 'added', app_id: `A${i + 1}` }));
    const events: string[] = [];
    /** Batches the durable cursor covers. */
    let saved = 0;
    const sentWhileSaved: Array<[number, number]> = [];
    const deps: PassDeps = {
      fetchPage: async (page): Promise<PageResponse> => ({
        page,
        count: 100,
        total: ENTRIES,
        pages: 1,
        entries: [...log].reverse().map((raw) => normalizeEntry(raw)),
        fetchedAtMs: 0,
      }),
      prepare: (batch) => {
        const n = Number(batch[0]!.entry.date) - T0 + 1;
        events.push(`build ${n}`);
        return async () => {
          events.push(`send ${n}`);
          sentWhileSaved.push([n, saved]);
          return batch.length;
        };
      },
      saveCursor: async (state) => {
        const through = state.position.date - T0 + 1;
        for (let i = 0; i < SAVE_TURNS; i++) await turn();
        saved = Math.max(saved, through);
        events.push(`saved ${through}`);
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      batchSize: 1,
    };
    const result = await runSyncPass(deps, { ...initialState(T0 - 10), persisted: true, inventory: new Map() });

    expect(result.exported).toBe(ENTRIES);
    expect(sentWhileSaved.map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The bound: batch n goes out once the saved cursor covers batch n - MAX_RESENT_BATCHES.
    for (const [n, covered] of sentWhileSaved) expect(covered, `batch ${n}`).toBeGreaterThanOrEqual(n - MAX_RESENT_BATCHES);
    // The overlap: batch 4 was built before the save of batch 1 (started when it was acknowledged) ended.
    expect(events.indexOf('build 4')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('build 4')).toBeLessThan(events.indexOf('saved 1'));
    expect(events.at(-1)).toBe(`saved ${ENTRIES}`);
  });
});
