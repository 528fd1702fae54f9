import type { MeterProvider } from '@opentelemetry/api';
import type { ReceiverLogger, SlackIntegrationLogFilters, TimestampPolicy } from '../core/types.js';
import type { OtlpProtocol } from './otlp.js';

/**
 * Options of {@link SlackIntegrationLogsReceiver}. Each one that mirrors an environment variable
 * names it; an option given wins over the variable (`fromEnv`). The settings table
 * (`src/config/settings.ts`, the README's "Settings") holds the same defaults: a test checks them.
 */
export interface SlackIntegrationLogsReceiverOptions {
  /**
   * `SLACK_TOKEN`: user OAuth token (`xoxp-`) with the `admin` scope. Required unless `tokenFile` or
   * token rotation (`refreshToken`), with which it is the first access token; never echoed in any message.
   * @default undefined
   */
  token?: string;
  /**
   * `SLACK_TOKEN_FILE`: a file holding the token (container secrets); surrounding whitespace ignored;
   * read again when it changes. `token` wins when both are set.
   * @default undefined
   */
  tokenFile?: string;
  /**
   * `SLACK_REFRESH_TOKEN`: token rotation's refresh token (`xoxe-1-`); with `clientId` and
   * `clientSecret` the receiver refreshes the access token itself (docs/credentials.md). Never echoed.
   * @default undefined
   */
  refreshToken?: string;
  /**
   * `SLACK_REFRESH_TOKEN_FILE`: a file holding the refresh token, read again when it changes.
   * `refreshToken` wins when both are set.
   * @default undefined
   */
  refreshTokenFile?: string;
  /**
   * `SLACK_CLIENT_ID`: token rotation: the app's client ID.
   * @default undefined
   */
  clientId?: string;
  /**
   * `SLACK_CLIENT_SECRET`: token rotation: the app's client secret, sent as HTTP Basic to
   * `oauth.v2.access`. Never echoed.
   * @default undefined
   */
  clientSecret?: string;
  /**
   * `SLACK_CLIENT_SECRET_FILE`: a file holding the client secret, read again when it changes.
   * `clientSecret` wins when both are set.
   * @default undefined
   */
  clientSecretFile?: string;
  /**
   * `SLACK_API_URL`: the Slack Web API base URL (proxies, tests).
   * @default "https://slack.com/api/"
   */
  slackApiUrl?: string;
  /**
   * `SLACK_BACKFILL_START_TIME`: where the first run starts, only when no cursor exists: a `Date`,
   * Unix seconds, or an ISO 8601 date (`2026-01-31`, UTC) or date-time; `0`: everything Slack has.
   * Unset: the first run's time.
   * @default undefined
   */
  backfillStartTime?: Date | number | string;
  /**
   * `SLACK_CURSOR_FILE`: the cursor file, relative to the working directory; dead letters and the
   * spool go beside it.
   * @default ".slack-integration-logs/cursor.json"
   */
  cursorFile?: string;
  /**
   * `SLACK_POLL_INTERVAL`: time between polls, seconds or `30s`, `5m`, `1h`; 1 s to 24 h.
   * @default "60s"
   */
  pollInterval?: number | string;
  /**
   * `SLACK_PAGE_SIZE`: entries requested per page (`count`), 1 to 1000; Slack may return fewer.
   * @default 1000
   */
  pageSize?: number;
  /**
   * `SLACK_RETRY_DEADLINE`: how long one Slack page is retried (5xx, network, 429) before the pass
   * fails; seconds or `30s`, `5m`, `1h`, up to 24 h.
   * @default "120s"
   */
  retryDeadline?: number | string;
  /**
   * `SLACK_PROGRESS_INTERVAL`: on long passes, at most one progress line per interval; seconds or
   * `30s`, `5m`, `1h`, up to 24 h.
   * @default "10s"
   */
  progressInterval?: number | string;
  /**
   * `SLACK_INVENTORY_INTERVAL`: a full inventory snapshot at the first pass, then this often
   * (docs/inventory.md); `0`: no snapshots; seconds or `30s`, `5m`, `1h`, up to 24 h.
   * @default "24h"
   */
  inventoryInterval?: number | string;
  /**
   * `SLACK_TIMESTAMP_POLICY`: `entry`, the record's time is Slack's `date`; `observed`, the fetch
   * time, with Slack's date in `slack.integration.date`.
   * @default "entry"
   */
  timestampPolicy?: TimestampPolicy;
  /**
   * `SLACK_TEAM_ID` (comma-separated): Enterprise Grid, org-level token: the team IDs, each polled
   * with its own cursor file and Resource (`slack.team.id`). `['all']`: every workspace that
   * `auth.teams.list` lists, at start and at every poll (`slack.team.name` on its Resource, renamed
   * with the workspace); a
   * workspace listed later starts per `backfillStartTime` (unset: when it was found). Unset: the
   * token's own workspace.
   * @default undefined
   */
  slackTeamIds?: string[];
  /**
   * `SLACK_TEAM_EXCLUDE` (comma-separated): team IDs never polled, for `slackTeamIds: ['all']`.
   * @default undefined
   */
  teamExclude?: string[];
  /**
   * `SLACK_TEAM_CONCURRENCY`: how many teams sync at once, 1 to 100; the others wait their turn. A
   * team waiting before a retry (a rate limit's Retry-After, a backoff) gives its turn to the next.
   * @default 8
   */
  teamConcurrency?: number;
  /**
   * `SLACK_CHANGE_TYPE`, `SLACK_APP_ID`, `SLACK_SERVICE_ID`, `SLACK_USER`: Slack's server-side
   * filters; each filter set keeps a cursor file of its own.
   * @default undefined
   */
  filters?: SlackIntegrationLogFilters;
  /**
   * `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`, then `OTEL_EXPORTER_OTLP_PROTOCOL`: the OTLP protocol.
   * @default "http/json"
   */
  otlpProtocol?: OtlpProtocol;
  /**
   * `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (used as is), then `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL,
   * `/v1/logs` appended for HTTP): the OTLP logs endpoint. The default for `grpc` is `http://localhost:4317`.
   * @default "http://localhost:4318/v1/logs"
   */
  otlpEndpoint?: string;
  /**
   * `OTEL_EXPORTER_OTLP_LOGS_HEADERS`, then `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,...`,
   * percent-decoded): request headers.
   * @default undefined
   */
  otlpHeaders?: Record<string, string>;
  /**
   * `OTEL_EXPORTER_OTLP_LOGS_COMPRESSION`, then `OTEL_EXPORTER_OTLP_COMPRESSION`: request compression.
   * @default "none"
   */
  otlpCompression?: 'gzip' | 'none';
  /**
   * `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT`, then `OTEL_EXPORTER_OTLP_TIMEOUT`: the export timeout,
   * milliseconds (1 to 3600000); the exporter retries 429/502/503/504 within it.
   * @default 10000
   */
  otlpTimeoutMillis?: number;
  /**
   * `SLACK_HEALTH_ENDPOINT`: `host:port` (a port alone: on 127.0.0.1) of `GET /healthz` and
   * `GET /readyz`, served while polling (`start()`). Unset: none.
   * @default undefined
   */
  healthEndpoint?: string;
  /**
   * `OTEL_SERVICE_NAME`: the resource's `service.name`; unset: the one in `resourceAttributes`, then
   * the default.
   * @default "slack-integration-logs"
   */
  serviceName?: string;
  /**
   * `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`): resource attributes.
   * @default undefined
   */
  resourceAttributes?: Record<string, string>;
  /**
   * The host's OpenTelemetry resource (anything with `attributes`, e.g. an SDK `Resource`): when
   * given, the records carry it instead of the one from `serviceName` / `resourceAttributes`.
   * @default undefined
   */
  resource?: { attributes: Record<string, unknown> };
  /**
   * Where self-metrics go.
   * @default the global MeterProvider (the host's, when it registered one)
   */
  meterProvider?: MeterProvider;
  /**
   * Where diagnostics go.
   * @default one line per message on stderr
   */
  logger?: ReceiverLogger;
  /**
   * `--rebuild-inventory`: read the cursor files without their app inventories (a damaged one
   * included), so the next pass builds them again from the whole log (docs/inventory.md).
   * @default false
   */
  rebuildInventory?: boolean;
}
