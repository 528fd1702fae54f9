import type { LogRecord } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord, type SdkLogRecord } from '@opentelemetry/sdk-logs';

/**
 * Turns LogRecord fields into SDK records (`ReadableLogRecord`) through a real `LoggerProvider`,
 * so attribute limits, resource and instrumentation scope are handled as the SDK does, but
 * synchronously and without a batch processor: the batch processor drops records when its queue
 * is full and its flush does not report failed exports, so records go to the exporter directly
 * (see `export/acknowledged-exporter.ts`).
 */
export class RecordBuilder {
  private readonly provider: LoggerProvider;
  private readonly logger;
  private readonly collected: SdkLogRecord[] = [];

  constructor(resource: Resource, scope: { name: string; version: string }) {
    const collector: LogRecordProcessor = {
      onEmit: (record) => {
        this.collected.push(record);
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    this.provider = new LoggerProvider({ resource, processors: [collector] });
    this.logger = this.provider.getLogger(scope.name, scope.version);
  }

  /** Builds one SDK record per input, in order. */
  build(records: Iterable<LogRecord>): ReadableLogRecord[] {
    for (const r of records) {
      this.logger.emit(r);
    }
    return this.collected.splice(0, this.collected.length);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
