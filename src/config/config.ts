import { readFileSync } from 'node:fs';
import type { SlackIntegrationLogFilters, TimestampPolicy } from '../core/types.js';
import { ConfigError } from '../core/errors.js';
import type { HealthEndpoint } from './health-endpoint.js';
import { KINDS, withSignalPath } from './kinds.js';
import type { SlackIntegrationLogsReceiverOptions } from './options.js';
import type { OtlpProtocol, OtlpSettings } from './otlp.js';
import { SettingsReader, type Env } from './reader.js';
import { SETTINGS, envLabel, rangeOf, settingOf, type RowOf, type Setting } from './settings.js';
import { resolveRotation, rotationRequested, type RotationConfig } from './rotation.js';

/**
 * Settings: options and environment variables -> validated config with defaults, by the table
 * (settings.ts) and its one precedence rule. Every problem is collected and reported at once
 * (ConfigError), before any request is made.
 */

const ROWS: readonly Setting[] = SETTINGS;

/** Every environment variable read, with its default, for `--help` and the README (from `SETTINGS`). */
export const ENV_VARS: ReadonlyArray<{ name: string; default: string; meaning: string }> = ROWS.map((s) => {
  const range = rangeOf(s);
  return {
    name: envLabel(s),
    default: s.default ?? (s.option === 'token' ? '(required)' : '(unset)'),
    meaning: `${s.meaning.replace(/`/g, '')}${range ? ` [${s.kind === 'choice' ? 'one of' : 'range'}: ${range}]` : ''}`,
  };
});

export interface ResolvedConfig {
  /** The token (`SLACK_TOKEN`, or `SLACK_TOKEN_FILE`'s content at start); with rotation, the first access token, if given. */
  token?: string;
  /** The file the token came from: re-read when it changes. */
  tokenFile?: string;
  /** Token rotation's settings, when given. */
  rotation?: RotationConfig;
  slackApiUrl: string;
  /** Unix seconds. */
  backfillStart: number;
  /** Whether SLACK_BACKFILL_START_TIME was set (not the default "now"). */
  backfillStartExplicit: boolean;
  cursorFile: string;
  pollIntervalMs: number;
  pageSize: number;
  retryDeadlineMs: number;
  progressIntervalMs: number;
  /** Full inventory snapshots this often (the first at the first pass); 0: no snapshots. */
  inventoryIntervalMs: number;
  timestampPolicy: TimestampPolicy;
  /** Empty: the token's own workspace, no `team_id` sent. */
  teamIds: string[];
  /** `SLACK_TEAM_ID=all`: the teams are those `auth.teams.list` lists (`teamIds` is empty then). */
  allTeams: boolean;
  /** Team IDs never polled. */
  teamExclude: string[];
  /** Teams syncing at once. */
  teamConcurrency: number;
  filters: SlackIntegrationLogFilters;
  otlp: OtlpSettings;
  /** Where `/healthz` and `/readyz` are served while polling; absent: nowhere. */
  healthEndpoint?: HealthEndpoint;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  /** Things that work but look wrong (a token that is not `xoxp-`). */
  warnings: string[];
}

export type MetricsExporterName = 'otlp' | 'console';

/**
 * Where the self-metrics go when the receiver runs standalone. Headers, timeout, compression, TLS
 * and temporality (`OTEL_EXPORTER_OTLP_METRICS_*`) are read by the OTLP metric exporter itself;
 * these are what it cannot decide: which exporter, how often, and the endpoint, which falls back to
 * the records' collector.
 */
export interface SelfMetricsSettings {
  /** Empty: `OTEL_METRICS_EXPORTER=none`, nothing is set up. */
  exporters: MetricsExporterName[];
  exportIntervalMillis: number;
  /** At most the interval: the SDK refuses a longer one, and the spec says to clamp it. */
  exportTimeoutMillis: number;
  otlp: { protocol: OtlpProtocol; url: string };
}

/** What a standalone run reads. */
export interface Settings {
  receiver: ResolvedConfig;
  /** Absent when not read (a host MeterProvider takes the self-metrics). */
  selfMetrics?: SelfMetricsSettings;
}

/** The environment that `SlackIntegrationLogsReceiver.fromEnv` reads, under the options given with it. */
const ENVIRONMENT = Symbol('environment');
type OptionsWithEnv = SlackIntegrationLogsReceiverOptions & { readonly [ENVIRONMENT]?: Env };

/** Options that stand for `env`: `resolveConfig` reads each setting from options spread over them first, then from `env`. */
export function optionsFromEnv(env: Env): SlackIntegrationLogsReceiverOptions {
  const options: OptionsWithEnv = { [ENVIRONMENT]: env };
  return options;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Validates options (and the environment of `optionsFromEnv` under them) and fills defaults.
 * @param now Unix seconds used when no backfill start is set.
 * @throws ConfigError listing every problem.
 */
export function resolveConfig(options: OptionsWithEnv, now = nowSeconds()): ResolvedConfig {
  const reader = new SettingsReader(options, options[ENVIRONMENT] ?? {});
  const config = readReceiver(reader, now);
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return config;
}

export interface SettingsReading {
  /** Absent when one of the receiver's settings is invalid. */
  receiver?: ResolvedConfig;
  /** Absent when not read, or when one of its settings is invalid. */
  selfMetrics?: SelfMetricsSettings;
  /** Every problem, each once, one line each. */
  problems: string[];
}

/**
 * Every setting from the environment: the receiver's, and the standalone ones (self-metrics) unless
 * a host MeterProvider takes the self-metrics (`standalone: false`).
 */
export function readSettings(env: Env, { standalone = true, now = nowSeconds() } = {}): SettingsReading {
  const reader = new SettingsReader({}, env);
  const receiver = readReceiver(reader, now);
  const receiverProblems = reader.problems.length;
  const selfMetrics = standalone ? readSelfMetrics(reader, receiver) : undefined;
  return {
    receiver: receiverProblems === 0 ? receiver : undefined,
    selfMetrics: reader.problems.length === receiverProblems ? selfMetrics : undefined,
    // OTEL_EXPORTER_OTLP_PROTOCOL is read for both signals: its problem is said once.
    problems: [...new Set(reader.problems)],
  };
}

/**
 * The one entry of a standalone run (the CLI, `--import .../register`): every setting checked at
 * once, the self-metrics' included.
 * @throws ConfigError listing every problem.
 */
export function settingsFromEnv(env: Env, options: { standalone?: boolean; now?: number } = {}): Settings {
  const { receiver, selfMetrics, problems } = readSettings(env, options);
  if (!receiver || problems.length > 0) throw new ConfigError(problems);
  return { receiver, selfMetrics };
}

function readReceiver(r: SettingsReader, now: number): ResolvedConfig {
  const warnings: string[] = [];
  const rotation = resolveRotation(r, warnings);
  const { token, tokenFile } = readToken(r, warnings, rotationRequested(r));
  const duration = (option: 'pollInterval' | 'retryDeadline' | 'progressInterval' | 'inventoryInterval') =>
    r.readOrDefault(settingOf(option), KINDS.duration(settingOf(option)));
  const integer = (option: 'pageSize' | 'otlpTimeoutMillis') => r.readOrDefault(settingOf(option), KINDS.integer(settingOf(option)));
  const backfill = settingOf('backfillStartTime');
  const backfillStart = r.read(backfill, KINDS.time, (s) =>
    s > now + 86_400
      ? `is in the future${s > 1e11 ? ' (milliseconds? it takes Unix seconds)' : ''}: nothing would ever be exported`
      : undefined,
  );
  const protocol = r.readOrDefault(settingOf('otlpProtocol'), KINDS.choice(settingOf('otlpProtocol')));
  const resourceAttributes = r.read(settingOf('resourceAttributes'), KINDS.pairs) ?? {};
  return {
    ...(token ? { token } : {}),
    ...(tokenFile ? { tokenFile } : {}),
    ...(rotation ? { rotation } : {}),
    slackApiUrl: r.readOrDefault(settingOf('slackApiUrl'), KINDS.url),
    backfillStart: backfillStart ?? now,
    backfillStartExplicit: r.source(backfill) !== undefined,
    cursorFile: r.readOrDefault(settingOf('cursorFile'), KINDS.path),
    pollIntervalMs: duration('pollInterval'),
    pageSize: integer('pageSize'),
    retryDeadlineMs: duration('retryDeadline'),
    progressIntervalMs: duration('progressInterval'),
    inventoryIntervalMs: duration('inventoryInterval'),
    timestampPolicy: r.readOrDefault(settingOf('timestampPolicy'), KINDS.choice(settingOf('timestampPolicy'))),
    ...readTeams(r, warnings),
    teamConcurrency: r.readOrDefault(settingOf('teamConcurrency'), KINDS.integer(settingOf('teamConcurrency'))),
    filters: readFilters(r),
    otlp: {
      protocol,
      url: readEndpoint(r, settingOf('otlpEndpoint'), protocol) ?? defaultEndpoint(settingOf('otlpEndpoint'), protocol),
      headers: r.read(settingOf('otlpHeaders'), KINDS.pairs) ?? {},
      timeoutMillis: integer('otlpTimeoutMillis'),
      compression: r.readOrDefault(settingOf('otlpCompression'), KINDS.choice(settingOf('otlpCompression'))),
    },
    healthEndpoint: r.read(settingOf('healthEndpoint'), KINDS['host-port']),
    serviceName:
      r.read(settingOf('serviceName'), KINDS.text) ??
      resourceAttributes['service.name'] ??
      KINDS.text.parse(settingOf('serviceName').default),
    resourceAttributes,
    warnings,
  };
}

/** The token and the file it came from; with token rotation (`rotating`), it may be absent. */
function readToken(r: SettingsReader, warnings: string[], rotating: boolean): { token?: string; tokenFile?: string } {
  let token = r.read(settingOf('token'), KINDS.secret)?.trim();
  const file = r.read(settingOf('tokenFile'), KINDS.path);
  let tokenFile: string | undefined;
  if (token && file) {
    warnings.push('SLACK_TOKEN and SLACK_TOKEN_FILE are both set: SLACK_TOKEN is used');
  }
  if (!token && file && /xox[a-z]/i.test(file)) {
    // Never echo it: it is the token itself, put in the wrong variable.
    r.problems.push(
      'SLACK_TOKEN_FILE holds what looks like a token, not a file path: put the token in SLACK_TOKEN, or its file path in SLACK_TOKEN_FILE',
    );
  } else if (!token && file) {
    try {
      token = readFileSync(file, 'utf8').trim();
      tokenFile = file;
      if (!token) r.problems.push(`SLACK_TOKEN_FILE ${file} is empty`);
    } catch (e) {
      r.problems.push(`SLACK_TOKEN_FILE ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (!token && !rotating) {
    r.problems.push(
      'SLACK_TOKEN is not set: set SLACK_TOKEN (or SLACK_TOKEN_FILE) to a user token (xoxp-) with the admin scope, or run with --demo',
    );
  }
  if (token && !/^[\x21-\x7e]+$/.test(token)) {
    r.problems.push('the Slack token holds spaces, line breaks or non-ASCII characters: copy the token again, alone');
  } else if (token && !/^(xoxe\.)?xoxp-/.test(token)) {
    warnings.push('the Slack token does not start with xoxp-: team.integrationLogs needs a user token with the admin scope');
  }
  return token ? { token, ...(tokenFile ? { tokenFile } : {}) } : {};
}

/** `SLACK_TEAM_ID`: a list, or `all` alone; and the teams excluded. */
function readTeams(r: SettingsReader, warnings: string[]): Pick<ResolvedConfig, 'teamIds' | 'allTeams' | 'teamExclude'> {
  const ids = r.list(settingOf('slackTeamIds'), (items) =>
    items.length > 1 && items.some((item) => item.toLowerCase() === 'all')
      ? 'is refused: all cannot be combined with team IDs; use all alone, and SLACK_TEAM_EXCLUDE for the teams to leave out'
      : undefined,
  );
  const teamExclude = r.list(settingOf('teamExclude'));
  const allTeams = ids.length === 1 && ids[0]!.toLowerCase() === 'all';
  if (teamExclude.length > 0 && !allTeams) {
    warnings.push('SLACK_TEAM_EXCLUDE is set without SLACK_TEAM_ID=all: the teams it names are left out of SLACK_TEAM_ID');
  }
  const excluded = new Set(teamExclude);
  return { teamIds: allTeams ? [] : ids.filter((id) => !excluded.has(id)), allTeams, teamExclude };
}

function readFilters(r: SettingsReader): SlackIntegrationLogFilters {
  const filters: SlackIntegrationLogFilters = {};
  for (const row of SETTINGS) {
    if (row.kind !== 'filter') continue;
    const value = r.read(row, KINDS.filter);
    if (value !== undefined) filters[row.filter] = value;
  }
  return filters;
}

type EndpointRow = RowOf<'otlpEndpoint' | 'metricsEndpoint'>;

/** The endpoint set (a base URL from the general variable gets the signal's path for HTTP), or undefined. */
function readEndpoint(r: SettingsReader, row: EndpointRow, protocol: OtlpProtocol): string | undefined {
  const source = r.source(row);
  const url = source && r.parse(row, source, KINDS.endpoint);
  if (source === undefined || url === undefined) return undefined;
  return source.general && protocol !== 'grpc' ? withSignalPath(url, row.signal) : url;
}

const defaultEndpoint = (row: EndpointRow, protocol: OtlpProtocol) => (protocol === 'grpc' ? row.grpcDefault : row.default);

function readSelfMetrics(r: SettingsReader, receiver: ResolvedConfig): SelfMetricsSettings {
  const names = r.list(settingOf('metricsExporter'), (items) =>
    items.length > 1 && items.some((item) => item.toLowerCase() === 'none')
      ? 'is refused: none cannot be combined with other exporters; use none alone'
      : undefined,
  );
  const integer = (option: 'metricExportIntervalMillis' | 'metricExportTimeoutMillis') =>
    r.readOrDefault(settingOf(option), KINDS.integer(settingOf(option)));
  const exportIntervalMillis = integer('metricExportIntervalMillis');
  const exportTimeoutMillis = Math.min(exportIntervalMillis, integer('metricExportTimeoutMillis'));
  const protocol = r.read(settingOf('metricsProtocol'), KINDS.choice(settingOf('metricsProtocol'))) ?? receiver.otlp.protocol;
  const row = settingOf('metricsEndpoint');
  // Unset, and the records' endpoint set: the metrics go to the records' collector.
  const inherited =
    r.source(settingOf('otlpEndpoint')) && URL.canParse(receiver.otlp.url) ? metricsUrlOf(receiver.otlp.url, protocol) : undefined;
  const url = readEndpoint(r, row, protocol) ?? (r.source(row) ? undefined : inherited) ?? defaultEndpoint(row, protocol);
  return {
    exporters: names.filter((name): name is MetricsExporterName => name === 'otlp' || name === 'console'),
    exportIntervalMillis,
    exportTimeoutMillis,
    otlp: { protocol, url },
  };
}

/** The metrics URL of the records' collector: `/v1/metrics` for `/v1/logs` over HTTP, the same URL for gRPC. */
function metricsUrlOf(logsUrl: string, protocol: OtlpProtocol): string {
  if (protocol === 'grpc') return logsUrl;
  const url = new URL(logsUrl);
  url.pathname = /\/v1\/logs\/?$/.test(url.pathname) ? url.pathname.replace(/\/v1\/logs\/?$/, '/v1/metrics') : '/v1/metrics';
  return url.href;
}
