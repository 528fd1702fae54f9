import { withSignalPath } from './config.js';
import { OTLP_PROTOCOLS, type OtlpProtocol } from './otlp.js';
import { SETTINGS, defaultOf, settingOf, type Setting } from './settings.js';
import { ConfigError } from '../core/errors.js';

/**
 * Where the receiver's self-metrics go when it runs standalone (the CLI, or `--import .../register`
 * in a host without a MeterProvider), from the OpenTelemetry SDK environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 *
 * Headers, timeout, compression, TLS and temporality (`OTEL_EXPORTER_OTLP_METRICS_HEADERS`,
 * `_TIMEOUT`, `_COMPRESSION`, `_TEMPORALITY_PREFERENCE` and the general `OTEL_EXPORTER_OTLP_*`) are
 * read by the OTLP metric exporter itself; this decides only what it cannot: which exporter, how
 * often, and the endpoint, which falls back to the logs' collector.
 */

export type MetricsExporterName = 'otlp' | 'console';

export interface SelfMetricsSettings {
  /** Empty: `OTEL_METRICS_EXPORTER=none`, nothing is set up. */
  exporters: MetricsExporterName[];
  exportIntervalMillis: number;
  exportTimeoutMillis: number;
  otlp: { protocol: OtlpProtocol; url: string };
}

type Env = Record<string, string | undefined>;

/** @throws ConfigError naming each invalid variable and its fix. */
export function selfMetricsSettingsFromEnv(env: Env): SelfMetricsSettings {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const problems: string[] = [];

  const exporterText = get('OTEL_METRICS_EXPORTER') ?? defaultOf('metricsExporter')!;
  const names = [
    ...new Set(
      exporterText
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  for (const name of names) {
    if (!settingOf('metricsExporter').choices!.includes(name)) {
      problems.push(
        `OTEL_METRICS_EXPORTER ${JSON.stringify(exporterText)}: ${JSON.stringify(name)} is not supported: use otlp, console or none (for Prometheus, let the collector expose the metrics)`,
      );
    }
  }
  if (names.includes('none') && names.length > 1) {
    problems.push(`OTEL_METRICS_EXPORTER ${JSON.stringify(exporterText)}: none cannot be combined with other exporters: use none alone`);
  }

  const millis = (option: 'metricExportIntervalMillis' | 'metricExportTimeoutMillis') => {
    const {
      env: [name],
      min,
      max,
    } = settingOf(option) as Setting;
    const fallback = Number(defaultOf(option));
    const text = get(name!);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min! || n > max!) {
      problems.push(`${name} ${JSON.stringify(text)} is not a whole number of milliseconds from ${min} to ${max} (e.g. ${fallback})`);
      return fallback;
    }
    return n;
  };
  const exportIntervalMillis = millis('metricExportIntervalMillis');
  // The SDK refuses a timeout longer than the interval; the spec says to clamp it.
  const exportTimeoutMillis = Math.min(exportIntervalMillis, millis('metricExportTimeoutMillis'));

  // Signal-specific first, then the general one, then whatever the records use: one collector.
  const protocolVar = ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'].find((n) =>
    get(n),
  );
  // The logs' default encoding, so one collector setting serves both signals.
  let protocol = defaultOf('otlpProtocol') as OtlpProtocol;
  if (protocolVar) {
    const value = get(protocolVar)!;
    if (OTLP_PROTOCOLS.includes(value as OtlpProtocol)) protocol = value as OtlpProtocol;
    else problems.push(`${protocolVar} ${JSON.stringify(value)} is not an OTLP protocol: use http/json, http/protobuf or grpc`);
  }

  const url = metricsUrl(get, protocol, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    exporters: names.filter((n): n is MetricsExporterName => n !== 'none'),
    exportIntervalMillis,
    exportTimeoutMillis,
    otlp: { protocol, url },
  };
}

function metricsUrl(get: (name: string) => string | undefined, protocol: OtlpProtocol, problems: string[]): string {
  const grpc = protocol === 'grpc';
  const base = (SETTINGS as readonly Setting[]).find((s) => s.kind === 'base-url')!;
  const fallback = grpc ? base.grpcDefault! : withSignalPath(base.default!, 'metrics');
  const parse = (name: string, text: string) => {
    try {
      const url = new URL(text);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url;
    } catch {
      // reported below
    }
    problems.push(`${name} ${JSON.stringify(text)} is not an http(s) URL (e.g. ${fallback})`);
    return undefined;
  };

  const own = get('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (own) return parse('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', own)?.href ?? own;

  const baseUrl = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (baseUrl) {
    const url = parse('OTEL_EXPORTER_OTLP_ENDPOINT', baseUrl);
    return !url || grpc ? baseUrl : withSignalPath(url.href, 'metrics');
  }

  // Only the records' full URL is set: the metrics go to the same collector.
  const logs = get('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT');
  if (logs) {
    const url = parse('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', logs);
    if (!url || grpc) return logs;
    url.pathname = /\/v1\/logs\/?$/.test(url.pathname) ? url.pathname.replace(/\/v1\/logs\/?$/, '/v1/metrics') : '/v1/metrics';
    return url.href;
  }
  return fallback;
}
