import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { NormalizedEntry } from '../entry/normalize.js';
import type { ReceiverLogger } from '../core/types.js';
import { OtlpExportError, StoppedError } from '../core/errors.js';
import type { DeadLetterFile } from '../state/dead-letter-file.js';
import { recordUid } from '../record/mapping.js';
import type { AcknowledgedExporter } from './acknowledged-exporter.js';
import { deliverSplitting } from './split-delivery.js';

/** An entry to send: what its record is built from, and what its dead letter keeps. */
export interface SendableEntry {
  entry: NormalizedEntry;
  /** Its occurrence among identical entries of its second (part of `log.record.uid`). */
  occurrence: number;
  /** When it was fetched, Unix milliseconds. */
  fetchedAtMs: number;
  /** For an undated entry, the date of its neighbour in the log (its record's time). */
  sortDate?: number;
  /** What the entry changed in the inventory, as of the entry (its record's attributes). */
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

export interface BatchSenderOptions<T extends SendableEntry> {
  exporter: Pick<AcknowledgedExporter, 'deliver' | 'url' | 'protocol'>;
  deadLetters: DeadLetterFile;
  /** Builds the records of `entries`, in order. */
  build(entries: T[]): ReadableLogRecord[];
  /** Part of every `log.record.uid` (SLACK_TEAM_ID), or none. */
  teamId: string | undefined;
  logger: ReceiverLogger;
}

/**
 * Sends one batch of a stream at a time (its caller holds the one-request-in-flight turn): refused
 * requests are split until every record the collector accepts is delivered; records it refuses
 * alone are kept in the dead-letter file (fsynced) before `send` resolves, so the cursor only moves
 * past what was delivered or kept.
 */
export class BatchSender<T extends SendableEntry> {
  constructor(private readonly options: BatchSenderOptions<T>) {}

  /**
   * @param built the batch's records, built already (halves of a refused batch are built again).
   * @param signal shutdown: a split batch stops between halves.
   * @throws OtlpExportError when the collector is down or the endpoint is wrong (nothing of the
   *   batch counts as delivered); StoppedError; DeadLetterFileError.
   */
  async send(batch: T[], built: ReadableLogRecord[], signal: AbortSignal): Promise<BatchDelivery> {
    const { exporter } = this.options;
    let first: ReadableLogRecord[] | undefined = built;
    const outcome = await deliverSplitting(batch, (part) => {
      if (signal.aborted) throw new StoppedError('stopping: a split batch was interrupted by shutdown; it goes again next run');
      const records = first ?? this.options.build(part);
      first = undefined;
      if (records.length !== part.length) {
        // Never acknowledge a batch that was not built in full (a shut-down LoggerProvider builds none).
        return Promise.reject(new Error(`built ${records.length} of ${part.length} records; nothing was sent`));
      }
      return exporter.deliver(records);
    });
    const { refused, acknowledged, rejected } = outcome;
    if (refused.length === batch.length) {
      // Not one record passed, even alone: the fault is not in the records.
      throw new OtlpExportError(exporter.url, {
        ...refused[0]!.refusal,
        kind: 'elsewhere',
        fix: `every one of the ${batch.length} records was refused on its own too, so the records are not at fault: check that the endpoint is an OTLP logs endpoint for ${exporter.protocol} (OTEL_EXPORTER_OTLP_PROTOCOL), and the collector's logs`,
      });
    }
    const delivery: BatchDelivery = { acknowledged, rejected, deadLettered: refused.length };
    if (refused.length > 0) delivery.pendingDeadLetters = await this.keep(refused);
    if (rejected > 0) {
      // Re-sending what the collector refused would be refused again and stall the cursor forever.
      this.options.logger.warn(
        `the collector rejected ${rejected} of ${acknowledged} records (OTLP partial success${outcome.rejectedMessage ? `: ${outcome.rejectedMessage}` : ''}); they are not re-sent and the cursor moves on: check the collector's logs and limits`,
        { rejectedLogRecords: rejected, acknowledged },
      );
    }
    return delivery;
  }

  /** Writes the refused records to the dead-letter file; returns the letters it now holds. */
  private async keep(refused: Array<{ item: T; refusal: { status: string; collectorMessage?: string } }>): Promise<number> {
    const { deadLetters, teamId, logger } = this.options;
    const now = new Date().toISOString();
    await deadLetters.append(
      refused.map(({ item, refusal }) => ({
        time: now,
        'log.record.uid': recordUid(item.entry.fingerprint, item.occurrence, teamId),
        status: refusal.status,
        ...(refusal.collectorMessage ? { message: refusal.collectorMessage } : {}),
        entry: item.entry.fields,
        occurrence: item.occurrence,
        fetchedAt: new Date(item.fetchedAtMs).toISOString(),
        // What the record was built from besides the entry, so a replay sends the same record.
        ...(item.scopesAdded ? { 'slack.integration.scopes.added': item.scopesAdded } : {}),
        ...(item.scopesRemoved ? { 'slack.integration.scopes.removed': item.scopesRemoved } : {}),
        ...(item.entry.date === undefined && item.sortDate !== undefined ? { neighbourDate: item.sortDate } : {}),
      })),
    );
    const pending = await deadLetters.count();
    const { status, collectorMessage } = refused[0]!.refusal;
    logger.error(
      `the collector refused ${refused.length} record(s) even alone (${status}${collectorMessage ? `: "${collectorMessage}"` : ''}); they were written to ${deadLetters.path} and the cursor moves past them: fix the cause, then run slack-integration-logs --replay-dead-letters`,
      { deadLettered: refused.length, file: deadLetters.path },
    );
    return pending;
  }
}
