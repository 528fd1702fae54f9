import { isoSeconds } from '../core/logger.js';
import type { SyncSummary } from '../core/types.js';
import type { CursorState } from '../state/cursor.js';
import type { PassResult } from './pass.js';

/**
 * Why entries a pass met were not exported (the self-metric's `slack.integration_logs.skip_reason`):
 * `already_delivered`, met again at the cursor's own second or read twice; `older_than_start`,
 * dated before SLACK_BACKFILL_START_TIME while the cursor still stands there; `older_than_cursor`,
 * dated before a cursor that has moved (delivered by an earlier pass, or added to Slack late).
 */
export type SkipReason = 'already_delivered' | 'older_than_start' | 'older_than_cursor';

type Cursor = Pick<CursorState, 'position' | 'backfillStart' | 'undated'>;

/** A cursor that never delivered anything: a new SLACK_BACKFILL_START_TIME still takes effect (see `Stream`). */
export function untouched(state: Cursor): boolean {
  return state.position.date === state.backfillStart && Object.keys(state.position.delivered).length === 0 && !state.undated;
}

/** A pass's summary: what the pass found, and what its stream counted around it. */
export function passSummary(
  result: PassResult,
  counted: Pick<SyncSummary, 'slackRequests' | 'rateLimitWaits' | 'rejectedByCollector' | 'deadLettered' | 'durationMillis'>,
): SyncSummary {
  return {
    fetched: result.fetched,
    exported: result.exported,
    skippedAlreadyDelivered: result.skippedAlreadyDelivered,
    olderThanCursor: result.olderThanCursor,
    slackRequests: counted.slackRequests,
    rateLimitWaits: counted.rateLimitWaits,
    exportBatches: result.exportBatches,
    order: result.order,
    cursor: result.state.position,
    undatedEntries: result.undatedEntries,
    rejectedByCollector: counted.rejectedByCollector,
    deadLettered: counted.deadLettered,
    durationMillis: counted.durationMillis,
    ...(result.gap ? { gap: result.gap } : {}),
  };
}

/**
 * Entries older than the cursor a pass started from are older than the start exactly when that
 * cursor still stood at the start: nothing before it was ever exported.
 */
export function olderReason(start: Cursor): SkipReason {
  return start.position.date === start.backfillStart ? 'older_than_start' : 'older_than_cursor';
}

/**
 * The one log line of a pass. Entries older than the start are named as such, with the way to
 * export them while the cursor still allows it (a first run exports nothing older than itself).
 * @param start the cursor the pass started from; `end`, where it ended.
 */
export function passSummaryLine(summary: SyncSummary, start: Cursor, end: Cursor): string {
  const parts = [`${summary.exported} exported`, `${summary.skippedAlreadyDelivered} already delivered`];
  if (summary.olderThanCursor > 0) {
    if (olderReason(start) === 'older_than_start') {
      const hint = untouched(end) ? '; set SLACK_BACKFILL_START_TIME=0 for the past' : '';
      parts.push(`${summary.olderThanCursor} older than the start ${isoSeconds(start.backfillStart)} (SLACK_BACKFILL_START_TIME${hint})`);
    } else {
      parts.push(`${summary.olderThanCursor} older than the cursor`);
    }
  }
  parts.push(`${summary.slackRequests} Slack request(s)`, `cursor at ${isoSeconds(summary.cursor.date)}`);
  return `sync pass: ${parts.join(', ')}`;
}
