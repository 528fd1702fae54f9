import * as crypto from 'node:crypto';

/**
 * One `team.integrationLogs` entry, normalized. Pure data: no I/O here.
 *
 * Slack sends `date` as a string or a number of Unix seconds and `service_id` as a string or a
 * number (https://api.slack.com/methods/team.integrationLogs, and what real workspaces send).
 */
export interface NormalizedEntry {
  /** Unix seconds, or `undefined` when Slack's `date` could not be read as one. */
  readonly date: number | undefined;
  /** The entry's fields as Slack sent them, except `date` (a number) and `service_id` (a string). */
  readonly fields: Record<string, unknown>;
  /**
   * 32 hex chars of SHA-256 over the canonical JSON of `fields` (keys sorted), `date` included.
   * Equal for equal entries, so identical entries in one second share it: they are told apart by
   * an occurrence number (see `sync/boundary.ts`), never by content alone. Computed on first use:
   * paging needs it only where pages overlap, delivery for every entry.
   */
  readonly fingerprint: string;
}

class Entry implements NormalizedEntry {
  private cachedFingerprint: string | undefined;

  constructor(
    readonly date: number | undefined,
    readonly fields: Record<string, unknown>,
  ) {}

  get fingerprint(): string {
    return (this.cachedFingerprint ??= fingerprintOf(this.fields));
  }
}

/**
 * An entry normalized before (`normalizeEntry`) and kept as its parts: `fields` must be what
 * `normalizeEntry` produced, or an exact JSON copy of it.
 */
export function restoreEntry(date: number | undefined, fields: Record<string, unknown>): NormalizedEntry {
  return new Entry(date, fields);
}

/**
 * Dates more than this far ahead of this machine's clock are not taken as dates: milliseconds,
 * say, or a clock far off. Taken as is, they would move the cursor past entries still to come.
 * Five minutes covers the usual clock skew between Slack and this machine.
 */
const MAX_FUTURE_SECONDS = 300;

const DIGITS = /^\d{1,15}$/;

/** A non-negative integer number, or a string of digits, as a number; else `undefined`. */
function wholeNumber(value: unknown): number | undefined {
  let n = NaN;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (DIGITS.test(text)) n = Number(text);
  }
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `date` as Unix seconds: a non-negative integer number or a string of digits, not more than
 * five minutes ahead of this machine's clock. Anything else is unusable.
 */
export function parseSlackDate(value: unknown, nowSeconds = Date.now() / 1000): number | undefined {
  const n = wholeNumber(value);
  return n !== undefined && n <= nowSeconds + MAX_FUTURE_SECONDS ? n : undefined;
}

/**
 * Normalizes one element of Slack's `logs` array. Never throws: a non-object element becomes an
 * entry with no usable date whose `fields` hold the raw value under `raw`, so it is still exported
 * and reported rather than dropped.
 */
export function normalizeEntry(raw: unknown, nowSeconds = Date.now() / 1000): NormalizedEntry {
  const fields: Record<string, unknown> =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? { ...(raw as Record<string, unknown>) }
      : { raw };
  // The fingerprint sees `date` as a number whenever it is one, usable or not, so an entry whose
  // date becomes usable later (a clock catching up) keeps its fingerprint.
  const numeric = wholeNumber(fields.date);
  if (numeric !== undefined) fields.date = numeric;
  const date = parseSlackDate(numeric, nowSeconds);
  if (typeof fields.service_id === 'number' && Number.isFinite(fields.service_id)) {
    fields.service_id = String(fields.service_id);
  }
  return new Entry(date, fields);
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
  const keys = Object.keys(obj).sort();
  let keepOrder = false;
  for (const k of keys) {
    const v = obj[k];
    if (v !== null && typeof v === 'object') {
      return `{${keys
        .filter((key) => obj[key] !== undefined)
        .map((key) => `${JSON.stringify(key)}:${canonicalJson(obj[key])}`)
        .join(',')}}`;
    }
    const first = k.charCodeAt(0);
    if ((first >= 48 && first <= 57) || k === '__proto__') keepOrder = true;
  }
  // Flat objects (nearly every Slack entry): a copy with the keys in order, through the native
  // stringifier's fast path, gives the same text several times faster. Not with keys like "3"
  // (objects list those first, whatever the order they were added in) or "__proto__" (assigning
  // it sets the prototype): the slower key-list form keeps them.
  if (keepOrder) return JSON.stringify(obj, keys);
  const sorted: Record<string, unknown> = {};
  for (const k of keys) sorted[k] = obj[k];
  return JSON.stringify(sorted);
}
