import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { TimestampPolicy } from '../core/types.js';
import { OtlpExportError } from '../core/errors.js';
import { normalizeEntry } from '../entry/normalize.js';
import type { DeadLetter, DeadLetterFile } from '../state/dead-letter-file.js';
import type { RecordBuilder } from '../record/builder.js';
import { toInventoryRecord } from '../record/inventory-record.js';
import { toLogRecord } from '../record/mapping.js';
import type { AcknowledgedExporter } from './acknowledged-exporter.js';

/** What `--replay-dead-letters` (`replayDeadLetters()`) did for one stream. */
export interface ReplayResult {
  /** Dead letters the collector acknowledged this time (removed from the file). */
  delivered: number;
  /** Dead letters refused again (kept in the file). */
  remaining: number;
  file: string;
}

export interface DeadLetterReplayOptions {
  deadLetters: DeadLetterFile;
  exporter: Pick<AcknowledgedExporter, 'deliver'>;
  builder: RecordBuilder;
  timestampPolicy: TimestampPolicy;
  teamId: string | undefined;
  /** Called once the file is rewritten, also when the replay failed: what it delivered and what it kept. */
  onSettled?: (counts: { delivered: number; remaining: number }) => void;
}

/**
 * Sends a stream's dead letters again, one request each, in file order, with the uid they were
 * written with. Those the collector acknowledged in full are removed from the file; those it
 * refuses or rejects (partial success) stay, with its new answer. A collector that is down ends
 * the replay, keeping every letter not yet acknowledged. Its caller holds the cursor lock and the
 * stream's turn.
 *
 * @throws OtlpExportError when the collector is down or the endpoint is wrong; DeadLetterFileError.
 */
export async function replayDeadLetters(options: DeadLetterReplayOptions): Promise<ReplayResult> {
  const { deadLetters, exporter } = options;
  const letters = await deadLetters.read();
  const kept: DeadLetter[] = [];
  const keep = (letter: DeadLetter, status: string, message?: string) =>
    kept.push({ ...letter, time: new Date().toISOString(), status, ...(message ? { message } : {}) });
  let delivered = 0;
  try {
    for (let i = 0; i < letters.length; i++) {
      const letter = letters[i]!;
      try {
        const ack = await exporter.deliver(buildLetter(letter, options));
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
    await deadLetters.replace(kept);
    options.onSettled?.({ delivered, remaining: kept.length });
  }
  return { delivered, remaining: kept.length, file: deadLetters.path };
}

/**
 * A dead letter's record: the record it would have been, from what the letter kept (the inventory's
 * effect, the neighbour's date of an undated entry), with the uid it was written with (an entry
 * corrected by hand keeps its identity); with `SLACK_TIMESTAMP_POLICY=observed`, the replay's
 * time, so that Loki, whose stream has moved on, takes it.
 */
function buildLetter(letter: DeadLetter, { timestampPolicy, teamId, builder }: DeadLetterReplayOptions): ReadableLogRecord[] {
  if (letter.snapshot) {
    const timeMs = timestampPolicy === 'observed' ? Date.now() : Date.parse(letter.snapshot.at) || Date.now();
    const snapshot = toInventoryRecord(letter.snapshot.app, { timeMs, teamId });
    snapshot.attributes!['log.record.uid'] = letter['log.record.uid'];
    return builder.build([snapshot]);
  }
  const observedAtMs = timestampPolicy === 'observed' ? Date.now() : Date.parse(letter.fetchedAt) || Date.now();
  const record = toLogRecord(normalizeEntry(letter.entry), {
    occurrence: letter.occurrence,
    observedAtMs,
    timestampPolicy,
    teamId,
    neighbourDate: letter.neighbourDate,
    scopesAdded: letter['slack.integration.scopes.added'],
    scopesRemoved: letter['slack.integration.scopes.removed'],
  });
  record.attributes!['log.record.uid'] = letter['log.record.uid'];
  return builder.build([record]);
}
