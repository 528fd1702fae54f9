import { fingerprintOf } from './fingerprint.js';

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
   * an occurrence number (see `sync/delivery-filter.ts`), never by content alone. Computed on first use:
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
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : { raw };
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
