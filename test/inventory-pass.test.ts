/**
 * The inventory in one sync pass: building it from the whole log whatever the cursor, saving it
 * with the cursor, and the snapshot records after the change records (issue 18 §1, §4).
 */
import { describe, expect, it } from 'vitest';
import { initialState, type CursorState } from '../src/state/cursor.js';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { PageResponse } from '../src/slack/page.js';
import { runSyncPass, type PassDeps } from '../src/delivery/pass.js';
import type { AppState } from '../src/inventory/fold.js';

const T0 = 1_796_000_000;

/** Slack's pages, newest first, of `log` (oldest first). */
function pages(log: Array<Record<string, unknown>>, count: number, requested: number[]) {
  const list = [...log].reverse();
  return async (page: number): Promise<PageResponse> => {
    requested.push(page);
    return {
      page,
      count,
      total: list.length,
      pages: Math.max(1, Math.ceil(list.length / count)),
      entries: list.slice((page - 1) * count, page * count).map((raw) => normalizeEntry(raw)),
      fetchedAtMs: 0,
    };
  };
}

function harness(log: Array<Record<string, unknown>>, snapshot?: { full: boolean }) {
  const calls: string[] = [];
  const lines: string[] = [];
  const requested: number[] = [];
  const saves: CursorState[] = [];
  const snapshots: AppState[][] = [];
  const deps: PassDeps = {
    fetchPage: pages(log, 2, requested),
    prepare: (batch) => async () => {
      calls.push(`records ${batch.map((d) => String(d.entry.fields.app_id)).join(',')}`);
      return batch.length;
    },
    saveCursor: async (state) => {
      saves.push(state);
    },
    logger: { debug() {}, info: (m) => lines.push(m), warn() {}, error() {} },
    batchSize: 2,
    ...(snapshot
      ? {
          snapshot: {
            full: snapshot.full,
            send: async (apps: AppState[]) => {
              calls.push(`snapshot ${apps.map((a) => a.app_id).join(',')}`);
              snapshots.push(apps);
            },
          },
        }
      : {}),
  };
  return { deps, calls, lines, requested, saves, snapshots };
}

const LOG = [
  { date: T0, change_type: 'added', app_id: 'A1', scope: 'commands' },
  { date: T0 + 1, change_type: 'added', app_id: 'A2', scope: 'im:history' },
  { date: T0 + 2, change_type: 'removed', app_id: 'A1' },
  { date: T0 + 3, change_type: 'added', app_id: 'A3', scope: 'chat:write' },
  { date: T0 + 4, change_type: 'expanded', app_id: 'A2', scope: 'im:history,files:read' },
];

describe('building the inventory', () => {
  it('reads the whole log when the cursor has none, exports only what the cursor has not delivered, and logs the cost', async () => {
    const h = harness(LOG);
    const result = await runSyncPass(h.deps, initialState(T0 + 3));
    // Three pages of two: all read, though the cursor is at the fourth entry (and the first page
    // once more: the end-of-pass check of a multi-page pass).
    expect(h.requested).toEqual([1, 2, 3, 1]);
    expect(h.calls).toEqual(['records A3,A2']);
    expect(result.olderThanCursor).toBe(3);
    expect(result.skippedAlreadyDelivered).toBe(0);
    expect([...result.state.inventory!.keys()].sort()).toEqual(['app:A1', 'app:A2', 'app:A3']);
    expect(result.state.inventory!.get('app:A1')!.status).toBe('removed');
    expect(result.state.inventory!.get('app:A2')!.scopes).toEqual(['files:read', 'im:history']);
    expect(h.lines[0]).toMatch(/^building the app inventory: reading the whole integration log once/);
    expect(h.lines.at(-1)).toMatch(/^app inventory built: 3 apps and integrations from 5 entries \(7 read from Slack\) in \d+ ms$/);
  });

  it('an empty log still saves an inventory (empty), so the next pass does not read the log again', async () => {
    const h = harness([]);
    const result = await runSyncPass(h.deps, { ...initialState(T0), persisted: true });
    expect(h.saves).toHaveLength(1);
    expect(h.saves[0]!.inventory).toEqual(new Map());
    expect(result.state.inventory).toEqual(new Map());
  });

  it('with an inventory, reads only down to the cursor and saves nothing when nothing changed', async () => {
    const first = harness(LOG);
    const built = await runSyncPass(first.deps, initialState(T0));
    const again = harness(LOG);
    const result = await runSyncPass(again.deps, built.state);
    expect(again.requested).toEqual([1]);
    expect(again.saves).toEqual([]);
    expect(result.inventoryChanged.size).toBe(0);
  });
});

describe('snapshots', () => {
  it('full: every app not removed, by key, after every change record', async () => {
    const h = harness(LOG, { full: true });
    const result = await runSyncPass(h.deps, initialState(T0));
    expect(h.calls).toEqual(['records A1,A2', 'records A1,A3', 'records A2', 'snapshot A2,A3']);
    expect(h.snapshots[0]!.map((a) => a.status)).toEqual(['active', 'active']);
    expect(result.snapshotRecords).toBe(2);
  });

  it('changed only: the apps the pass changed, removed ones included; none when nothing changed', async () => {
    const first = harness(LOG.slice(0, 2));
    const built = await runSyncPass(first.deps, initialState(T0));
    const h = harness(LOG, { full: false });
    const result = await runSyncPass(h.deps, built.state);
    // In batches of the export's size (two here).
    expect(h.calls).toEqual(['records A1,A3', 'records A2', 'snapshot A1,A2', 'snapshot A3']);
    expect(h.snapshots.flat().map((a) => a.status)).toEqual(['removed', 'active', 'active']);
    expect(result.snapshotRecords).toBe(3);
    const quiet = harness(LOG, { full: false });
    await runSyncPass(quiet.deps, result.state);
    expect(quiet.calls).toEqual([]);
  });
});
