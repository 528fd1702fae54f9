import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResolvedConfig } from './config/config.js';
import { cursorFileFor, initialState, type CursorScope, type CursorState } from './state/cursor.js';
import { CursorStore } from './state/cursor-store.js';
import { OtlpExportError, StoppedError } from './core/errors.js';
import { normalizeEntry } from './entry/normalize.js';
import { type AcknowledgedExporter } from './export/acknowledged-exporter.js';
import { DeadLetterFile, deadLetterFileFor, type DeadLetter } from './state/dead-letter-file.js';
import { deliverSplitting, type SplitOutcome } from './export/split-delivery.js';
import { RecordBuilder } from './record/builder.js';
import { recordUid, toLogRecord } from './record/mapping.js';
import { isoSeconds } from './core/logger.js';
import type { SelfMetrics } from './telemetry/self-metrics.js';
import { IntegrationLogsClient } from './slack/client.js';
import { runSyncPass, type DeliverableEntry } from './delivery/pass.js';
import type { ReceiverLogger, SyncSummary } from './core/types.js';
import type { TokenProvider } from './slack/credentials.js';

export interface TeamSyncDeps {
  config: ResolvedConfig;
  logger: ReceiverLogger;
  exporter: AcknowledgedExporter;
  /** The records' resource; a team's records get `slack.team.id` added to it. */
  resource: Resource;
  scope: { name: string; version: string };
  metrics: SelfMetrics;
  /** One for every stream: they share the token (and its refreshes). */
  credentials: TokenProvider;
}

/** What `--replay-dead-letters` did for one team. */
export interface ReplayResult {
  /** Dead letters the collector acknowledged this time (removed from the file). */
  delivered: number;
  /** Dead letters refused again (kept in the file). */
  remaining: number;
  file: string;
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
  private readonly builder: RecordBuilder;
  readonly deadLetters: DeadLetterFile;
  private state: CursorState | undefined;
  private rejected = 0;
  private deadLettered = 0;
  private inFlight: Promise<SyncSummary> | undefined;
  /**
   * Passes and replays of this stream run one at a time: both send records of the stream (one
   * request in flight), and a replay rewrites the dead-letter file a pass appends to.
   */
  private turn: Promise<unknown> = Promise.resolve();
  /** The signal of the pass in progress: a split batch stops between halves on shutdown. */
  private passSignal: AbortSignal | undefined;

  constructor(teamId: string | undefined, deps: TeamSyncDeps) {
    const { config } = deps;
    this.teamId = teamId;
    this.deps = deps;
    this.scope = { ...(teamId ? { teamId } : {}), filters: config.filters };
    this.logger = teamId ? withFields(deps.logger, { team: teamId }) : deps.logger;
    // One Resource per team: a collector or Loki can make the team a stream of its own.
    const resource = teamId ? deps.resource.merge(resourceFromAttributes({ 'slack.team.id': teamId })) : deps.resource;
    this.builder = new RecordBuilder(resource, deps.scope);
    this.store = new CursorStore(cursorFileFor(config.cursorFile, this.scope));
    this.deadLetters = new DeadLetterFile(deadLetterFileFor(this.store.path));
    this.client = new IntegrationLogsClient({
      credentials: deps.credentials,
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
    const { backfillStart, backfillStartExplicit } = this.deps.config;
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
    this.rejected = 0;
    this.deadLettered = 0;
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
    this.passSignal = signal;
    const interrupted = () => {
      if (signal.aborted) throw new StoppedError('stopping: the pass was interrupted by shutdown');
    };
    const result = await this.withCursorNote(() =>
      runSyncPass(
        {
          fetchPage: (page, passSignal) => {
            interrupted();
            return this.client.fetchPage(page, passSignal ? anySignal(signal, passSignal) : signal);
          },
          prepare: (batch) => {
            // Held only until the exporter has serialized them (docs/performance.md, "Heap").
            let records: ReadableLogRecord[] | undefined = this.build(batch);
            return () => {
              interrupted();
              const built = records!;
              records = undefined;
              return this.send(batch, built);
            };
          },
          saveCursor: async (state) => {
            await this.store.save(state);
            this.state = state;
            this.deps.metrics.cursorDate(this.metricAttributes(), state.position.date);
          },
          logger: this.logger,
          progressIntervalMs: this.deps.config.progressIntervalMs,
          // Beside the cursor, under its lock: a killed pass leaves nothing in /tmp, and the next
          // pass clears what it left.
          spoolDir: `${this.store.path}.spool`,
        },
        this.state!,
      ),
    );
    this.state = result.state;
    const summary: SyncSummary = {
      fetched: result.fetched,
      exported: result.exported,
      skippedAlreadyDelivered: result.skippedAlreadyDelivered,
      slackRequests: this.client.requests - requestsBefore,
      rateLimitWaits: this.client.rateLimitWaits - waitsBefore,
      exportBatches: result.exportBatches,
      order: result.order,
      cursor: result.state.position,
      undatedEntries: result.undatedEntries,
      rejectedByCollector: this.rejected,
      deadLettered: this.deadLettered,
      durationMillis: Date.now() - startedAt,
      ...(result.gap ? { gap: result.gap } : {}),
    };
    if (result.undatedEntries > 0) {
      this.logger.warn(
        `${result.undatedEntries} entries had no usable date: exported with the time they were fetched, Slack's value in slack.integration.date`,
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
    const { timestampPolicy } = this.deps.config;
    const teamId = this.teamId;
    return this.builder.build(
      batch.map(({ entry, occurrence, fetchedAtMs, sortDate }) =>
        toLogRecord(entry, { occurrence, observedAtMs: fetchedAtMs, timestampPolicy, teamId, neighbourDate: sortDate }),
      ),
    );
  }

  /** Builds and sends records, checking that every one was built. */
  private deliver(batch: DeliverableEntry[], built?: ReadableLogRecord[]) {
    const records = built ?? this.build(batch);
    if (records.length !== batch.length) {
      // Never acknowledge a batch that was not built in full (a shut-down LoggerProvider builds none).
      return Promise.reject(new Error(`built ${records.length} of ${batch.length} records; nothing was sent`));
    }
    // The exporter serializes the records at once; nothing below holds them.
    return this.deps.exporter.deliver(records);
  }

  /**
   * Sends one batch: refused requests are split until every record the collector accepts is
   * delivered; records it refuses alone are kept in the dead-letter file (fsynced) before this
   * resolves, so the cursor only moves past what was delivered or kept.
   * @returns the number of records the collector acknowledged.
   */
  private async send(batch: DeliverableEntry[], built: ReadableLogRecord[]): Promise<number> {
    const { metrics } = this.deps;
    let first = true;
    let outcome: SplitOutcome<DeliverableEntry>;
    try {
      outcome = await deliverSplitting(batch, (part) => {
        if (this.passSignal?.aborted) throw new StoppedError('stopping: a split batch was interrupted by shutdown; it goes again next run');
        // The whole batch goes out as built; halves are built again (rare: only after a refusal).
        const records = first ? built : undefined;
        first = false;
        return this.deliver(part, records);
      });
    } catch (error) {
      metrics.records(batch.length, this.metricAttributes(), 'export_failed');
      throw error;
    }
    const { refused, acknowledged, rejected } = outcome;
    if (refused.length === batch.length) {
      // Not one record passed, even alone: the fault is not in the records.
      const { refusal } = refused[0]!;
      metrics.records(batch.length, this.metricAttributes(), 'export_failed');
      throw new OtlpExportError(this.deps.exporter.url, {
        ...refusal,
        kind: 'elsewhere',
        fix: `every one of the ${batch.length} records was refused on its own too, so the records are not at fault: check that the endpoint is an OTLP logs endpoint for ${this.deps.exporter.protocol} (OTEL_EXPORTER_OTLP_PROTOCOL), and the collector's logs`,
      });
    }
    if (refused.length > 0) {
      const now = new Date().toISOString();
      await this.deadLetters.append(
        refused.map(({ item, refusal }) => ({
          time: now,
          'log.record.uid': recordUid(item.entry.fingerprint, item.occurrence, this.teamId),
          status: refusal.status,
          ...(refusal.collectorMessage ? { message: refusal.collectorMessage } : {}),
          entry: item.entry.fields,
          occurrence: item.occurrence,
          fetchedAt: new Date(item.fetchedAtMs).toISOString(),
        })),
      );
      this.deadLettered += refused.length;
      metrics.records(refused.length, this.metricAttributes(), 'dead_lettered');
      metrics.pendingDeadLetters(this.metricAttributes(), await this.deadLetters.count());
      const { status, collectorMessage } = refused[0]!.refusal;
      this.logger.error(
        `the collector refused ${refused.length} record(s) even alone (${status}${collectorMessage ? `: "${collectorMessage}"` : ''}); they were written to ${this.deadLetters.path} and the cursor moves past them: fix the cause, then run slack-integration-logs --replay-dead-letters`,
        { deadLettered: refused.length, file: this.deadLetters.path },
      );
    }
    metrics.records(acknowledged - rejected, this.metricAttributes());
    if (rejected > 0) {
      // Re-sending what the collector refused would be refused again and stall the cursor forever.
      this.rejected += rejected;
      metrics.records(rejected, this.metricAttributes(), 'rejected');
      this.logger.warn(
        `the collector rejected ${rejected} of ${acknowledged} records (OTLP partial success${outcome.rejectedMessage ? `: ${outcome.rejectedMessage}` : ''}); they are not re-sent and the cursor moves on: check the collector's logs and limits`,
        { rejectedLogRecords: rejected, acknowledged },
      );
    }
    return acknowledged;
  }

  /**
   * Sends this team's dead letters again, one request each, in file order, with the uid they
   * were written with. Those the collector acknowledged in full are removed from the file; those
   * it refuses or rejects (partial success) stay, with its new answer. A collector that is down
   * ends the replay, keeping every letter not yet acknowledged. Runs in turn with this stream's
   * passes, under the cursor lock.
   */
  replayDeadLetters(): Promise<ReplayResult> {
    return this.inTurn(() => this.replayNow());
  }

  private async replayNow(): Promise<ReplayResult> {
    await this.store.lock();
    const letters = await this.deadLetters.read();
    const kept: DeadLetter[] = [];
    const keep = (letter: DeadLetter, status: string, message?: string) =>
      kept.push({ ...letter, time: new Date().toISOString(), status, ...(message ? { message } : {}) });
    let delivered = 0;
    try {
      for (let i = 0; i < letters.length; i++) {
        const letter = letters[i]!;
        try {
          const ack = await this.deps.exporter.deliver(this.buildLetter(letter));
          if (ack.rejectedLogRecords > 0) keep(letter, 'OTLP partial success', ack.errorMessage);
          else delivered++;
        } catch (error) {
          if (!(error instanceof OtlpExportError) || error.refusal.kind !== 'split') {
            kept.push(...letters.slice(i));
            throw error;
          }
          keep(letter, error.refusal.status, error.refusal.collectorMessage);
        }
      }
    } finally {
      await this.deadLetters.replace(kept);
      this.deps.metrics.records(delivered, this.metricAttributes());
      this.deps.metrics.pendingDeadLetters(this.metricAttributes(), kept.length);
    }
    return { delivered, remaining: kept.length, file: this.deadLetters.path };
  }

  /**
   * A dead letter's record: the uid it was written with (an entry corrected by hand keeps its
   * identity); with `SLACK_TIMESTAMP_POLICY=observed`, the replay's time, so that Loki, whose
   * stream has moved on, takes it.
   */
  private buildLetter(letter: DeadLetter): ReadableLogRecord[] {
    const { timestampPolicy } = this.deps.config;
    const observedAtMs = timestampPolicy === 'observed' ? Date.now() : Date.parse(letter.fetchedAt) || Date.now();
    const record = toLogRecord(normalizeEntry(letter.entry), {
      occurrence: letter.occurrence,
      observedAtMs,
      timestampPolicy,
      teamId: this.teamId,
    });
    record.attributes!['log.record.uid'] = letter['log.record.uid'];
    return this.builder.build([record]);
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
