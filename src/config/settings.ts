import { OTLP_PROTOCOLS } from './otlp.js';

/**
 * Every setting, once: its option, its environment variables, its type, default, range and
 * meaning. The parser (`config.ts`), `ENV_VARS`, `--help`, the README's settings table and the
 * documented options (`options.ts`) follow this table; tests hold each of them against it.
 *
 * One precedence rule for all of them: an option given to the library wins over the environment;
 * of the variables, the first one set wins (the signal-specific one over the general one); then the
 * default. A blank variable counts as unset.
 */

/** How a setting's value is read and checked: each kind has one parser (`kinds.ts`). */
export type SettingKind =
  /** A token or client secret: never echoed. */
  | 'secret'
  | 'text'
  | 'path'
  | 'url'
  /**
   * An OTLP endpoint: the signal-specific variable (and the option) is used as is; the general one
   * (`OTEL_EXPORTER_OTLP_ENDPOINT`) is a base URL, with `/v1/<signal>` appended for HTTP (the spec's rule).
   */
  | 'endpoint'
  /** A moment: ISO 8601 date or date-time, Unix seconds, or a `Date`. */
  | 'time'
  /** `30s`, `5m`, `1h`, `250ms`, or a number of seconds. */
  | 'duration'
  | 'integer'
  | 'choice'
  /** Comma-separated values. */
  | 'list'
  /** `key=value,key2=value2`, percent-decoded. */
  | 'pairs'
  /** `host:port`, or a port alone (on 127.0.0.1). */
  | 'host-port'
  /** One of Slack's server-side filters, under `filters`. */
  | 'filter';

export interface Setting {
  /** The option of `SlackIntegrationLogsReceiverOptions` (for standalone rows: of the self-metrics settings). */
  option: string;
  /** Environment variables, the first one set wins: the signal-specific one, then the general one. */
  env: readonly string[];
  kind: SettingKind;
  /** The default, as a person would write it; absent: unset. */
  default?: string;
  /** Inclusive bounds: seconds for durations, the value for integers. */
  min?: number;
  max?: number;
  /** The values allowed (for a list: of each item, in any case). */
  choices?: readonly string[];
  /** For a list: what each item must look like. */
  item?: { pattern: RegExp; is: string };
  /** Appended to the problem of an invalid value: the way out a person may not know. */
  hint?: string;
  /** For `filter`: Slack's argument name. */
  filter?: string;
  /** For `endpoint`: the signal whose path (`/v1/logs`) follows a base URL. */
  signal?: 'logs' | 'metrics';
  /** For `endpoint`: the default of the `grpc` protocol. */
  grpcDefault?: string;
  /**
   * Read only when the receiver runs standalone (the CLI, `--import .../register` without a host
   * MeterProvider), to set up its self-metrics: not an option of the library.
   */
  standalone?: true;
  meaning: string;
}

export const SETTINGS = [
  {
    option: 'token',
    env: ['SLACK_TOKEN'],
    kind: 'secret',
    meaning: 'user OAuth token (`xoxp-`) with the `admin` scope; required unless `SLACK_TOKEN_FILE` or `SLACK_REFRESH_TOKEN`',
  },
  {
    option: 'tokenFile',
    env: ['SLACK_TOKEN_FILE'],
    kind: 'path',
    meaning: 'a file holding the token, re-read when it changes; `SLACK_TOKEN` wins',
  },
  { option: 'refreshToken', env: ['SLACK_REFRESH_TOKEN'], kind: 'secret', meaning: 'token rotation (docs/credentials.md)' },
  { option: 'refreshTokenFile', env: ['SLACK_REFRESH_TOKEN_FILE'], kind: 'path', meaning: 'a file holding it' },
  { option: 'clientId', env: ['SLACK_CLIENT_ID'], kind: 'text', meaning: "the app's client ID" },
  { option: 'clientSecret', env: ['SLACK_CLIENT_SECRET'], kind: 'secret', meaning: "the app's client secret" },
  { option: 'clientSecretFile', env: ['SLACK_CLIENT_SECRET_FILE'], kind: 'path', meaning: 'a file holding it' },
  {
    option: 'slackApiUrl',
    env: ['SLACK_API_URL'],
    kind: 'url',
    default: 'https://slack.com/api/',
    meaning: 'Slack Web API base URL (proxies, tests)',
  },
  {
    option: 'backfillStartTime',
    env: ['SLACK_BACKFILL_START_TIME'],
    kind: 'time',
    meaning:
      "where the first run starts, only when no cursor exists: ISO 8601 date (`2026-01-31`, UTC) or date-time, or Unix seconds; `0`: everything Slack has; unset: the first run's time",
  },
  {
    option: 'cursorFile',
    env: ['SLACK_CURSOR_FILE'],
    kind: 'path',
    default: '.slack-integration-logs/cursor.json',
    meaning: 'the cursor file, relative to the working directory; dead letters and the spool go beside it',
  },
  {
    option: 'pollInterval',
    env: ['SLACK_POLL_INTERVAL'],
    kind: 'duration',
    default: '60s',
    min: 1,
    max: 86_400,
    meaning: 'time between polls (`30s`, `5m`, `1h` or plain seconds)',
  },
  {
    option: 'pageSize',
    env: ['SLACK_PAGE_SIZE'],
    kind: 'integer',
    default: '1000',
    min: 1,
    max: 1000,
    meaning: 'entries requested per page (`count`); Slack may return fewer',
  },
  {
    option: 'retryDeadline',
    env: ['SLACK_RETRY_DEADLINE'],
    kind: 'duration',
    default: '120s',
    min: 0,
    max: 86_400,
    meaning: 'how long one Slack page is retried (5xx, network, 429) before the pass fails',
  },
  {
    option: 'progressInterval',
    env: ['SLACK_PROGRESS_INTERVAL'],
    kind: 'duration',
    default: '10s',
    min: 0,
    max: 86_400,
    meaning: 'on long passes, at most one progress line per interval',
  },
  {
    option: 'inventoryInterval',
    env: ['SLACK_INVENTORY_INTERVAL'],
    kind: 'duration',
    default: '24h',
    min: 0,
    max: 86_400,
    meaning: 'snapshots (docs/inventory.md): first pass, then this often; `0`: none',
  },
  {
    option: 'timestampPolicy',
    env: ['SLACK_TIMESTAMP_POLICY'],
    kind: 'choice',
    choices: ['entry', 'observed'],
    default: 'entry',
    meaning: "`entry`: record time = Slack's `date`; `observed`: the fetch time, Slack's date in `slack.integration.date`",
  },
  {
    option: 'slackTeamIds',
    env: ['SLACK_TEAM_ID'],
    kind: 'list',
    meaning: 'Enterprise Grid, org token: comma-separated team IDs, a cursor file each; `all`: every workspace in `auth.teams.list`',
  },
  {
    option: 'teamExclude',
    env: ['SLACK_TEAM_EXCLUDE'],
    kind: 'list',
    meaning: 'team IDs left out (with `all`)',
  },
  {
    option: 'teamConcurrency',
    env: ['SLACK_TEAM_CONCURRENCY'],
    kind: 'integer',
    default: '8',
    min: 1,
    max: 100,
    meaning: 'teams syncing at once',
  },
  {
    option: 'filters',
    env: ['SLACK_CHANGE_TYPE'],
    kind: 'filter',
    filter: 'change_type',
    meaning: 'only this `change_type`; each filter set keeps a cursor file of its own',
  },
  { option: 'filters', env: ['SLACK_APP_ID'], kind: 'filter', filter: 'app_id', meaning: 'only this `app_id`' },
  { option: 'filters', env: ['SLACK_SERVICE_ID'], kind: 'filter', filter: 'service_id', meaning: 'only this `service_id`' },
  { option: 'filters', env: ['SLACK_USER'], kind: 'filter', filter: 'user', meaning: 'only changes by this user ID' },
  {
    option: 'otlpProtocol',
    env: ['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    kind: 'choice',
    choices: OTLP_PROTOCOLS,
    default: 'http/json',
    meaning: 'the OTLP protocol',
  },
  {
    option: 'otlpEndpoint',
    env: ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    kind: 'endpoint',
    signal: 'logs',
    default: 'http://localhost:4318/v1/logs',
    grpcDefault: 'http://localhost:4317',
    meaning: 'the OTLP logs endpoint (`/v1/logs` after a base URL for HTTP; `grpc`: as is, default `http://localhost:4317`)',
  },
  {
    option: 'otlpHeaders',
    env: ['OTEL_EXPORTER_OTLP_LOGS_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS'],
    kind: 'pairs',
    meaning: 'request headers, `key=value,key2=value2` (percent-decoded)',
  },
  {
    option: 'otlpCompression',
    env: ['OTEL_EXPORTER_OTLP_LOGS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'],
    kind: 'choice',
    choices: ['gzip', 'none'],
    default: 'none',
    meaning: 'request compression',
  },
  {
    option: 'otlpTimeoutMillis',
    env: ['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    kind: 'integer',
    default: '10000',
    min: 1,
    max: 3_600_000,
    meaning: 'export timeout, milliseconds; the exporter retries 429/502/503/504 within it',
  },
  {
    option: 'healthEndpoint',
    env: ['SLACK_HEALTH_ENDPOINT'],
    kind: 'host-port',
    meaning: '`host:port` of `/healthz` and `/readyz` while polling (a port alone: 127.0.0.1; docs/operations.md)',
  },
  {
    option: 'serviceName',
    env: ['OTEL_SERVICE_NAME'],
    kind: 'text',
    default: 'slack-integration-logs',
    meaning: 'resource `service.name` (unset: the one in `OTEL_RESOURCE_ATTRIBUTES`, then the default)',
  },
  { option: 'resourceAttributes', env: ['OTEL_RESOURCE_ATTRIBUTES'], kind: 'pairs', meaning: 'resource attributes, `key=value,...`' },
  {
    option: 'metricsExporter',
    env: ['OTEL_METRICS_EXPORTER'],
    kind: 'list',
    choices: ['otlp', 'console', 'none'],
    hint: 'for Prometheus, let the collector expose the metrics',
    default: 'otlp',
    standalone: true,
    meaning: 'standalone only: where the self-metrics go, comma-separated; a host MeterProvider always wins',
  },
  {
    option: 'metricExportIntervalMillis',
    env: ['OTEL_METRIC_EXPORT_INTERVAL'],
    kind: 'integer',
    default: '60000',
    min: 1,
    max: 86_400_000,
    standalone: true,
    meaning: 'standalone only: milliseconds between self-metrics exports (and one at exit)',
  },
  {
    option: 'metricExportTimeoutMillis',
    env: ['OTEL_METRIC_EXPORT_TIMEOUT'],
    kind: 'integer',
    default: '30000',
    min: 1,
    max: 86_400_000,
    standalone: true,
    meaning: 'standalone only: self-metrics export timeout, milliseconds (at most the interval)',
  },
  {
    option: 'metricsProtocol',
    env: ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    kind: 'choice',
    choices: OTLP_PROTOCOLS,
    standalone: true,
    meaning: "standalone only: the self-metrics' OTLP protocol; unset: the records' protocol",
  },
  {
    option: 'metricsEndpoint',
    env: ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    kind: 'endpoint',
    signal: 'metrics',
    default: 'http://localhost:4318/v1/metrics',
    grpcDefault: 'http://localhost:4317',
    standalone: true,
    meaning: "standalone only: the self-metrics' endpoint (`/v1/metrics` after a base URL); unset: the records' collector",
  },
] as const satisfies readonly Setting[];

type Spec = (typeof SETTINGS)[number];

/** An option (or standalone setting) of the table. */
type SettingName = Spec['option'];
/** The table row of a setting (the first, for `filters`). */
export type RowOf<O extends SettingName> = Extract<Spec, { option: O }>;

/** The table row of a setting (the first, for `filters`). */
export function settingOf<O extends SettingName>(option: O): RowOf<O> {
  const row = SETTINGS.find((s): s is RowOf<O> => s.option === option);
  if (!row) throw new Error(`no setting ${option}`);
  return row;
}

/** Variable names as a person reads them: the general one, then the one that wins over it. */
export function envLabel(setting: Setting): string {
  const [first, ...rest] = setting.env;
  return rest.length === 0 ? first! : `${rest.at(-1)} (${first} wins)`;
}

/** The range as a person reads it, or `''`. */
export function rangeOf(setting: Setting): string {
  if (setting.choices) return setting.choices.join(', ');
  if (setting.min === undefined || setting.max === undefined) return '';
  return setting.kind === 'duration' ? `${setting.min}s to ${setting.max / 3600}h` : `${setting.min} to ${setting.max}`;
}
