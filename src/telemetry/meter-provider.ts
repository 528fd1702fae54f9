import { setTimeout as sleep } from 'node:timers/promises';
import { createNoopMeter, metrics, type MeterProvider } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  MeterProvider as SdkMeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { ResolvedConfig, Settings } from '../config/config.js';
import type { ReceiverLogger } from '../core/types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../core/version.js';
import type { OtlpProtocol } from '../config/otlp.js';
import { displayUrl, ReportingMetricExporter } from './reporting-exporter.js';
import { otlpAgentFactory } from '../export/proxy-agent.js';

/** How long the exit waits for the last self-metrics export (the collector may be down). */
export const SELF_METRICS_FLUSH_MS = 5_000;

/** The receiver's own MeterProvider when it runs standalone, or nothing when a host has one. */
export interface SelfTelemetry {
  /** Pass as the receiver's `meterProvider`. Undefined: the global one is used (the host's, or a no-op). */
  meterProvider: MeterProvider | undefined;
  /** Exports what was recorded since the last interval and stops; false when it did not end within `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<boolean>;
}

/**
 * Whether a host registered a global MeterProvider: until one does, the API hands out its no-op
 * Meter (the same object `createNoopMeter` returns).
 */
export function hostMeterProviderRegistered(): boolean {
  return metrics.getMeter(PACKAGE_NAME, PACKAGE_VERSION) !== createNoopMeter();
}

/**
 * Sets up the OpenTelemetry metrics SDK for the receiver's self-metrics from the standalone settings
 * (`settingsFromEnv`), unless a host registered a MeterProvider: that one always wins. The provider
 * is not registered globally, so a host SDK started later can still register its own.
 */
export async function startSelfTelemetry({ receiver, selfMetrics: settings }: Settings, logger: ReceiverLogger): Promise<SelfTelemetry> {
  if (hostMeterProviderRegistered() || !settings || settings.exporters.length === 0) {
    return { meterProvider: undefined, shutdown: async () => true };
  }

  const readers = await Promise.all(
    settings.exporters.map(async (name) => {
      const exporter =
        name === 'console'
          ? new ReportingMetricExporter(new ConsoleMetricExporter(), 'the console', logger)
          : new ReportingMetricExporter(
              await otlpMetricExporter(settings.otlp.protocol, settings.otlp.url),
              displayUrl(settings.otlp.url),
              logger,
            );
      return new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: settings.exportIntervalMillis,
        exportTimeoutMillis: settings.exportTimeoutMillis,
      });
    }),
  );
  const provider = new SdkMeterProvider({ resource: selfResource(receiver), readers });
  let ended: Promise<boolean> | undefined;
  const shutdown = async (timeoutMs: number) => {
    const done = await Promise.race([
      provider.shutdown().then(
        () => true,
        () => true, // the reporting exporter said why
      ),
      sleep(timeoutMs, false, { ref: false }),
    ]);
    if (!done)
      logger.warn(`self-metrics: the last export did not end within ${timeoutMs / 1000}s (collector unreachable?); not waiting for it`);
    return done;
  };
  return { meterProvider: provider, shutdown: (timeoutMs = SELF_METRICS_FLUSH_MS) => (ended ??= shutdown(timeoutMs)) };
}

/** The official exporter of the protocol, loaded only when used (gRPC's is heavy). Headers, timeout, TLS: from the environment, by the exporter; the proxy as the logs' exporter picks it. */
async function otlpMetricExporter(protocol: OtlpProtocol, url: string): Promise<PushMetricExporter> {
  switch (protocol) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter({ url });
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter({
        url,
        httpAgentOptions: otlpAgentFactory(url),
      });
    case 'http/json':
      return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter({
        url,
        httpAgentOptions: otlpAgentFactory(url),
      });
  }
}

/** The records' resource: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, service.name defaulting to the receiver's. */
function selfResource({ serviceName, resourceAttributes }: ResolvedConfig): Resource {
  return defaultResource().merge(resourceFromAttributes({ ...resourceAttributes, 'service.name': serviceName }));
}
