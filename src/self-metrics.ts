import { metrics, type Attributes, type Counter, type MeterProvider } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/**
 * The receiver's own telemetry, through the OpenTelemetry metrics API: the host's MeterProvider
 * when it registered one (or the one passed in), a no-op otherwise. Names and units are listed in
 * the README ("Self-metrics"). Attributes: `slack.team.id` when teams are configured, `outcome` on
 * Slack requests.
 */
export class SelfMetrics {
  /** `slack.integration_logs.records.exported`: records the collector acknowledged. */
  readonly entriesExported: Counter;
  /** `slack.integration_logs.slack.requests`: by `outcome` (ok, rate_limited, transient_error, fatal_error). */
  readonly slackRequests: Counter;
  /** `slack.integration_logs.rate_limit.waits`: HTTP 429 answers waited out. */
  readonly rateLimitWaits: Counter;
  /** `slack.integration_logs.export.failures`: OTLP exports not acknowledged. */
  readonly exportFailures: Counter;
  private readonly cursors = new Map<string, { attributes: Attributes; date: number }>();
  private readonly successes = new Map<string, { attributes: Attributes; at: number }>();

  constructor(meterProvider: MeterProvider = metrics.getMeterProvider()) {
    const meter = meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    this.entriesExported = meter.createCounter('slack.integration_logs.records.exported', {
      unit: '{record}',
      description: 'Slack integration log entries exported and acknowledged by the collector',
    });
    this.slackRequests = meter.createCounter('slack.integration_logs.slack.requests', {
      unit: '{request}',
      description: 'team.integrationLogs requests, by outcome',
    });
    this.rateLimitWaits = meter.createCounter('slack.integration_logs.rate_limit.waits', {
      unit: '{wait}',
      description: 'Slack HTTP 429 answers waited out',
    });
    this.exportFailures = meter.createCounter('slack.integration_logs.export.failures', {
      unit: '{export}',
      description: 'OTLP exports the collector did not acknowledge',
    });
    meter
      .createObservableGauge('slack.integration_logs.cursor.lag', {
        unit: 's',
        description: 'Seconds between now and the date of the newest delivered entry (the cursor)',
      })
      .addCallback((result) => {
        const now = Date.now() / 1000;
        for (const { attributes, date } of this.cursors.values()) result.observe(Math.max(0, now - date), attributes);
      });
    meter
      .createObservableGauge('slack.integration_logs.last_success.time', {
        unit: 's',
        description: 'Unix time (seconds) of the last sync pass that ended without error',
      })
      .addCallback((result) => {
        for (const { attributes, at } of this.successes.values()) result.observe(at, attributes);
      });
  }

  cursorDate(attributes: Attributes, date: number): void {
    this.cursors.set(JSON.stringify(attributes), { attributes, date });
  }

  lastSuccess(attributes: Attributes): void {
    this.successes.set(JSON.stringify(attributes), { attributes, at: Date.now() / 1000 });
  }
}
