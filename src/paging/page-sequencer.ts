import type { NormalizedEntry } from '../entry/normalize.js';
import type { PageResponse } from '../slack/page.js';

/**
 * Paging decisions for one sync pass over `team.integrationLogs`: which page to request next, which
 * entries of a page are new, when to stop. Pure: no I/O, so every drift case is testable alone.
 *
 * Slack pages by page number only, and its sort order is undocumented
 * (https://api.slack.com/methods/team.integrationLogs). So the order is decided from the dates seen,
 * and every page is placed in one reference view: the list as it stood when the first page of the
 * pass was read. A change of `paging.total` between requests tells how the view moved:
 * - newest-first: entries added at the top push every older entry `growth` places later;
 * - oldest-first: entries added at the end move nothing; entries expired by retention at the start
 *   pull every entry `shrink` places earlier.
 * Entries placed before the end of what was already taken are an overlap: they are checked against
 * the fingerprints already taken and skipped. A page that starts after it (a gap) is answered by
 * asking for the page before. Additions and expiries in one interval cancel out in the total, so a
 * pass of several pages ends by reading its first page again (`verify`). Anything that does not
 * fit restarts the pass: nothing has been exported yet, and the cursor has not moved.
 */

export type PageOrder = 'newest-first' | 'oldest-first' | 'unknown';

/** An entry taken for delivery, with where it stood and the date it sorts by. */
export interface TakenEntry {
  entry: NormalizedEntry;
  /** Offset in the pass's reference view (0 = first entry of page 1 then). */
  offset: number;
  /** `entry.date`, or for an entry without a usable date the date of the entry read just before it (else just after). */
  sortDate: number;
  /** When it was fetched, Unix milliseconds. */
  fetchedAtMs: number;
}

export type NextStep = { kind: 'fetch'; page: number } | { kind: 'done' } | { kind: 'restart'; reason: string };

export interface AcceptResult {
  taken: TakenEntry[];
  /** Entries of this page already taken earlier in the pass (page drift). */
  overlap: number;
  /** Entries older than the cursor, i.e. delivered by an earlier pass (or older than the backfill start). */
  older: number;
  next: NextStep;
}

export interface SequencerOptions {
  /** Unix seconds: entries dated before this are already delivered. The cursor's `date`. */
  floor: number;
  /** Page to start at, from the cursor's hint; page 1 when absent. */
  startPage?: number;
  /** Order recorded by the previous pass. Only a hint: the data decides. */
  orderHint?: PageOrder;
}

/** How far back a pass may step, in pages, looking for the page that holds the cursor. */
const MAX_LOCATE_STEPS = 64;

export class PageSequencer {
  private readonly floor: number;
  private order: PageOrder;
  private lastDate: number | undefined;
  private refTotal: number | undefined;
  private count: number | undefined;
  /** Reference offset one past the last entry taken or checked. */
  private nextRef = 0;
  /** Entries by reference offset, for the last page read: overlap checks look here. */
  private window: { start: number; entries: readonly NormalizedEntry[] } = { start: 0, entries: [] };
  private locating: boolean;
  private locateStep = 1;
  private locateSteps = 0;
  private reachedOlder = false;
  /** The first page taken from: read again at the end of a multi-page pass to check the drift model. */
  private ref: { page: number; entries: readonly NormalizedEntry[] } | undefined;
  private pagesTaken = 0;
  private verifying = false;
  private verifySteps = 0;
  private lastTotal = 0;

  constructor(options: SequencerOptions) {
    this.floor = options.floor;
    const start = options.startPage ?? 1;
    this.locating = start > 1;
    this.order = this.locating ? (options.orderHint ?? 'unknown') : 'unknown';
    this.firstPage = start;
  }

  /** The first page to request. */
  readonly firstPage: number;

  /**
   * The page `accept(response)` will ask for next in the usual case (a full page, not the last,
   * not yet past the cursor), so it can be requested before this one is processed; `undefined`
   * when the next step is not that certain. Pure: it does not change the sequencer.
   */
  prefetchable(response: PageResponse): number | undefined {
    if (this.verifying || this.locating || this.reachedOlder) return undefined;
    if (response.entries.length < response.count || response.page >= response.pages) return undefined;
    const order = this.order === 'unknown' ? orderWithin(response.entries) : this.order;
    if (order === 'mixed') return undefined;
    if (order === 'newest-first') {
      const last = response.entries.findLast((e) => e.date !== undefined)?.date;
      if (last !== undefined && last < this.floor) return undefined;
    }
    return response.page + 1;
  }

  /** Entries per page as Slack applied it, once a page was read. */
  get pageCount(): number | undefined {
    return this.count;
  }

  get detectedOrder(): PageOrder {
    return this.order;
  }

  accept(response: PageResponse): AcceptResult {
    const { entries } = response;
    if (this.verifying) {
      return this.verify(response);
    }
    if (this.count === undefined) {
      this.count = response.count;
    } else if (response.count !== this.count) {
      return this.restart(`Slack changed the page size from ${this.count} to ${response.count} during the pass`);
    }
    const count = this.count;
    if (count <= 0) {
      return this.restart(`Slack reported a page size of ${count}`);
    }

    // Within one page the dates show the order; across pages only after the overlap is known.
    const orderProblem = this.mergeOrder(orderWithin(entries));
    if (orderProblem) {
      return this.restart(orderProblem);
    }

    if (this.locating) {
      const located = this.locate(response);
      if (located) {
        return located;
      }
    }

    if (this.refTotal === undefined) {
      this.ref = { page: response.page, entries };
      this.refTotal = response.total;
      this.nextRef = (response.page - 1) * count;
      this.window = { start: this.nextRef, entries: [] };
    }

    // A guessed total carries no drift information; the end-of-pass check still runs.
    const shift = response.totalKnown === false ? 0 : this.shiftFor(response.total);
    if (shift === undefined) {
      return this.restart('the log changed size before its order could be told');
    }
    const refStart = (response.page - 1) * count + shift;

    if (refStart > this.nextRef) {
      // Entries between what was taken and this page moved onto the page before it (a shift
      // explains it); without a shift, a page before came back short and its rest is unknown.
      if (shift > 0 && response.page > 1 && this.locateSteps++ < MAX_LOCATE_STEPS) {
        return { taken: [], overlap: 0, older: 0, next: { kind: 'fetch', page: response.page - 1 } };
      }
      return this.restart('entries moved between page requests and could not be re-read');
    }

    const overlap = Math.min(entries.length, this.nextRef - refStart);
    for (let i = 0; i < overlap; i++) {
      const offset = refStart + i;
      const known = this.window.entries[offset - this.window.start];
      if (offset < this.window.start || known?.fingerprint !== entries[i]!.fingerprint) {
        return this.restart('entries moved between page requests by more than the pass could check');
      }
    }

    const firstNewDate = entries.slice(overlap).find((e) => e.date !== undefined)?.date;
    if (firstNewDate !== undefined && this.lastDate !== undefined) {
      const continuity = this.mergeOrder(orderWithin([this.lastDate, firstNewDate]));
      if (continuity) {
        return this.restart(continuity);
      }
    }

    const taken: TakenEntry[] = [];
    let older = 0;
    for (let i = overlap; i < entries.length; i++) {
      const entry = entries[i]!;
      // An entry without a usable date sorts with its older neighbour: dates stay monotone, and
      // entries arriving later (newer ones) do not change where it sorts, so it is not re-sent.
      const sortDate =
        entry.date ??
        (this.order === 'newest-first' ? (nextDate(entries, i) ?? this.lastDate) : (this.lastDate ?? nextDate(entries, i))) ??
        this.floor;
      if (entry.date !== undefined) {
        this.lastDate = entry.date;
      }
      // Without a date an entry cannot be placed against the cursor: it is taken wherever it is
      // met, and the cursor's record of undated entries decides whether it is new.
      if (entry.date !== undefined && (this.reachedOlder || sortDate < this.floor)) {
        older++;
        if (this.order === 'newest-first') {
          this.reachedOlder = true;
        }
        continue;
      }
      taken.push({ entry, offset: refStart + i, sortDate, fetchedAtMs: response.fetchedAtMs });
    }
    this.window = { start: refStart + overlap, entries: overlap === 0 ? entries : entries.slice(overlap) };
    this.nextRef = refStart + entries.length;

    this.pagesTaken++;
    this.lastTotal = response.total;
    // `paging` decides where the log ends: a short page before the last one is Slack leaving
    // entries out, and stopping there would skip everything older.
    const isLastPage = response.page >= response.pages;
    if (!isLastPage && entries.length !== count) {
      return this.restart(
        `Slack returned ${entries.length} entries on page ${response.page} of ${response.pages}, not the ${count} its paging announced`,
      );
    }
    let next: NextStep = { kind: 'fetch', page: response.page + 1 };
    if (this.reachedOlder || isLastPage) {
      next = this.pagesTaken > 1 && this.order !== 'unknown' ? this.startVerify() : { kind: 'done' };
    }
    return { taken, overlap, older, next };
  }

  /**
   * `paging.total` counts additions minus expiries, and only one of them moves the pages (additions
   * newest-first, expiries oldest-first): when both happen in one pass, the shifts derived from it
   * are wrong and nothing in the pages shows it. So a pass that read several pages reads its first
   * page again: if only the moving kind of change happened, that page is now the old one shifted by
   * exactly the change of the total. If it is not, the pass starts again.
   */
  private startVerify(): NextStep {
    this.verifying = true;
    return { kind: 'fetch', page: this.pageHoldingRefStart(this.lastTotal) };
  }

  /** Where the first entry taken stands now, if only the moving kind of change happened. */
  private refStartNow(total: number): number {
    const refStart = (this.ref!.page - 1) * this.count!;
    return refStart - (this.shiftFor(total) ?? 0);
  }

  private pageHoldingRefStart(total: number): number {
    return Math.floor(Math.max(0, this.refStartNow(total)) / this.count!) + 1;
  }

  private verify(response: PageResponse): AcceptResult {
    const ref = this.ref!.entries;
    const pageStart = (response.page - 1) * this.count!;
    const mappedStart = response.totalKnown === false ? (this.ref!.page - 1) * this.count! : this.refStartNow(response.total);
    let compared = 0;
    for (let j = 0; j < ref.length; j++) {
      const at = mappedStart + j - pageStart;
      if (at < 0 || at >= response.entries.length) continue;
      if (response.entries[at]!.fingerprint !== ref[j]!.fingerprint) {
        return this.restart('entries were both added and expired while paging, so page positions could not be trusted');
      }
      compared++;
    }
    if (compared === 0 && ref.length > 0) {
      // The log moved again since the page was chosen: look where the first page went.
      if (this.verifySteps++ < 3 && mappedStart >= 0) {
        return { taken: [], overlap: 0, older: 0, next: { kind: 'fetch', page: this.pageHoldingRefStart(response.total) } };
      }
      return this.restart('the first page read could not be found again to check the paging');
    }
    return { taken: [], overlap: 0, older: 0, next: { kind: 'done' } };
  }

  /** Oldest-first with a start-page hint: step back until the page starts before the cursor. */
  private locate(response: PageResponse): AcceptResult | undefined {
    const first = response.entries.find((e) => e.date !== undefined)?.date;
    const startsBeforeFloor = first !== undefined && first < this.floor;
    if (response.page <= 1 || startsBeforeFloor) {
      this.locating = false;
      return undefined;
    }
    if (this.locateSteps++ >= MAX_LOCATE_STEPS) {
      return this.restart('could not find the page holding the cursor');
    }
    // An empty page past the end: go to the last page there is.
    const back =
      response.entries.length === 0 && response.pages < response.page
        ? Math.max(1, response.pages)
        : Math.max(1, response.page - this.locateStep);
    this.locateStep *= 2;
    this.lastDate = undefined;
    return { taken: [], overlap: 0, older: 0, next: { kind: 'fetch', page: back } };
  }

  private shiftFor(total: number): number | undefined {
    const delta = total - this.refTotal!;
    if (delta === 0) return 0;
    if (this.order === 'newest-first') return -Math.max(0, delta);
    if (this.order === 'oldest-first') return Math.max(0, -delta);
    return undefined;
  }

  /** Returns a reason when `seen` contradicts the order decided so far. */
  private mergeOrder(seen: PageOrder | 'mixed'): string | undefined {
    if (seen === 'mixed') {
      return "Slack's entries are in neither date order within one page";
    }
    if (seen === 'unknown' || seen === this.order) return undefined;
    if (this.order === 'unknown') {
      this.order = seen;
      return undefined;
    }
    return `Slack's entries changed order: ${seen} after ${this.order}`;
  }

  private restart(reason: string): AcceptResult {
    return { taken: [], overlap: 0, older: 0, next: { kind: 'restart', reason } };
  }
}

/** The order a sequence of entries (or dates) shows by itself. Entries without a date are passed over. */
export function orderWithin(items: ReadonlyArray<NormalizedEntry | number>): PageOrder | 'mixed' {
  let order: PageOrder = 'unknown';
  let prev: number | undefined;
  for (const item of items) {
    const date = typeof item === 'number' ? item : item.date;
    if (date === undefined) continue;
    if (prev !== undefined && date !== prev) {
      const seen: PageOrder = date < prev ? 'newest-first' : 'oldest-first';
      if (order === 'unknown') order = seen;
      else if (order !== seen) return 'mixed';
    }
    prev = date;
  }
  return order;
}

function nextDate(entries: NormalizedEntry[], from: number): number | undefined {
  for (let i = from + 1; i < entries.length; i++) {
    const date = entries[i]!.date;
    if (date !== undefined) return date;
  }
  return undefined;
}
