import { z } from 'zod';
import { HOST_PORT_EXPECTED, parseHealthEndpoint } from './health-endpoint.js';
import { rangeOf, type Setting } from './settings.js';

/**
 * The parser of each kind of setting: from an option's value or a variable's text to the value the
 * receiver uses (a duration to milliseconds, a time to Unix seconds...), and what a valid value
 * looks like, for the one-line problem when it is not one.
 */

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

/** `key=value,key2=value2`, percent-decoded, as the OTel spec defines for headers and resource attributes. */
function parseKeyValues(text: string): Record<string, string> {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.trim());
    } catch {
      return s.trim();
    }
  };
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) out[decode(pair.slice(0, at))] = decode(pair.slice(at + 1));
  }
  return out;
}

/** The spec's signal path appended to the base URL's path (a query string stays a query string). */
export function withSignalPath(base: string, signal: 'logs' | 'metrics'): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return url.toString();
}

const httpUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/ }));

const text = z.string().trim().min(1);

export const KINDS = {
  /** As given: the resolver trims it and says what is wrong with it, never echoing it. */
  secret: z.string(),
  text,
  path: text,
  url: httpUrl,
  endpoint: httpUrl,
  time: z.union([z.date(), z.number(), z.string()]).transform(parseBackfillStart).pipe(z.number()),
  /** Milliseconds. */
  duration: (row: Setting) =>
    z
      .union([z.number(), z.string()])
      .transform(parseDurationSeconds)
      .pipe(z.number().min(row.min!).max(row.max!))
      .transform((s) => s * 1000),
  integer: (row: Setting) =>
    z
      .union([
        z.number(),
        z
          .string()
          .trim()
          .regex(/^\d+$/)
          .transform((digits) => Number(digits)),
      ])
      .pipe(z.number().int().min(row.min!).max(row.max!)),
  choice: <const C extends readonly [string, ...string[]]>(row: { choices: C }) => z.string().trim().pipe(z.enum(row.choices)),
  /** Trimmed, blanks and repeats dropped; checked item by item (`itemProblems`). */
  list: z
    .union([z.array(z.string()), z.string().transform((t) => t.split(','))])
    .transform((items) => [...new Set(items.map((t) => t.trim()).filter(Boolean))]),
  pairs: z.union([z.record(z.string(), z.string()), z.string().transform(parseKeyValues)]),
  'host-port': z
    .string()
    .transform((t) => parseHealthEndpoint(t).endpoint)
    .pipe(z.object({ host: z.string(), port: z.number() })),
  /** One line: Slack's filters are single values. */
  filter: text.regex(/^[^\r\n]*$/),
} as const;

/** What a valid value of the setting looks like: the end of "X "v" is not ...". */
export function expectation(row: Setting): string {
  switch (row.kind) {
    case 'duration':
      return `a duration from ${rangeOf(row)} (e.g. 30s, 5m, or plain seconds)`;
    case 'integer':
      return `a whole number from ${rangeOf(row)}`;
    case 'choice':
      return `one of ${rangeOf(row)}`;
    case 'url':
      return `an http(s) URL (e.g. ${row.default})`;
    case 'endpoint':
      // The same for every signal: a problem of the general variable, read for each, is said once.
      return `an http(s) URL (e.g. ${new URL(row.default!).origin})`;
    case 'time':
      return 'an ISO 8601 date (2026-01-31), date-time (2026-01-31T12:00:00Z) or Unix seconds';
    case 'host-port':
      return HOST_PORT_EXPECTED;
    case 'list':
      return 'a comma-separated list';
    case 'pairs':
      return 'key=value pairs, comma-separated';
    case 'filter':
      return 'a plain value (one line)';
    case 'path':
      return 'a file path';
    default:
      return 'a text, not blank';
  }
}

/** Each item of a list that is not one of its choices (in any case) or not of its form. */
export function itemProblems(row: Setting, name: string, items: readonly string[]): string[] {
  const bad = items.filter((item) => (row.choices ? !row.choices.includes(item.toLowerCase()) : row.item && !row.item.pattern.test(item)));
  const is = row.choices ? `one of ${rangeOf(row)}` : row.item?.is;
  return bad.map((item) => `${name} ${JSON.stringify(item)} is not ${is}${row.hint ? ` (${row.hint})` : ''}`);
}
