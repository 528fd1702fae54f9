import type { NormalizedEntry } from '../entry/normalize.js';
import { isoSeconds } from '../core/logger.js';
import type { CursorPosition, PagingGap, ReceiverLogger } from '../core/types.js';
import type { CursorHint, CursorState } from '../state/cursor.js';
import { DeliveryFilter, UndatedFilter } from './delivery-filter.js';
import { Checkpointer } from './checkpointer.js';
import { PageSequencer, type PageOrder, type TakenEntry } from '../paging/page-sequencer.js';
import type { PageResponse, PaginationLimit } from '../slack/page.js';
import { Spool } from '../state/spool.js';
import { SyncConsistencyError } from '../core/errors.js';
import { InventoryFold, snapshotApps, type AppState } from '../inventory/fold.js';

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
/** Times a pass starts paging again when Slack's log moved in a way it could not follow. */
const MAX_RESTARTS = 3;

export interface DeliverableEntry {
  entry: NormalizedEntry;
  /** 0-based occurrence of this exact content in its second: feeds `log.record.uid`. */
  occurrence: number;
  /** When it was fetched, Unix milliseconds. */
  fetchedAtMs: number;
  /** `entry.date`, or for an undated entry the date of its neighbour (see `TakenEntry.sortDate`). */
  sortDate: number;
  /** What the entry changed in the inventory, as of the entry (see `FoldEffect`). */
  scopesAdded?: string[];
  scopesRemoved?: string[];
}

/** The edges a pass talks to; everything between is decided here. */
export interface PassDeps {
  /**
   * `signal` ends retry waits of this request (the pass no longer needs it). Resolves to
   * `paginationLimit` when Slack refuses to page this far.
   */
  fetchPage(page: number, signal?: AbortSignal): Promise<PageResponse | PaginationLimit>;
  /**
   * Builds the batch's records now (CPU) and returns the send: a function whose promise resolves
   * only once every record of the batch was acknowledged by the collector or kept (dead-lettered),
   * with the number acknowledged.
   */
  prepare(batch: DeliverableEntry[]): () => Promise<number>;
  saveCursor(state: CursorState): Promise<void>;
  logger: ReceiverLogger;
  /** Milliseconds between progress lines on long passes. Default 10 s. */
  progressIntervalMs?: number;
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

/** Logs at most one line per interval: progress on long backfills without flooding short polls. */
function progressReporter(deps: PassDeps): (line: () => string) => void {
  const interval = deps.progressIntervalMs ?? 10_000;
  let last = Date.now();
  return (line) => {
    const now = Date.now();
    if (now - last < interval) return;
    last = now;
    deps.logger.info(line());
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
    const sequencer = await collect(deps, start, spool, result);
    result.order = sequencer.detectedOrder;
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

async function collect(deps: PassDeps, start: CursorState, spool: Spool, result: PassResult): Promise<PageSequencer> {
  const progress = progressReporter(deps);
  for (let attempt = 0; ; attempt++) {
    // Building the inventory needs every entry: no hint, and no floor.
    const useHint = attempt === 0 && start.hint?.order === 'oldest-first' && start.inventory !== undefined;
    const sequencer = new PageSequencer({
      floor: start.inventory ? start.position.date : 0,
      startPage: useHint ? hintPage(start.hint) : 1,
      orderHint: useHint ? 'oldest-first' : undefined,
    });
    let page = sequencer.firstPage;
    let lastResponse: PageResponse | undefined;
    let oldestTaken: number | undefined;
    let newestTaken: number | undefined;
    // The page the sequencer will almost surely ask for next, already on its way while this one is
    // processed: Slack's latency and our CPU overlap instead of adding up.
    let ahead: { page: number; response: Promise<PageResponse | PaginationLimit> } | undefined;
    // Ends the retries of a prefetched page this attempt turns out not to need.
    const attemptDone = new AbortController();
    try {
      for (;;) {
        const answer = await (ahead?.page === page ? ahead.response : deps.fetchPage(page, attemptDone.signal));
        ahead = undefined;
        if ('paginationLimit' in answer) {
          if (!lastResponse) throw answer.paginationLimit;
          // Newest-first, what could not be reached is older than what was read (down to the
          // cursor); oldest-first, it is newer (up to now).
          const newestFirst = sequencer.detectedOrder !== 'oldest-first';
          result.gap = {
            entriesNotRead: Math.max(0, lastResponse.total - lastResponse.page * lastResponse.count),
            fromDate: newestFirst ? start.position.date : (newestTaken ?? start.position.date),
            toDate: newestFirst ? (oldestTaken ?? start.position.date) : Math.floor(Date.now() / 1000),
          };
          deps.logger.error(
            `Slack refused to page past page ${lastResponse.page} (over_pagination_limit): up to ${result.gap.entriesNotRead} entries dated ` +
              `${isoSeconds(result.gap.fromDate)} to ${isoSeconds(result.gap.toDate)} could not be read and may be missing; exporting what was reached`,
            { ...result.gap },
          );
          return sequencer;
        }
        const response = answer;
        const next = sequencer.prefetchable(response);
        if (next !== undefined) {
          ahead = { page: next, response: deps.fetchPage(next, attemptDone.signal) };
          ahead.response.catch(() => undefined); // awaited (and its error handled) when used
        }
        lastResponse = response;
        result.observedAtMs ??= response.fetchedAtMs;
        result.fetched += response.entries.length;
        const accepted = sequencer.accept(response);
        if (accepted.next.kind === 'restart') {
          if (attempt + 1 >= MAX_RESTARTS) {
            throw new SyncConsistencyError(
              `Slack's integration log changed while paging, ${MAX_RESTARTS} times in a row (${accepted.next.reason}); nothing was exported, the next pass retries`,
            );
          }
          deps.logger.warn(`restarting the pass from the first page: ${accepted.next.reason}`);
          await spool.clear();
          result.skippedAlreadyDelivered = 0;
          result.olderThanCursor = 0;
          break;
        }
        result.skippedAlreadyDelivered += accepted.overlap;
        result.olderThanCursor += accepted.older;
        for (const t of accepted.taken) {
          if (oldestTaken === undefined || t.sortDate < oldestTaken) oldestTaken = t.sortDate;
          if (newestTaken === undefined || t.sortDate > newestTaken) newestTaken = t.sortDate;
        }
        await spool.append(accepted.taken);
        if (accepted.next.kind === 'done') {
          return sequencer;
        }
        progress(() => {
          const left = Math.max(0, response.pages - response.page);
          return `reading Slack: page ${response.page} of ${response.pages}, ${spool.size} new entries so far; at most ${left} more pages (${Math.max(0, response.total - response.page * response.count)} entries) to read`;
        });
        page = accepted.next.page;
      }
    } finally {
      attemptDone.abort();
    }
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
  const building = !start.inventory;
  const batchSize = deps.batchSize ?? EXPORT_BATCH_SIZE;
  // Two views of the inventory: the live one, which admission folds entries into ahead of the
  // acknowledgements, and the acknowledged one, which each acknowledged batch adds its changed apps
  // to (app states are never changed in place, so no copy is needed). A saved cursor carries the
  // acknowledged one: exactly what its position covers.
  const fold = new InventoryFold(start.inventory);
  const acknowledged = new Map(start.inventory);
  /** Acknowledged batches that changed the inventory; what the last save held. */
  let ackedRevision = 0;
  let savedRevision = building ? -1 : 0;
  let batch: DeliverableEntry[] = [];
  let currentDate: number | undefined;
  let firstOffsetOfDate: number | undefined;

  // One batch is on the wire while the next one is built, and cursor saves run behind the
  // acknowledgements (see `Checkpointer`). Batch n is built once batch n-2 is acknowledged, while
  // that save runs, and sent once batch n-1 is acknowledged and the saved cursor covers batch
  // n-MAX_RESENT_BATCHES: so requests never cross, and no more than MAX_RESENT_BATCHES batches are
  // ever delivered past the saved cursor, which is what a crash can re-send.
  // A save starts (synchronously) with the newest acknowledged state, which `acknowledged` matches
  // then: the snapshot of it taken here is the inventory that state covers.
  const checkpoints = new Checkpointer(async (state) => {
    const revision = ackedRevision;
    if (!sameState(state, result.state) || !start.persisted || revision !== savedRevision) {
      const full: CursorState = { ...state, inventory: new Map(acknowledged) };
      await deps.saveCursor(full);
      savedRevision = revision;
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
      changes: fold.takeChanges(),
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
        if (building) {
          fold.apply(taken.entry.fields, taken.sortDate);
          // Read only for the inventory (a first run, an upgrade, `--rebuild-inventory`).
          if (taken.sortDate < start.position.date) {
            result.olderThanCursor++;
            continue;
          }
        }
        result.skippedAlreadyDelivered++;
        continue;
      }
      if (taken.entry.date === undefined) result.undatedEntries++;
      const { scopesAdded, scopesRemoved } = fold.apply(taken.entry.fields, taken.sortDate);
      batch.push({
        entry: taken.entry,
        occurrence,
        fetchedAtMs: result.observedAtMs ?? taken.fetchedAtMs,
        sortDate: taken.sortDate,
        ...(scopesAdded ? { scopesAdded } : {}),
        ...(scopesRemoved ? { scopesRemoved } : {}),
      });
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
      for (const [key, app] of changes) {
        acknowledged.set(key, app);
        result.inventoryChanged.add(key);
      }
      if (changes.size > 0) ackedRevision++;
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
  const apps = snapshotApps(inventory, snapshot.full ? undefined : result.inventoryChanged);
  const size = deps.batchSize ?? EXPORT_BATCH_SIZE;
  for (let i = 0; i < apps.length; i += size) {
    const batch = apps.slice(i, i + size);
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

/** Oldest-first: the page that held the first entry of the cursor's second last time. */
function hintPage(hint: CursorHint | undefined): number {
  return hint?.order === 'oldest-first' ? Math.floor(hint.offset / hint.count) + 1 : 1;
}

function sameState(a: CursorState, b: CursorState): boolean {
  return JSON.stringify([a.position, a.hint, a.undated]) === JSON.stringify([b.position, b.hint, b.undated]);
}
