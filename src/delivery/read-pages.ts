import { isoSeconds } from '../core/logger.js';
import type { PagingGap, ReceiverLogger } from '../core/types.js';
import { SyncConsistencyError } from '../core/errors.js';
import type { CursorHint, CursorState } from '../state/cursor.js';
import type { Spool } from '../state/spool.js';
import { PageSequencer } from '../paging/page-sequencer.js';
import type { PageResponse, PaginationLimit } from '../slack/page.js';

/** Times a pass starts paging again when Slack's log moved in a way it could not follow. */
const MAX_RESTARTS = 3;

/** What reading Slack needs: the page source, and where its progress goes. */
export interface ReadDeps {
  /**
   * `signal` ends retry waits of this request (the pass no longer needs it). Resolves to
   * `paginationLimit` when Slack refuses to page this far.
   */
  fetchPage(page: number, signal?: AbortSignal): Promise<PageResponse | PaginationLimit>;
  logger: ReceiverLogger;
  /** Milliseconds between progress lines on long passes. Default 10 s. */
  progressIntervalMs?: number;
}

/** What the read half of a pass found (the entries themselves are in the spool). */
export interface PagesRead {
  /** The sequencer that read them: the page order, the page count. */
  sequencer: PageSequencer;
  /** When the first page was read, Unix milliseconds (see `PassResult.observedAtMs`). */
  observedAtMs?: number;
  fetched: number;
  /** Entries met again at the cursor's second, or read twice. */
  overlap: number;
  /** Entries dated before the cursor. */
  older: number;
  gap?: PagingGap;
}

/** Logs at most one line per interval: progress on long backfills without flooding short polls. */
export function progressReporter(deps: Pick<ReadDeps, 'logger' | 'progressIntervalMs'>): (line: () => string) => void {
  const interval = deps.progressIntervalMs ?? 10_000;
  let last = Date.now();
  return (line) => {
    const now = Date.now();
    if (now - last < interval) return;
    last = now;
    deps.logger.info(line());
  };
}

/**
 * The read half of a pass: pages through Slack from the newest entries down to the cursor (or,
 * oldest-first, from the cursor's page up to the end) and spools what is new. Starts again from
 * the first page (the spool emptied) when the log moved in a way paging could not follow.
 * A start without an inventory reads the whole log (paging floor 0), for the inventory.
 * @throws whatever `fetchPage` throws; `SyncConsistencyError` after `MAX_RESTARTS` restarts.
 */
export async function readPages(deps: ReadDeps, start: CursorState, spool: Spool): Promise<PagesRead> {
  const progress = progressReporter(deps);
  const read: Omit<PagesRead, 'sequencer'> = { fetched: 0, overlap: 0, older: 0 };
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
          read.gap = {
            entriesNotRead: Math.max(0, lastResponse.total - lastResponse.page * lastResponse.count),
            fromDate: newestFirst ? start.position.date : (newestTaken ?? start.position.date),
            toDate: newestFirst ? (oldestTaken ?? start.position.date) : Math.floor(Date.now() / 1000),
          };
          deps.logger.error(
            `Slack refused to page past page ${lastResponse.page} (over_pagination_limit): up to ${read.gap.entriesNotRead} entries dated ` +
              `${isoSeconds(read.gap.fromDate)} to ${isoSeconds(read.gap.toDate)} could not be read and may be missing; exporting what was reached`,
            { ...read.gap },
          );
          return { sequencer, ...read };
        }
        const response = answer;
        const next = sequencer.prefetchable(response);
        if (next !== undefined) {
          ahead = { page: next, response: deps.fetchPage(next, attemptDone.signal) };
          ahead.response.catch(() => undefined); // awaited (and its error handled) when used
        }
        lastResponse = response;
        read.observedAtMs ??= response.fetchedAtMs;
        read.fetched += response.entries.length;
        const accepted = sequencer.accept(response);
        if (accepted.next.kind === 'restart') {
          if (attempt + 1 >= MAX_RESTARTS) {
            throw new SyncConsistencyError(
              `Slack's integration log changed while paging, ${MAX_RESTARTS} times in a row (${accepted.next.reason}); nothing was exported, the next pass retries`,
            );
          }
          deps.logger.warn(`restarting the pass from the first page: ${accepted.next.reason}`);
          await spool.clear();
          read.overlap = 0;
          read.older = 0;
          break;
        }
        read.overlap += accepted.overlap;
        read.older += accepted.older;
        for (const t of accepted.taken) {
          if (oldestTaken === undefined || t.sortDate < oldestTaken) oldestTaken = t.sortDate;
          if (newestTaken === undefined || t.sortDate > newestTaken) newestTaken = t.sortDate;
        }
        await spool.append(accepted.taken);
        if (accepted.next.kind === 'done') {
          return { sequencer, ...read };
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

/** Oldest-first: the page that held the first entry of the cursor's second last time. */
function hintPage(hint: CursorHint | undefined): number {
  return hint?.order === 'oldest-first' ? Math.floor(hint.offset / hint.count) + 1 : 1;
}
