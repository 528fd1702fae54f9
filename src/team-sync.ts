import type { LogAttributes } from '@opentelemetry/api-logs';
import type { ResolvedConfig } from './config.js';
import { cursorFileFor, initialState, type CursorScope, type CursorState } from './cursor/cursor.js';
import { CursorStore } from './cursor/store.js';
import type { AcknowledgedExporter, ExportAck } from './export/acknowledged-exporter.js';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { RecordBuilder } from './record/builder.js';
import { toLogRecord } from './record/mapping.js';
import { isoSeconds } from './logger.js';
import type { SelfMetrics } from './self-metrics.js';
import { IntegrationLogsClient, SlackPaginationLimitError } from './slack/client.js';
import { runSyncPass, type DeliverableEntry } from './sync/sync-pass.js';
import type { ReceiverLogger, SyncSummary } from './types.js';

/** Thrown by a pass that `shutdown` interrupted; the cursor is where acknowledged data ends. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export interface TeamSyncDeps {
  config: ResolvedConfig;
  logger: ReceiverLogger;
  exporter: AcknowledgedExporter;
  builder: RecordBuilder;
  metrics: SelfMetrics;
}

/**
 * One stream of `team.integrationLogs`: one team (or the token's own workspace) and one filter
 * set, with its own Slack client (so its own rate budget), cursor file and lock.
 */
export class TeamSync {
  readonly teamId: string | undefined;
  readonly store: CursorStore;
  private readonly client: IntegrationLogsClient;
  private readonly deps: TeamSyncDeps;
  private readonly logger: ReceiverLogger;
  private readonly scope: CursorScope;
  private readonly extraAttributes: LogAttributes;
  private state: CursorState | undefined;
  private rejected = 0;
  private inFlight: Promise<SyncSummary> | undefined;

  constructor(teamId: string | undefined, deps: TeamSyncDeps) {
    const { config } = deps;
    this.teamId = teamId;
    this.deps = deps;
    this.scope = { ...(teamId ? { teamId } : {}), filters: config.filters };
    this.logger = teamId ? withFields(deps.logger, { team: teamId }) : deps.logger;
    this.extraAttributes = teamId ? { 'slack.team.id': teamId } : {};
    this.store = new CursorStore(cursorFileFor(config.cursorFile, this.scope));
    this.client = new IntegrationLogsClient({
      token: config.token,
      slackApiUrl: config.slackApiUrl,
      pageSize: config.pageSize,
      filters: config.filters,
      teamId,
      retryDeadlineMs: config.retryDeadlineMs,
      // A hung request must not outlast the retry deadline (a `--once` run is bounded by it).
      requestTimeoutMs: Math.min(30_000, Math.max(1_000, config.retryDeadlineMs)),
      logger: this.logger,
      onWait: (kind) => {
        if (kind === 'rate_limit') deps.metrics.rateLimitWaits.add(1, this.metricAttributes());
      },
      onRequest: (outcome) => deps.metrics.slackRequests.add(1, { ...this.metricAttributes(), outcome }),
    });
  }

  /** One pass; a second call while one runs gets the same promise. */
  pass(signal: AbortSignal): Promise<SyncSummary> {
    this.inFlight ??= this.runPass(signal).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The pass in progress, if any. */
  get current(): Promise<SyncSummary> | undefined {
    return this.inFlight;
  }

  async close(): Promise<void> {
    await this.store.unlock();
  }

  /**
   * A cursor that never delivered anything (its first run failed) still stands at its start; an
   * explicitly set, different SLACK_BACKFILL_START_TIME then wins, as the person expects.
   */
  private adoptBackfillStart(state: CursorState | undefined): CursorState | undefined {
    const { backfillStart, backfillStartExplicit } = this.deps.config;
    if (!state || !backfillStartExplicit || state.backfillStart === backfillStart) return state;
    const untouched = state.position.date === state.backfillStart && Object.keys(state.position.delivered).length === 0 && !state.undated;
    if (!untouched) return state;
    this.logger.info(`cursor ${this.store.path} never delivered anything: starting from SLACK_BACKFILL_START_TIME ${isoSeconds(backfillStart)} instead of ${isoSeconds(state.backfillStart)}`);
    return { ...initialState(backfillStart, this.scope), persisted: false };
  }

  private metricAttributes(): Record<string, string> {
    return this.teamId ? { 'slack.team.id': this.teamId } : {};
  }

  private async runPass(signal: AbortSignal): Promise<SyncSummary> {
    const startedAt = Date.now();
    const requestsBefore = this.client.requests;
    const waitsBefore = this.client.rateLimitWaits;
    this.rejected = 0;
    await this.store.lock();
    this.state ??= this.adoptBackfillStart(await this.store.load(this.scope)) ?? initialState(this.deps.config.backfillStart, this.scope);
    this.deps.metrics.cursorDate(this.metricAttributes(), this.state.position.date);
    if (!this.state.persisted) {
      this.logger.info(
        `no cursor at ${this.store.path}: starting from ${isoSeconds(this.state.backfillStart)} (SLACK_BACKFILL_START_TIME)`,
      );
      // Saved before anything else: if this pass fails, the next run must start from this same
      // moment, not from its own "now" (which would skip what happened in between).
      await this.store.save(this.state);
      this.state = { ...this.state, persisted: true };
    }
    const interrupted = () => {
      if (signal.aborted) throw new StoppedError('stopping: the pass was interrupted by shutdown');
    };
    const result = await runSyncPass(
      {
        fetchPage: (page, passSignal) => {
          interrupted();
          return this.client.fetchPage(page, passSignal ? anySignal(signal, passSignal) : signal);
        },
        prepare: (batch) => {
          // Held only until the exporter has serialized them: records kept alive across the
          // collector's round trip are promoted to the old generation, and the heap balloons.
          let records: ReadableLogRecord[] | undefined = this.build(batch);
          const expected = batch.length;
          return () => {
            interrupted();
            const built = records!;
            records = undefined;
            return this.send(built, expected);
          };
        },
        saveCursor: async (state) => {
          await this.store.save(state);
          this.state = state;
          this.deps.metrics.cursorDate(this.metricAttributes(), state.position.date);
        },
        logger: this.logger,
        isPaginationLimit: (e) => e instanceof SlackPaginationLimitError,
        progressIntervalMs: this.deps.config.progressIntervalMs,
        // Beside the cursor, under its lock: a killed pass leaves nothing in /tmp, and the next
        // pass clears what it left.
        spoolDir: `${this.store.path}.spool`,
      },
      this.state,
    );
    this.state = result.state;
    const summary: SyncSummary = {
      fetched: result.fetched,
      exported: result.exported,
      skippedAlreadyDelivered: result.skippedAlreadyDelivered,
      slackRequests: this.client.requests - requestsBefore,
      rateLimitWaits: this.client.rateLimitWaits - waitsBefore,
      otlpExports: result.exportBatches,
      order: result.order,
      cursor: result.state.position,
      malformedEntries: result.malformedEntries,
      rejectedByCollector: this.rejected,
      durationMs: Date.now() - startedAt,
      ...(result.gap ? { gap: result.gap } : {}),
    };
    if (result.malformedEntries > 0) {
      this.logger.warn(
        `${result.malformedEntries} entries had no usable date: exported with the time they were fetched, Slack's value in slack.integration.date`,
      );
    }
    this.logger.info(
      `sync pass: ${summary.exported} exported, ${summary.skippedAlreadyDelivered} already delivered, ${summary.slackRequests} Slack request(s), cursor at ${isoSeconds(summary.cursor.date)}`,
      { ...summary, cursor: summary.cursor.date },
    );
    this.deps.metrics.lastSuccess(this.metricAttributes());
    return summary;
  }

  private build(batch: DeliverableEntry[]): ReadableLogRecord[] {
    const { config, builder } = this.deps;
    return builder.build(
      batch.map(({ entry, occurrence, fetchedAtMs }) =>
        toLogRecord(entry, {
          occurrence,
          observedAtMs: fetchedAtMs,
          timestampPolicy: config.timestampPolicy,
          extraAttributes: this.extraAttributes,
        }),
      ),
    );
  }

  private send(records: ReadableLogRecord[], expected: number): Promise<void> {
    if (records.length !== expected) {
      // Never acknowledge a batch that was not built in full (a shut-down LoggerProvider builds none).
      return Promise.reject(new Error(`built ${records.length} of ${expected} records; nothing was sent`));
    }
    // The exporter serializes the records at once; nothing below holds them.
    return this.acknowledged(this.deps.exporter.export(records), expected);
  }

  private async acknowledged(exported: Promise<ExportAck>, count: number): Promise<void> {
    const { metrics } = this.deps;
    let ack;
    try {
      ack = await exported;
    } catch (error) {
      metrics.exportFailures.add(1, this.metricAttributes());
      throw error;
    }
    metrics.entriesExported.add(count, this.metricAttributes());
    if (ack.rejectedLogRecords > 0) {
      // Re-sending what the collector refused would be refused again and stall the cursor forever.
      this.rejected += Math.min(ack.rejectedLogRecords, count);
      this.logger.warn(
        `the collector accepted the batch but rejected ${ack.rejectedLogRecords} of ${count} records (OTLP partial success${ack.errorMessage ? `: ${ack.errorMessage}` : ''}); they are not re-sent, the cursor moves on: check the collector's logs and limits`,
        { rejectedLogRecords: ack.rejectedLogRecords, batch: count },
      );
    }
  }
}

/** Aborted when either is (AbortSignal.any, Node >= 20.3, with a fallback). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (any) return any([a, b]);
  const controller = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', () => controller.abort(), { once: true });
  }
  return controller.signal;
}

function withFields(logger: ReceiverLogger, extra: Record<string, unknown>): ReceiverLogger {
  const prefix = `[team ${String(extra.team)}] `;
  return {
    debug: (message, fields) => logger.debug(prefix + message, { ...extra, ...fields }),
    info: (message, fields) => logger.info(prefix + message, { ...extra, ...fields }),
    warn: (message, fields) => logger.warn(prefix + message, { ...extra, ...fields }),
    error: (message, fields) => logger.error(prefix + message, { ...extra, ...fields }),
  };
}
