import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

/** An OTLP export the collector did not acknowledge with a 2xx. The message names the cause. */
export class OtlpExportError extends Error {
  override readonly name = 'OtlpExportError';
}

export interface OtlpSettings {
  /** Full logs URL, used as is (e.g. `http://localhost:4318/v1/logs`). */
  url: string;
  headers: Record<string, string>;
  /** Milliseconds; the exporter retries 429/502/503/504 within it. */
  timeoutMillis: number;
  compression: 'gzip' | 'none';
}

/** What the collector said about an acknowledged batch. */
export interface ExportAck {
  /** Records the collector accepted the request for but rejected (OTLP partial success). */
  rejectedLogRecords: number;
  errorMessage?: string;
}

interface Settle {
  resolve(ack: ExportAck): void;
  reject(error: Error): void;
}

interface Serializer {
  deserializeResponse(data: Uint8Array): { partialSuccess?: { rejectedLogRecords?: number | string; errorMessage?: string } };
}

/**
 * Exports one batch and resolves only when the collector acknowledged it (2xx), as told by the
 * exporter's result callback: the one signal that means "delivered" (processor flushes resolve even
 * when exports failed). At most `maxInFlight` exports are on the wire at once, whoever asks (teams
 * share one exporter); the rest wait their turn in order. That keeps far below the exporter's own
 * limit (30), past which it fails exports at once.
 *
 * The exporter reports an OTLP partial success only as a diag warning, so its response decoder is
 * wrapped to read `partialSuccess`. The exporter decodes a response and calls that request's result
 * callback in one synchronous step (`OTLPExportDelegate.export`, otlp-exporter-base 0.223), so what
 * the decoder saw belongs to the callback that runs next, whatever else is in flight.
 */
export class AcknowledgedExporter {
  private readonly exporter: LogRecordExporter;
  private lastPartial: ExportAck | undefined;
  private active = 0;
  /** Exports waiting for a free place, first come first served; a place is handed over directly. */
  private readonly queued: Array<() => void> = [];
  readonly url: string;

  /**
   * @param maxInFlight exports on the wire at once, across all callers.
   * @param exporter the OTel exporter to use; default an `OTLPLogExporter` from `settings`.
   */
  constructor(
    settings: OtlpSettings,
    private readonly maxInFlight: number,
    exporter?: LogRecordExporter,
  ) {
    this.url = settings.url;
    this.exporter =
      exporter ??
      new OTLPLogExporter({
        url: settings.url,
        headers: settings.headers,
        timeoutMillis: settings.timeoutMillis,
        compression: settings.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
      });
    this.watchPartialSuccess();
  }

  /** True when partial successes can be read from this exporter (checked by a test on the pinned version). */
  readonly partialSuccessVisible: boolean = false;

  /**
   * @returns what the collector said; `rejectedLogRecords > 0` on an OTLP partial success.
   * @throws OtlpExportError when the collector did not answer 2xx (after the exporter's own retries).
   */
  export(records: ReadableLogRecord[]): Promise<ExportAck> {
    if (this.active < this.maxInFlight) {
      this.active++;
      return this.exportNow(records);
    }
    return new Promise<void>((resolve) => this.queued.push(resolve)).then(() => this.exportNow(records));
  }

  private release(): void {
    const next = this.queued.shift();
    if (next) next();
    else this.active--;
  }

  private exportNow(records: ReadableLogRecord[]): Promise<ExportAck> {
    const ack = {} as Settle;
    const promise = new Promise<ExportAck>((resolve, reject) => {
      ack.resolve = resolve;
      ack.reject = reject;
    });
    // The callback is made apart from `records`: a closure made here would keep the records (and
    // so the GC's work) alive until the collector answers, though they are serialized at once.
    try {
      this.exporter.export(records, this.resultCallback(ack));
    } catch (error) {
      this.release();
      ack.reject(new OtlpExportError(`OTLP export to ${this.url} failed: ${describe(error)}`));
    }
    return promise;
  }

  private resultCallback(ack: Settle): (result: ExportResult) => void {
    return (result) => {
      const partial = this.lastPartial;
      this.lastPartial = undefined;
      this.release();
      if (result.code === ExportResultCode.SUCCESS) {
        ack.resolve(partial ?? { rejectedLogRecords: 0 });
      } else {
        ack.reject(new OtlpExportError(`OTLP export to ${this.url} failed: ${describe(result.error)}`));
      }
    };
  }

  private watchPartialSuccess(): void {
    const delegate = (this.exporter as unknown as { _delegate?: { _serializer?: Serializer } })._delegate;
    const serializer = delegate?._serializer;
    if (!delegate || typeof serializer?.deserializeResponse !== 'function') return;
    delegate._serializer = {
      ...serializer,
      deserializeResponse: (data: Uint8Array) => {
        const response = serializer.deserializeResponse(data);
        const rejected = Number(response?.partialSuccess?.rejectedLogRecords ?? 0);
        if (rejected > 0 || response?.partialSuccess?.errorMessage) {
          this.lastPartial = { rejectedLogRecords: rejected, errorMessage: response.partialSuccess?.errorMessage || undefined };
        }
        return response;
      },
    } as Serializer;
    (this as { partialSuccessVisible: boolean }).partialSuccessVisible = true;
  }

  async shutdown(): Promise<void> {
    await this.exporter.shutdown();
  }
}

function describe(error: unknown): string {
  if (!error) return 'no reason given';
  const e = error as { message?: string; code?: number | string; cause?: { code?: string; message?: string } };
  const parts = [e.message || String(error)];
  if (e.code !== undefined && !String(parts[0]).includes(String(e.code))) parts.push(`(${e.code})`);
  if (e.cause?.code) parts.push(`(${e.cause.code})`);
  return parts.join(' ');
}
