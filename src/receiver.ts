import { setTimeout as sleep } from 'node:timers/promises';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { optionsFromEnv, resolveConfig, type ResolvedConfig } from './config.js';
import { initialState, type CursorState } from './cursor/cursor.js';
import { CursorStore } from './cursor/store.js';
import { AcknowledgedExporter } from './export/acknowledged-exporter.js';
import { stderrLogger } from './logger.js';
import { RecordBuilder } from './record/builder.js';
import { toLogRecord } from './record/mapping.js';
import { IntegrationLogsClient, SlackFatalError, SlackPaginationLimitError } from './slack/client.js';
import { runSyncPass, type DeliverableEntry, type PagingGap } from './sync/sync-pass.js';
import type { ReceiverLogger, SlackIntegrationLogsReceiverOptions, SyncSummary } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** Poll backoff after a failed pass: doubles from the poll interval up to this. */
const MAX_FAILURE_BACKOFF_MS = 15 * 60_000;
/** Wait after an error that needs a person (bad token...): long, so a broken setup does not spin. */
const FATAL_BACKOFF_MS = 15 * 60_000;

/** What the receiver is doing, for health checks. */
export interface ReceiverStatus {
  running: boolean;
  /** Unix milliseconds of the last pass that ended without error. */
  lastSuccessAt?: number;
  /** The last pass's error message, cleared by a successful pass. */
  lastError?: string;
  lastSummary?: SyncSummary;
}

/**
 * Pulls Slack `team.integrationLogs` (https://api.slack.com/methods/team.integrationLogs)
 * incrementally and exports each entry as one OpenTelemetry LogRecord over OTLP/HTTP, exactly once
 * across restarts, keeping its place in a cursor file.
 *
 * @throws ConfigError from the constructor when the options are invalid (every problem listed).
 */
export class SlackIntegrationLogsReceiver {
  private readonly config: ResolvedConfig;
  private readonly logger: ReceiverLogger;
  private readonly store: CursorStore;
  private readonly client: IntegrationLogsClient;
  private readonly exporter: AcknowledgedExporter;
  private readonly builder: RecordBuilder;
  private state: CursorState | undefined;
  private running: Promise<void> | undefined;
  private stopping = new AbortController();
  private pass: Promise<SyncSummary> | undefined;
  /** Records the collector refused in acknowledged batches (OTLP partial success), this pass. */
  private rejectedThisPass = 0;
  private readonly statusValue: ReceiverStatus = { running: false };

  /** Reads options from environment variables (see README); `overrides` win. */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    overrides: SlackIntegrationLogsReceiverOptions = {},
  ): SlackIntegrationLogsReceiver {
    const fromEnv = optionsFromEnv(env);
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return new SlackIntegrationLogsReceiver({ ...fromEnv, ...defined });
  }

  constructor(options: SlackIntegrationLogsReceiverOptions) {
    this.config = resolveConfig(options);
    this.logger = options.logger ?? stderrLogger();
    for (const warning of this.config.warnings) this.logger.warn(warning);
    this.store = new CursorStore(this.config.cursorFile);
    this.client = new IntegrationLogsClient({
      token: this.config.token,
      slackApiUrl: this.config.slackApiUrl,
      pageSize: this.config.pageSize,
      filters: {},
      retryDeadlineMs: this.config.retryDeadlineMs,
      logger: this.logger,
    });
    this.exporter = new AcknowledgedExporter(this.config.otlp);
    const resource = defaultResource().merge(
      resourceFromAttributes({ ...this.config.resourceAttributes, 'service.name': this.config.serviceName }),
    );
    this.builder = new RecordBuilder(resource, { name: PACKAGE_NAME, version: PACKAGE_VERSION });
  }

  /** The cursor file in use (absolute path). */
  get cursorFile(): string {
    return this.store.path;
  }

  get status(): ReceiverStatus {
    return { ...this.statusValue };
  }

  /**
   * One sync pass: fetches what is new since the cursor, exports it oldest first, moves the cursor
   * after each acknowledged batch. Takes the cursor file's lock on first use (held until `shutdown`).
   *
   * @throws SlackFatalError (needs a person), SlackUnavailableError, OtlpExportError, CursorFileError.
   */
  async syncOnce(): Promise<SyncSummary> {
    if (this.pass) return this.pass;
    this.pass = this.runPass().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  /** Starts polling every `pollInterval` (the first pass at once). Resolves once the first pass has begun. */
  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = new AbortController();
    this.statusValue.running = true;
    this.running = this.pollLoop(this.stopping.signal);
  }

  /**
   * Stops polling, lets a pass in progress end at its next page or batch (never moving the cursor
   * past unacknowledged records), then releases the cursor lock and the exporter.
   * @param timeoutMs how long to wait for the pass in progress, milliseconds.
   */
  async shutdown(timeoutMs = 8_000): Promise<void> {
    this.stopping.abort();
    const pending = [this.running, this.pass].filter(Boolean);
    if (pending.length) {
      await Promise.race([Promise.allSettled(pending), sleep(timeoutMs, undefined, { ref: false })]);
    }
    this.running = undefined;
    this.statusValue.running = false;
    await this.store.unlock();
    await this.exporter.shutdown().catch(() => undefined);
    await this.builder.shutdown().catch(() => undefined);
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let waitMs = this.config.pollIntervalMs;
      try {
        await this.syncOnce();
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        const fatal = error instanceof SlackFatalError;
        waitMs = fatal
          ? Math.max(FATAL_BACKOFF_MS, this.config.pollIntervalMs)
          : Math.min(MAX_FAILURE_BACKOFF_MS, this.config.pollIntervalMs * 2 ** (failures - 1));
        this.logger.error(`${(error as Error).message}; next try in ${Math.round(waitMs / 1000)}s`, {
          consecutiveFailures: failures,
        });
      }
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async runPass(): Promise<SyncSummary> {
    const startedAt = Date.now();
    const requestsBefore = this.client.requests;
    this.rejectedThisPass = 0;
    const waitsBefore = this.client.rateLimitWaits;
    try {
      await this.store.lock();
      this.state ??= (await this.store.load()) ?? initialState(this.config.backfillStart);
      if (!this.state.persisted) {
        this.logger.info(
          `no cursor at ${this.store.path}: starting from ${new Date(this.state.backfillStart * 1000).toISOString()} (SLACK_BACKFILL_START_TIME)`,
        );
      }
      const signal = this.stopping.signal;
      let gap: PagingGap | undefined;
      const result = await runSyncPass(
        {
          fetchPage: (page) => {
            if (signal.aborted) throw new Error('stopping: the pass was interrupted by shutdown');
            return this.client.fetchPage(page);
          },
          deliver: (batch) => {
            if (signal.aborted) throw new Error('stopping: the pass was interrupted by shutdown');
            return this.deliver(batch);
          },
          saveCursor: async (state) => {
            await this.store.save(state);
            this.state = state;
          },
          logger: this.logger,
          isPaginationLimit: (e) => e instanceof SlackPaginationLimitError,
        },
        this.state,
      );
      gap = result.gap;
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
        rejectedByCollector: this.rejectedThisPass,
        durationMs: Date.now() - startedAt,
        ...(gap ? { gap } : {}),
      };
      if (result.malformedEntries > 0) {
        this.logger.warn(
          `${result.malformedEntries} entries had no usable date: exported with the time they were fetched, Slack's value in slack.integration.date`,
        );
      }
      this.logger.info(
        `sync pass: ${summary.exported} exported, ${summary.skippedAlreadyDelivered} already delivered, ${summary.slackRequests} Slack requests, cursor at ${new Date(summary.cursor.date * 1000).toISOString()}`,
        { ...summary, cursor: summary.cursor.date },
      );
      this.statusValue.lastSuccessAt = Date.now();
      this.statusValue.lastError = undefined;
      this.statusValue.lastSummary = summary;
      return summary;
    } catch (error) {
      this.statusValue.lastError = (error as Error).message;
      // The in-memory state may be ahead of nothing: it only ever holds saved, acknowledged positions.
      throw error;
    }
  }

  private async deliver(batch: DeliverableEntry[]): Promise<void> {
    const records = this.builder.build(
      batch.map(({ entry, occurrence, fetchedAtMs }) =>
        toLogRecord(entry, { occurrence, observedAtMs: fetchedAtMs, timestampPolicy: this.config.timestampPolicy }),
      ),
    );
    const ack = await this.exporter.export(records);
    if (ack.rejectedLogRecords > 0) {
      // Re-sending what the collector refused would be refused again and stall the cursor forever.
      this.rejectedThisPass += ack.rejectedLogRecords;
      this.logger.warn(
        `the collector accepted the batch but rejected ${ack.rejectedLogRecords} of ${records.length} records (OTLP partial success${ack.errorMessage ? `: ${ack.errorMessage}` : ''}); they are not re-sent, the cursor moves on: check the collector's logs and limits`,
        { rejectedLogRecords: ack.rejectedLogRecords, batch: records.length },
      );
    }
  }
}
