/**
 * The inventory as a pass sees it (`src/delivery/inventory-view.ts`): the live and acknowledged
 * views, what a cursor save carries, the snapshot's batches and when a snapshot is a full one.
 * Expected values are written out from docs/inventory.md's rules, not computed by the fold.
 */
import { describe, expect, it } from 'vitest';
import { PassInventory, SnapshotClock, snapshotBatches } from '../src/delivery/inventory-view.js';
import type { AppState } from '../src/inventory/fold.js';

const added = (app_id: string, scope = 'chat:write') => ({ app_id, change_type: 'added', scope, user_id: 'U1' });

describe('PassInventory', () => {
  it('a save carries only what acknowledged batches changed, and says when the last save held it already', () => {
    const inventory = new PassInventory(new Map());
    expect(inventory.building).toBe(false);
    inventory.deliver(added('A1'), 100);
    const first = inventory.takeChanges();
    inventory.deliver(added('A2'), 101);
    const second = inventory.takeChanges();
    expect([...first.keys(), ...second.keys()]).toEqual(['app:A1', 'app:A2']);

    // Nothing acknowledged yet: a save now has nothing new.
    expect(inventory.forSave().unsaved).toBe(false);
    const changed = new Set<string>();
    inventory.acknowledge(first, changed);
    const save = inventory.forSave();
    expect(save.unsaved).toBe(true);
    // The copy is the acknowledged view: A1 only, A2 not yet acknowledged.
    expect([...save.copy().keys()]).toEqual(['app:A1']);
    save.saved();
    expect(inventory.forSave().unsaved).toBe(false);
    // An acknowledged batch that changed nothing needs no new save.
    inventory.acknowledge(new Map(), changed);
    expect(inventory.forSave().unsaved).toBe(false);
    inventory.acknowledge(second, changed);
    expect([...changed]).toEqual(['app:A1', 'app:A2']);
    expect([...inventory.forSave().copy().keys()]).toEqual(['app:A1', 'app:A2']);
  });

  it('building (no saved inventory): entries not delivered are folded too, and the first save is due even if empty', () => {
    const building = new PassInventory(undefined);
    expect(building.building).toBe(true);
    expect(building.forSave().unsaved).toBe(true);
    building.skip(added('OLD'), 50);
    expect([...building.takeChanges().keys()]).toEqual(['app:OLD']);
    const kept = new PassInventory(new Map());
    kept.skip(added('OLD'), 50);
    expect(kept.takeChanges().size).toBe(0);
  });

  it('a delivered entry gets what it changed: the scopes it granted that were not held', () => {
    const inventory = new PassInventory(new Map());
    expect(inventory.deliver(added('A1', 'chat:write,users:read'), 100)).toEqual({ scopesAdded: ['chat:write', 'users:read'] });
    expect(inventory.deliver({ app_id: 'A1', change_type: 'expanded', scope: 'users:read,admin' }, 101)).toEqual({
      scopesAdded: ['admin'],
    });
    expect(inventory.deliver({ app_id: 'A1', change_type: 'removed' }, 102)).toEqual({
      scopesRemoved: ['admin', 'chat:write', 'users:read'],
    });
  });
});

describe('snapshotBatches', () => {
  const app = (app_id: string, status: AppState['status'] = 'active'): AppState => ({
    app_id,
    status,
    scopes: [],
    last_change: { change_type: 'added', at: 1 },
    timeline: [],
  });
  const inventory = new Map(['A3', 'A1', 'A2', 'A4', 'A5'].map((id) => [`app:${id}`, app(id, id === 'A4' ? 'removed' : 'active')]));
  const ids = (batches: AppState[][]) => batches.map((b) => b.map((a) => a.app_id));

  it('full: every app not removed, by key, in batches of the given size', () => {
    expect(ids(snapshotBatches(inventory, true, new Set(), 2))).toEqual([
      ['A1', 'A2'],
      ['A3', 'A5'],
    ]);
  });

  it('not full: only the apps the pass changed, removed ones included; none changed, no batch', () => {
    expect(ids(snapshotBatches(inventory, false, new Set(['app:A4', 'app:A2']), 250))).toEqual([['A2', 'A4']]);
    expect(snapshotBatches(inventory, false, new Set(), 250)).toEqual([]);
  });
});

describe('SnapshotClock', () => {
  const HOUR = 3_600_000;
  it('full on the first pass, then once the interval passed since the last full one; after a failed pass, full again', () => {
    const clock = new SnapshotClock(HOUR);
    const first = clock.begin(0);
    expect(first.full).toBe(true);
    first.ended(1_000);
    expect(clock.begin(1_000 + HOUR - 1).full).toBe(false);
    // That pass failed (never ended): the next snapshot is a full one, whatever the time.
    const afterFailure = clock.begin(1_000 + HOUR - 1);
    expect(afterFailure.full).toBe(true);
    afterFailure.ended(5_000);
    const partial = clock.begin(5_000 + HOUR - 1);
    expect(partial.full).toBe(false);
    partial.ended(undefined);
    // A partial snapshot keeps the time of the last full one.
    expect(clock.begin(5_000 + HOUR).full).toBe(true);
  });
});
