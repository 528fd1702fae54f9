import type { NormalizedEntry } from '../entry/normalize.js';

/** Slack refused to page this far (`over_pagination_limit`): `error` is what to throw when nothing was read. */
export interface PaginationLimit {
  paginationLimit: Error;
}

/** One page as Slack returned it, entries normalized. Numbers are from Slack's `paging` object. */
export interface PageResponse {
  /** The page number Slack answered for (`paging.page`). */
  page: number;
  /** Entries per page as Slack applied it (`paging.count`): it may clamp what was asked. */
  count: number;
  /** Entries in the whole log at the time of this request (`paging.total`). */
  total: number;
  /**
   * `false` when Slack gave no usable total (missing, or below what the answer itself shows):
   * `total` is then a guess and says nothing about drift.
   */
  totalKnown?: boolean;
  /** Pages in the whole log at the time of this request (`paging.pages`). */
  pages: number;
  entries: NormalizedEntry[];
  /** When the page arrived, Unix milliseconds: the records' observed time. */
  fetchedAtMs: number;
}
