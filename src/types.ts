import type { MeterProvider } from '@opentelemetry/api';

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

/** Optional server-side filters of `team.integrationLogs`, sent on every page. */
export interface SlackIntegrationLogFilters {
  app_id?: string;
  change_type?: string;
  service_id?: string;
  user?: string;
}

/** How a Slack entry's time is placed on the LogRecord. */
export type TimestampPolicy =
  /** LogRecord time = Slack's `date` (seconds, converted to nanoseconds on the wire). */
  | 'entry'
  /** LogRecord time = when the entry was fetched; Slack's `date` stays in `slack.integration.date`. */
  | 'observed';

/** Options of {@link SlackIntegrationLogsReceiver}. Each mirrors an environment variable (see README). */
export interface SlackIntegrationLogsReceiverOptions {
  /** `SLACK_TOKEN`: a user OAuth token (`xoxp-`) with the `admin` scope. Never logged. */
  token?: string;
  /** `SLACK_TOKEN_FILE`: read the token from this file; surrounding whitespace is ignored. */
  tokenFile?: string;
  /** `SLACK_API_URL`: Web API base URL. Default `https://slack.com/api/`. */
  slackApiUrl?: string;
  /**
   * `SLACK_BACKFILL_START_TIME`: where the first run starts when no cursor exists.
   * A `Date`, Unix seconds (number), or a string: ISO 8601 date or date-time, or Unix seconds.
   * Unset: nothing older than the first run. `0`: everything Slack still has.
   */
  backfillStartTime?: Date | number | string;
  /** `SLACK_CURSOR_FILE`: path of the cursor file. Default `./.slack-integration-logs/cursor.json`. */
  cursorFile?: string;
  /** `SLACK_POLL_INTERVAL`: time between polls, at least 1 s. A number is seconds; a string is `30s`, `5m`, `1h` or plain seconds. Default 60 s. */
  pollInterval?: number | string;
  /** `SLACK_PAGE_SIZE`: entries requested per page (`count`). Default 1000. Slack may return fewer. */
  pageSize?: number;
  /** `SLACK_TIMESTAMP_POLICY`: `entry` (default) or `observed`. */
  timestampPolicy?: TimestampPolicy;
  /** `SLACK_RETRY_DEADLINE`: how long one Slack page is retried (5xx, network, 429) before the pass fails. Same forms as `pollInterval`. Default 120 s. OTLP retries follow `otlpTimeoutMillis`. */
  retryDeadline?: number | string;
  /** `SLACK_PROGRESS_INTERVAL`: on long passes, at most one progress line per interval. Same forms as `pollInterval`. Default 10 s. */
  progressInterval?: number | string;
  /**
   * Server-side filters (`SLACK_CHANGE_TYPE`, `SLACK_APP_ID`, `SLACK_SERVICE_ID`, `SLACK_USER`),
   * sent on every page. Each filter set keeps a cursor file of its own.
   */
  filters?: SlackIntegrationLogFilters;
  /**
   * `SLACK_TEAM_ID` (comma-separated): Enterprise Grid team IDs for an org-level token. Each team is
   * polled concurrently with its own client (rate budget), cursor file and `slack.team.id` attribute.
   */
  slackTeamIds?: string[];
  /**
   * The host's OpenTelemetry resource (anything with `attributes`, e.g. an SDK `Resource`): when
   * given, the records carry it instead of the one from `serviceName` / `resourceAttributes`.
   */
  resource?: { attributes: Record<string, unknown> };
  /** Where self-metrics go. Default: the global MeterProvider (the host's, when it registered one). */
  meterProvider?: MeterProvider;
  /** OTLP/HTTP logs endpoint, used as is. Default from `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/logs`, else `http://localhost:4318/v1/logs`. */
  otlpEndpoint?: string;
  /** OTLP request headers (`OTEL_EXPORTER_OTLP_HEADERS`, `..._LOGS_HEADERS`). */
  otlpHeaders?: Record<string, string>;
  /** OTLP request timeout in milliseconds (`OTEL_EXPORTER_OTLP_TIMEOUT`). Default 10000. */
  otlpTimeoutMillis?: number;
  /** `gzip` or `none` (`OTEL_EXPORTER_OTLP_COMPRESSION`). Default `none`. */
  otlpCompression?: 'gzip' | 'none';
  /** `OTEL_SERVICE_NAME`. Default `slack-integration-logs`. */
  serviceName?: string;
  /** Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`). */
  resourceAttributes?: Record<string, string>;
  /** Where diagnostics go. Default: one line per message on stderr. */
  logger?: ReceiverLogger;
  /** `SLACK_HEALTH_ENDPOINT`: `host:port` (a port alone: on 127.0.0.1) of `GET /healthz` and `GET /readyz`, served while polling (`start()`). Default: none. */
  healthEndpoint?: string;
}

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
  /** Entries acknowledged by the collector in this pass. */
  exported: number;
  /** Entries seen again that had been delivered before (at or before the cursor, or page overlap). */
  skippedAlreadyDelivered: number;
  /** `team.integrationLogs` requests made, retries included. */
  slackRequests: number;
  /** Times a Slack HTTP 429 was waited out. */
  rateLimitWaits: number;
  /** OTLP export requests that were acknowledged. */
  otlpExports: number;
  /** The page order Slack used, as decided from the data; `unknown` when too few entries to tell. */
  order: 'newest-first' | 'oldest-first' | 'unknown';
  /** The cursor after the pass. */
  cursor: CursorPosition;
  /** Entries whose `date` could not be read (exported with the observed time). */
  malformedEntries: number;
  /**
   * Records the collector acknowledged but rejected (OTLP partial success, `rejectedLogRecords`).
   * They count as delivered: the collector decided, and re-sending would be refused again.
   */
  rejectedByCollector: number;
  /** Wall time of the pass, milliseconds. */
  durationMs: number;
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
