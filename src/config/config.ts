import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { OtlpProtocol, OtlpSettings } from './otlp.js';
import { parseHealthEndpoint, type HealthEndpoint } from './health-endpoint.js';
import { SETTINGS, defaultOf, envLabel, rangeOf, settingOf, type Setting } from './settings.js';
import type { SlackIntegrationLogFilters, TimestampPolicy } from '../core/types.js';
import type { SlackIntegrationLogsReceiverOptions } from './options.js';
import { ConfigError } from '../core/errors.js';
import { resolveRotation, rotationRequested, type RotationConfig } from './rotation.js';

/**
 * Settings: environment variables -> options -> validated config with defaults. Every problem is
 * collected and reported at once (ConfigError), before any request is made.
 */

/** Every environment variable read, with its default, for `--help` and the README (from `SETTINGS`). */
export const ENV_VARS: ReadonlyArray<{ name: string; default: string; meaning: string }> = (SETTINGS as readonly Setting[]).map((s) => {
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
  timestampPolicy: TimestampPolicy;
  /** Empty: the token's own workspace, no `team_id` sent. */
  teamIds: string[];
  filters: SlackIntegrationLogFilters;
  otlp: OtlpSettings;
  /** Where `/healthz` and `/readyz` are served while polling; absent: nowhere. */
  healthEndpoint?: HealthEndpoint;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  /** Things that work but look wrong (a token that is not `xoxp-`). */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

/** Which variable each option was read from, so that an error names the one the person set. */
const ENV_SOURCES = Symbol('environment variables read');

/** Maps environment variables to options, as `SETTINGS` says. Values stay strings; `resolveConfig` validates them. */
export function optionsFromEnv(env: Env): SlackIntegrationLogsReceiverOptions {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const options: Record<string | symbol, unknown> = {};
  const sources: Record<string, string> = {};
  options[ENV_SOURCES] = sources;
  let base: string | undefined;
  for (const setting of SETTINGS as readonly Setting[]) {
    if (setting.standalone) continue;
    const name = setting.env.find((n) => get(n) !== undefined);
    if (name === undefined) continue;
    // The token as given: resolveConfig trims it and says what is wrong with it, never echoing it.
    const value = setting.kind === 'secret' ? env[name]! : get(name)!;
    if (setting.kind === 'filter') {
      options.filters = { ...(options.filters as object), [setting.filter!]: value };
    } else if (setting.kind === 'base-url') {
      base = value;
    } else if (options[setting.option] === undefined) {
      sources[setting.option] = name;
      options[setting.option] =
        setting.kind === 'list'
          ? value
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean)
          : setting.kind === 'pairs'
            ? parseKeyValues(value)
            : value;
    }
  }
  // The spec's rule: the signal path is appended to the base URL for HTTP, never for gRPC.
  if (base !== undefined && options.otlpEndpoint === undefined)
    options.otlpEndpoint = options.otlpProtocol === 'grpc' ? base : withLogsPath(base);
  return options as SlackIntegrationLogsReceiverOptions;
}

/** The spec's signal path appended to the base URL's path (a query string stays a query string). */
export function withSignalPath(base: string, signal: 'logs' | 'metrics'): string {
  try {
    const url = new URL(base);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${signal}`;
    return url.toString();
  } catch {
    return `${base.replace(/\/+$/, '')}/v1/${signal}`; // invalid: reported where it is validated
  }
}

const withLogsPath = (base: string) => withSignalPath(base, 'logs');

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

  const rotation = resolveRotation(options, problems, warnings);
  const rotating = rotationRequested(options);
  let token = options.token?.trim();
  let tokenFile: string | undefined;
  if (token && options.tokenFile) {
    warnings.push('SLACK_TOKEN and SLACK_TOKEN_FILE are both set: SLACK_TOKEN is used');
  }
  if (!token && options.tokenFile && /xox[a-z]/i.test(options.tokenFile)) {
    // Never echo it: it is the token itself, put in the wrong variable.
    problems.push(
      'SLACK_TOKEN_FILE holds what looks like a token, not a file path: put the token in SLACK_TOKEN, or its file path in SLACK_TOKEN_FILE',
    );
  } else if (!token && options.tokenFile) {
    try {
      token = readFileSync(options.tokenFile, 'utf8').trim();
      tokenFile = options.tokenFile;
      if (!token) problems.push(`SLACK_TOKEN_FILE ${options.tokenFile} is empty`);
    } catch (e) {
      problems.push(`SLACK_TOKEN_FILE ${options.tokenFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (!token && !rotating) {
    problems.push(
      'SLACK_TOKEN is not set: set SLACK_TOKEN (or SLACK_TOKEN_FILE) to a user token (xoxp-) with the admin scope, or run with --demo',
    );
  }
  if (token && !/^[\x21-\x7e]+$/.test(token)) {
    problems.push('the Slack token holds spaces, line breaks or non-ASCII characters: copy the token again, alone');
  } else if (token && !/^(xoxe\.)?xoxp-/.test(token)) {
    warnings.push('the Slack token does not start with xoxp-: team.integrationLogs needs a user token with the admin scope');
  }

  const slackApiUrl = options.slackApiUrl ?? defaultOf('slackApiUrl')!;
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

  const sources = (options as { [ENV_SOURCES]?: Record<string, string> })[ENV_SOURCES] ?? {};
  /** The variable an error names: the one the value came from, else the general one. */
  const variableOf = (option: string) => sources[option] ?? settingOf(option as never).env.at(-1)!;
  // Durations and whole numbers: defaults and bounds from the settings table. Durations stop at a
  // day: longer waits overflow Node's timers (which then fire at once).
  const seconds = (option: 'pollInterval' | 'retryDeadline' | 'progressInterval'): number => {
    const setting = settingOf(option);
    const value = options[option];
    const s = parseDurationSeconds(value ?? defaultOf(option)!);
    if (s === undefined || s < setting.min! || s > setting.max!) {
      problems.push(
        `${variableOf(option)} ${JSON.stringify(String(value))} is not a duration from ${rangeOf(setting)} (e.g. 30s, 5m, or plain seconds)`,
      );
      return parseDurationSeconds(defaultOf(option)!)!;
    }
    return s;
  };
  const int = (option: 'pageSize' | 'otlpTimeoutMillis'): number => {
    const setting = settingOf(option);
    const value: unknown = options[option] ?? defaultOf(option);
    const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < setting.min! || n > setting.max!) {
      problems.push(`${variableOf(option)} ${JSON.stringify(String(value))} is not a whole number from ${rangeOf(setting)}`);
      return Number(defaultOf(option));
    }
    return n;
  };
  const choice = <T extends string>(option: 'timestampPolicy' | 'otlpProtocol' | 'otlpCompression'): T => {
    const setting = settingOf(option);
    const value = (options[option] ?? defaultOf(option)) as T;
    if (!setting.choices!.includes(value)) {
      problems.push(`${variableOf(option)} ${JSON.stringify(value)} is not one of ${rangeOf(setting)}`);
      return defaultOf(option) as T;
    }
    return value;
  };
  const pollIntervalSeconds = seconds('pollInterval');
  const retryDeadlineSeconds = seconds('retryDeadline');
  const progressIntervalSeconds = seconds('progressInterval');
  const pageSize = int('pageSize');
  const otlpTimeoutMillis = int('otlpTimeoutMillis');
  const timestampPolicy = choice<TimestampPolicy>('timestampPolicy');
  const otlpProtocol = choice<OtlpProtocol>('otlpProtocol');
  const compression = choice<'gzip' | 'none'>('otlpCompression');

  const base = SETTINGS.find((s) => s.kind === 'base-url')!;
  const otlpUrl = options.otlpEndpoint ?? (otlpProtocol === 'grpc' ? base.grpcDefault : withLogsPath(base.default));
  if (!httpUrl.safeParse(otlpUrl).success) {
    problems.push(`OTLP endpoint ${JSON.stringify(otlpUrl)} (OTEL_EXPORTER_OTLP_ENDPOINT / _LOGS_ENDPOINT) is not an http(s) URL`);
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
    ...(token ? { token } : {}),
    ...(tokenFile ? { tokenFile } : {}),
    ...(rotation ? { rotation } : {}),
    slackApiUrl,
    backfillStart,
    backfillStartExplicit: options.backfillStartTime !== undefined,
    cursorFile: options.cursorFile ?? defaultOf('cursorFile')!,
    pollIntervalMs: pollIntervalSeconds * 1000,
    pageSize,
    retryDeadlineMs: retryDeadlineSeconds * 1000,
    progressIntervalMs: progressIntervalSeconds * 1000,
    timestampPolicy,
    teamIds,
    filters,
    healthEndpoint: health.endpoint,
    otlp: { protocol: otlpProtocol, url: otlpUrl, headers: { ...options.otlpHeaders }, timeoutMillis: otlpTimeoutMillis, compression },
    serviceName: options.serviceName ?? resourceAttributes['service.name'] ?? defaultOf('serviceName')!,
    resourceAttributes,
    warnings,
  };
}
