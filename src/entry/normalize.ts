import * as crypto from 'node:crypto';

/**
 * One `team.integrationLogs` entry, normalized. Pure data: no I/O here.
 *
 * Slack sends `date` as a string or a number of Unix seconds and `service_id` as a string or a
 * number (https://api.slack.com/methods/team.integrationLogs, and what real workspaces send).
 */
export interface NormalizedEntry {
  /** Unix seconds, or `undefined` when Slack's `date` could not be read as one. */
  date: number | undefined;
  /** The entry's fields as Slack sent them, except `date` (a number) and `service_id` (a string). */
  fields: Record<string, unknown>;
  /**
   * 32 hex chars of SHA-256 over the canonical JSON of `fields` (keys sorted) and `date`. Equal for
   * equal entries, so identical entries in one second share it: they are told apart by an
   * occurrence number (see `sync/boundary.ts`), never by content alone.
   */
  fingerprint: string;
}

/** Dates more than this far ahead of the clock are not Unix seconds (milliseconds, say). */
const MAX_FUTURE_SECONDS = 86_400;

/**
 * `date` as Unix seconds: a non-negative integer number or a string of digits, not more than a day
 * ahead of this machine's clock. Anything else is unusable: taken as is, a millisecond value would
 * put the cursor thousands of years ahead and skip every later entry.
 */
export function parseSlackDate(value: unknown, nowSeconds = Date.now() / 1000): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) n = Number(value.trim());
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 && n <= nowSeconds + MAX_FUTURE_SECONDS ? n : undefined;
}

/**
 * Normalizes one element of Slack's `logs` array. Never throws: a non-object element becomes an
 * entry with no usable date whose `fields` hold the raw value under `raw`, so it is still exported
 * and reported rather than dropped.
 */
export function normalizeEntry(raw: unknown): NormalizedEntry {
  const fields: Record<string, unknown> =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? { ...(raw as Record<string, unknown>) }
      : { raw };
  const date = parseSlackDate(fields.date);
  if (date !== undefined) {
    fields.date = date;
  }
  if (typeof fields.service_id === 'number' && Number.isFinite(fields.service_id)) {
    fields.service_id = String(fields.service_id);
  }
  return { date, fields, fingerprint: fingerprintOf(fields) };
}

export function fingerprintOf(fields: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(fields)).slice(0, 32);
}

// One-shot `crypto.hash` (Node >= 20.12) is several times cheaper per call than a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 of UTF-8 text, as 64 hex chars. */
export function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every depth, so equal content gives equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  // Flat objects (nearly every Slack entry): the native stringifier with the keys in order gives
  // the same text, much faster.
  if (keys.every((k) => obj[k] === null || typeof obj[k] !== 'object')) {
    return JSON.stringify(obj, keys);
  }
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
