/**
 * Public types of slack-integration-logs-receiver, in one place.
 *
 * Field names follow Slack's `team.integrationLogs` method
 * (https://api.slack.com/methods/team.integrationLogs) and OpenTelemetry semantic conventions.
 */

/** Fields Slack's `team.integrationLogs` may send for one entry. Anything else is kept as is. */
export interface SlackIntegrationLogRaw {
  user_id?: string;
  user_name?: string;
  /** Unix seconds. Documented as a string ("1392163200"); some workspaces send a number. */
  date?: string | number;
  change_type?: string;
  /** Documented as a string, seen as a number. */
  service_id?: string | number;
  service_type?: string;
  app_id?: string;
  app_type?: string;
  /** A channel id, on custom integrations that post to a channel. */
  channel?: string;
  /** One comma-separated string of OAuth scopes, e.g. `chat:write,channels:read`; may be empty. */
  scope?: string;
  reason?: string;
  rss_feed?: boolean;
  rss_feed_change_type?: string;
  rss_feed_title?: string;
  rss_feed_url?: string;
  [field: string]: unknown;
}

/** Optional server-side filters of `team.integrationLogs`, sent on every page (Slack's argument names). */
export interface SlackIntegrationLogFilters {
  change_type?: string;
  app_id?: string;
  service_id?: string;
  user?: string;
}

/**
 * How a Slack entry's time is placed on the LogRecord: `entry`, Slack's `date`; `observed`, when
 * the entry was fetched (Slack's `date` then stays in `slack.integration.date`).
 */
export type TimestampPolicy = 'entry' | 'observed';

/** A structured diagnostics sink. `fields` never hold the token. */
export interface ReceiverLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Where the receiver stands: every entry up to here has been acknowledged by the collector. */
export interface CursorPosition {
  /** Unix seconds of the newest delivered entry (or the backfill start when nothing was delivered yet). */
  date: number;
  /**
   * Entries already delivered whose `date` equals {@link date}, counted by fingerprint. Needed because
   * entries have no id and identical entries in the same second are distinct events.
   */
  delivered: Record<string, number>;
}

/** What one sync pass did. */
export interface SyncSummary {
  /** Entries Slack returned in this pass (all pages, overlaps included). */
  fetched: number;
  /** Entries acknowledged by the collector in this pass (partial-success rejections included). */
  exported: number;
  /**
   * Entries met again that were delivered before: at the cursor's own second (the cursor counts
   * them), or read twice in this pass as pages moved.
   */
  skippedAlreadyDelivered: number;
  /**
   * Entries dated before the cursor, not exported: delivered by an earlier pass, added to Slack
   * late (after the cursor passed their date), or, while the cursor still stands at its start,
   * older than the start (SLACK_BACKFILL_START_TIME; unset, the first run's time).
   */
  olderThanCursor: number;
  /** `team.integrationLogs` requests made, retries included. */
  slackRequests: number;
  /** Times Slack's rate limit was waited out: HTTP 429, or `{"ok":false,"error":"ratelimited"}`. */
  rateLimitWaits: number;
  /** Export batches (up to 250 records) delivered: acknowledged, or kept as dead letters. */
  exportBatches: number;
  /** The page order Slack used, as decided from the data; `unknown` when too few entries to tell. */
  order: 'newest-first' | 'oldest-first' | 'unknown';
  /** The cursor after the pass. */
  cursor: CursorPosition;
  /**
   * Entries whose `date` could not be read: exported with the date of the entry beside them in the
   * log (docs/sync.md), Slack's own value in `slack.integration.date`.
   */
  undatedEntries: number;
  /**
   * Records the collector acknowledged but rejected (OTLP partial success, `rejectedLogRecords`).
   * Not re-sent: the collector decided, and re-sending would be refused again.
   */
  rejectedByCollector: number;
  /**
   * Records the collector refused even alone, written to the dead-letter file beside the cursor
   * (sent again only by `--replay-dead-letters` / `replayDeadLetters()`).
   */
  deadLettered: number;
  /** Wall time of the pass, milliseconds. */
  durationMillis: number;
  /** With `SLACK_TEAM_ID`: each team's own summary, or the error that stopped its pass. */
  teams?: Record<string, SyncSummary | { error: string }>;
  /**
   * Present when Slack would not page far enough to reach the cursor (`over_pagination_limit`):
   * entries in this range may be missing. Never hidden: also logged as an error.
   */
  gap?: PagingGap;
}

/** Entries that may be missing because paging could not reach them. Reported, never hidden. */
export interface PagingGap {
  /** Entries past the last page read, by Slack's `paging.total` (some may predate the cursor). */
  entriesNotRead: number;
  /** Unix seconds: the missing entries are dated between these (inclusive). */
  fromDate: number;
  /** Unix seconds. */
  toDate: number;
}
