import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpProtocol, OtlpSettings } from '../config/otlp.js';
import { createOtlpLogsExporter, type Answer, type LogsRequest, type SerializedLogs } from './otlp-exporter.js';
import { describeRefusal, oneLine } from './refusal.js';

import { OtlpExportError } from '../core/errors.js';

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
  private readonly exporter: OTLPExporterBase<LogsRequest>;
  /**
   * Serializes records into their request now, e.g. while the request before them is on the wire:
   * the send only sends then, and the records can be let go at once (docs/performance.md, "Heap").
   */
  readonly serialize: (records: ReadableLogRecord[]) => SerializedLogs;
  private lastAnswer: Answer | undefined;
  private active = 0;
  /** Requests waiting for a free place, first come first served; a place is handed over directly. */
  private readonly queued: Array<() => void> = [];
  /** The endpoint as messages show it: without credentials or query. */
  readonly url: string;
  readonly protocol: OtlpProtocol;

  /** @param maxInFlight requests on the wire at once, across all callers. */
  constructor(
    settings: OtlpSettings,
    private readonly maxInFlight: number,
  ) {
    this.url = redactUrl(settings.url);
    this.protocol = settings.protocol;
    ({ exporter: this.exporter, serialize: this.serialize } = createOtlpLogsExporter(settings, (answer) => {
      this.lastAnswer = answer;
    }));
  }

  /**
   * @param records the request's records, or the records serialized already (`serialize`).
   * @returns what the collector said; `rejectedLogRecords > 0` on an OTLP partial success.
   * @throws OtlpExportError when the collector did not answer 2xx (after the exporter's own retries).
   */
  deliver(records: LogsRequest): Promise<ExportAck> {
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

  private sendNow(records: LogsRequest): Promise<ExportAck> {
    return new Promise<ExportAck>((resolve, reject) => {
      try {
        this.exporter.export(records, this.resultCallback(resolve, reject));
      } catch (error) {
        this.release();
        reject(new OtlpExportError(this.url, describeRefusal(error, this.protocol), undefined, { cause: error }));
      }
    });
  }

  // Made apart from `records`, which a closure would keep alive until the collector answers
  // (docs/performance.md, "Heap").
  private resultCallback(resolve: (ack: ExportAck) => void, reject: (error: Error) => void): (result: ExportResult) => void {
    return (result) => {
      const answer = this.lastAnswer;
      this.lastAnswer = undefined;
      this.release();
      if (result.code !== ExportResultCode.SUCCESS) {
        reject(new OtlpExportError(this.url, describeRefusal(result.error, this.protocol), undefined, { cause: result.error }));
      } else if (answer && 'notOtlp' in answer) {
        reject(
          new OtlpExportError(this.url, {
            kind: 'elsewhere',
            status: 'a 2xx answer that is not an OTLP response',
            collectorMessage: oneLine(answer.notOtlp),
            fix: "this is not an OTLP logs endpoint (a web page, a proxy's default answer?): check OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL",
          }),
        );
      } else {
        resolve(answer ?? { rejectedLogRecords: 0 });
      }
    };
  }

  async shutdown(): Promise<void> {
    await this.exporter.shutdown();
  }
}

/** A URL as messages show it: no user, password or query string (they may hold credentials). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' && !url.endsWith('/') ? '' : u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}
