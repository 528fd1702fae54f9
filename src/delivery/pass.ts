import type { SendableEntry } from '../export/batch-sender.js';
import type { CursorPosition, PagingGap } from '../core/types.js';
import type { CursorHint, CursorState } from '../state/cursor.js';
import { DeliveryFilter, UndatedFilter } from './delivery-filter.js';
import { Checkpointer } from './checkpointer.js';
import type { PageOrder, TakenEntry } from '../paging/page-sequencer.js';
import { Spool } from '../state/spool.js';
import type { AppState } from '../inventory/fold.js';
import { PassInventory, snapshotBatches } from './inventory-view.js';
import { progressReporter, readPages, type ReadDeps } from './read-pages.js';

/**
 * Records per export batch. Small enough that the batches past the saved cursor (what a crash
 * re-sends) stay a few hundred records, and that a batch's objects die young (see
 * docs/performance.md, "Heap").
 */
export const EXPORT_BATCH_SIZE = 250;
/**
 * OTLP export requests of one stream (one team) on the wire at once. One, so that records reach
 * the collector in time order: Loki refuses an entry more than an hour behind the newest of its
 * stream, after the collector has long answered 2xx.
 */
export const EXPORTS_IN_FLIGHT = 1;
/** Batches a crash can re-send: delivered, but past the saved cursor (see `exportSpool`). */
export const MAX_RESENT_BATCHES = EXPORTS_IN_FLIGHT + 1;

/** An entry a pass delivers: what its record is built from (see `SendableEntry`), always with the date it sorts by. */
export interface DeliverableEntry extends SendableEntry {
  /** `entry.date`, or for an undated entry the date of its neighbour (see `TakenEntry.sortDate`). */
  sortDate: number;
}

/**
 * A class, not an object literal: V8 may decide, from how many objects of a literal survived one
 * collection, to allocate all later ones in the old generation (allocation-site pretenuring), and
 * these hold their entry's object graph, which then stays until a full collection: +50 to +90 MB of
 * peak heap in a backfill, in some runs.
 */
class Deliverable implements DeliverableEntry {
  scopesAdded?: string[];
  scopesRemoved?: string[];
  constructor(
    readonly entry: DeliverableEntry['entry'],
    readonly occurrence: number,
    readonly fetchedAtMs: number,
    readonly sortDate: number,
    scopesAdded: string[] | undefined,
    scopesRemoved: string[] | undefined,
  ) {
    if (scopesAdded) this.scopesAdded = scopesAdded;
    if (scopesRemoved) this.scopesRemoved = scopesRemoved;
  }
}

/** The edges a pass talks to; everything between is decided here. */
export interface PassDeps extends ReadDeps {
  /**
   * Builds the batch's records now (CPU) and returns the send: a function whose promise resolves
   * only once every record of the batch was acknowledged by the collector or kept (dead-lettered),
   * with the number acknowledged.
   */
  prepare(batch: DeliverableEntry[]): () => Promise<number>;
  saveCursor(state: CursorState): Promise<void>;
  /** A directory the spool may own (emptied at the start of the pass); default a new temp dir. */
  spoolDir?: string;
  /** Records per export batch; default `EXPORT_BATCH_SIZE` (tests make batches small to cut passes anywhere). */
  batchSize?: number;
  /**
   * Inventory snapshot records, sent after the pass's change records, in batches, one at a time
   * (docs/inventory.md, "Snapshots"). Absent: none.
   */
  snapshot?: {
    /** Every app not removed; otherwise only the apps this pass changed (none: nothing is sent). */
    full: boolean;
    /** Sends one batch of apps as snapshot records; resolves once the collector acknowledged them. */
    send(apps: AppState[]): Promise<void>;
  };
}

interface ClosedBatch {
  entries: DeliverableEntry[];
  /** The cursor once these entries (and everything before them) are delivered. */
  state: CursorState;
  /** The apps these entries (and those read only for the inventory since the batch before) changed. */
  changes: Map<string, AppState>;
}

export interface PassResult {
  /**
   * When the pass read its first page, Unix milliseconds: the observed time of all its records.
   * One time for the pass, so that records exported oldest first (pages read newest first) never
   * go back in time, even with SLACK_TIMESTAMP_POLICY=observed.
   */
  observedAtMs?: number;
  fetched: number;
  exported: number;
  skippedAlreadyDelivered: number;
  /** Entries dated before the cursor: not exported (see `SyncSummary.olderThanCursor`). */
  olderThanCursor: number;
  exportBatches: number;
  order: PageOrder;
  undatedEntries: number;
  /** Apps whose state this pass changed (and saved). */
  inventoryChanged: Set<string>;
  /** Snapshot records sent after the change records. */
  snapshotRecords: number;
  state: CursorState;
  gap?: PagingGap;
}

/**
 * One sync pass: page through Slack from the newest entries down to the cursor (or, oldest-first,
 * from the cursor's page up to the end), spool what is new, then export it oldest first in batches,
 * moving the cursor after each batch the collector acknowledged. A failure anywhere leaves the
 * cursor at the end of acknowledged data; the next pass reads again from there.
 *
 * Every delivered entry is folded into the inventory, in export order, and its record gets what it
 * changed. A start without an inventory reads the whole log (paging floor 0) and folds every entry,
 * still delivering only what the cursor has not: the inventory is complete whatever the backfill
 * start (docs/inventory.md).
 *
 * @throws whatever `fetchPage`, `prepare` or its send, or `saveCursor` throws;
 *   `SyncConsistencyError` when Slack's log kept moving in ways paging could not follow.
 */
export async function runSyncPass(deps: PassDeps, start: CursorState): Promise<PassResult> {
  const result: PassResult = {
    fetched: 0,
    exported: 0,
    skippedAlreadyDelivered: 0,
    olderThanCursor: 0,
    exportBatches: 0,
    order: 'unknown',
    undatedEntries: 0,
    inventoryChanged: new Set(),
    snapshotRecords: 0,
    state: start,
  };
  const spool = new Spool({ dir: deps.spoolDir, fileEntries: deps.batchSize ?? EXPORT_BATCH_SIZE });
  const startedAt = Date.now();
  if (!start.inventory) {
    deps.logger.info(
      'building the app inventory: reading the whole integration log once (about one Slack request per 1,000 entries); only entries after the cursor are exported',
    );
  }
  try {
    const { sequencer, ...read } = await readPages(deps, start, spool);
    result.order = sequencer.detectedOrder;
    result.observedAtMs = read.observedAtMs;
    result.fetched = read.fetched;
    result.skippedAlreadyDelivered = read.overlap;
    result.olderThanCursor = read.older;
    if (read.gap) result.gap = read.gap;
    await exportSpool(deps, start, spool, result, sequencer.pageCount);
    await sendSnapshot(deps, result);
    if (!start.inventory) {
      deps.logger.info(
        `app inventory built: ${result.state.inventory?.size ?? 0} apps and integrations from ${result.olderThanCursor + result.skippedAlreadyDelivered + result.exported} entries (${result.fetched} read from Slack) in ${Date.now() - startedAt} ms`,
      );
    }
    return result;
  } finally {
    await spool.clear((message) => deps.logger.warn(message));
  }
}

async function exportSpool(
  deps: PassDeps,
  start: CursorState,
  spool: Spool,
  result: PassResult,
  pageCount: number | undefined,
): Promise<void> {
  const oldestFirst = result.order === 'oldest-first';
  const progress = progressReporter(deps);
  const filter = new DeliveryFilter(start.position);
  const undated = new UndatedFilter(start.undated);
  const batchSize = deps.batchSize ?? EXPORT_BATCH_SIZE;
  const inventory = new PassInventory(start.inventory);
  let batch: DeliverableEntry[] = [];
  let currentDate: number | undefined;
  let firstOffsetOfDate: number | undefined;

  // One batch is on the wire while the next one is built, and cursor saves run behind the
  // acknowledgements (see `Checkpointer`). Batch n is built once batch n-2 is acknowledged, while
  // that save runs, and sent once batch n-1 is acknowledged and the saved cursor covers batch
  // n-MAX_RESENT_BATCHES: so requests never cross, and no more than MAX_RESENT_BATCHES batches are
  // ever delivered past the saved cursor, which is what a crash can re-send.
  // A save starts (synchronously) with the newest acknowledged state, which the acknowledged
  // inventory matches then: the copy of it taken here is the inventory that state covers.
  const checkpoints = new Checkpointer(async (state) => {
    const view = inventory.forSave();
    if (!sameState(state, result.state) || !start.persisted || view.unsaved) {
      const full: CursorState = { ...state, inventory: view.copy() };
      await deps.saveCursor(full);
      view.saved();
      result.state = { ...full, persisted: true };
    }
  });
  let batches = 0;
  /** The acknowledgements of the last two batches, oldest first. */
  const acks: Array<Promise<void>> = [];
  /** Resolves when the next batch may be built. */
  const slot = async (): Promise<void> => {
    if (acks.length === 2) await acks[0];
  };
  /** Ends the open batch: its entries, and the cursor once they are delivered. */
  const close = (): ClosedBatch => {
    const closed = {
      entries: batch,
      state: nextState(start, filter.position(), undated.delivered(), result.order, firstOffsetOfDate, pageCount),
      changes: inventory.takeChanges(),
    };
    batch = [];
    return closed;
  };
  /**
   * Admits a chunk's entries into batches and returns those it completed. Synchronous, so that
   * nothing decoded outlives it but the open batch (docs/performance.md, "Heap").
   */
  const admitChunk = (chunk: Iterable<TakenEntry>): ClosedBatch[] => {
    const closed: ClosedBatch[] = [];
    for (const taken of chunk) {
      const { deliver, occurrence } =
        taken.entry.date === undefined || undated.knows(taken.entry.fingerprint)
          ? undated.admit(taken.entry.fingerprint)
          : filter.admit(taken.sortDate, taken.entry.fingerprint);
      if (taken.sortDate !== currentDate) {
        currentDate = taken.sortDate;
        firstOffsetOfDate = taken.offset;
      }
      if (!deliver) {
        inventory.skip(taken.entry.fields, taken.sortDate);
        // Read only for the inventory (a first run, an upgrade, `--rebuild-inventory`).
        if (inventory.building && taken.sortDate < start.position.date) result.olderThanCursor++;
        else result.skippedAlreadyDelivered++;
        continue;
      }
      if (taken.entry.date === undefined) result.undatedEntries++;
      const { scopesAdded, scopesRemoved } = inventory.deliver(taken.entry.fields, taken.sortDate);
      batch.push(
        new Deliverable(taken.entry, occurrence, result.observedAtMs ?? taken.fetchedAtMs, taken.sortDate, scopesAdded, scopesRemoved),
      );
      if (batch.length >= batchSize) closed.push(close());
    }
    return closed;
  };
  /**
   * One spool chunk: waits for the turn of the batch it may complete before decoding it (so what
   * waits is text), then sends what it completes. Its own function, so that nothing of the chunk
   * stays referenced from the pass's frame once it is done.
   */
  const exportChunk = async (decode: () => TakenEntry[]): Promise<void> => {
    await slot();
    const closed = admitChunk(decode());
    // Taken out as they go, so a sent batch is not held while the next one waits.
    for (let next = closed.shift(); next; next = closed.shift()) await commit(next);
  };
  const commit = async ({ entries, state, changes }: ClosedBatch): Promise<void> => {
    const count = entries.length;
    const n = ++batches;
    await slot();
    // In a turn of its own: building and serializing a batch is the longest synchronous step, and
    // two of them back to back (a pass's first batches, with cold code) stalled a host's event loop.
    await new Promise(setImmediate);
    // Built only now, while the batch before it is on the wire, not earlier (docs/performance.md, "Heap").
    const send = count > 0 ? deps.prepare(entries) : undefined;
    const previous = acks.at(-1);
    const ack = (async () => {
      // Sent only once the batch before it is acknowledged: nothing overtakes, and nothing is
      // sent after a batch that failed.
      await previous;
      await checkpoints.covered(n - MAX_RESENT_BATCHES);
      if (send) {
        result.exported += await send();
        result.exportBatches++;
        progress(() => `exporting: ${result.exported} of at most ${spool.size} new entries acknowledged by the collector`);
      }
      inventory.acknowledge(changes, result.inventoryChanged);
      checkpoints.acknowledged(n, state);
    })();
    // Handled here so a failure while the next batch is read is not an unhandled rejection; a
    // later `await` of it throws it.
    ack.catch(() => undefined);
    acks.push(ack);
    if (acks.length > 2) acks.shift();
  };

  try {
    for await (const decode of spool.read(!oldestFirst)) await exportChunk(decode);
    await commit(close());
    for (const ack of acks) await ack;
    await checkpoints.covered(batches);
  } finally {
    // Nothing of this pass may run after it: sends still on the wire are waited for (bounded by
    // the exporter's timeout), and so are the saves of what they and earlier batches delivered.
    await Promise.allSettled(acks);
    await checkpoints.settled();
  }
}

/** After the change records, so each stream stays in time order: the snapshot's time is now. */
async function sendSnapshot(deps: PassDeps, result: PassResult): Promise<void> {
  const { snapshot } = deps;
  const inventory = result.state.inventory;
  if (!snapshot || !inventory) return;
  for (const batch of snapshotBatches(inventory, snapshot.full, result.inventoryChanged, deps.batchSize ?? EXPORT_BATCH_SIZE)) {
    await snapshot.send(batch);
    result.snapshotRecords += batch.length;
  }
}

function nextState(
  start: CursorState,
  position: CursorPosition,
  undated: Record<string, number>,
  order: PageOrder,
  firstOffsetOfDate: number | undefined,
  pageCount: number | undefined,
): CursorState {
  let hint: CursorHint | undefined = start.hint;
  if (order === 'newest-first') {
    hint = { order };
  } else if (order === 'oldest-first' && firstOffsetOfDate !== undefined && pageCount) {
    hint = { order, offset: firstOffsetOfDate, count: pageCount };
  }
  // The inventory is added when the state is saved (the acknowledged one).
  const { inventory: _saved, ...rest } = start;
  return { ...rest, position, hint, persisted: true, ...(Object.keys(undated).length > 0 ? { undated } : {}) };
}

function sameState(a: CursorState, b: CursorState): boolean {
  return JSON.stringify([a.position, a.hint, a.undated]) === JSON.stringify([b.position, b.hint, b.undated]);
}
