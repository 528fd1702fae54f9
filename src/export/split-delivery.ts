import { type ExportAck } from './acknowledged-exporter.js';
import { OtlpExportError, type Refusal } from '../core/errors.js';

/** How one batch went, once every record was either acknowledged or refused on its own. */
export interface SplitOutcome<T> {
  /** Records in requests the collector acknowledged (2xx). */
  acknowledged: number;
  /** Of those, records the collector reported rejected (OTLP partial success), at most `acknowledged`. */
  rejected: number;
  /** The collector's message with the last partial success. */
  rejectedMessage?: string;
  /** Records the collector refused even alone, in batch order. */
  refused: Array<{ item: T; refusal: Refusal }>;
  /** OTLP requests made. */
  requests: number;
}

/**
 * Delivers `items` in order, halving any request the collector refuses for what it holds (see
 * `RefusalKind` 'split'), again and again, so that every record it accepts is delivered and only
 * the records it refuses alone are left over. Halves go one after the other, so order holds.
 *
 * @throws OtlpExportError as soon as a refusal is not about the records (the collector is down,
 *   or the endpoint or credentials are wrong); what was acknowledged before stays acknowledged.
 */
export async function deliverSplitting<T>(items: T[], send: (part: T[]) => Promise<ExportAck>): Promise<SplitOutcome<T>> {
  const outcome: SplitOutcome<T> = { acknowledged: 0, rejected: 0, refused: [], requests: 0 };
  const deliver = async (part: T[]): Promise<void> => {
    outcome.requests++;
    let ack: ExportAck;
    try {
      ack = await send(part);
    } catch (error) {
      if (!(error instanceof OtlpExportError) || error.refusal.kind !== 'split') throw error;
      if (part.length === 1) {
        outcome.refused.push({ item: part[0]!, refusal: error.refusal });
        return;
      }
      const middle = Math.ceil(part.length / 2);
      await deliver(part.slice(0, middle));
      await deliver(part.slice(middle));
      return;
    }
    outcome.acknowledged += part.length;
    if (ack.rejectedLogRecords > 0) {
      outcome.rejected += Math.min(ack.rejectedLogRecords, part.length);
      outcome.rejectedMessage = ack.errorMessage ?? outcome.rejectedMessage;
    }
  };
  await deliver(items);
  return outcome;
}
