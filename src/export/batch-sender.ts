import type { LogRecord } from '@opentelemetry/api-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { NormalizedEntry } from '../entry/normalize.js';
import type { ReceiverLogger, TimestampPolicy } from '../core/types.js';
import { OtlpExportError, StoppedError, type Refusal } from '../core/errors.js';
import type { DeadLetter, DeadLetterFile } from '../state/dead-letter-file.js';
import type { AppState } from '../inventory/fold.js';
import { recordUid, toLogRecord } from '../record/mapping.js';
import { toInventoryRecord } from '../record/inventory-record.js';
import type { AcknowledgedExporter } from './acknowledged-exporter.js';
import { deliverSplitting } from './split-delivery.js';

/** An entry to send: what its record is built from, and what its dead letter keeps. */
export interface SendableEntry {
  entry: NormalizedEntry;
  /** 0-based occurrence of this exact content in its second (part of `log.record.uid`). */
  occurrence: number;
  /** When it was fetched, Unix milliseconds. */
  fetchedAtMs: number;
  /** `entry.date`, or for an undated entry the date of its neighbour (see `MappingContext.neighbourDate`). */
  sortDate?: number;
  /** What the entry changed in the inventory, as of the entry (see `FoldEffect`). */
  scopesAdded?: string[];
  scopesRemoved?: string[];
}

/** How one batch was delivered: every record acknowledged, or refused alone and kept. */
export interface BatchDelivery {
  /** Records in requests the collector acknowledged (partial-success rejections included). */
  acknowledged: number;
  /** Of those, records the collector rejected (OTLP partial success): not re-sent. */
  rejected: number;
  /** Records the collector refused even alone, now in the dead-letter file. */
  deadLettered: number;
  /** Letters in the dead-letter file after this batch; present when it wrote some. */
  pendingDeadLetters?: number;
}

export interface BatchSenderOptions {
  exporter: Pick<AcknowledgedExporter, 'deliver' | 'url' | 'protocol'>;
  deadLetters: DeadLetterFile;
  /** Turns LogRecords into the SDK records the exporter sends (the stream's resource and scope). */
  buildRecords(records: LogRecord[]): ReadableLogRecord[];
  timestampPolicy: TimestampPolicy;
  /** Part of every `log.record.uid` (SLACK_TEAM_ID), or none. */
  teamId: string | undefined;
  logger: ReceiverLogger;
}

/**
 * Sends one batch of a stream at a time (its caller holds the one-request-in-flight turn): refused
 * requests are split until every record the collector accepts is delivered; records it refuses
 * alone are kept in the dead-letter file (fsynced) before `send` resolves, so the cursor only moves
 * past what was delivered or kept. Change records (`send`) and inventory snapshot records
 * (`sendSnapshot`) go the same way.
 */
export class BatchSender {
  constructor(private readonly options: BatchSenderOptions) {}

  /** The SDK records of a batch of change records, in order. */
  build(batch: SendableEntry[]): ReadableLogRecord[] {
    const { timestampPolicy, teamId } = this.options;
    return this.options.buildRecords(
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

  /**
   * @param built the batch's records, built already (halves of a refused batch are built again).
   * @param signal shutdown: a split batch stops between halves.
   * @throws OtlpExportError when the collector is down or the endpoint is wrong (nothing of the
   *   batch counts as delivered); StoppedError; DeadLetterFileError.
   */
  async send(batch: SendableEntry[], built: ReadableLogRecord[], signal: AbortSignal): Promise<BatchDelivery> {
    const { exporter } = this.options;
    let first: ReadableLogRecord[] | undefined = built;
    const outcome = await deliverSplitting(batch, (part) => {
      if (signal.aborted) throw new StoppedError('stopping: a split batch was interrupted by shutdown; it goes again next run');
      const records = first ?? this.build(part);
      first = undefined;
      if (records.length !== part.length) {
        // Never acknowledge a batch that was not built in full (a shut-down LoggerProvider builds none).
        return Promise.reject(new Error(`built ${records.length} of ${part.length} records; nothing was sent`));
      }
      return exporter.deliver(records);
    });
    const { refused, acknowledged, rejected } = outcome;
    if (refused.length === batch.length) {
      throw this.allRefused(
        refused[0]!.refusal,
        `every one of the ${batch.length} records was refused on its own too, so the records are not at fault: check that the endpoint is an OTLP logs endpoint for ${exporter.protocol} (OTEL_EXPORTER_OTLP_PROTOCOL), and the collector's logs`,
      );
    }
    const delivery: BatchDelivery = { acknowledged, rejected, deadLettered: refused.length };
    if (refused.length > 0) {
      const now = new Date().toISOString();
      const { status, collectorMessage } = refused[0]!.refusal;
      delivery.pendingDeadLetters = await this.keep(
        refused.map(({ item, refusal }) => ({
          time: now,
          'log.record.uid': recordUid(item.entry.fingerprint, item.occurrence, this.options.teamId),
          status: refusal.status,
          ...(refusal.collectorMessage ? { message: refusal.collectorMessage } : {}),
          entry: item.entry.fields,
          occurrence: item.occurrence,
          fetchedAt: new Date(item.fetchedAtMs).toISOString(),
        })),
        `the collector refused ${refused.length} record(s) even alone (${status}${collectorMessage ? `: "${collectorMessage}"` : ''})`,
        'and the cursor moves past them',
      );
    }
    if (rejected > 0) {
      // Re-sending what the collector refused would be refused again and stall the cursor forever.
      this.options.logger.warn(
        `the collector rejected ${rejected} of ${acknowledged} records (OTLP partial success${outcome.rejectedMessage ? `: ${outcome.rejectedMessage}` : ''}); they are not re-sent and the cursor moves on: check the collector's logs and limits`,
        { rejectedLogRecords: rejected, acknowledged },
      );
    }
    return delivery;
  }

  /**
   * One batch of inventory snapshot records of one time, split like a batch of change records when
   * refused. Those refused even alone are kept in the dead-letter file, as change records are, and
   * sent by `--replay-dead-letters` with their snapshot's time and uid.
   * @throws OtlpExportError when every record was refused on its own too; DeadLetterFileError.
   */
  async sendSnapshot(apps: AppState[], timeMs: number): Promise<BatchDelivery> {
    const { teamId } = this.options;
    const records = (part: AppState[]) => part.map((app) => toInventoryRecord(app, { timeMs, teamId }));
    const outcome = await deliverSplitting(apps, (part) => this.options.exporter.deliver(this.options.buildRecords(records(part))));
    const { refused, acknowledged, rejected } = outcome;
    if (refused.length === apps.length) {
      throw this.allRefused(
        refused[0]!.refusal,
        "every inventory snapshot record was refused on its own too, so the records are not at fault: check the collector's logs",
      );
    }
    const delivery: BatchDelivery = { acknowledged, rejected, deadLettered: refused.length };
    if (refused.length === 0) return delivery;
    const now = new Date().toISOString();
    const at = new Date(timeMs).toISOString();
    delivery.pendingDeadLetters = await this.keep(
      refused.map(({ item, refusal }) => ({
        time: now,
        'log.record.uid': String(records([item])[0]!.attributes!['log.record.uid']),
        status: refusal.status,
        ...(refusal.collectorMessage ? { message: refusal.collectorMessage } : {}),
        entry: {},
        occurrence: 0,
        fetchedAt: at,
        snapshot: { app: item, at },
      })),
      `the collector refused ${refused.length} inventory snapshot record(s) even alone (${refused[0]!.refusal.status})`,
    );
    return delivery;
  }

  /** Not one record passed, even alone: the fault is not in the records. */
  private allRefused(refusal: Refusal, fix: string): OtlpExportError {
    return new OtlpExportError(this.options.exporter.url, { ...refusal, kind: 'elsewhere', fix });
  }

  /** Writes the letters to the dead-letter file and says so; returns the letters it now holds. */
  private async keep(letters: DeadLetter[], what: string, cursorNote?: string): Promise<number> {
    const { deadLetters, logger } = this.options;
    await deadLetters.append(letters);
    const pending = await deadLetters.count();
    logger.error(
      `${what}; they were written to ${deadLetters.path}${cursorNote ? ` ${cursorNote}` : ''}: fix the cause, then run slack-integration-logs --replay-dead-letters`,
      { deadLettered: letters.length, file: deadLetters.path },
    );
    return pending;
  }
}
