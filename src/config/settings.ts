/**
 * Every setting, once: its option, its environment variables, its type, default, range and
 * meaning. The environment parser, the validation's defaults and ranges, `ENV_VARS`, `--help`,
 * the option types (`SettingOptions`) and the README's settings table (checked by a test) all
 * read this table.
 */

/** How a setting's value is read and checked. */
export type SettingKind =
  /** A token or client secret: never echoed. */
  | 'secret'
  | 'text'
  | 'path'
  | 'url'
  /** A base URL: `/v1/logs` is appended for the HTTP protocols (the spec's rule). */
  | 'base-url'
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
  /** One of Slack's server-side filters, under `filters`. */
  | 'filter';

export interface Setting {
  /** The option of `SlackIntegrationLogsReceiverOptions`. */
  option: string;
  /** Environment variables, the first one set wins. */
  env: readonly string[];
  kind: SettingKind;
  /** The default, as a person would write it; absent: unset. */
  default?: string;
  /** Inclusive bounds: seconds for durations, the value for integers. */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** For `filter`: Slack's argument name. */
  filter?: string;
  /** For the OTLP base URL: the default of the `grpc` protocol. */
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
  {
    option: 'refreshToken',
    env: ['SLACK_REFRESH_TOKEN'],
    kind: 'secret',
    meaning: 'token rotation (docs/credentials.md)',
  },
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
    meaning:
      'Enterprise Grid, org-level token: comma-separated team IDs, each polled with its own client, cursor file and Resource (`slack.team.id`)',
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
    choices: ['http/json', 'http/protobuf', 'grpc'],
    default: 'http/json',
    meaning: 'the OTLP protocol',
  },
  { option: 'otlpEndpoint', env: ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'], kind: 'url', meaning: 'the OTLP logs endpoint, used as is' },
  {
    option: 'otlpEndpoint',
    env: ['OTEL_EXPORTER_OTLP_ENDPOINT'],
    kind: 'base-url',
    default: 'http://localhost:4318',
    grpcDefault: 'http://localhost:4317',
    meaning: 'OTLP base URL: `/v1/logs` is appended for HTTP; used as is for `grpc` (default `http://localhost:4317`)',
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
    kind: 'text',
    meaning: '`host:port` of `GET /healthz` and `GET /readyz` while polling (a port alone: 127.0.0.1); see docs/operations.md',
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
    env: ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'],
    kind: 'choice',
    choices: ['http/json', 'http/protobuf', 'grpc'],
    standalone: true,
    meaning: "standalone only: the self-metrics' OTLP protocol; unset: `OTEL_EXPORTER_OTLP_PROTOCOL`, then the records' protocol",
  },
  {
    option: 'metricsEndpoint',
    env: ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'],
    kind: 'url',
    standalone: true,
    meaning:
      "standalone only: the self-metrics URL; unset: the base URL + `/v1/metrics`, else the records' collector; headers, timeout and compression: `OTEL_EXPORTER_OTLP_METRICS_*`, read by the exporter",
  },
] as const satisfies readonly Setting[];

type Spec = (typeof SETTINGS)[number];

type ValueOf<S extends Spec> = S extends { kind: 'choice'; choices: readonly (infer C)[] }
  ? C
  : S extends { kind: 'time' }
    ? Date | number | string
    : S extends { kind: 'duration' }
      ? number | string
      : S extends { kind: 'integer' }
        ? number
        : S extends { kind: 'list' }
          ? string[]
          : S extends { kind: 'pairs' }
            ? Record<string, string>
            : S extends { kind: 'filter' }
              ? { [F in Extract<Spec, { kind: 'filter' }>['filter']]?: string }
              : string;

/** The options that mirror an environment variable, typed from the table (standalone-only rows are no options). */
export type SettingOptions = { [S in Spec as S extends { standalone: true } ? never : S['option']]?: ValueOf<S> };

/** The table row of an option (the first, for options read from two variables). */
export function settingOf(option: Spec['option']): Setting {
  return SETTINGS.find((s) => s.option === option)!;
}

/** `60s` of `pollInterval`, `1000` of `pageSize`...: the default as the table writes it. */
export function defaultOf(option: Spec['option']): string | undefined {
  return (SETTINGS as readonly Setting[]).find((s) => s.option === option && s.default !== undefined)?.default;
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
