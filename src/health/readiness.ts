/**
 * The readiness decision, pure: from the receiver's status and the time, whether it is ready and
 * why not. The health server only serves it.
 */

/** Ready while the last pass succeeded within this many poll intervals. */
export const STALE_AFTER_POLL_INTERVALS = 3;

/** The part of `ReceiverStatus` (receiver.ts) the decision reads. */
export interface StatusForReadiness {
  /** Unix milliseconds of the last pass that ended without error. */
  lastSuccessAt?: number;
  /** The class name of the last pass's error (`SlackFatalError`...), cleared by a successful pass. */
  lastErrorType?: string;
  /** The last pass's error message: only its presence is read, never echoed. */
  lastError?: string;
  /** The token in use (numbers and a date only). */
  credentials?: { kind: string; expiresAt?: number; refreshes: number; failures: number };
}

export interface Readiness {
  ready: boolean;
  /** The one-line JSON answer: fixed words and a date, never an error message (those may name files or hosts). */
  body: {
    status: 'ready' | 'not_ready';
    reason?: string;
    message?: string;
    /** ISO 8601, or null before the first successful pass. */
    last_success: string | null;
    /** With token rotation: when the access token expires (ISO 8601, null before the first refresh), refreshes done and failed. */
    credentials?: { expires_at: string | null; refreshes: number; refresh_failures: number };
  };
}

/** Why the last pass failed, by error class: a reason code and what it means. */
export const REASONS: Readonly<Record<string, { reason: string; message: string }>> = {
  SlackFatalError: {
    reason: 'slack_needs_a_person',
    message: 'Slack refused the token or its scope; a person must fix it (the log names the fix)',
  },
  SlackUnavailableError: {
    reason: 'slack_unavailable',
    message: 'Slack could not be read within the retry deadline; retrying with backoff',
  },
  SlackPaginationLimitError: {
    reason: 'slack_pagination_limit',
    message: 'Slack would not page far enough to reach the cursor; see the log',
  },
  OtlpExportError: {
    reason: 'collector_unavailable',
    message: 'the OTLP collector did not acknowledge the last export; the records are sent again when it is back',
  },
  CursorLockedError: { reason: 'cursor_locked', message: 'another receiver holds the cursor file lock; run one receiver per cursor file' },
  CursorFileError: { reason: 'cursor_unusable', message: 'the cursor file cannot be read or written; see the log' },
  SpoolError: { reason: 'spool_unusable', message: 'the spool beside the cursor file cannot be used; see the log' },
  TeamsSyncError: { reason: 'teams_failing', message: 'some Enterprise Grid teams failed their last pass; see the log' },
};
const OTHER_FAILURE = { reason: 'last_pass_failed', message: 'the last pass failed; see the log' };

export function readiness(status: StatusForReadiness, nowMs: number, pollIntervalMs: number): Readiness {
  const last_success = status.lastSuccessAt === undefined ? null : new Date(status.lastSuccessAt).toISOString();
  const c = status.credentials;
  const credentials =
    c?.kind === 'refresh'
      ? {
          credentials: {
            expires_at: c.expiresAt === undefined ? null : new Date(c.expiresAt).toISOString(),
            refreshes: c.refreshes,
            refresh_failures: c.failures,
          },
        }
      : {};
  const notReady = ({ reason, message }: { reason: string; message: string }): Readiness => ({
    ready: false,
    body: { status: 'not_ready', reason, message, last_success, ...credentials },
  });
  if (status.lastErrorType !== undefined || status.lastError !== undefined) {
    const type = status.lastErrorType;
    return notReady(type !== undefined && Object.hasOwn(REASONS, type) ? REASONS[type]! : OTHER_FAILURE);
  }
  if (status.lastSuccessAt === undefined) {
    return notReady({ reason: 'starting', message: 'the first pass has not ended yet' });
  }
  const windowMs = STALE_AFTER_POLL_INTERVALS * pollIntervalMs;
  if (nowMs - status.lastSuccessAt > windowMs) {
    return notReady({
      reason: 'stale',
      message: `no pass succeeded in the last ${STALE_AFTER_POLL_INTERVALS} poll intervals (${Math.round(windowMs / 1000)}s)`,
    });
  }
  return { ready: true, body: { status: 'ready', last_success, ...credentials } };
}
