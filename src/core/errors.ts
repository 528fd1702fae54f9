import type { SyncSummary } from './types.js';

/**
 * Every error the receiver throws to its user, in one place.
 */

/**
 * A pass (or a wait inside it) that `shutdown` interrupted. The cursor stands where acknowledged
 * data ends; the next run goes on from there.
 */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

/** Invalid settings. `problems` lists each one; the message joins them on one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/**
 * A Slack error that needs a person (bad token, missing scope...). `code` is Slack's own.
 * The message names the code and the fix; it never holds the token.
 */
export class SlackFatalError extends Error {
  override readonly name = 'SlackFatalError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Slack could not be read within the retry deadline (network, 5xx, 429s, bodies that are not JSON). */
export class SlackUnavailableError extends Error {
  override readonly name = 'SlackUnavailableError';
}

/** Slack refused a page number (`over_pagination_limit`). */
export class SlackPaginationLimitError extends Error {
  override readonly name = 'SlackPaginationLimitError';
}

/** The cursor file cannot be used. The message names the file and the fix. */
export class CursorFileError extends Error {
  override readonly name: string = 'CursorFileError';
}

/** Another process holds the cursor file's lock. */
export class CursorLockedError extends CursorFileError {
  override readonly name: string = 'CursorLockedError';
}

/** The spool (beside the cursor) cannot be used. The message names it and the fix. */
export class SpoolError extends CursorFileError {
  override readonly name: string = 'SpoolError';
}

/**
 * What a failed OTLP export means, decided from the collector's answer alone (pure).
 *
 * - `split`: the collector refused this request for what it holds (HTTP 400 or 413, gRPC
 *   INVALID_ARGUMENT, or a message too large): a smaller request may pass, so the batch is halved.
 * - `elsewhere`: the request never reached a working OTLP logs endpoint (401, 403, 404, a wrong
 *   protocol...): no record is at fault, nothing is dead-lettered, the pass fails.
 * - `retryable`: the collector is down, busy or slow (429, 5xx, network): the pass fails and the
 *   next one sends the same records again.
 */
export type RefusalKind = 'split' | 'elsewhere' | 'retryable';

export interface Refusal {
  kind: RefusalKind;
  /** `HTTP 400 Bad Request`, `gRPC 3 INVALID_ARGUMENT`, or what happened when there was no answer. */
  status: string;
  /** The collector's own message (the OTLP `Status` body, or the gRPC details), one line. */
  collectorMessage?: string;
  /** What the person can do about it. */
  fix: string;
}

/**
 * An OTLP export the collector did not acknowledge. The message gives, on one line, the status
 * (HTTP status or gRPC code), the collector's own message, what the cursor did and the fix.
 */
export class OtlpExportError extends Error {
  override readonly name = 'OtlpExportError';
  /** @param url the endpoint, shown without credentials or query (see `redactUrl`). */
  constructor(
    readonly url: string,
    readonly refusal: Refusal,
    /** What happened to the cursor, when the caller knows it. */
    readonly cursorNote?: string,
    options?: ErrorOptions,
  ) {
    super(
      [
        `OTLP export to ${url} failed: ${refusal.status}`,
        refusal.collectorMessage ? `, the collector said "${refusal.collectorMessage}"` : '',
        cursorNote ? `; ${cursorNote}` : '',
        `; ${refusal.fix}`,
      ].join(''),
      options,
    );
  }

  /** The same error, saying what the cursor did. */
  withCursorNote(note: string): OtlpExportError {
    return new OtlpExportError(this.url, this.refusal, note, { cause: this });
  }
}

/** Slack's log kept changing while paging, in ways a pass could not follow; nothing was exported. */
export class SyncConsistencyError extends Error {
  override readonly name = 'SyncConsistencyError';
}

/**
 * With several teams (`SLACK_TEAM_ID`), some teams' passes failed. The others were delivered and
 * their cursors moved. `summary` covers the teams that succeeded; `errors` holds each failure.
 */
export class TeamsSyncError extends Error {
  override readonly name = 'TeamsSyncError';
  constructor(
    readonly errors: Record<string, Error>,
    readonly summary: SyncSummary,
  ) {
    super(
      Object.entries(errors)
        .map(([team, e]) => `team ${team}: ${e.message}`)
        .join('; '),
    );
  }
}
