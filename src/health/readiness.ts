/**
 * The readiness decision, pure: from the receiver's status and the time, whether it is ready and
 * why not. The health server only serves it. The reason of a failure is the error's own
 * (`ReceiverError.readinessReason`, core/errors.ts).
 */
import type { ReadinessReason } from '../core/errors.js';

/** Ready while the last pass succeeded within this many poll intervals. */
export const STALE_AFTER_POLL_INTERVALS = 3;

/** The part of `ReceiverStatus` (receiver.ts) the decision reads. */
export interface StatusForReadiness {
  /** Unix milliseconds of the last pass that ended without error. */
  lastSuccessAt?: number;
  /** The last pass's error's `readinessReason` (`last_pass_failed` for an error not of this package), cleared by a successful pass. */
  lastErrorReason?: ReadinessReason;
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

/** What each reason means to whoever reads the probe's answer. */
export const REASON_MESSAGES: Readonly<Record<ReadinessReason, string>> = {
  invalid_configuration: 'the settings are invalid; see the log',
  health_endpoint_unusable: 'the health endpoint cannot listen; see the log',
  slack_needs_a_person: 'Slack refused the token or its scope; a person must fix it (the log names the fix)',
  slack_unavailable: 'Slack could not be read within the retry deadline; retrying with backoff',
  slack_pagination_limit: 'Slack would not page far enough to reach the cursor; see the log',
  collector_unavailable: 'the OTLP collector did not acknowledge the last export; the records are sent again when it is back',
  cursor_locked: 'another receiver holds the cursor file lock; run one receiver per cursor file',
  cursor_unusable: 'the cursor file cannot be read or written; see the log',
  spool_unusable: 'the spool beside the cursor file cannot be used; see the log',
  dead_letters_unusable: 'the dead-letter file beside the cursor file cannot be read or written; see the log',
  teams_failing: 'some Enterprise Grid teams failed their last pass; see the log',
  last_pass_failed: 'the last pass failed; see the log',
};

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
  if (status.lastErrorReason !== undefined || status.lastError !== undefined) {
    const reason =
      status.lastErrorReason !== undefined && Object.hasOwn(REASON_MESSAGES, status.lastErrorReason)
        ? status.lastErrorReason
        : 'last_pass_failed';
    return notReady({ reason, message: REASON_MESSAGES[reason] });
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
