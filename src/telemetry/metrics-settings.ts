import { ConfigError } from '../config.js';

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

export type OtlpProtocol = 'http/json' | 'http/protobuf' | 'grpc';
export type MetricsExporterName = 'otlp' | 'console';

export interface SelfMetricsSettings {
  /** Empty: `OTEL_METRICS_EXPORTER=none`, nothing is set up. */
  exporters: MetricsExporterName[];
  exportIntervalMillis: number;
  exportTimeoutMillis: number;
  otlp: { protocol: OtlpProtocol; url: string };
}

export const METRICS_DEFAULTS = {
  exporter: 'otlp',
  exportIntervalMillis: 60_000,
  exportTimeoutMillis: 30_000,
  // The logs' default encoding, so one collector setting serves both signals.
  protocol: 'http/json' as OtlpProtocol,
  httpUrl: 'http://localhost:4318/v1/metrics',
  grpcUrl: 'http://localhost:4317',
} as const;

/** The variables read here and by the metric exporter, for `--help` and docs/operations.md. */
export const SELF_METRICS_ENV_VARS: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'OTEL_METRICS_EXPORTER', default: 'otlp', meaning: 'self-metrics: otlp, console, or none (comma-separated); a host MeterProvider wins' },
  { name: 'OTEL_METRIC_EXPORT_INTERVAL', default: '60000', meaning: 'self-metrics export interval, milliseconds (also exported once at exit)' },
  { name: 'OTEL_METRIC_EXPORT_TIMEOUT', default: '30000', meaning: 'self-metrics export timeout, milliseconds (at most the interval)' },
  { name: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', default: '(the logs collector)', meaning: 'full self-metrics URL (grpc: host URL); unset: OTEL_EXPORTER_OTLP_ENDPOINT, else the logs endpoint with /v1/metrics' },
  { name: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', default: '(the logs protocol)', meaning: 'http/json, http/protobuf or grpc; unset: OTEL_EXPORTER_OTLP_PROTOCOL, then OTEL_EXPORTER_OTLP_LOGS_PROTOCOL' },
  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', default: 'http/json', meaning: 'OTLP protocol of every signal: http/json, http/protobuf or grpc' },
  { name: 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', default: '(OTEL_EXPORTER_OTLP_PROTOCOL)', meaning: 'OTLP protocol of the records' },
  { name: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', default: '(OTEL_EXPORTER_OTLP_HEADERS)', meaning: 'self-metrics request headers; also _TIMEOUT, _COMPRESSION, _TEMPORALITY_PREFERENCE' },
];

type Env = Record<string, string | undefined>;

const PROTOCOLS: readonly OtlpProtocol[] = ['http/json', 'http/protobuf', 'grpc'];
const EXPORTERS: readonly string[] = ['otlp', 'console', 'none'];

/** @throws ConfigError naming each invalid variable and its fix. */
export function selfMetricsSettingsFromEnv(env: Env): SelfMetricsSettings {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const problems: string[] = [];

  const exporterText = get('OTEL_METRICS_EXPORTER') ?? METRICS_DEFAULTS.exporter;
  const names = [...new Set(exporterText.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  for (const name of names) {
    if (!EXPORTERS.includes(name)) {
      problems.push(
        `OTEL_METRICS_EXPORTER ${JSON.stringify(exporterText)}: ${JSON.stringify(name)} is not supported: use otlp, console or none (for Prometheus, let the collector expose the metrics)`,
      );
    }
  }
  if (names.includes('none') && names.length > 1) {
    problems.push(`OTEL_METRICS_EXPORTER ${JSON.stringify(exporterText)}: none cannot be combined with other exporters: use none alone`);
  }

  const millis = (name: string, fallback: number) => {
    const text = get(name);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > 86_400_000) {
      problems.push(`${name} ${JSON.stringify(text)} is not a whole number of milliseconds from 1 to 86400000 (e.g. ${fallback})`);
      return fallback;
    }
    return n;
  };
  const exportIntervalMillis = millis('OTEL_METRIC_EXPORT_INTERVAL', METRICS_DEFAULTS.exportIntervalMillis);
  // The SDK refuses a timeout longer than the interval; the spec says to clamp it.
  const exportTimeoutMillis = Math.min(exportIntervalMillis, millis('OTEL_METRIC_EXPORT_TIMEOUT', METRICS_DEFAULTS.exportTimeoutMillis));

  // Signal-specific first, then the general one, then whatever the records use: one collector.
  const protocolVar = ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'].find((n) => get(n));
  let protocol = METRICS_DEFAULTS.protocol;
  if (protocolVar) {
    const value = get(protocolVar)!;
    if (PROTOCOLS.includes(value as OtlpProtocol)) protocol = value as OtlpProtocol;
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
  const parse = (name: string, text: string) => {
    try {
      const url = new URL(text);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url;
    } catch {
      // reported below
    }
    problems.push(`${name} ${JSON.stringify(text)} is not an http(s) URL (e.g. ${grpc ? METRICS_DEFAULTS.grpcUrl : METRICS_DEFAULTS.httpUrl})`);
    return undefined;
  };

  const own = get('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (own) return parse('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', own)?.href ?? own;

  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base) {
    const url = parse('OTEL_EXPORTER_OTLP_ENDPOINT', base);
    if (!url || grpc) return base;
    // The spec's signal path appended to the base URL's path (a query string stays a query string).
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/metrics`;
    return url.href;
  }

  // Only the records' full URL is set: the metrics go to the same collector.
  const logs = get('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT');
  if (logs) {
    const url = parse('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', logs);
    if (!url || grpc) return logs;
    url.pathname = /\/v1\/logs\/?$/.test(url.pathname) ? url.pathname.replace(/\/v1\/logs\/?$/, '/v1/metrics') : '/v1/metrics';
    return url.href;
  }
  return grpc ? METRICS_DEFAULTS.grpcUrl : METRICS_DEFAULTS.httpUrl;
}
