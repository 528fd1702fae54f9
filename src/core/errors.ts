import type { SyncSummary } from './types.js';

/**
 * Every error the receiver throws to its user, in one place. Each carries what the CLI exits with
 * (`exitCode`, README "exit code") and what `/readyz` answers while it is the last pass's error
 * (`readinessReason`, docs/operations.md): the CLI and the health endpoint read these, nothing
 * else classifies errors.
 */

/** The CLI's exit codes (README, `--help`). */
export const EXIT_CODES = { ok: 0, failed: 1, config: 2, slackNeedsPerson: 3, stateFile: 4, recordsRefused: 5 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** With several teams, the code that needs the most attention wins: this order. */
const EXIT_PRIORITY: readonly ExitCode[] = [
  EXIT_CODES.slackNeedsPerson,
  EXIT_CODES.stateFile,
  EXIT_CODES.failed,
  EXIT_CODES.recordsRefused,
  EXIT_CODES.ok,
];

/** The `reason` of a `503` from `/readyz` (docs/operations.md). */
export type ReadinessReason =
  | 'invalid_configuration'
  | 'health_endpoint_unusable'
  | 'slack_needs_a_person'
  | 'slack_unavailable'
  | 'slack_pagination_limit'
  | 'collector_unavailable'
  | 'cursor_locked'
  | 'cursor_unusable'
  | 'spool_unusable'
  | 'dead_letters_unusable'
  | 'teams_failing'
  | 'last_pass_failed';

/** The base of every error below: what the CLI and the health endpoint make of it. */
export abstract class ReceiverError extends Error {
  /** What the CLI exits with when this error ends it. */
  abstract readonly exitCode: ExitCode;
  /** What `/readyz` answers while this is the last pass's error. */
  abstract readonly readinessReason: ReadinessReason;
}

/** The exit code for any error: its own, or 1 (retry later) for an error that is not ours. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof ReceiverError ? error.exitCode : EXIT_CODES.failed;
}

/** The readiness reason for any error: its own, or `last_pass_failed` for an error that is not ours. */
export function readinessReasonOf(error: unknown): ReadinessReason {
  return error instanceof ReceiverError ? error.readinessReason : 'last_pass_failed';
}

/** The exit code for a pass that ended: 5 when the collector refused or rejected records. */
export function exitCodeOfSummary(summary: Pick<SyncSummary, 'deadLettered' | 'rejectedByCollector'>): ExitCode {
  return summary.deadLettered > 0 || summary.rejectedByCollector > 0 ? EXIT_CODES.recordsRefused : EXIT_CODES.ok;
}

/**
 * A pass (or a wait inside it) that `shutdown` interrupted. The cursor stands where acknowledged
 * data ends; the next run goes on from there.
 */
export class StoppedError extends ReceiverError {
  override readonly name = 'StoppedError';
  readonly exitCode = EXIT_CODES.failed;
  readonly readinessReason = 'last_pass_failed';
}

/** Invalid settings. `problems` lists each one; the message joins them on one line. */
export class ConfigError extends ReceiverError {
  override readonly name = 'ConfigError';
  readonly exitCode = EXIT_CODES.config;
  readonly readinessReason = 'invalid_configuration';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/** The health endpoint (SLACK_HEALTH_ENDPOINT) cannot listen: the port is taken, or the address is not this host's. */
export class HealthEndpointError extends ReceiverError {
  override readonly name = 'HealthEndpointError';
  readonly exitCode = EXIT_CODES.config;
  readonly readinessReason = 'health_endpoint_unusable';
}

/**
 * A Slack error that needs a person (bad token, missing scope...). `code` is Slack's own.
 * The message names the code and the fix; it never holds the token.
 */
export class SlackFatalError extends ReceiverError {
  override readonly name = 'SlackFatalError';
  readonly exitCode = EXIT_CODES.slackNeedsPerson;
  readonly readinessReason = 'slack_needs_a_person';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Slack could not be read within the retry deadline (network, 5xx, 429s, bodies that are not JSON). */
export class SlackUnavailableError extends ReceiverError {
  override readonly name = 'SlackUnavailableError';
  readonly exitCode = EXIT_CODES.failed;
  readonly readinessReason = 'slack_unavailable';
}

/** Slack refused a page number (`over_pagination_limit`) on the first page of a pass. */
export class SlackPaginationLimitError extends ReceiverError {
  override readonly name = 'SlackPaginationLimitError';
  readonly exitCode = EXIT_CODES.failed;
  readonly readinessReason = 'slack_pagination_limit';
}

/**
 * A file beside the cursor cannot be used: the cursor itself, its lock, the spool or the
 * dead-letter file. The message names the file and the fix. Exit code 4.
 */
export abstract class StateFileError extends ReceiverError {
  readonly exitCode = EXIT_CODES.stateFile;
}

/**
 * No pass has built the app inventory yet (no cursor file, or one from before the inventory):
 * `inventory` says so and how to build it. Exit code 2, as for a command that cannot run yet.
 */
export class NoInventoryError extends ReceiverError {
  override readonly name = 'NoInventoryError';
  readonly exitCode = EXIT_CODES.config;
  readonly readinessReason = 'last_pass_failed';
}

/** The cursor file cannot be read, parsed or written. */
export class CursorFileError extends StateFileError {
  override readonly name = 'CursorFileError';
  readonly readinessReason = 'cursor_unusable';
}

/** Another process holds the cursor file's lock (or took it over from this one). */
export class CursorLockedError extends StateFileError {
  override readonly name = 'CursorLockedError';
  readonly readinessReason = 'cursor_locked';
}

/** The spool (beside the cursor) cannot be used. */
export class SpoolError extends StateFileError {
  override readonly name = 'SpoolError';
  readonly readinessReason = 'spool_unusable';
}

/** The dead-letter file (beside the cursor) cannot be read or written, or holds a damaged line. */
export class DeadLetterFileError extends StateFileError {
  override readonly name = 'DeadLetterFileError';
  readonly readinessReason = 'dead_letters_unusable';
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
export class OtlpExportError extends ReceiverError {
  override readonly name = 'OtlpExportError';
  readonly exitCode = EXIT_CODES.failed;
  readonly readinessReason = 'collector_unavailable';
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
export class SyncConsistencyError extends ReceiverError {
  override readonly name = 'SyncConsistencyError';
  readonly exitCode = EXIT_CODES.failed;
  readonly readinessReason = 'last_pass_failed';
}

/**
 * With several teams (`SLACK_TEAM_ID`), some teams' passes failed. The others were delivered and
 * their cursors moved. `summary` covers the teams that succeeded; `errors` holds each failure.
 */
export class TeamsSyncError extends ReceiverError {
  override readonly name = 'TeamsSyncError';
  readonly readinessReason = 'teams_failing';
  /** The code that needs the most attention among the teams' errors and the summary of the others. */
  readonly exitCode: ExitCode;
  constructor(
    readonly errors: Record<string, Error>,
    readonly summary: SyncSummary,
  ) {
    super(
      Object.entries(errors)
        .map(([team, e]) => `team ${team}: ${e.message}`)
        .join('; '),
    );
    const codes = [...Object.values(errors).map(exitCodeOf), exitCodeOfSummary(summary)];
    this.exitCode = EXIT_PRIORITY.find((code) => codes.includes(code)) ?? EXIT_CODES.failed;
  }
}
