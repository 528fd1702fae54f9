import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReceiverLogger } from '../core/types.js';

/**
 * Wraps a metric exporter so that a failed export is said once on the receiver's log (the SDK only
 * hands it to the global error handler, which prints nothing by default), and its recovery too.
 * Nothing is lost meanwhile: the values are cumulative, the next export that succeeds carries them.
 */
export class ReportingMetricExporter implements PushMetricExporter {
  private failing = false;
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];

  constructor(
    private readonly inner: PushMetricExporter,
    /** Where it sends, for the log line: no credentials (see `displayUrl`). */
    private readonly where: string,
    private readonly logger: ReceiverLogger,
  ) {
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      const ok = result.code === ExportResultCode.SUCCESS;
      if (!ok && !this.failing) {
        this.logger.warn(
          `self-metrics: export to ${this.where} failed (${result.error?.message ?? 'no reason given'}); the receiver goes on, the next export carries the totals (OTEL_METRICS_EXPORTER=none turns them off)`,
        );
      } else if (ok && this.failing) {
        this.logger.info(`self-metrics: export to ${this.where} works again`);
      }
      this.failing = !ok;
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** A URL as it may appear in a log line: without user info or query (either may hold a credential). */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
