import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createOtlpLogsExporter, type OtlpProtocol, type OtlpSettings, type PartialSuccess } from './otlp-exporter.js';
import { describeRefusal, type Refusal } from './refusal.js';

/**
 * An OTLP export the collector did not acknowledge. The message gives, on one line, the status
 * (HTTP status or gRPC code), the collector's own message, what the cursor did and the fix.
 */
export class OtlpExportError extends Error {
  override readonly name = 'OtlpExportError';
  constructor(
    readonly url: string,
    readonly refusal: Refusal,
    /** What happened to the cursor, when the caller knows it. */
    readonly cursorNote?: string,
    options?: ErrorOptions,
  ) {
    super(
      [
        `OTLP export to ${url} failed: ${refusal.status}`,
        refusal.collectorMessage ? `, the collector said "${refusal.collectorMessage}"` : '',
        cursorNote ? `; ${cursorNote}` : '',
        `; ${refusal.fix}`,
      ].join(''),
      options,
    );
  }

  /** The same error, saying what the cursor did. */
  withCursorNote(note: string): OtlpExportError {
    return new OtlpExportError(this.url, this.refusal, note, { cause: this });
  }
}

/** What the collector said about an acknowledged request. */
export interface ExportAck {
  /** Records the collector accepted the request for but rejected (OTLP partial success). */
  rejectedLogRecords: number;
  errorMessage?: string;
}

/**
 * Sends record batches and resolves only when the collector acknowledged them (2xx), as told by
 * the exporter's result callback: the one signal that means "delivered" (processor flushes
 * resolve even when exports failed). At most `maxInFlight` requests are on the wire at once,
 * whoever asks (teams share one exporter); the rest wait their turn in order, far below the
 * exporter's own limit (30), past which it fails exports at once.
 */
export class AcknowledgedExporter {
  private readonly exporter: OTLPExporterBase<ReadableLogRecord[]>;
  private lastPartial: PartialSuccess | undefined;
  private active = 0;
  /** Requests waiting for a free place, first come first served; a place is handed over directly. */
  private readonly queued: Array<() => void> = [];
  readonly url: string;
  readonly protocol: OtlpProtocol;

  /** @param maxInFlight requests on the wire at once, across all callers. */
  constructor(
    settings: OtlpSettings,
    private readonly maxInFlight: number,
  ) {
    this.url = settings.url;
    this.protocol = settings.protocol;
    this.exporter = createOtlpLogsExporter(settings, (partial) => {
      this.lastPartial = partial;
    });
  }

  /**
   * @returns what the collector said; `rejectedLogRecords > 0` on an OTLP partial success.
   * @throws OtlpExportError when the collector did not answer 2xx (after the exporter's own retries).
   */
  deliver(records: ReadableLogRecord[]): Promise<ExportAck> {
    if (this.active < this.maxInFlight) {
      this.active++;
      return this.sendNow(records);
    }
    return new Promise<void>((resolve) => this.queued.push(resolve)).then(() => this.sendNow(records));
  }

  private release(): void {
    const next = this.queued.shift();
    if (next) next();
    else this.active--;
  }

  private sendNow(records: ReadableLogRecord[]): Promise<ExportAck> {
    return new Promise<ExportAck>((resolve, reject) => {
      try {
        this.exporter.export(records, this.resultCallback(resolve, reject));
      } catch (error) {
        this.release();
        reject(new OtlpExportError(this.url, describeRefusal(error, this.protocol), undefined, { cause: error }));
      }
    });
  }

  // Made apart from `records`: a closure over them would keep the records (and so the GC's work)
  // alive until the collector answers, though they are serialized at once.
  private resultCallback(resolve: (ack: ExportAck) => void, reject: (error: Error) => void): (result: ExportResult) => void {
    return (result) => {
      const partial = this.lastPartial;
      this.lastPartial = undefined;
      this.release();
      if (result.code === ExportResultCode.SUCCESS) {
        resolve(partial ?? { rejectedLogRecords: 0 });
      } else {
        reject(new OtlpExportError(this.url, describeRefusal(result.error, this.protocol), undefined, { cause: result.error }));
      }
    };
  }

  async shutdown(): Promise<void> {
    await this.exporter.shutdown();
  }
}
