import { metrics, type Attributes, type Counter, type MeterProvider } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../core/version.js';
import type { SkipReason } from '../delivery/pass-summary.js';

/** `error.type` values on records that were not delivered (see `records`). */
export type RecordErrorType = 'rejected' | 'dead_lettered' | 'export_failed';

/**
 * The receiver's own telemetry, through the OpenTelemetry metrics API: the host's MeterProvider
 * when it registered one (or the one passed in), a no-op otherwise. Names and units are listed in
 * docs/operations.md. Records are counted the way the SDK's own exporter metrics count them
 * (`otel.sdk.exporter.log.exported`): one counter, with `error.type` on records not delivered.
 * Attributes: `slack.team.id` when teams are configured.
 */
export class SelfMetrics {
  private readonly exported: Counter;
  /** `slack.integration_logs.requests`: `team.integrationLogs` requests, by `outcome` (ok, rate_limited, transient_error, fatal_error). */
  readonly slackRequests: Counter;
  /** `slack.integration_logs.rate_limit.waits`: Slack rate limits waited out (HTTP 429, or `ratelimited`). */
  readonly rateLimitWaits: Counter;
  private readonly passes: Counter;
  private readonly skippedEntries: Counter;
  private readonly refreshes: Counter;
  private readonly teamChanges: Counter;
  private tokenExpiry: (() => number | undefined) | undefined;
  private readonly cursors = new Map<string, { attributes: Attributes; date: number }>();
  private readonly successes = new Map<string, { attributes: Attributes; at: number }>();
  private readonly pending = new Map<string, { attributes: Attributes; count: number }>();
  private readonly nextPolls = new Map<string, { attributes: Attributes; at: number }>();

  constructor(meterProvider: MeterProvider = metrics.getMeterProvider()) {
    const meter = meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    const counter = (name: string, unit: string, description: string) => meter.createCounter(name, { unit, description });
    this.exported = counter(
      'slack.integration_logs.records.exported',
      '{record}',
      'Records whose export finished: delivered, or with error.type when the collector rejected them, refused them alone (dead-lettered) or the export failed',
    );
    this.slackRequests = counter('slack.integration_logs.requests', '{request}', 'team.integrationLogs requests, by outcome');
    this.rateLimitWaits = counter(
      'slack.integration_logs.rate_limit.waits',
      '{wait}',
      'Slack rate limits waited out: HTTP 429, or {"ok":false,"error":"ratelimited"}',
    );
    this.skippedEntries = counter(
      'slack.integration_logs.entries.skipped',
      '{entry}',
      'Entries read from Slack and not exported, by slack.integration_logs.skip_reason: already_delivered, older_than_start, older_than_cursor',
    );
    this.passes = counter(
      'slack.integration_logs.passes',
      '{pass}',
      'Sync passes that ended, with error.type (the error class) when one failed',
    );
    this.refreshes = counter(
      'slack.integration_logs.credentials.refreshes',
      '{refresh}',
      'Token rotation: oauth.v2.access refreshes, with error.type (the error class) when one failed',
    );
    this.teamChanges = counter(
      'slack.integration_logs.teams.changes',
      '{team}',
      'SLACK_TEAM_ID=all: workspaces that appeared in auth.teams.list (polled from then on) or left it (no longer polled, cursor kept), by slack.integration_logs.team_change',
    );
    meter
      .createObservableGauge('slack.integration_logs.credentials.expiry.time', {
        unit: 's',
        description: 'Token rotation: Unix time (seconds) the access token in use expires',
      })
      .addCallback((result) => {
        const at = this.tokenExpiry?.();
        if (at !== undefined) result.observe(at / 1000);
      });
    const gauge = <T>(
      name: string,
      unit: string,
      description: string,
      values: Map<string, { attributes: Attributes } & T>,
      value: (v: T) => number,
    ) =>
      meter.createObservableGauge(name, { unit, description }).addCallback((result) => {
        for (const v of values.values()) result.observe(value(v), v.attributes);
      });
    gauge(
      'slack.integration_logs.cursor.lag',
      's',
      'Seconds between now and the date of the newest delivered entry (the cursor)',
      this.cursors,
      (v: { date: number }) => Math.max(0, Date.now() / 1000 - v.date),
    );
    gauge(
      'slack.integration_logs.last_success.time',
      's',
      'Unix time (seconds) of the last sync pass that ended without error',
      this.successes,
      (v: { at: number }) => v.at,
    );
    gauge(
      'slack.integration_logs.dead_letters.pending',
      '{record}',
      'Records in the dead-letter file, waiting for --replay-dead-letters',
      this.pending,
      (v: { count: number }) => v.count,
    );
    gauge(
      'slack.integration_logs.next_poll.delay',
      's',
      'Polling mode: seconds until the next pass starts',
      this.nextPolls,
      (v: { at: number }) => Math.max(0, v.at - Date.now() / 1000),
    );
  }

  /** `count` records finished exporting; `errorType` when they were not delivered. */
  records(count: number, attributes: Attributes, errorType?: RecordErrorType): void {
    if (count > 0) this.exported.add(count, errorType ? { ...attributes, 'error.type': errorType } : attributes);
  }

  /** `count` entries read and not exported, and why. */
  skipped(count: number, attributes: Attributes, reason: SkipReason): void {
    if (count > 0) this.skippedEntries.add(count, { ...attributes, 'slack.integration_logs.skip_reason': reason });
  }

  pass(attributes: Attributes, error?: unknown): void {
    this.passes.add(1, error ? { ...attributes, 'error.type': (error as Error)?.name ?? 'Error' } : attributes);
  }

  /** A token refresh ended; `error` when it failed. */
  credentialRefresh(error?: Error): void {
    this.refreshes.add(1, error ? { 'error.type': error.name } : {});
  }

  /** `SLACK_TEAM_ID=all`: a workspace appeared in `auth.teams.list`, or left it. */
  teamChange(teamId: string, change: 'added' | 'removed'): void {
    this.teamChanges.add(1, { 'slack.team.id': teamId, 'slack.integration_logs.team_change': change });
  }

  /** Where the access token's expiry (Unix milliseconds, when known) is read from. */
  credentialExpiry(read: () => number | undefined): void {
    this.tokenExpiry = read;
  }

  cursorDate(attributes: Attributes, date: number): void {
    this.cursors.set(JSON.stringify(attributes), { attributes, date });
  }

  lastSuccess(attributes: Attributes): void {
    this.successes.set(JSON.stringify(attributes), { attributes, at: Date.now() / 1000 });
  }

  pendingDeadLetters(attributes: Attributes, count: number): void {
    this.pending.set(JSON.stringify(attributes), { attributes, count });
  }

  /** Polling mode: the next pass of this stream starts in `delayMs`. */
  nextPoll(attributes: Attributes, delayMs: number): void {
    this.nextPolls.set(JSON.stringify(attributes), { attributes, at: (Date.now() + delayMs) / 1000 });
  }
}
