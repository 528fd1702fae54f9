import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseHealthEndpoint, type HealthEndpoint } from './health/endpoint.js';
import type { SlackIntegrationLogFilters, SlackIntegrationLogsReceiverOptions, TimestampPolicy } from './types.js';

/**
 * Settings: environment variables -> options -> validated config with defaults. Every problem is
 * collected and reported at once (ConfigError), before any request is made.
 */

export const DEFAULTS = {
  slackApiUrl: 'https://slack.com/api/',
  cursorFile: '.slack-integration-logs/cursor.json',
  pollIntervalSeconds: 60,
  pageSize: 1000,
  retryDeadlineSeconds: 120,
  timestampPolicy: 'entry' as TimestampPolicy,
  otlpEndpoint: 'http://localhost:4318/v1/logs',
  otlpTimeoutMillis: 10_000,
  serviceName: 'slack-integration-logs',
} as const;

/** Every environment variable read, with its default, for `--help` and the README. */
export const ENV_VARS: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'SLACK_TOKEN', default: '(required)', meaning: 'user OAuth token (xoxp-) with the admin scope; required unless SLACK_TOKEN_FILE' },
  { name: 'SLACK_TOKEN_FILE', default: '(unset)', meaning: 'file holding the token; surrounding whitespace ignored' },
  { name: 'SLACK_API_URL', default: DEFAULTS.slackApiUrl, meaning: 'Slack Web API base URL' },
  { name: 'SLACK_BACKFILL_START_TIME', default: '(first run time)', meaning: 'ISO 8601 date or date-time, or Unix seconds; only when no cursor exists; 0 = everything Slack has' },
  { name: 'SLACK_CURSOR_FILE', default: DEFAULTS.cursorFile, meaning: 'cursor file path (relative to the working directory)' },
  { name: 'SLACK_POLL_INTERVAL', default: '60s', meaning: 'time between polls: 30s, 5m, 1h or plain seconds; 1s to 24h' },
  { name: 'SLACK_PAGE_SIZE', default: String(DEFAULTS.pageSize), meaning: 'entries requested per page (count), 1-1000' },
  { name: 'SLACK_RETRY_DEADLINE', default: '120s', meaning: 'how long one Slack page is retried (5xx, network, 429) before the pass fails; OTLP retries follow OTEL_EXPORTER_OTLP_TIMEOUT' },
  { name: 'SLACK_TEAM_ID', default: '(unset)', meaning: 'Enterprise Grid: comma-separated team IDs, polled concurrently, one cursor file each' },
  { name: 'SLACK_CHANGE_TYPE', default: '(unset)', meaning: 'filter: only this change_type (sent on every page; own cursor file)' },
  { name: 'SLACK_APP_ID', default: '(unset)', meaning: 'filter: only this app_id (own cursor file)' },
  { name: 'SLACK_SERVICE_ID', default: '(unset)', meaning: 'filter: only this service_id (own cursor file)' },
  { name: 'SLACK_USER', default: '(unset)', meaning: 'filter: only changes by this user ID (own cursor file)' },
  { name: 'SLACK_PROGRESS_INTERVAL', default: '10s', meaning: 'on long passes, at most one progress line (pages read, entries left) per interval' },
  { name: 'SLACK_TIMESTAMP_POLICY', default: DEFAULTS.timestampPolicy, meaning: 'entry: record time = Slack date; observed: record time = fetch time, Slack date in slack.integration.date' },
  { name: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', default: '(unset)', meaning: 'full OTLP/HTTP logs URL, used as is' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', meaning: 'OTLP/HTTP base URL; /v1/logs is appended' },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', default: '(none)', meaning: 'key=value,... request headers (OTEL_EXPORTER_OTLP_LOGS_HEADERS wins)' },
  { name: 'OTEL_EXPORTER_OTLP_COMPRESSION', default: 'none', meaning: 'gzip or none (OTEL_EXPORTER_OTLP_LOGS_COMPRESSION wins)' },
  { name: 'OTEL_EXPORTER_OTLP_TIMEOUT', default: '10000', meaning: 'export timeout, milliseconds (OTEL_EXPORTER_OTLP_LOGS_TIMEOUT wins)' },
  { name: 'OTEL_SERVICE_NAME', default: DEFAULTS.serviceName, meaning: 'resource service.name (unset: service.name from OTEL_RESOURCE_ATTRIBUTES, then the default)' },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', default: '(none)', meaning: 'key=value,... resource attributes' },
  { name: 'SLACK_HEALTH_ENDPOINT', default: '(off)', meaning: 'host:port of GET /healthz and /readyz while polling; a port alone listens on 127.0.0.1' },
];

/** Invalid settings. `problems` lists each one; the message joins them on one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

export interface ResolvedConfig {
  token: string;
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
  timestampPolicy: TimestampPolicy;
  /** Empty: the token's own workspace, no `team_id` sent. */
  teamIds: string[];
  filters: SlackIntegrationLogFilters;
  otlp: { url: string; headers: Record<string, string>; timeoutMillis: number; compression: 'gzip' | 'none' };
  serviceName: string;
  resourceAttributes: Record<string, string>;
  healthEndpoint?: HealthEndpoint;
  /** Things that work but look wrong (a token that is not `xoxp-`). */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

/** Maps environment variables to options. Values stay strings; `resolveConfig` validates them. */
export function optionsFromEnv(env: Env): SlackIntegrationLogsReceiverOptions {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const otlpBase = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  return {
    token: env.SLACK_TOKEN,
    tokenFile: get('SLACK_TOKEN_FILE'),
    slackApiUrl: get('SLACK_API_URL'),
    backfillStartTime: get('SLACK_BACKFILL_START_TIME'),
    cursorFile: get('SLACK_CURSOR_FILE'),
    pollInterval: get('SLACK_POLL_INTERVAL'),
    pageSize: get('SLACK_PAGE_SIZE') as unknown as number,
    retryDeadline: get('SLACK_RETRY_DEADLINE'),
    progressInterval: get('SLACK_PROGRESS_INTERVAL'),
    timestampPolicy: get('SLACK_TIMESTAMP_POLICY') as TimestampPolicy | undefined,
    slackTeamIds: get('SLACK_TEAM_ID')
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    filters: dropUndefined({
      change_type: get('SLACK_CHANGE_TYPE'),
      app_id: get('SLACK_APP_ID'),
      service_id: get('SLACK_SERVICE_ID'),
      user: get('SLACK_USER'),
    }),
    otlpEndpoint: get('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT') ?? (otlpBase ? withLogsPath(otlpBase) : undefined),
    otlpHeaders: parseKeyValues(get('OTEL_EXPORTER_OTLP_LOGS_HEADERS') ?? get('OTEL_EXPORTER_OTLP_HEADERS')),
    otlpTimeoutMillis: (get('OTEL_EXPORTER_OTLP_LOGS_TIMEOUT') ?? get('OTEL_EXPORTER_OTLP_TIMEOUT')) as unknown as number,
    otlpCompression: (get('OTEL_EXPORTER_OTLP_LOGS_COMPRESSION') ?? get('OTEL_EXPORTER_OTLP_COMPRESSION')) as 'gzip' | undefined,
    serviceName: get('OTEL_SERVICE_NAME'),
    resourceAttributes: parseKeyValues(get('OTEL_RESOURCE_ATTRIBUTES')),
    healthEndpoint: get('SLACK_HEALTH_ENDPOINT'),
  };
}

/** The spec's signal path appended to the base URL's path (a query string stays a query string). */
function withLogsPath(base: string): string {
  try {
    const url = new URL(base);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/logs`;
    return url.toString();
  } catch {
    return `${base.replace(/\/+$/, '')}/v1/logs`; // invalid: reported by resolveConfig
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `key=value,key2=value2`, percent-decoded, as the OTel spec defines for headers and resource attributes. */
export function parseKeyValues(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.trim());
      } catch {
        return s.trim();
      }
    };
    out[decode(pair.slice(0, at))] = decode(pair.slice(at + 1));
  }
  return out;
}

/** Seconds from `30s`, `5m`, `1h`, `250ms`, plain seconds (`"60"`) or a number of seconds. */
export function parseDurationSeconds(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
}

/** Unix seconds from a Date, a number of seconds, digits, or an ISO 8601 date / date-time. */
export function parseBackfillStart(value: Date | number | string): number | undefined {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? undefined : Math.floor(value.getTime() / 1000);
  }
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) return undefined;
  // A date alone, or a date-time without an offset, is read as UTC: a server's local zone must not move the start.
  const iso = /[T ]\d{2}:\d{2}.*(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : /[T ]/.test(text) ? `${text}Z` : `${text}T00:00:00Z`;
  const ms = Date.parse(iso.replace(' ', 'T'));
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: a date that does not exist is an error, not a guess.
  const [y, mo, d] = text.slice(0, 10).split('-').map(Number);
  const check = new Date(Date.UTC(y!, mo! - 1, d!));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d) return undefined;
  return Math.floor(ms / 1000);
}

const httpUrl = z.url({ protocol: /^https?$/ });



/**
 * Validates options and fills defaults.
 * @param now Unix seconds used when no backfill start is set.
 * @throws ConfigError listing every problem.
 */
export function resolveConfig(options: SlackIntegrationLogsReceiverOptions, now = Math.floor(Date.now() / 1000)): ResolvedConfig {
  const problems: string[] = [];
  const warnings: string[] = [];

  let token = options.token?.trim();
  if (token && options.tokenFile) {
    warnings.push('SLACK_TOKEN and SLACK_TOKEN_FILE are both set: SLACK_TOKEN is used');
  }
  if (!token && options.tokenFile && /xox[a-z]/i.test(options.tokenFile)) {
    // Never echo it: it is the token itself, put in the wrong variable.
    problems.push('SLACK_TOKEN_FILE holds what looks like a token, not a file path: put the token in SLACK_TOKEN, or its file path in SLACK_TOKEN_FILE');
  } else if (!token && options.tokenFile) {
    try {
      token = readFileSync(options.tokenFile, 'utf8').trim();
      if (!token) problems.push(`SLACK_TOKEN_FILE ${options.tokenFile} is empty`);
    } catch (e) {
      problems.push(`SLACK_TOKEN_FILE ${options.tokenFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (!token) {
    problems.push('SLACK_TOKEN is not set: set SLACK_TOKEN (or SLACK_TOKEN_FILE) to a user token (xoxp-) with the admin scope, or run with --demo');
  }
  if (token && !/^[\x21-\x7e]+$/.test(token)) {
    problems.push('the Slack token holds spaces, line breaks or non-ASCII characters: copy the token again, alone');
  } else if (token && !/^(xoxe\.)?xoxp-/.test(token)) {
    warnings.push('the Slack token does not start with xoxp-: team.integrationLogs needs a user token with the admin scope');
  }

  const slackApiUrl = options.slackApiUrl ?? DEFAULTS.slackApiUrl;
  if (!httpUrl.safeParse(slackApiUrl).success) {
    problems.push(`SLACK_API_URL ${JSON.stringify(slackApiUrl)} is not an http(s) URL`);
  }

  let backfillStart = now;
  if (options.backfillStartTime !== undefined) {
    const parsed = parseBackfillStart(options.backfillStartTime);
    if (parsed !== undefined && parsed > now + 86_400) {
      problems.push(
        `SLACK_BACKFILL_START_TIME ${JSON.stringify(String(options.backfillStartTime))} is in the future${parsed > 1e11 ? ' (milliseconds? it takes Unix seconds)' : ''}: nothing would ever be exported`,
      );
    } else if (parsed === undefined) {
      problems.push(
        `SLACK_BACKFILL_START_TIME ${JSON.stringify(String(options.backfillStartTime))} is not an ISO 8601 date (2026-01-31), date-time (2026-01-31T12:00:00Z) or Unix seconds`,
      );
    } else {
      backfillStart = parsed;
    }
  }

  // At most a day: longer waits overflow Node's timers (which then fire at once).
  const seconds = (name: string, value: number | string | undefined, fallback: number, min: number, max = 86_400) => {
    if (value === undefined) return fallback;
    const s = parseDurationSeconds(value);
    if (s === undefined || s < min || s > max) {
      problems.push(`${name} ${JSON.stringify(String(value))} is not a duration from ${min}s to ${max / 3600}h (e.g. 30s, 5m, or plain seconds)`);
      return fallback;
    }
    return s;
  };
  const pollIntervalSeconds = seconds('SLACK_POLL_INTERVAL', options.pollInterval, DEFAULTS.pollIntervalSeconds, 1);
  const retryDeadlineSeconds = seconds('SLACK_RETRY_DEADLINE', options.retryDeadline, DEFAULTS.retryDeadlineSeconds, 0);
  const progressIntervalSeconds = seconds('SLACK_PROGRESS_INTERVAL', options.progressInterval, 10, 0);

  const int = (name: string, value: unknown, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} ${JSON.stringify(String(value))} is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const pageSize = int('SLACK_PAGE_SIZE', options.pageSize, DEFAULTS.pageSize, 1, 1000);
  const otlpTimeoutMillis = int('OTEL_EXPORTER_OTLP_TIMEOUT', options.otlpTimeoutMillis, DEFAULTS.otlpTimeoutMillis, 1, 3_600_000);

  const timestampPolicy = options.timestampPolicy ?? DEFAULTS.timestampPolicy;
  if (timestampPolicy !== 'entry' && timestampPolicy !== 'observed') {
    problems.push(`SLACK_TIMESTAMP_POLICY ${JSON.stringify(timestampPolicy)} is neither entry nor observed`);
  }

  const otlpUrl = options.otlpEndpoint ?? DEFAULTS.otlpEndpoint;
  if (!httpUrl.safeParse(otlpUrl).success) {
    problems.push(`OTLP endpoint ${JSON.stringify(otlpUrl)} (OTEL_EXPORTER_OTLP_ENDPOINT / _LOGS_ENDPOINT) is not an http(s) URL`);
  }
  const compression = options.otlpCompression ?? 'none';
  if (compression !== 'gzip' && compression !== 'none') {
    problems.push(`OTEL_EXPORTER_OTLP_COMPRESSION ${JSON.stringify(compression)} is neither gzip nor none`);
  }

  const teamIds = [...new Set(options.slackTeamIds ?? [])];
  for (const team of teamIds) {
    if (!/^[A-Z0-9]{2,32}$/i.test(team)) problems.push(`SLACK_TEAM_ID ${JSON.stringify(team)} is not a Slack team ID (like T0123ABCD)`);
  }
  const filters = dropUndefined({ ...options.filters });
  for (const [key, value] of Object.entries(filters)) {
    if (typeof value !== 'string' || value.trim() === '' || /[\r\n]/.test(value)) {
      problems.push(`filter ${key} ${JSON.stringify(value)} is not a plain value`);
    }
  }

  const health = options.healthEndpoint === undefined ? {} : parseHealthEndpoint(String(options.healthEndpoint));
  if (health.problem) problems.push(health.problem);

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const resourceAttributes = { ...options.resourceAttributes };
  return {
    token: token!,
    slackApiUrl,
    backfillStart,
    backfillStartExplicit: options.backfillStartTime !== undefined,
    cursorFile: options.cursorFile ?? DEFAULTS.cursorFile,
    pollIntervalMs: pollIntervalSeconds * 1000,
    pageSize,
    retryDeadlineMs: retryDeadlineSeconds * 1000,
    progressIntervalMs: progressIntervalSeconds * 1000,
    timestampPolicy,
    teamIds,
    filters,
    otlp: { url: otlpUrl, headers: { ...options.otlpHeaders }, timeoutMillis: otlpTimeoutMillis, compression },
    serviceName: options.serviceName ?? resourceAttributes['service.name'] ?? DEFAULTS.serviceName,
    resourceAttributes,
    healthEndpoint: health.endpoint,
    warnings,
  };
}
