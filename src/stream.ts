import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResolvedConfig } from './config/config.js';
import { cursorFileFor, initialState, type CursorScope, type CursorState } from './state/cursor.js';
import { CursorStore } from './state/cursor-store.js';
import { NoInventoryError, OtlpExportError, StoppedError } from './core/errors.js';
import { type AcknowledgedExporter } from './export/acknowledged-exporter.js';
import type { LogsRequest } from './export/otlp-exporter.js';
import { BatchSender, type BatchDelivery } from './export/batch-sender.js';
import { replayDeadLetters, type ReplayResult } from './export/dead-letter-replay.js';
import { DeadLetterFile, deadLetterFileFor } from './state/dead-letter-file.js';
import { RecordBuilder } from './record/builder.js';
import { toLogRecord } from './record/mapping.js';
import { isoSeconds } from './core/logger.js';
import type { SelfMetrics } from './telemetry/self-metrics.js';
import { IntegrationLogsClient } from './slack/client.js';
import { runSyncPass, type DeliverableEntry } from './delivery/pass.js';
import { deliverSplitting } from './export/split-delivery.js';
import type { AppState } from './inventory/fold.js';
import { inventoryItems } from './inventory/items.js';
import type { InventoryItem } from './inventory/types.js';
import { toInventoryRecord } from './record/inventory-record.js';
import { olderReason, passSummaryLine } from './delivery/pass-summary.js';
import type { ReceiverLogger, SyncSummary } from './core/types.js';
import type { TokenProvider } from './slack/credentials.js';

/** The settings a stream uses. */
export type StreamSettings = Pick<
  ResolvedConfig,
  | 'slackApiUrl'
  | 'pageSize'
  | 'filters'
  | 'retryDeadlineMs'
  | 'cursorFile'
  | 'backfillStart'
  | 'backfillStartExplicit'
  | 'progressIntervalMs'
  | 'inventoryIntervalMs'
  | 'timestampPolicy'
>;

export interface StreamDeps {
  settings: StreamSettings;
  logger: ReceiverLogger;
  exporter: AcknowledgedExporter;
  /** The records' resource; a team's records get `slack.team.id` added to it. */
  resource: Resource;
  scope: { name: string; version: string };
  metrics: SelfMetrics;
  /** One for every stream: they share the token (and its refreshes). */
  credentials: TokenProvider;
  /** `--rebuild-inventory`: the cursor file is read without its inventory, which the next pass builds. */
  rebuildInventory?: boolean;
}

/**
 * One stream of `team.integrationLogs`: one team (or the token's own workspace) and one filter
 * set, with its own Slack client (so its own rate budget), cursor file and lock.
 */
export class Stream {
  readonly teamId: string | undefined;
  readonly store: CursorStore;
  private readonly client: IntegrationLogsClient;
  private readonly deps: StreamDeps;
  private readonly logger: ReceiverLogger;
  private readonly scope: CursorScope;
  private readonly builder: RecordBuilder;
  readonly deadLetters: DeadLetterFile;
  private readonly sender: BatchSender<DeliverableEntry>;
  private state: CursorState | undefined;
  private inFlight: Promise<SyncSummary> | undefined;
  /**
   * Passes and replays of this stream run one at a time: both send records of the stream (one
   * request in flight), and a replay rewrites the dead-letter file a pass appends to.
   */
  private turn: Promise<unknown> = Promise.resolve();
  /** When this process last sent a full inventory snapshot (none yet: the next pass sends one). */
  private lastFullSnapshotAt: number | undefined;

  constructor(teamId: string | undefined, deps: StreamDeps) {
    const { settings } = deps;
    this.teamId = teamId;
    this.deps = deps;
    this.scope = { ...(teamId ? { teamId } : {}), filters: settings.filters };
    this.logger = teamId ? withFields(deps.logger, { team: teamId }) : deps.logger;
    // One Resource per team: a collector or Loki can make the team a stream of its own.
    const resource = teamId ? deps.resource.merge(resourceFromAttributes({ 'slack.team.id': teamId })) : deps.resource;
    this.builder = new RecordBuilder(resource, deps.scope);
    this.store = new CursorStore(cursorFileFor(settings.cursorFile, this.scope), { onWait: (message) => this.logger.info(message) });
    this.deadLetters = new DeadLetterFile(deadLetterFileFor(this.store.path));
    this.sender = new BatchSender({
      exporter: deps.exporter,
      deadLetters: this.deadLetters,
      build: (entries) => this.build(entries),
      teamId,
      logger: this.logger,
    });
    this.client = new IntegrationLogsClient({
      credentials: deps.credentials,
      slackApiUrl: settings.slackApiUrl,
      pageSize: settings.pageSize,
      filters: settings.filters,
      teamId,
      retryDeadlineMs: settings.retryDeadlineMs,
      // A hung request must not outlast the retry deadline (a `--once` run is bounded by it).
      requestTimeoutMs: Math.min(30_000, Math.max(1_000, settings.retryDeadlineMs)),
      logger: this.logger,
      onWait: (kind) => {
        if (kind === 'rate_limit') deps.metrics.rateLimitWaits.add(1, this.metricAttributes());
      },
      onRequest: (outcome) => deps.metrics.slackRequests.add(1, { ...this.metricAttributes(), outcome }),
    });
  }

  /** One pass; a second call while one runs gets the same promise. */
  pass(signal: AbortSignal): Promise<SyncSummary> {
    this.inFlight ??= this.inTurn(() => this.runPass(signal))
      .then(
        (summary) => {
          this.deps.metrics.pass(this.metricAttributes());
          return summary;
        },
        (error: unknown) => {
          this.deps.metrics.pass(this.metricAttributes(), error);
          throw error;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    const mine = this.turn.then(run, run);
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /** Polling mode: this stream's next pass starts in `delayMs`. */
  nextPollIn(delayMs: number): void {
    this.deps.metrics.nextPoll(this.metricAttributes(), delayMs);
  }

  /** The pass in progress, if any. */
  get current(): Promise<SyncSummary> | undefined {
    return this.inFlight;
  }

  async close(): Promise<void> {
    await this.store.unlock();
    await this.builder.shutdown().catch(() => undefined);
  }

  /**
   * A cursor that never delivered anything (its first run failed) still stands at its start; an
   * explicitly set, different SLACK_BACKFILL_START_TIME then wins, as the person expects.
   */
  private adoptBackfillStart(state: CursorState | undefined): CursorState | undefined {
    const { backfillStart, backfillStartExplicit } = this.deps.settings;
    if (!state || !backfillStartExplicit || state.backfillStart === backfillStart) return state;
    const untouched = state.position.date === state.backfillStart && Object.keys(state.position.delivered).length === 0 && !state.undated;
    if (!untouched) return state;
    this.logger.info(
      `cursor ${this.store.path} never delivered anything: starting from SLACK_BACKFILL_START_TIME ${isoSeconds(backfillStart)} instead of ${isoSeconds(state.backfillStart)}`,
    );
    return { ...initialState(backfillStart, this.scope), persisted: false };
  }

  private metricAttributes(): Record<string, string> {
    return this.teamId ? { 'slack.team.id': this.teamId } : {};
  }

  private async runPass(signal: AbortSignal): Promise<SyncSummary> {
    const startedAt = Date.now();
    const requestsBefore = this.client.requests;
    const waitsBefore = this.client.rateLimitWaits;
    const refused = { rejected: 0, deadLettered: 0 };
    await this.store.lock();
    // Only a warning: a dead-letter file that cannot be read must not stop delivery.
    const waiting = await this.deadLetters.count().catch((error: Error) => {
      this.logger.warn(error.message);
      return 0;
    });
    this.deps.metrics.pendingDeadLetters(this.metricAttributes(), waiting);
    if (waiting > 0) {
      this.logger.warn(
        `${waiting} dead letter(s) wait in ${this.deadLetters.path}: records the collector refused; once the cause is fixed, send them with slack-integration-logs --replay-dead-letters`,
      );
    }
    this.state ??=
      this.adoptBackfillStart(await this.store.load(this.scope, { rebuildInventory: this.deps.rebuildInventory })) ??
      initialState(this.deps.settings.backfillStart, this.scope);
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
    const start = this.state;
    const interrupted = () => {
      if (signal.aborted) throw new StoppedError('stopping: the pass was interrupted by shutdown');
    };
    const { inventoryIntervalMs } = this.deps.settings;
    const fullSnapshot = this.lastFullSnapshotAt === undefined || Date.now() - this.lastFullSnapshotAt >= inventoryIntervalMs;
    let snapshotAt: number | undefined;
    // A failed pass may have lost a snapshot of the apps it changed: the next one is a full one.
    const lastFull = this.lastFullSnapshotAt;
    this.lastFullSnapshotAt = undefined;
    const result = await this.withCursorNote(() =>
      runSyncPass(
        {
          fetchPage: (page, passSignal) => {
            interrupted();
            return this.client.fetchPage(page, passSignal ? anySignal(signal, passSignal) : signal);
          },
          prepare: (batch) => {
            // Serialized now, while the batch before is on the wire: the records die young (docs/performance.md, "Heap").
            let records: LogsRequest | undefined = this.deps.exporter.serialize(this.build(batch));
            return async () => {
              interrupted();
              const built = records!;
              records = undefined;
              const delivery = await this.send(batch, built, signal);
              refused.rejected += delivery.rejected;
              refused.deadLettered += delivery.deadLettered;
              return delivery.acknowledged;
            };
          },
          saveCursor: async (state) => {
            await this.store.save(state);
            this.state = state;
            this.deps.metrics.cursorDate(this.metricAttributes(), state.position.date);
          },
          logger: this.logger,
          progressIntervalMs: this.deps.settings.progressIntervalMs,
          // Beside the cursor, under its lock: a killed pass leaves nothing in /tmp, and the next
          // pass clears what it left.
          spoolDir: `${this.store.path}.spool`,
          ...(inventoryIntervalMs > 0
            ? {
                snapshot: {
                  full: fullSnapshot,
                  send: async (apps: AppState[]) => {
                    interrupted();
                    // One time for the whole snapshot, taken after the pass's change records.
                    snapshotAt ??= Date.now();
                    refused.deadLettered += await this.sendSnapshot(apps, snapshotAt);
                  },
                },
              }
            : {}),
        },
        start,
      ),
    );
    this.lastFullSnapshotAt = fullSnapshot ? (snapshotAt ?? Date.now()) : lastFull;
    this.state = result.state;
    const summary: SyncSummary = {
      fetched: result.fetched,
      exported: result.exported,
      skippedAlreadyDelivered: result.skippedAlreadyDelivered,
      olderThanCursor: result.olderThanCursor,
      slackRequests: this.client.requests - requestsBefore,
      rateLimitWaits: this.client.rateLimitWaits - waitsBefore,
      exportBatches: result.exportBatches,
      order: result.order,
      cursor: result.state.position,
      undatedEntries: result.undatedEntries,
      rejectedByCollector: refused.rejected,
      deadLettered: refused.deadLettered,
      durationMillis: Date.now() - startedAt,
      ...(result.gap ? { gap: result.gap } : {}),
    };
    if (result.undatedEntries > 0) {
      this.logger.warn(
        `${result.undatedEntries} entries had no usable date: exported with the date of the entry beside them in the log, Slack's value in slack.integration.date`,
      );
    }
    this.logger.info(passSummaryLine(summary, start, result.state), { ...summary, cursor: summary.cursor.date });
    this.deps.metrics.skipped(summary.skippedAlreadyDelivered, this.metricAttributes(), 'already_delivered');
    this.deps.metrics.skipped(summary.olderThanCursor, this.metricAttributes(), olderReason(start));
    this.deps.metrics.lastSuccess(this.metricAttributes());
    return summary;
  }

  private build(batch: DeliverableEntry[]): ReadableLogRecord[] {
    const { timestampPolicy } = this.deps.settings;
    const teamId = this.teamId;
    return this.builder.build(
      batch.map(({ entry, occurrence, fetchedAtMs, sortDate, scopesAdded, scopesRemoved }) =>
        toLogRecord(entry, {
          occurrence,
          observedAtMs: fetchedAtMs,
          timestampPolicy,
          teamId,
          neighbourDate: sortDate,
          scopesAdded,
          scopesRemoved,
        }),
      ),
    );
  }

  /** The saved app inventory as `inventory --json` prints it. @throws NoInventoryError when none was built yet. */
  async inventory(): Promise<InventoryItem[]> {
    const state = this.state ?? (await this.store.load(this.scope));
    if (!state?.inventory) {
      throw new NoInventoryError(
        `no app inventory in ${this.store.path} yet: run slack-integration-logs --once to build it (the first pass reads the whole log)`,
      );
    }
    return inventoryItems(state.inventory, this.teamId);
  }

  /**
   * One batch of inventory snapshot records, split like a batch of change records when refused.
   * Those refused even alone are kept in the dead-letter file, as change records are, and sent by
   * `--replay-dead-letters` with their snapshot's time and uid.
   * @returns how many were dead-lettered.
   */
  private async sendSnapshot(apps: AppState[], timeMs: number): Promise<number> {
    const { exporter, metrics } = this.deps;
    const records = (part: AppState[]) => part.map((app) => toInventoryRecord(app, { timeMs, teamId: this.teamId }));
    const outcome = await deliverSplitting(apps, (part) => exporter.deliver(this.builder.build(records(part))));
    if (outcome.refused.length === apps.length) {
      throw new OtlpExportError(exporter.url, {
        ...outcome.refused[0]!.refusal,
        kind: 'elsewhere',
        fix: "every inventory snapshot record was refused on its own too, so the records are not at fault: check the collector's logs",
      });
    }
    if (outcome.refused.length === 0) return 0;
    const now = new Date().toISOString();
    const at = new Date(timeMs).toISOString();
    await this.deadLetters.append(
      outcome.refused.map(({ item, refusal }) => ({
        time: now,
        'log.record.uid': String(records([item])[0]!.attributes!['log.record.uid']),
        status: refusal.status,
        ...(refusal.collectorMessage ? { message: refusal.collectorMessage } : {}),
        entry: {},
        occurrence: 0,
        fetchedAt: at,
        snapshot: { app: item, at },
      })),
    );
    metrics.records(outcome.refused.length, this.metricAttributes(), 'dead_lettered');
    metrics.pendingDeadLetters(this.metricAttributes(), await this.deadLetters.count());
    this.logger.error(
      `the collector refused ${outcome.refused.length} inventory snapshot record(s) even alone (${outcome.refused[0]!.refusal.status}); they were written to ${this.deadLetters.path}: fix the cause, then run slack-integration-logs --replay-dead-letters`,
      { deadLettered: outcome.refused.length, file: this.deadLetters.path },
    );
    return outcome.refused.length;
  }

  /** Sends one batch (see `BatchSender`) and counts its records in the self-metrics. */
  private async send(batch: DeliverableEntry[], built: LogsRequest, signal: AbortSignal): Promise<BatchDelivery> {
    const { metrics } = this.deps;
    const attributes = this.metricAttributes();
    let delivery: BatchDelivery;
    try {
      delivery = await this.sender.send(batch, built, signal);
    } catch (error) {
      metrics.records(batch.length, attributes, 'export_failed');
      throw error;
    }
    const { acknowledged, rejected, deadLettered, pendingDeadLetters } = delivery;
    metrics.records(deadLettered, attributes, 'dead_lettered');
    if (pendingDeadLetters !== undefined) metrics.pendingDeadLetters(attributes, pendingDeadLetters);
    metrics.records(acknowledged - rejected, attributes);
    metrics.records(rejected, attributes, 'rejected');
    return delivery;
  }

  /**
   * Sends this stream's dead letters again (see `replayDeadLetters`), in turn with its passes,
   * under the cursor lock.
   */
  replayDeadLetters(): Promise<ReplayResult> {
    return this.inTurn(async () => {
      await this.store.lock();
      return replayDeadLetters({
        deadLetters: this.deadLetters,
        exporter: this.deps.exporter,
        builder: this.builder,
        timestampPolicy: this.deps.settings.timestampPolicy,
        teamId: this.teamId,
        onSettled: ({ delivered, remaining }) => {
          this.deps.metrics.records(delivered, this.metricAttributes());
          this.deps.metrics.pendingDeadLetters(this.metricAttributes(), remaining);
        },
      });
    });
  }

  /** A failed export says where the cursor stayed: at the end of what was delivered or kept. */
  private async withCursorNote<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof OtlpExportError && !error.cursorNote && this.state) {
        throw error.withCursorNote(`the cursor stays at ${isoSeconds(this.state.position.date)}, after the last record delivered or kept`);
      }
      throw error;
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
