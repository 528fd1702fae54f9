import { InventoryFold, snapshotApps, type AppState, type FoldEffect, type Inventory } from '../inventory/fold.js';

/**
 * The app inventory as one pass sees it: two views, and what a pass hands on of it.
 *
 * - The live view, which admission folds entries into ahead of the acknowledgements.
 * - The acknowledged view, which each acknowledged batch adds its changed apps to (app states are
 *   never changed in place, so no copy is needed). A saved cursor carries this one: exactly what
 *   its position covers.
 *
 * A start without an inventory builds it: every entry read is folded, delivered or not
 * (docs/inventory.md).
 */
export class PassInventory {
  /** No saved inventory: this pass reads the whole log to build one. */
  readonly building: boolean;
  private readonly fold: InventoryFold;
  private readonly acknowledged: Map<string, AppState>;
  /** Acknowledged batches that changed the inventory, and what the last save held. */
  private ackedRevision = 0;
  private savedRevision: number;

  constructor(start: Inventory | undefined) {
    this.building = start === undefined;
    this.fold = new InventoryFold(start);
    this.acknowledged = new Map(start);
    this.savedRevision = this.building ? -1 : 0;
  }

  /** An entry that is delivered: folded, and what it changed goes on its record. */
  deliver(fields: Readonly<Record<string, unknown>>, at: number): FoldEffect {
    return this.fold.apply(fields, at);
  }

  /** An entry that is not delivered: folded only while building (it was read for the inventory). */
  skip(fields: Readonly<Record<string, unknown>>, at: number): void {
    if (this.building) this.fold.apply(fields, at);
  }

  /** The apps folded since the last call: what the batch closed now changes once acknowledged. */
  takeChanges(): Map<string, AppState> {
    return this.fold.takeChanges();
  }

  /** A batch was acknowledged: its changed apps join the acknowledged view (and `changed`). */
  acknowledge(changes: ReadonlyMap<string, AppState>, changed: Set<string>): void {
    for (const [key, app] of changes) {
      this.acknowledged.set(key, app);
      changed.add(key);
    }
    if (changes.size > 0) this.ackedRevision++;
  }

  /**
   * The acknowledged view as a cursor save starts: whether the last save held it already, a copy
   * of it (taken at once, before other acknowledgements add to it), and the call that marks it saved.
   */
  forSave(): { unsaved: boolean; copy: () => Map<string, AppState>; saved: () => void } {
    const revision = this.ackedRevision;
    return {
      unsaved: revision !== this.savedRevision,
      copy: () => new Map(this.acknowledged),
      saved: () => {
        this.savedRevision = revision;
      },
    };
  }
}

/**
 * The snapshot a pass sends after its change records (docs/inventory.md, "Snapshots"), in batches
 * of `size`: every app not removed when `full`, else only the apps the pass changed (none: nothing).
 */
export function snapshotBatches(inventory: Inventory, full: boolean, changed: ReadonlySet<string>, size: number): AppState[][] {
  const apps = snapshotApps(inventory, full ? undefined : changed);
  const batches: AppState[][] = [];
  for (let i = 0; i < apps.length; i += size) batches.push(apps.slice(i, i + size));
  return batches;
}

/**
 * Whether a pass's snapshot is a full one: the first pass of the process, then once
 * SLACK_INVENTORY_INTERVAL passed since the last full one. A failed pass may have lost a snapshot of
 * the apps it changed: the next one is a full one.
 */
export class SnapshotClock {
  private lastFullAt: number | undefined;

  constructor(private readonly intervalMs: number) {}

  /** A pass starts: whether its snapshot is full, and the call for when it ended well (`at`: its snapshot's time, if it sent one). */
  begin(now = Date.now()): { full: boolean; ended: (at: number | undefined) => void } {
    const last = this.lastFullAt;
    const full = last === undefined || now - last >= this.intervalMs;
    this.lastFullAt = undefined;
    return {
      full,
      ended: (at) => {
        this.lastFullAt = full ? (at ?? Date.now()) : last;
      },
    };
  }
}
