import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
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
import { isoSeconds, teamLogger } from './core/logger.js';
import type { SelfMetrics, StreamMetrics } from './telemetry/self-metrics.js';
import { IntegrationLogsClient } from './slack/client.js';
import { runSyncPass, type DeliverableEntry } from './delivery/pass.js';
import type { Slot, TeamSlots } from './delivery/team-slots.js';
import type { AppState } from './inventory/fold.js';
import { inventoryItems } from './inventory/items.js';
import type { InventoryItem } from './inventory/types.js';
import { olderReason, passSummary, passSummaryLine, untouched } from './delivery/pass-summary.js';
import { SnapshotClock } from './delivery/inventory-view.js';
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
  /** The records' resource; a team's records get `slack.team.id` (and `slack.team.name`) added to it. */
  resource: Resource;
  /** `SLACK_TEAM_ID=all`: the workspace's name in `auth.teams.list` (`slack.team.name`). */
  teamName?: string;
  scope: { name: string; version: string };
  metrics: SelfMetrics;
  /** `SLACK_TEAM_CONCURRENCY`'s places, shared by every stream: a pass runs in one. */
  slots: TeamSlots;
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
  private readonly metrics: StreamMetrics;
  private readonly scope: CursorScope;
  private builder: RecordBuilder;
  /** `slack.team.name` of the records built now (`SLACK_TEAM_ID=all`). */
  teamName: string | undefined;
  readonly deadLetters: DeadLetterFile;
  private readonly sender: BatchSender;
  private state: CursorState | undefined;
  private inFlight: Promise<SyncSummary> | undefined;
  /** The place the pass in progress runs in. */
  private slot: Slot | undefined;
  /**
   * Passes and replays of this stream run one at a time: both send records of the stream (one
   * request in flight), and a replay rewrites the dead-letter file a pass appends to.
   */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly snapshots: SnapshotClock;

  constructor(teamId: string | undefined, deps: StreamDeps) {
    const { settings } = deps;
    this.teamId = teamId;
    this.deps = deps;
    this.scope = { ...(teamId ? { teamId } : {}), filters: settings.filters };
    this.logger = teamId ? teamLogger(deps.logger, teamId) : deps.logger;
    this.snapshots = new SnapshotClock(settings.inventoryIntervalMs);
    this.metrics = deps.metrics.bind(teamId ? { 'slack.team.id': teamId } : {});
    this.teamName = deps.teamName;
    this.builder = this.builderFor(deps.teamName);
    this.store = new CursorStore(cursorFileFor(settings.cursorFile, this.scope), { onWait: (message) => this.logger.info(message) });
    this.deadLetters = new DeadLetterFile(deadLetterFileFor(this.store.path));
    this.sender = new BatchSender({
      exporter: deps.exporter,
      deadLetters: this.deadLetters,
      buildRecords: (records) => this.builder.build(records),
      timestampPolicy: settings.timestampPolicy,
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
        if (kind === 'rate_limit') this.metrics.rateLimitWait();
      },
      onRequest: (outcome) => this.metrics.request(outcome),
      aside: (wait) => (this.slot ? this.slot.aside(wait) : wait()),
    });
  }

  /** One Resource per team: a collector or Loki can make the team a stream of its own. */
  private builderFor(teamName: string | undefined): RecordBuilder {
    const team = { ...(this.teamId ? { 'slack.team.id': this.teamId } : {}), ...(teamName ? { 'slack.team.name': teamName } : {}) };
    return new RecordBuilder(
      Object.keys(team).length > 0 ? this.deps.resource.merge(resourceFromAttributes(team)) : this.deps.resource,
      this.deps.scope,
    );
  }

  /**
   * The workspace was renamed (`auth.teams.list`): records built from now on carry the new
   * `slack.team.name`. The old builder is not shut down: a batch or replay may still be using it.
   */
  rename(teamName: string): void {
    this.teamName = teamName;
    this.builder = this.builderFor(teamName);
  }

  /** One pass; a second call while one runs gets the same promise. */
  pass(signal: AbortSignal): Promise<SyncSummary> {
    this.inFlight ??= this.inTurn(() => this.inSlot(signal)).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** A pass in one of the places (`TeamSlots`), given back while it waits before a retry. */
  private async inSlot(signal: AbortSignal): Promise<SyncSummary> {
    this.slot = await this.deps.slots.take();
    try {
      // Stopped while waiting for its place (shutdown, or its workspace left the listing): no pass
      // ran, so none is counted (hundreds of queued teams would each count a failure).
      if (signal.aborted) throw new StoppedError('stopping: the pass did not start');
      return await this.countedPass(signal);
    } finally {
      this.slot.release();
      this.slot = undefined;
    }
  }

  private async countedPass(signal: AbortSignal): Promise<SyncSummary> {
    try {
      const summary = await this.runPass(signal);
      this.metrics.pass();
      return summary;
    } catch (error) {
      this.metrics.pass(error);
      throw error;
    }
  }

  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    const mine = this.turn.then(run, run);
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /** Polling mode: this stream's next pass starts in `delayMs`. */
  nextPollIn(delayMs: number): void {
    this.metrics.nextPoll(delayMs);
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
    if (!untouched(state)) return state;
    this.logger.info(
      `cursor ${this.store.path} never delivered anything: starting from SLACK_BACKFILL_START_TIME ${isoSeconds(backfillStart)} instead of ${isoSeconds(state.backfillStart)}`,
    );
    return { ...initialState(backfillStart, this.scope), persisted: false };
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
    this.metrics.pendingDeadLetters(waiting);
    if (waiting > 0) {
      this.logger.warn(
        `${waiting} dead letter(s) wait in ${this.deadLetters.path}: records the collector refused; once the cause is fixed, send them with slack-integration-logs --replay-dead-letters`,
      );
    }
    this.state ??=
      this.adoptBackfillStart(await this.store.load(this.scope, { rebuildInventory: this.deps.rebuildInventory })) ??
      initialState(this.deps.settings.backfillStart, this.scope);
    this.metrics.cursorDate(this.state.position.date);
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
    const snapshot = this.snapshots.begin();
    let snapshotAt: number | undefined;
    const result = await this.withCursorNote(() =>
      runSyncPass(
        {
          fetchPage: (page, passSignal) => {
            interrupted();
            return this.client.fetchPage(page, passSignal ? AbortSignal.any([signal, passSignal]) : signal);
          },
          prepare: (batch) => {
            // Serialized now, while the batch before is on the wire: the records die young (docs/performance.md, "Heap").
            let records: LogsRequest | undefined = this.deps.exporter.serialize(this.sender.build(batch));
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
            this.metrics.cursorDate(state.position.date);
          },
          logger: this.logger,
          progressIntervalMs: this.deps.settings.progressIntervalMs,
          // Beside the cursor, under its lock: a killed pass leaves nothing in /tmp, and the next
          // pass clears what it left.
          spoolDir: `${this.store.path}.spool`,
          ...(this.deps.settings.inventoryIntervalMs > 0
            ? {
                snapshot: {
                  full: snapshot.full,
                  send: async (apps: AppState[]) => {
                    interrupted();
                    // One time for the whole snapshot, taken after the pass's change records.
                    snapshotAt ??= Date.now();
                    const delivery = await this.sender.sendSnapshot(apps, snapshotAt);
                    this.countKept(delivery);
                    refused.deadLettered += delivery.deadLettered;
                  },
                },
              }
            : {}),
        },
        start,
      ),
    );
    snapshot.ended(snapshotAt);
    this.state = result.state;
    const summary = passSummary(result, {
      slackRequests: this.client.requests - requestsBefore,
      rateLimitWaits: this.client.rateLimitWaits - waitsBefore,
      rejectedByCollector: refused.rejected,
      deadLettered: refused.deadLettered,
      durationMillis: Date.now() - startedAt,
    });
    if (result.undatedEntries > 0) {
      this.logger.warn(
        `${result.undatedEntries} entries had no usable date: exported with the date of the entry beside them in the log, Slack's value in slack.integration.date`,
      );
    }
    this.logger.info(passSummaryLine(summary, start, result.state), { ...summary, cursor: summary.cursor.date });
    this.metrics.skipped(summary.skippedAlreadyDelivered, 'already_delivered');
    this.metrics.skipped(summary.olderThanCursor, olderReason(start));
    this.metrics.lastSuccess();
    return summary;
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

  /** Sends one batch (see `BatchSender`) and counts its records in the self-metrics. */
  private async send(batch: DeliverableEntry[], built: LogsRequest, signal: AbortSignal): Promise<BatchDelivery> {
    const delivery = await this.sender.send(batch, built, signal).catch((error: unknown) => {
      this.metrics.exported(batch.length, 'export_failed');
      throw error;
    });
    this.countKept(delivery);
    this.metrics.exported(delivery.acknowledged - delivery.rejected);
    this.metrics.exported(delivery.rejected, 'rejected');
    return delivery;
  }

  /** Records dead-lettered by a batch, and the letters now waiting. */
  private countKept({ deadLettered, pendingDeadLetters }: BatchDelivery): void {
    this.metrics.exported(deadLettered, 'dead_lettered');
    if (pendingDeadLetters !== undefined) this.metrics.pendingDeadLetters(pendingDeadLetters);
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
          this.metrics.exported(delivered);
          this.metrics.pendingDeadLetters(remaining);
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
