import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedLogRecord } from '../../src/testing/fake-collector.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import type { SlackIntegrationLogRaw } from '../../src/core/types.js';
import { TEST_TOKEN } from '../helpers.js';
import { CLI, spawnNode } from '../process-helpers.js';
import { AckProxy } from './ack-proxy.js';
import { CollectorProcess, freePorts } from './collector-process.js';
import { LokiOtlpReceiver } from './loki-receiver.js';
import { type CollectorConfig, localized, readConfig, writeConfig } from './shipped-config.js';

/**
 * One end-to-end setup: fake Slack -> the real receiver (dist/cli.js, a child process) -> a proxy
 * that watches acknowledgements -> the real Collector running a shipped configuration -> a
 * Loki-shaped OTLP receiver (records) and the prometheus exporter's page (self-metrics). Everything on 127.0.0.1, the Collector's queue in a temp dir that
 * survives Collector restarts.
 */
export interface Pipeline {
  slack: FakeSlack;
  loki: LokiOtlpReceiver;
  proxy: AckProxy;
  collector: CollectorProcess;
  /** The configuration the Collector runs (after `edit`). */
  config: CollectorConfig;
  /** The prometheus exporter's page: `http://127.0.0.1:<port>/metrics`. */
  metricsUrl: string;
  /**
   * Replaces `collector` (stopped or killed first by the test) with one on another configuration:
   * the pipeline's configuration changed by `edit`, same addresses and queue directory.
   */
  useConfig(name: string, edit: (cfg: CollectorConfig) => void): CollectorProcess;
  dir: string;
  /** Runs `dist/cli.js --once` with the pipeline's environment; resolves when it exits. */
  runOnce(env?: Record<string, string>): ReturnType<typeof spawnOnce>;
  /** Runs `--once` again until it exits 0 (at most `attempts` runs); returns the exit codes. */
  runUntilDone(env?: Record<string, string>, attempts?: number): Promise<number[]>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  binary: string;
  /** Entries of the token's own workspace... */
  entries?: SlackIntegrationLogRaw[];
  /** ...or of Enterprise Grid teams (SLACK_TEAM_ID is set to their IDs). */
  teams?: Record<string, SlackIntegrationLogRaw[]>;
  /** The shipped configuration to run. Default otel-collector.yaml (without the datadog exporter). */
  source?: string;
  /** Changes to the localized configuration (a test's deliberate deviation, named in the test). */
  edit?: (cfg: CollectorConfig) => void;
  /** Start the Collector now (default) or leave it to the test. */
  startCollector?: boolean;
}

function spawnOnce(env: Record<string, string>) {
  const child = spawnNode([CLI, '--once'], env);
  return child.exit.then((r) => ({ ...r, stdout: child.stdout(), stderr: child.stderr() }));
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const dir = await mkdtemp(join(tmpdir(), 'collector-e2e-'));
  const slack = await new FakeSlack({ token: TEST_TOKEN, entries: options.entries, teams: options.teams }).start();
  const loki = await new LokiOtlpReceiver().start();
  // The proxy listens before the Collector's ports are picked, so it can never be given one of them
  // (a proxy forwarding to itself never answers); its target is set once they are.
  const target = { host: '127.0.0.1', port: 0 };
  const proxy = await new AckProxy(target).start();
  const [otlpPort, healthPort, metricsPort] = (await freePorts(3)) as [number, number, number];
  target.port = otlpPort;
  const config = localized(readConfig(options.source ?? 'otel-collector.yaml'), {
    otlpPort,
    healthPort,
    lokiEndpoint: loki.endpoint,
    metricsPort,
    storageDir: join(dir, 'queue'),
  });
  options.edit?.(config);
  const collector = new CollectorProcess(options.binary, writeConfig(dir, 'collector.yaml', config), healthPort);
  if (options.startCollector !== false) await collector.start();

  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH!,
    SLACK_TOKEN: TEST_TOKEN,
    SLACK_API_URL: slack.url,
    SLACK_CURSOR_FILE: join(dir, 'cursor.json'),
    SLACK_BACKFILL_START_TIME: '0',
    SLACK_PAGE_SIZE: '1000',
    // These suites count change records one by one; inventory snapshots have suites of their own.
    SLACK_INVENTORY_INTERVAL: '0',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: proxy.url,
    ...(options.teams ? { SLACK_TEAM_ID: Object.keys(options.teams).join(',') } : {}),
  };
  const pipeline: Pipeline = {
    slack,
    loki,
    proxy,
    collector,
    config,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    dir,
    useConfig(name, edit) {
      const cfg = structuredClone(config);
      edit(cfg);
      pipeline.collector = new CollectorProcess(options.binary, writeConfig(dir, `${name}.yaml`, cfg), healthPort);
      return pipeline.collector;
    },
    runOnce: (env = {}) => spawnOnce({ ...baseEnv, ...env }),
    async runUntilDone(env = {}, attempts = 5) {
      const codes: number[] = [];
      while (codes.length < attempts && codes.at(-1) !== 0) codes.push((await pipeline.runOnce(env)).code ?? -1);
      return codes;
    },
    async stop() {
      await pipeline.collector.stop();
      await proxy.stop();
      await loki.stop();
      await slack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return pipeline;
}

/** The identity of a generated entry's record: its `app_id` (unique per entry in makeEntries). */
export const keyOf = (r: DecodedLogRecord) => String(r.attributes['slack.integration.app_id']);
export const uidOf = (r: DecodedLogRecord) => String(r.attributes['log.record.uid']);

export interface DeliveryCount {
  /** Entries whose record never reached Loki. */
  missing: string[];
  /** Copies beyond the first, over all entries. */
  duplicates: number;
  /** Entries that reached Loki more than once. */
  duplicatedEntries: number;
  /** Entries whose copies do not all carry the same log.record.uid. */
  uidMismatches: string[];
}

/** Compares what reached Loki with the entries Slack holds. */
export function countDelivery(arrived: DecodedLogRecord[], expectedKeys: Iterable<string>): DeliveryCount {
  const byKey = new Map<string, DecodedLogRecord[]>();
  for (const r of arrived) byKey.set(keyOf(r), [...(byKey.get(keyOf(r)) ?? []), r]);
  const missing = [...expectedKeys].filter((k) => !byKey.has(k));
  let duplicates = 0;
  let duplicatedEntries = 0;
  const uidMismatches: string[] = [];
  for (const [key, copies] of byKey) {
    if (copies.length > 1) {
      duplicates += copies.length - 1;
      duplicatedEntries++;
    }
    if (new Set(copies.map(uidOf)).size !== 1) uidMismatches.push(key);
  }
  return { missing, duplicates, duplicatedEntries, uidMismatches };
}

/**
 * Waits until the record of every `expected` key reached Loki (taken, or refused as too far behind),
 * then until nothing more has reached it for `ms` (copies still on their way), at most `timeoutMs`
 * in all. The records first, not silence alone: a Collector backing off between retries is silent too.
 */
export async function untilQuiet(p: Pipeline, ms: number, timeoutMs: number, expected: Iterable<string>): Promise<void> {
  const end = Date.now() + timeoutMs;
  const missing = new Set(expected);
  const counted = [0, 0];
  while (missing.size > 0 && Date.now() < end) {
    [p.loki.arrived, p.loki.tooFarBehind].forEach((reached, i) => {
      for (; counted[i]! < reached.length; counted[i]!++) missing.delete(keyOf(reached[counted[i]!]!.record));
    });
    if (missing.size > 0) await new Promise((r) => setTimeout(r, 50));
  }
  let seen = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const now = p.loki.arrived.length + p.loki.tooFarBehind.length;
    if (now !== seen) [seen, since] = [now, Date.now()];
    else if (Date.now() - since >= ms) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
