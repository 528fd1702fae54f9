/**
 * The ecosystem files around the receiver: the collector configuration, the Grafana dashboard, the
 * deployment examples and the embedded example.
 *
 * The dashboard's LogQL is checked against what the mapping really produces: attribute names read
 * from src/record/mapping.ts and, independently, the keys of real records (the real receiver run
 * against the fake Slack workspace's demo entries, decoded by the OTLP test receiver), with Loki's
 * renaming (dots -> underscores). Nothing here is computed by the code the dashboard depends on
 * except those records themselves.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeCollector, type DecodedLogRecord } from '../src/testing/fake-collector.js';
import { demoEntries } from '../src/testing/workspace.js';
import { SlackIntegrationLogsReceiver } from '../src/receiver.js';
import type { ReceiverLogger } from '../src/core/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

// ---------------------------------------------------------------------------------------------
// Collector configuration

type Section = Record<string, Record<string, unknown> | null>;
interface CollectorConfig {
  receivers?: Section;
  processors?: Section;
  exporters?: Section;
  extensions?: Section;
  connectors?: Section;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }>;
  };
}

function parseYaml<T>(rel: string): T {
  const doc = YAML.parseDocument(read(rel), { prettyErrors: true });
  expect(doc.errors.map(String), `${rel} parses`).toEqual([]);
  expect(doc.warnings.map(String), `${rel} without YAML warnings`).toEqual([]);
  return doc.toJS() as T;
}

const typeOf = (componentId: string) => componentId.split('/')[0]!;
const names = (section: Section | undefined) => Object.keys(section ?? {});

/** Every value under a key named `storage` or `authenticator`: references to extensions. */
function extensionReferences(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => extensionReferences(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'storage' || k === 'authenticator') && typeof v === 'string') out.push(v);
      else extensionReferences(v, out);
    }
  }
  return out;
}

/** The prometheus exporter's port in the shipped configs; the compose stack's Prometheus scrapes it. */
const PROMETHEUS_EXPORTER_PORT = 8889;

const EVENT_NAME_STATEMENT = 'set(log.attributes["event.name"], log.event_name) where log.event_name != ""';

/** The log statements of a transform processor, flat or in `context:` groups. */
function logStatements(processor: Record<string, unknown> | null): string[] {
  const list = (processor?.log_statements ?? []) as Array<string | { statements?: string[] }>;
  return list.flatMap((s) => (typeof s === 'string' ? [s] : (s.statements ?? [])));
}

/** The structural rules every collector configuration in this repository follows. */
function checkCollectorConfig(rel: string, cfg: CollectorConfig, { datadog }: { datadog: boolean }) {
  const defined = {
    receivers: names(cfg.receivers),
    processors: names(cfg.processors),
    exporters: names(cfg.exporters),
    connectors: names(cfg.connectors),
    extensions: names(cfg.extensions),
  };
  const pipelines = Object.entries(cfg.service.pipelines);
  expect(pipelines.length, `${rel}: pipelines`).toBeGreaterThan(0);

  for (const [id, p] of pipelines) {
    expect(['logs', 'metrics'], `${rel}: pipeline ${id} is a logs or metrics pipeline`).toContain(typeOf(id));
    expect(p.receivers?.length, `${rel}: ${id} has receivers`).toBeGreaterThan(0);
    expect(p.exporters?.length, `${rel}: ${id} has exporters`).toBeGreaterThan(0);
    for (const r of p.receivers ?? []) {
      expect([...defined.receivers, ...defined.connectors], `${rel}: ${id} receiver ${r} is defined`).toContain(r);
    }
    for (const x of p.processors ?? []) expect(defined.processors, `${rel}: ${id} processor ${x} is defined`).toContain(x);
    for (const e of p.exporters ?? []) {
      expect([...defined.exporters, ...defined.connectors], `${rel}: ${id} exporter ${e} is defined`).toContain(e);
    }
    // memory_limiter first; no batch processor: it would hold acknowledged records in memory in
    // front of the persistent queues (the exporters batch inside their queues instead).
    expect(typeOf(p.processors?.[0] ?? ''), `${rel}: ${id} starts with memory_limiter`).toBe('memory_limiter');
    expect((p.processors ?? []).map(typeOf), `${rel}: ${id} has no batch processor`).not.toContain('batch');
  }

  // Extensions: every one referenced is defined and started; every one started is defined.
  const started = cfg.service.extensions ?? [];
  for (const e of started) expect(defined.extensions, `${rel}: service.extensions ${e} is defined`).toContain(e);
  for (const ref of extensionReferences({ receivers: cfg.receivers, processors: cfg.processors, exporters: cfg.exporters })) {
    expect(defined.extensions, `${rel}: extension ${ref} is defined`).toContain(ref);
    expect(started, `${rel}: extension ${ref} is listed under service.extensions`).toContain(ref);
  }

  // Persistent sending queues on every exporter in use (the debug exporter has none, and the
  // prometheus exporter is scraped: nothing to queue).
  const used = new Set(pipelines.flatMap(([, p]) => p.exporters ?? []));
  for (const id of used) {
    if (typeOf(id) === 'debug' || typeOf(id) === 'prometheus') continue;
    const queue = (cfg.exporters?.[id] as { sending_queue?: { enabled?: boolean; storage?: string } } | null)?.sending_queue;
    expect(queue, `${rel}: exporter ${id} has a sending_queue`).toBeDefined();
    expect(queue!.enabled, `${rel}: exporter ${id} queue enabled`).not.toBe(false);
    expect(typeof queue!.storage, `${rel}: exporter ${id} queue storage`).toBe('string');
    expect(typeOf(queue!.storage!), `${rel}: exporter ${id} queue on file_storage`).toBe('file_storage');
    const storage = cfg.extensions?.[queue!.storage!] as { directory?: string } | null;
    expect(storage?.directory, `${rel}: ${queue!.storage} has a directory`).toMatch(/^\//);
  }

  // The debug exporter is there, ready to switch on.
  expect(defined.exporters.map(typeOf), `${rel}: a debug exporter`).toContain('debug');

  // No deprecated component names (`otlphttp` became `otlp_http` in v0.144.0).
  expect(defined.exporters.map(typeOf), `${rel}: exporter names`).not.toContain('otlphttp');

  // Loki: native OTLP endpoint, with the event name copied into an attribute in its pipeline.
  const loki = defined.exporters.filter(
    (id) => typeOf(id) === 'otlp_http' && String((cfg.exporters![id] as { endpoint?: string }).endpoint).endsWith('/otlp'),
  );
  expect(loki, `${rel}: an otlp_http exporter to Loki's /otlp`).toHaveLength(1);
  expect((cfg.exporters![loki[0]!] as { endpoint: string }).endpoint).toBe('http://loki:3100/otlp');
  // One consumer and no batching keep each stream in time order, also across a crash (Loki refuses
  // entries an hour behind their stream): see docs/collector.md.
  const lokiQueue = (cfg.exporters![loki[0]!] as { sending_queue: { num_consumers?: number; batch?: unknown } }).sending_queue;
  expect(lokiQueue.num_consumers, `${rel}: one consumer on Loki's queue`).toBe(1);
  expect(lokiQueue.batch, `${rel}: no batching in Loki's queue`).toBeUndefined();
  const lokiPipelines = pipelines.filter(([, p]) => p.exporters?.includes(loki[0]!));
  expect(lokiPipelines.length, `${rel}: a pipeline exports to Loki`).toBeGreaterThan(0);
  for (const [id, p] of lokiPipelines) {
    const transforms = (p.processors ?? []).filter((x) => typeOf(x) === 'transform');
    const statements = transforms.flatMap((x) => logStatements(cfg.processors![x]!));
    expect(statements, `${rel}: ${id} copies the event name into event.name`).toContain(EVENT_NAME_STATEMENT);
  }

  // The receiver's self-metrics: one metrics pipeline from the otlp receiver to a Prometheus scrape
  // endpoint on 8889, with the names the alert rules in detections/ops/prometheus-rules.yml use.
  const metrics = pipelines.filter(([id]) => typeOf(id) === 'metrics');
  expect(
    metrics.map(([id]) => id),
    `${rel}: one metrics pipeline`,
  ).toEqual(['metrics']);
  const metricsPipeline = metrics[0]![1];
  expect(metricsPipeline.receivers, `${rel}: metrics from the otlp receiver`).toEqual(['otlp']);
  const prom = (metricsPipeline.exporters ?? []).filter((id) => typeOf(id) === 'prometheus');
  expect(prom, `${rel}: metrics to a prometheus exporter`).toHaveLength(1);
  expect(cfg.exporters![prom[0]!], `${rel}: ${prom[0]} settings`).toMatchObject({
    endpoint: `0.0.0.0:${PROMETHEUS_EXPORTER_PORT}`,
    translation_strategy: 'UnderscoreEscapingWithSuffixes',
  });

  // Datadog: the datadog exporter with API key and site from the environment.
  const dd = defined.exporters.filter((id) => typeOf(id) === 'datadog');
  if (datadog) {
    expect(dd, `${rel}: a datadog exporter`).toHaveLength(1);
    expect(used.has(dd[0]!), `${rel}: the datadog exporter is in a pipeline`).toBe(true);
    expect(metricsPipeline.exporters, `${rel}: the self-metrics go to Datadog too`).toContain(dd[0]!);
    const api = (cfg.exporters![dd[0]!] as { api?: { key?: string; site?: string } }).api;
    expect(api).toEqual({ key: '${env:DD_API_KEY}', site: '${env:DD_SITE}' });
  } else {
    expect(dd, `${rel}: no datadog exporter`).toEqual([]);
  }
}

describe('otel-collector.yaml', () => {
  const cfg = parseYaml<CollectorConfig>('otel-collector.yaml');

  it('every pipeline names only defined components; extensions started; queues on file_storage; Loki and Datadog as required', () => {
    checkCollectorConfig('otel-collector.yaml', cfg, { datadog: true });
    expect(Object.keys(cfg.service.pipelines).sort()).toEqual(['logs/datadog', 'logs/loki', 'metrics']);
    expect((cfg.receivers!.otlp as { protocols: { http: { endpoint: string } } }).protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('uses only ${env:NAME} references and explains each block in a comment', () => {
    const text = read('otel-collector.yaml');
    expect(text.match(/\$\{(?!env:[A-Z_][A-Z0-9_]*\})[^}]*\}/g) ?? [], 'environment references').toEqual([]);
    const doc = YAML.parseDocument(text);
    for (const section of ['extensions', 'receivers', 'processors', 'exporters'] as const) {
      const map = doc.get(section) as YAML.YAMLMap<YAML.Scalar<string>, unknown>;
      map.items.forEach((pair, i) => {
        // The yaml package keeps the first entry's comment on the map itself.
        const comment = pair.key.commentBefore ?? (i === 0 ? map.commentBefore : undefined);
        expect(comment?.trim().length ?? 0, `${section}.${pair.key.value} has a comment`).toBeGreaterThan(40);
      });
    }
  });

  it("the compose stack's Loki-only configuration has exactly the same blocks, minus Datadog", () => {
    const rel = 'examples/compose/otel-collector.loki-only.yaml';
    const lokiOnly = parseYaml<CollectorConfig>(rel);
    checkCollectorConfig(rel, lokiOnly, { datadog: false });
    for (const section of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
      const expected = Object.fromEntries(Object.entries(cfg[section] ?? {}).filter(([id]) => typeOf(id) !== 'datadog'));
      expect(lokiOnly[section], `${rel}: ${section} as in otel-collector.yaml`).toEqual(expected);
    }
    expect(lokiOnly.service.extensions).toEqual(cfg.service.extensions);
    // The same pipelines without Datadog's: logs/datadog gone, datadog out of the metrics pipeline.
    const { 'logs/datadog': _dd, ...rest } = structuredClone(cfg.service.pipelines);
    for (const p of Object.values(rest)) p.exporters = p.exporters?.filter((e) => typeOf(e) !== 'datadog');
    expect(lokiOnly.service.pipelines).toEqual(rest);
  });
});

// ---------------------------------------------------------------------------------------------
// LogQL identifiers

interface LogqlUse {
  /** Every label / structured-metadata name the expression refers to. */
  names: Set<string>;
  /** name -> values compared against (`=`, `!=`, `=~` ...), string literals unquoted. */
  values: Map<string, string[]>;
  /** Stages that create names from the log line, which no attribute check can cover. */
  parsers: string[];
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';

/**
 * Names used by a LogQL expression as stream-selector matchers, label filters, `by`/`without`
 * groupings, `unwrap`, `keep`/`drop`, and `{{.name}}` in `line_format` templates.
 */
function logqlNames(expr: string): LogqlUse {
  const names = new Set<string>();
  const values = new Map<string, string[]>();
  const strings: string[] = [];
  // String literals out first, so their contents are never read as names.
  const body = expr.replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, (lit, offset: number) => {
    const inner = lit.startsWith('`') ? lit.slice(1, -1) : (JSON.parse(lit) as string);
    if (/(?:line_format|label_format)\s*$/.test(expr.slice(0, offset)) || /\|\s*label_format\b[^|]*$/.test(expr.slice(0, offset))) {
      for (const m of inner.matchAll(new RegExp(`\\{\\{-?\\s*\\.(${IDENT})`, 'g'))) names.add(m[1]!);
    }
    strings.push(inner);
    return `__S${strings.length - 1}__`;
  });
  const code = body.replace(/\[[^\]]*\]/g, ' '); // range vectors: [$__interval], [5m]
  for (const m of code.matchAll(new RegExp(`(${IDENT})\\s*(=~|!~|!=|==|>=|<=|=|>|<)\\s*(__S(\\d+)__|-?\\d)`, 'g'))) {
    const name = m[1]!;
    names.add(name);
    if (m[4] !== undefined) values.set(name, [...(values.get(name) ?? []), strings[Number(m[4])]!]);
  }
  for (const m of code.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const n of m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      names.add(n);
  }
  for (const m of code.matchAll(new RegExp(`\\bunwrap\\s+(?:${IDENT}\\s*\\(\\s*)?(${IDENT})`, 'g'))) names.add(m[1]!);
  for (const m of code.matchAll(/\|\s*(?:keep|drop)\s+([^|)]+)/g)) {
    for (const part of m[1]!.split(',')) {
      const n = part.trim().match(new RegExp(`^(${IDENT})`))?.[1];
      if (n) names.add(n);
    }
  }
  const parsers = [...code.matchAll(/\|\s*(json|logfmt|regexp|pattern|unpack|label_format)\b/g)].map((m) => m[1]!);
  return { names, values, parsers };
}

describe('logqlNames (the extractor the dashboard check relies on)', () => {
  it('finds matchers, filters, groupings, unwrap, keep and templates, and nothing inside strings', () => {
    const use = logqlNames(
      'sum by (a_1, b) (count_over_time({service_name="x=y", c=~"d|e"} | f!="" | g > 5 | keep h, i="j" | line_format "{{.k}} {{ .l }} m=n" | unwrap o [5m]))',
    );
    expect([...use.names].sort()).toEqual(['a_1', 'b', 'c', 'f', 'g', 'h', 'i', 'k', 'l', 'o', 'service_name']);
    expect(use.values.get('service_name')).toEqual(['x=y']);
    expect(use.values.get('c')).toEqual(['d|e']);
    expect(logqlNames('{a="b"} | json').parsers).toEqual(['json']);
  });
});

// ---------------------------------------------------------------------------------------------
// What the mapping really produces

/** Attribute names written by src/record/mapping.ts, read from its source text. */
function mappingAttributeNames(): { names: string[]; prefix: string } {
  const src = read('src/record/mapping.ts');
  const prefix = src.match(/export const ATTR_PREFIX = '([^']+)'/)?.[1];
  expect(prefix, 'ATTR_PREFIX in mapping.ts').toBe('slack.integration.');
  const renamedBlock = src.match(/const RENAMED[^=]*= new Map\(\[([\s\S]*?)\]\);/)?.[1] ?? '';
  const renamed = [...renamedBlock.matchAll(/\['[^']+',\s*'([^']+)'\]/g)].map((m) => m[1]!);
  expect(renamed.length, 'RENAMED values in mapping.ts').toBeGreaterThanOrEqual(4);
  const literalKeys = [...src.matchAll(/attributes\[\s*'([^']+)'\s*\]/g)].map((m) => m[1]!);
  const prefixed = [...src.matchAll(/`\$\{ATTR_PREFIX\}([a-z_]+)`/g)].map((m) => prefix + m[1]!);
  return { names: [...new Set([...renamed, ...literalKeys, ...prefixed])], prefix: prefix! };
}

const silent: ReceiverLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The real receiver against the fake Slack workspace with the demo entries; decoded records. */
async function realRecords(): Promise<DecodedLogRecord[]> {
  const token = 'xoxp-ecosystem-test-not-a-real-token';
  const slack = await new FakeSlack({ token, entries: demoEntries(Math.floor(Date.now() / 1000)) }).start();
  const collector = await new FakeCollector().start();
  const dir = await mkdtemp(join(tmpdir(), 'ecosystem-test-'));
  const receiver = SlackIntegrationLogsReceiver.fromEnv(
    {},
    {
      token,
      slackApiUrl: slack.url,
      otlpEndpoint: collector.url,
      cursorFile: join(dir, 'cursor.json'),
      backfillStartTime: 0,
      // Inventory snapshots off: the records checked here are the entries'.
      inventoryInterval: 0,
      logger: silent,
    },
  );
  try {
    const summary = await receiver.syncOnce();
    expect(summary.exported).toBe(collector.records.length);
    return [...collector.records];
  } finally {
    await receiver.shutdown();
    await collector.stop();
    await slack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loki's OTLP ingestion: attribute `a.b` becomes `a_b`. */
const lokiName = (attribute: string) => attribute.replace(/[^A-Za-z0-9_]/g, '_');

/** Names Loki itself adds to every OTLP record (structured metadata and derived labels). */
const LOKI_OWN = [
  'detected_level',
  'severity_text',
  'severity_number',
  'observed_timestamp',
  'trace_id',
  'span_id',
  'flags',
  'scope_name',
  'scope_version',
];

interface GrafanaPanel {
  title: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ expr?: string; legendFormat?: string; datasource?: { type?: string; uid?: string } }>;
}

describe('Grafana dashboard', () => {
  /** Written by scripts/detections/generate.py from detections/rules/ (npm run test:detections). */
  const DETECTION_PANEL = 'Detection rule hits';
  const dashboardRel = 'examples/grafana/slack-integration-logs.dashboard.json';
  const dashboard = JSON.parse(read(dashboardRel)) as {
    panels: GrafanaPanel[];
    templating: { list: Array<{ name: string; type: string; query?: string }> };
  };
  const collectorCfg = YAML.parse(read('otel-collector.yaml')) as CollectorConfig;
  const eventName = read('src/record/mapping.ts').match(/export const EVENT_NAME = '([^']+)'/)?.[1];
  // The inventory snapshots (src/record/inventory-record.ts): their event name and the attributes
  // they add, read from the source as the mapping's are (the real records below have none).
  const inventorySrc = read('src/record/inventory-record.ts');
  const INVENTORY_EVENT_NAME = inventorySrc.match(/export const INVENTORY_EVENT_NAME = '([^']+)'/)?.[1];
  const snapshotNames = [...inventorySrc.matchAll(/export const ATTR_[A-Z_]+ = '([a-z.]+[a-z_])'/g)].map((m) => m[1]!);
  const changeTypes = Object.keys(
    Object.fromEntries([...read('src/record/mapping.ts').matchAll(/^\s{2}([a-z_]+): SeverityNumber\./gm)].map((m) => [m[1], true])),
  );

  let records: DecodedLogRecord[] = [];
  let allowed = new Set<string>();
  let fromRecords = new Set<string>();
  let fromMapping = new Set<string>();

  beforeAll(async () => {
    records = await realRecords();
    fromRecords = new Set(records.flatMap((r) => [...Object.keys(r.attributes), ...Object.keys(r.resource)]));
    fromMapping = new Set(mappingAttributeNames().names);
    // What the collector adds on the way to Loki: attributes set by transform statements, resource
    // attributes inserted by resource processors.
    const lokiPipeline = collectorCfg.service.pipelines['logs/loki']!;
    const fromCollector = (lokiPipeline.processors ?? []).flatMap((id) => {
      const p = collectorCfg.processors![id] as Record<string, unknown>;
      if (typeOf(id) === 'transform') {
        return logStatements(p).flatMap((s) => [...s.matchAll(/set\(\s*log\.attributes\["([^"]+)"\]/g)].map((m) => m[1]!));
      }
      if (typeOf(id) === 'resource')
        return ((p.attributes ?? []) as Array<{ key: string; action: string }>).filter((a) => a.action !== 'delete').map((a) => a.key);
      return [];
    });
    expect(INVENTORY_EVENT_NAME, 'INVENTORY_EVENT_NAME in inventory-record.ts').toBeTruthy();
    expect(snapshotNames, 'ATTR_* names in inventory-record.ts').toContain('slack.integration.status');
    allowed = new Set([...fromMapping, ...snapshotNames, ...fromRecords, ...fromCollector].map(lokiName).concat(LOKI_OWN));
  });

  it('the real records carry the attributes the mapping names (the two sources agree)', () => {
    expect(records.length).toBe(demoEntries(0).length);
    for (const key of fromRecords) {
      const known =
        fromMapping.has(key) || key.startsWith('slack.integration.') || key === 'service.name' || key.startsWith('telemetry.sdk.');
      expect(known, `record key ${key} comes from the mapping`).toBe(true);
    }
    for (const key of [
      'slack.integration.change_type',
      'slack.integration.app_type',
      'slack.integration.reason',
      'slack.integration.scopes',
      'user.name',
      'user.id',
      'log.record.uid',
    ]) {
      expect(fromRecords, `a real record has ${key}`).toContain(key);
    }
    expect(records.every((r) => r.eventName === eventName)).toBe(true);
    expect(Array.isArray(records.find((r) => r.attributes['slack.integration.scopes'])?.attributes['slack.integration.scopes'])).toBe(true);
  });

  it('parses, uses a Loki data source variable, and every panel queries it', () => {
    const dsVar = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(dsVar?.query).toBe('loki');
    const ref = `\${${dsVar!.name}}`;
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6);
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, `${panel.title} has a query`).toBeGreaterThan(0);
      for (const t of panel.targets!) {
        expect(t.datasource ?? panel.datasource, `${panel.title} data source`).toEqual({ type: 'loki', uid: ref });
        expect(t.expr, `${panel.title} LogQL`).toBeTruthy();
      }
    }
  });

  it("every panel uses only names the mapping really produces (dots -> underscores) or Loki's own", () => {
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const t of panel.targets!) {
        const use = logqlNames(t.expr!);
        expect(use.parsers, `${panel.title}: no parser stages (their names cannot be checked)`).toEqual([]);
        // Every panel selects the receiver's stream and its event; the detection panel runs the
        // Sigma rules' own LogQL (checked against the generated rules below), which needs no event name.
        expect(use.names, `${panel.title}: stream selector on service_name`).toContain('service_name');
        if (panel.title !== DETECTION_PANEL)
          expect([[eventName], [INVENTORY_EVENT_NAME]], `${panel.title}: filters on an event name`).toContainEqual(
            use.values.get('event_name'),
          );
        const legendNames = [...(t.legendFormat ?? '').matchAll(new RegExp(`\\{\\{\\s*(${IDENT})\\s*\\}\\}`, 'g'))].map((m) => m[1]!);
        for (const name of [...use.names, ...legendNames]) {
          expect(allowed, `${panel.title}: "${name}" is produced by the mapping or Loki`).toContain(name);
          used.add(name);
        }
        for (const v of use.values.get('slack_integration_change_type') ?? []) {
          // Plain alternatives (`removed|disabled`) or the Sigma backend's anchored form (`(?i)^added$`).
          for (const ct of v.replace(/^\(\?i\)\^?|\$$/g, '').split('|'))
            expect(changeTypes, `${panel.title}: change type ${ct}`).toContain(ct);
        }
      }
    }
    // The check is not vacuous: the panels the issue asks for use these names.
    for (const name of [
      'slack_integration_change_type',
      'slack_integration_app_type',
      'slack_integration_service_type',
      'user_name',
      'slack_integration_scopes',
      'slack_integration_reason',
      'service_name',
      'event_name',
    ]) {
      expect(used, `some panel uses ${name}`).toContain(name);
    }
    // And every record attribute the dashboard relies on is documented in the record mapping.
    const readme = read('docs/mapping.md');
    const documented = new Set([...readme.matchAll(/`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)`/g)].map((m) => lokiName(m[1]!)));
    const recordNames = new Set([...fromRecords].map(lokiName));
    for (const name of used) {
      if (recordNames.has(name) && name !== 'service_name') expect(documented, `docs/mapping.md documents ${name}`).toContain(name);
    }
  });

  it('the detection panel runs exactly the LogQL of the generated Loki ruler rules, on $service', () => {
    const ruler = YAML.parse(read('detections/generated/loki/slack-integration-logs.rules.yml')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const fromRules = ruler.groups
      .flatMap((g) => g.rules)
      .map((r) => {
        const query = r.expr.match(/count_over_time\((.*) \[10m\]\)\) > 0$/)?.[1];
        expect(query, `${r.alert}: a count over the rule's log query`).toBeTruthy();
        return `sum(count_over_time(${query!.replace('{service_name="slack-integration-logs"}', '{service_name="$service"}')} [$__interval]))`;
      });
    const panel = dashboard.panels.find((p) => p.title === DETECTION_PANEL);
    expect(fromRules.length).toBeGreaterThanOrEqual(5);
    expect(panel?.targets?.map((t) => t.expr).sort()).toEqual(fromRules.sort());
  });

  it('examples/grafana/README.md lists every panel with its exact LogQL', () => {
    const readme = read('examples/grafana/README.md');
    for (const panel of dashboard.panels) {
      expect(readme, `README names panel ${panel.title}`).toContain(`### ${panel.title}`);
      for (const t of panel.targets!) expect(readme, `README has the LogQL of ${panel.title}`).toContain(t.expr!);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Deployment examples

describe('deployment examples', () => {
  it('compose: parses, and every file it mounts exists', () => {
    const rel = 'examples/compose/docker-compose.yaml';
    const compose = parseYaml<{
      services: Record<string, { image?: string; build?: string; volumes?: string[]; env_file?: string; ports?: string[] }>;
    }>(rel);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['collector', 'loki', 'prometheus', 'grafana']));
    expect(compose.services.collector!.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    const [major, minor] = compose.services.collector!.image!.split(':')[1]!.split('.').map(Number);
    expect(major! > 0 || minor! >= 144, 'collector-contrib has the otlp_http exporter name (v0.144.0+)').toBe(true);
    const base = join(ROOT, 'examples/compose');
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        // `${VAR:-default}:/target` mounts the default unless VAR is set.
        const source = v.match(/^\$\{[A-Z_]+:-([^}]*)\}/)?.[1] ?? v.split(':')[0]!;
        if (!source.startsWith('.')) continue; // named volume
        expect(existsSync(resolve(base, source)), `${name} mounts ${source}`).toBe(true);
      }
      if (svc.env_file) expect(existsSync(resolve(base, svc.env_file)), `${name} env_file`).toBe(true);
      if (svc.build) expect(existsSync(resolve(base, svc.build, 'Dockerfile')), `${name} build`).toBe(true);
    }
    // The optional Loki + Datadog configuration is the repository's own.
    expect(read(rel)).toContain('COLLECTOR_CONFIG=../../otel-collector.yaml');
    // Loki makes each Grid team a stream of its own (slack.team.id is a resource attribute).
    const lokiCfg = parseYaml<{
      limits_config: {
        otlp_config?: {
          resource_attributes?: { ignore_defaults?: boolean; attributes_config?: Array<{ action: string; attributes: string[] }> };
        };
      };
    }>('examples/compose/loki.yaml');
    const resourceAttributes = lokiCfg.limits_config.otlp_config?.resource_attributes;
    expect(resourceAttributes?.ignore_defaults ?? false, 'loki.yaml keeps the default index labels').toBe(false);
    expect(resourceAttributes?.attributes_config, 'loki.yaml indexes slack.team.id').toContainEqual({
      action: 'index_label',
      attributes: ['slack.team.id'],
    });
    const ds = parseYaml<{ datasources: Array<{ type: string; url: string }> }>(
      'examples/compose/grafana/provisioning/datasources/loki.yaml',
    );
    expect(ds.datasources[0]).toMatchObject({ type: 'loki', url: 'http://loki:3100' });
  });

  it("compose: Prometheus scrapes the collector's prometheus exporter, keeps its labels, loads the alert rules; Grafana has it", () => {
    const compose = parseYaml<{ services: Record<string, { image?: string; volumes?: string[]; ports?: string[] }> }>(
      'examples/compose/docker-compose.yaml',
    );
    const prometheus = compose.services.prometheus!;
    expect(prometheus.image).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
    // The mounts, by target: the scrape config, the repository's rule file in the folder it loads.
    const mounts = Object.fromEntries((prometheus.volumes ?? []).map((v) => [v.split(':')[1]!, v.split(':')[0]!]));
    expect(mounts['/etc/prometheus/prometheus.yml']).toBe('./prometheus.yaml');
    const scrape = parseYaml<{
      rule_files: string[];
      scrape_configs: Array<{ honor_labels?: boolean; static_configs: Array<{ targets: string[] }> }>;
    }>('examples/compose/prometheus.yaml');
    const ruleMounts = Object.entries(mounts).filter(([target]) =>
      scrape.rule_files.some((glob) => target.startsWith(glob.replace(/\*\.yml$/, '')) && target.endsWith('.yml')),
    );
    expect(ruleMounts.map(([, source]) => resolve(ROOT, 'examples/compose', source))).toEqual([
      join(ROOT, 'detections/ops/prometheus-rules.yml'),
    ]);
    // The target is the collector's prometheus exporter, as both shipped configs define it.
    for (const rel of ['otel-collector.yaml', 'examples/compose/otel-collector.loki-only.yaml']) {
      const endpoint = String((parseYaml<CollectorConfig>(rel).exporters!.prometheus as { endpoint: string }).endpoint);
      expect(endpoint, rel).toBe(`0.0.0.0:${PROMETHEUS_EXPORTER_PORT}`);
    }
    expect(scrape.scrape_configs).toHaveLength(1);
    expect(scrape.scrape_configs[0]!.static_configs.flatMap((c) => c.targets)).toEqual([`collector:${PROMETHEUS_EXPORTER_PORT}`]);
    // job and instance from the receiver (service.name, service.instance.id), which the rules group by.
    expect(scrape.scrape_configs[0]!.honor_labels).toBe(true);
    // On the host, only on loopback.
    expect(compose.services.collector!.ports).toContain(`127.0.0.1:${PROMETHEUS_EXPORTER_PORT}:${PROMETHEUS_EXPORTER_PORT}`);
    expect(prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    const ds = parseYaml<{ datasources: Array<{ type: string; url: string }> }>(
      'examples/compose/grafana/provisioning/datasources/prometheus.yaml',
    );
    expect(ds.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
  });

  type K8s = { kind: string; metadata: { name: string }; spec: any };
  const k8s = (rel: string): K8s[] => {
    const docs = YAML.parseAllDocuments(read(rel));
    for (const d of docs) expect(d.errors.map(String), rel).toEqual([]);
    return docs.map((d) => d.toJS() as K8s).filter(Boolean);
  };

  function checkPod(where: string, pod: any, claimName: string) {
    expect(pod.terminationGracePeriodSeconds, `${where}: grace period`).toBe(15);
    expect(pod.securityContext.runAsNonRoot, `${where}: runAsNonRoot`).toBe(true);
    const c = pod.containers[0];
    expect(c.securityContext.readOnlyRootFilesystem, `${where}: read-only root`).toBe(true);
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    const mounts = Object.fromEntries(c.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m]));
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    const cursorVolume = Object.values(volumes).find((v: any) => v.persistentVolumeClaim) as any;
    expect(cursorVolume.persistentVolumeClaim.claimName, `${where}: cursor PVC`).toBe(claimName);
    expect(mounts[cursorVolume.name].mountPath).toBe('/var/lib/slack-integration-logs');
    expect(mounts[cursorVolume.name].readOnly, `${where}: cursor volume writable`).toBeFalsy();
    expect(env.SLACK_CURSOR_FILE.startsWith('/var/lib/slack-integration-logs/')).toBe(true);
    const secretVolume = Object.values(volumes).find((v: any) => v.secret) as any;
    expect(env.SLACK_TOKEN_FILE.startsWith(`${mounts[secretVolume.name].mountPath}/`), `${where}: SLACK_TOKEN_FILE in the secret`).toBe(
      true,
    );
    expect(env.SLACK_TOKEN, `${where}: no token in the environment`).toBeUndefined();
    expect(
      Object.values(mounts).some((m: any) => m.mountPath === '/tmp' && volumes[m.name].emptyDir),
      `${where}: writable /tmp for the spool`,
    ).toBe(true);
    return c;
  }

  it('kubernetes: a single-replica Recreate Deployment and a --once CronJob share the cursor PVC', () => {
    const docs = k8s('examples/kubernetes/deployment.yaml');
    const pvc = docs.find((d) => d.kind === 'PersistentVolumeClaim')!;
    const secret = docs.find((d) => d.kind === 'Secret')!;
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const pod = deployment.spec.template.spec;
    const receiver = checkPod('Deployment', pod, pvc.metadata.name);
    // Probes against the health endpoint: the port they name is the one SLACK_HEALTH_ENDPOINT
    // listens on, on every interface (the kubelet probes the pod's IP, not its loopback).
    const health = receiver.env.find((e: { name: string }) => e.name === 'SLACK_HEALTH_ENDPOINT')?.value as string;
    expect(health, 'SLACK_HEALTH_ENDPOINT set').toMatch(/^0\.0\.0\.0:\d+$/);
    const port = receiver.ports.find((p: { name: string }) => p.name === receiver.livenessProbe.httpGet.port);
    expect(port?.containerPort, "the probes' port is the endpoint's").toBe(Number(health.split(':')[1]));
    expect(receiver.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name });
    expect(receiver.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name });
    expect(pod.volumes.find((v: any) => v.secret).secret.secretName).toBe(secret.metadata.name);

    const [cron] = k8s('examples/kubernetes/cronjob.yaml');
    expect(cron!.kind).toBe('CronJob');
    expect(cron!.spec.concurrencyPolicy).toBe('Forbid');
    const cronPod = cron!.spec.jobTemplate.spec.template.spec;
    const c = checkPod('CronJob', cronPod, pvc.metadata.name);
    expect(c.args).toContain('--once');
    expect(cronPod.volumes.find((v: any) => v.secret).secret.secretName).toBe(secret.metadata.name);

    const dockerfile = read('examples/kubernetes/Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    // The package is not on the registry: the image installs the packed tarball.
    expect(dockerfile).toMatch(/npm install -g \/tmp\/slack-integration-logs-receiver-[\d.]+\.tgz/);
    expect(dockerfile).toContain(`slack-integration-logs-receiver-${JSON.parse(read('package.json')).version}.tgz`);
  });
});

// ---------------------------------------------------------------------------------------------
// The embedded example

describe('npm run example:embedded', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds, runs the NodeSDK host service against the local fakes and exits 0', async () => {
    // The script's build replaces dist/, which other test files run at the same time (the CLI
    // tests spawn dist/cli.js). So it runs in a copy of the package's build inputs, with the same
    // node_modules, and builds that copy's own dist/: the real script, the real build, nothing shared.
    dir = await mkdtemp(join(tmpdir(), 'ecosystem-example-'));
    for (const entry of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'scripts',
      'src',
      'detections/sensitive-scopes.json',
      'examples/embedded',
    ]) {
      if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['example:embedded'];
    expect(script).toBe('npm run build && node examples/embedded/service.mjs');

    // No token and no collector from the caller's environment: demo mode, everything local.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLACK_|OTEL_)/.test(k))) as NodeJS.ProcessEnv;
    const child = spawn('npm', ['run', 'example:embedded'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the process group this test started
      } catch {
        /* already gone */
      }
    }, 60_000);
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    clearTimeout(timer);
    expect(code, out).toBe(0);
    expect(existsSync(join(dir, 'dist', 'index.js')), 'the script built the package first').toBe(true);
    expect(out).toContain('DEMO MODE');
    expect(out).toMatch(/OK: \d+ Slack records and the host's own log arrived/);
    expect(out).toMatch(/self-metric slack\.integration_logs\.records\.exported = \d+/);
  }, 90_000);
});
