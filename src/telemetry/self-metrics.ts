import { metrics, type Attributes, type Counter, type MeterProvider } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../core/version.js';
import type { SkipReason } from '../delivery/pass-summary.js';

/** `error.type` values on records that were not delivered (see `StreamMetrics.exported`). */
export type RecordErrorType = 'rejected' | 'dead_lettered' | 'export_failed';

/** A stream's own attribute: every point a bound recorder makes has it when teams are configured. */
const TEAM = 'slack.team.id';

/**
 * The receiver's instruments, one row each: what docs/operations.md lists (a test holds the two
 * together). `attributes`: the keys its points may carry. Counters count; gauges are observed,
 * each stream's (or the receiver's) last value.
 */
export const INSTRUMENTS = {
  exported: {
    name: 'slack.integration_logs.records.exported',
    kind: 'counter',
    unit: '{record}',
    description:
      'Records whose export finished: delivered, or with error.type when the collector rejected them, refused them alone (dead-lettered) or the export failed',
    attributes: [TEAM, 'error.type'],
  },
  requests: {
    name: 'slack.integration_logs.requests',
    kind: 'counter',
    unit: '{request}',
    description: 'team.integrationLogs requests, by outcome',
    attributes: [TEAM, 'outcome'],
  },
  rateLimitWaits: {
    name: 'slack.integration_logs.rate_limit.waits',
    kind: 'counter',
    unit: '{wait}',
    description: 'Slack rate limits waited out: HTTP 429, or {"ok":false,"error":"ratelimited"}',
    attributes: [TEAM],
  },
  skipped: {
    name: 'slack.integration_logs.entries.skipped',
    kind: 'counter',
    unit: '{entry}',
    description:
      'Entries read from Slack and not exported, by slack.integration_logs.skip_reason: already_delivered, older_than_start, older_than_cursor',
    attributes: [TEAM, 'slack.integration_logs.skip_reason'],
  },
  passes: {
    name: 'slack.integration_logs.passes',
    kind: 'counter',
    unit: '{pass}',
    description: 'Sync passes that ended, with error.type (the error class) when one failed',
    attributes: [TEAM, 'error.type'],
  },
  refreshes: {
    name: 'slack.integration_logs.credentials.refreshes',
    kind: 'counter',
    unit: '{refresh}',
    description: 'Token rotation: oauth.v2.access refreshes, with error.type (the error class) when one failed',
    attributes: ['error.type'],
  },
  teamChanges: {
    name: 'slack.integration_logs.teams.changes',
    kind: 'counter',
    unit: '{team}',
    description:
      'SLACK_TEAM_ID=all: workspaces that appeared in auth.teams.list (polled from then on) or left it (no longer polled, cursor kept), by slack.integration_logs.team_change',
    attributes: [TEAM, 'slack.integration_logs.team_change'],
  },
  credentialExpiry: {
    name: 'slack.integration_logs.credentials.expiry.time',
    kind: 'gauge',
    unit: 's',
    description: 'Token rotation: Unix time (seconds) the access token in use expires',
    attributes: [],
  },
  cursorLag: {
    name: 'slack.integration_logs.cursor.lag',
    kind: 'gauge',
    unit: 's',
    description: 'Seconds between now and the date of the newest delivered entry (the cursor)',
    attributes: [TEAM],
  },
  lastSuccess: {
    name: 'slack.integration_logs.last_success.time',
    kind: 'gauge',
    unit: 's',
    description: 'Unix time (seconds) of the last sync pass that ended without error',
    attributes: [TEAM],
  },
  deadLettersPending: {
    name: 'slack.integration_logs.dead_letters.pending',
    kind: 'gauge',
    unit: '{record}',
    description: 'Records in the dead-letter file, waiting for --replay-dead-letters',
    attributes: [TEAM],
  },
  nextPoll: {
    name: 'slack.integration_logs.next_poll.delay',
    kind: 'gauge',
    unit: 's',
    description: 'Polling mode: seconds until the next pass starts',
    attributes: [TEAM],
  },
} as const satisfies Record<
  string,
  { name: string; kind: 'counter' | 'gauge'; unit: string; description: string; attributes: readonly string[] }
>;

type Key = keyof typeof INSTRUMENTS;
type CounterKey = { [K in Key]: (typeof INSTRUMENTS)[K]['kind'] extends 'counter' ? K : never }[Key];
type GaugeKey = Exclude<Key, CounterKey>;

/** One stream's recorder: its attributes bound once, so its code passes none. */
export interface StreamMetrics {
  /** `count` records finished exporting; `errorType` when they were not delivered. */
  exported(count: number, errorType?: RecordErrorType): void;
  /** A `team.integrationLogs` request ended so. */
  request(outcome: 'ok' | 'rate_limited' | 'transient_error' | 'fatal_error'): void;
  rateLimitWait(): void;
  /** `count` entries read and not exported, and why. */
  skipped(count: number, reason: SkipReason): void;
  /** A pass ended; `error` when it failed. */
  pass(error?: unknown): void;
  /** The cursor now stands at `date` (Unix seconds). */
  cursorDate(date: number): void;
  /** A pass ended without error, now. */
  lastSuccess(): void;
  pendingDeadLetters(count: number): void;
  /** Polling mode: the next pass starts in `delayMs`. */
  nextPoll(delayMs: number): void;
}

/**
 * The receiver's own telemetry, through the OpenTelemetry metrics API: the host's MeterProvider
 * when it registered one (or the one passed in), a no-op otherwise. The instruments are created
 * once, from `INSTRUMENTS`; each stream records through `bind`. Records are counted the way the
 * SDK's own exporter metrics count them (`otel.sdk.exporter.log.exported`): one counter, with
 * `error.type` on records not delivered.
 */
export class SelfMetrics {
  private readonly counters = {} as Record<CounterKey, Counter>;
  /** Each gauge's values: by the attributes they are observed with, how to read the value now. */
  private readonly gauges = {} as Record<GaugeKey, Map<string, { attributes: Attributes; read: () => number | undefined }>>;

  constructor(meterProvider: MeterProvider = metrics.getMeterProvider()) {
    const meter = meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    for (const [key, { name, kind, unit, description }] of Object.entries(INSTRUMENTS) as Array<[Key, (typeof INSTRUMENTS)[Key]]>) {
      if (kind === 'counter') {
        this.counters[key as CounterKey] = meter.createCounter(name, { unit, description });
        continue;
      }
      const values = new Map<string, { attributes: Attributes; read: () => number | undefined }>();
      this.gauges[key as GaugeKey] = values;
      meter.createObservableGauge(name, { unit, description }).addCallback((result) => {
        for (const { attributes, read } of values.values()) {
          const value = read();
          if (value !== undefined) result.observe(value, attributes);
        }
      });
    }
  }

  private add(key: CounterKey, count: number, attributes: Attributes): void {
    if (count > 0) this.counters[key].add(count, attributes);
  }

  private set(key: GaugeKey, attributes: Attributes, read: () => number | undefined): void {
    this.gauges[key].set(JSON.stringify(attributes), { attributes, read });
  }

  /** A stream's recorder; `attributes` (its `slack.team.id`, when teams are configured) go on every point. */
  bind(attributes: Attributes): StreamMetrics {
    return {
      exported: (count, errorType) => this.add('exported', count, errorType ? { ...attributes, 'error.type': errorType } : attributes),
      request: (outcome) => this.add('requests', 1, { ...attributes, outcome }),
      rateLimitWait: () => this.add('rateLimitWaits', 1, attributes),
      skipped: (count, reason) => this.add('skipped', count, { ...attributes, 'slack.integration_logs.skip_reason': reason }),
      pass: (error) => this.add('passes', 1, error ? { ...attributes, 'error.type': (error as Error)?.name ?? 'Error' } : attributes),
      cursorDate: (date) => this.set('cursorLag', attributes, () => Math.max(0, Date.now() / 1000 - date)),
      lastSuccess: () => {
        const at = Date.now() / 1000;
        this.set('lastSuccess', attributes, () => at);
      },
      pendingDeadLetters: (count) => this.set('deadLettersPending', attributes, () => count),
      nextPoll: (delayMs) => {
        const at = (Date.now() + delayMs) / 1000;
        this.set('nextPoll', attributes, () => Math.max(0, at - Date.now() / 1000));
      },
    };
  }

  /** A token refresh ended; `error` when it failed. No `slack.team.id`: the teams share one token. */
  credentialRefresh(error?: Error): void {
    this.add('refreshes', 1, error ? { 'error.type': error.name } : {});
  }

  /** `SLACK_TEAM_ID=all`: a workspace appeared in `auth.teams.list`, or left it. */
  teamChange(teamId: string, change: 'added' | 'removed'): void {
    this.add('teamChanges', 1, { [TEAM]: teamId, 'slack.integration_logs.team_change': change });
  }

  /** Where the access token's expiry (Unix milliseconds, when known) is read from. */
  credentialExpiry(read: () => number | undefined): void {
    this.set('credentialExpiry', {}, () => {
      const at = read();
      return at === undefined ? undefined : at / 1000;
    });
  }
}
