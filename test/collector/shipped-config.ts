import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT } from '../process-helpers.js';

/**
 * The repository's Collector configurations, pointed at local ports: the shipped processors,
 * exporters, queues and pipelines unchanged, only addresses and the queue directory replaced
 * (everything on 127.0.0.1, the queue in a temp dir), and the `datadog` exporter taken out of every
 * pipeline (it cannot be built here: the Go module proxy refuses its datadog-agent modules).
 */

/** Every file in the repository that carries a Collector configuration. */
export const SHIPPED_CONFIGS = ['otel-collector.yaml', 'examples/compose/otel-collector.loki-only.yaml'] as const;

export type CollectorConfig = Record<string, any>;

const typeOf = (id: string) => id.split('/')[0]!;

export function readConfig(rel: string): CollectorConfig {
  return YAML.parse(readFileSync(join(ROOT, rel), 'utf8')) as CollectorConfig;
}

/**
 * The config without the `datadog` exporter: taken out of every pipeline, and a pipeline left
 * with no exporter (logs/datadog) taken out too; the metrics pipeline keeps its other exporters.
 */
export function withoutDatadog(cfg: CollectorConfig): CollectorConfig {
  const out = structuredClone(cfg);
  for (const id of Object.keys(out.exporters ?? {})) if (typeOf(id) === 'datadog') delete out.exporters[id];
  for (const [id, p] of Object.entries(out.service.pipelines as Record<string, { exporters: string[] }>)) {
    p.exporters = p.exporters.filter((e) => typeOf(e) !== 'datadog');
    if (p.exporters.length === 0) delete out.service.pipelines[id];
  }
  return out;
}

/** The id of the exporter that serves the metrics for Prometheus to scrape. */
export function prometheusExporterId(cfg: CollectorConfig): string {
  const ids = Object.keys(cfg.exporters).filter((id) => typeOf(id) === 'prometheus');
  if (ids.length !== 1) throw new Error(`expected one prometheus exporter, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** The id of the exporter that sends to Loki's /otlp endpoint. */
export function lokiExporterId(cfg: CollectorConfig): string {
  const ids = Object.keys(cfg.exporters).filter((id) => String(cfg.exporters[id]?.endpoint ?? '').endsWith('/otlp'));
  if (ids.length !== 1) throw new Error(`expected one exporter to Loki's /otlp, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

export interface LocalAddresses {
  otlpPort: number;
  healthPort: number;
  lokiEndpoint: string;
  /** The prometheus exporter's scrape port. */
  metricsPort: number;
  storageDir: string;
}

/** The config with every address local and the queue directory in `storageDir`. */
export function localized(cfg: CollectorConfig, at: LocalAddresses): CollectorConfig {
  const out = withoutDatadog(cfg);
  out.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${at.otlpPort}`;
  out.extensions.health_check.endpoint = `127.0.0.1:${at.healthPort}`;
  out.extensions.file_storage.directory = at.storageDir;
  if (out.extensions.file_storage.compaction) out.extensions.file_storage.compaction.directory = at.storageDir;
  out.exporters[lokiExporterId(out)].endpoint = at.lokiEndpoint;
  out.exporters[prometheusExporterId(out)].endpoint = `127.0.0.1:${at.metricsPort}`;
  // No self-metrics listener on :8888; logs on stderr, kept by CollectorProcess.
  out.service.telemetry = { metrics: { level: 'none' }, logs: { level: 'info', encoding: 'console' } };
  return out;
}

export function writeConfig(dir: string, name: string, cfg: CollectorConfig): string {
  const file = join(dir, name);
  writeFileSync(file, YAML.stringify(cfg));
  return file;
}
