/**
 * Self-telemetry in standalone mode: the CLI (and `--import .../register` in a host without a
 * MeterProvider) sets up the OpenTelemetry metrics SDK from the standard variables and exports its
 * self-metrics over OTLP to the same collector as the records; a host's MeterProvider always wins.
 *
 * Values are checked against what the fakes saw (entries served, 429s scripted, requests the fake
 * Slack recorded, records the collector decoded), never against the receiver's own summary.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { hostMeterProviderRegistered, startSelfTelemetry } from '../src/telemetry/meter-provider.js';
import { settingsFromEnv } from '../src/config/config.js';
import { BASE_DATE, freePort, makeEntries, RecordingLogger, startHarness, TEST_TOKEN, type Harness } from './helpers.js';
import { OtlpMetricsReceiver, type DecodedMetricPoint } from './otlp-metrics-receiver.js';
import { CLI, ROOT, spawnNode, until } from './process-helpers.js';
import { ConfigError } from '../src/core/errors.js';

/** The instrument names (the README's "Self-metrics" table). */
const METRIC = {
  exported: 'slack.integration_logs.records.exported',
  requests: 'slack.integration_logs.requests',
  rateLimitWaits: 'slack.integration_logs.rate_limit.waits',
  cursorLag: 'slack.integration_logs.cursor.lag',
  lastSuccess: 'slack.integration_logs.last_success.time',
  passes: 'slack.integration_logs.passes',
  deadLettersPending: 'slack.integration_logs.dead_letters.pending',
  nextPoll: 'slack.integration_logs.next_poll.delay',
} as const;

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const HOST_SDK = join(ROOT, 'test', 'fixtures', 'host-meter-sdk.mjs');
const HOST_APP = join(ROOT, 'test', 'fixtures', 'host-app.mjs');
const ENTRIES = 25;

/** Sum of the newest export's points; records refused or dead-lettered carry `error.type`. */
function total(
  rx: OtlpMetricsReceiver,
  name: string,
  keep: (p: DecodedMetricPoint) => boolean = (p) => !('error.type' in p.attributes),
): number {
  return rx
    .latest(name)
    .filter(keep)
    .reduce((n, p) => n + p.value, 0);
}

/** The self-metrics settings of a standalone run with this environment (and a token). */
const selfMetricsSettingsFromEnv = (env: Record<string, string>) => settingsFromEnv({ SLACK_TOKEN: TEST_TOKEN, ...env }).selfMetrics!;

describe('self-metrics settings (settingsFromEnv)', () => {
  it('defaults: OTLP over http/json to localhost:4318/v1/metrics every 60 s', () => {
    expect(selfMetricsSettingsFromEnv({})).toEqual({
      exporters: ['otlp'],
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 30_000,
      otlp: { protocol: 'http/json', url: 'http://localhost:4318/v1/metrics' },
    });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:9999/custom' }, 'http://c:9999/custom'],
    [
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:9999/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' },
      'http://c:9999/custom',
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/metrics'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/?tenant=a' }, 'http://collector:4318/base/v1/metrics?tenant=a'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://elsewhere:1/v1/logs' },
      'http://collector:4318/v1/metrics',
    ],
    [{ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/v1/logs' }, 'http://collector:4318/v1/metrics'],
    [{ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://loki:3100/otlp/v1/logs' }, 'https://loki:3100/otlp/v1/metrics'],
    [{ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://gateway:8080/ingest' }, 'http://gateway:8080/v1/metrics'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'http://localhost:4317'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }, 'http://collector:4317'],
    [{ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4317' }, 'http://collector:4317'],
  ])('endpoint from %j: %s', (env, url) => {
    expect(selfMetricsSettingsFromEnv(env).otlp.url).toBe(url);
  });

  it('protocol: the metrics variable, else the general one, else the logs one, else http/json', () => {
    const protocol = (env: Record<string, string>) => selfMetricsSettingsFromEnv(env).otlp.protocol;
    expect(protocol({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' })).toBe('grpc');
    expect(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' })).toBe('http/protobuf');
    expect(protocol({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBe('http/json');
    expect(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: ' ' })).toBe('http/json');
  });

  it('exporters, interval, and a timeout clamped to the interval', () => {
    expect(selfMetricsSettingsFromEnv({ OTEL_METRICS_EXPORTER: 'none' }).exporters).toEqual([]);
    expect(selfMetricsSettingsFromEnv({ OTEL_METRICS_EXPORTER: 'console, OTLP,console' }).exporters).toEqual(['console', 'otlp']);
    const s = selfMetricsSettingsFromEnv({ OTEL_METRIC_EXPORT_INTERVAL: '1000' });
    expect([s.exportIntervalMillis, s.exportTimeoutMillis]).toEqual([1000, 1000]);
    const t = selfMetricsSettingsFromEnv({ OTEL_METRIC_EXPORT_INTERVAL: '90000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' });
    expect([t.exportIntervalMillis, t.exportTimeoutMillis]).toEqual([90_000, 5000]);
  });

  it('every invalid value at once, each naming its variable and a fix, on one line', () => {
    let error: unknown;
    try {
      selfMetricsSettingsFromEnv({
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_METRIC_EXPORT_INTERVAL: '60s',
        OTEL_METRIC_EXPORT_TIMEOUT: '-1',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'OTEL_METRICS_EXPORTER',
      'OTEL_METRIC_EXPORT_INTERVAL',
      'OTEL_METRIC_EXPORT_TIMEOUT',
      'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
      'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    ]);
    expect(problems[0]).toContain('is not one of otlp, console, none (for Prometheus, let the collector expose the metrics)');
    expect(problems[3]).toContain('is not one of http/json, http/protobuf, grpc');
    expect((error as Error).message).not.toContain('\n');
    expect(() => selfMetricsSettingsFromEnv({ OTEL_METRICS_EXPORTER: 'none,otlp' })).toThrow(/none cannot be combined/);
  });
});

// ---------------------------------------------------------------------------------------------
// Standalone runs against the fake Slack and a local collector that decodes what it gets

describe('a standalone run exports its self-metrics to the collector', () => {
  let slack: FakeSlack | undefined;
  let rx: OtlpMetricsReceiver;
  let hostRx: OtlpMetricsReceiver;
  let h: Harness | undefined;
  let dir: string;
  let runs = 0;

  beforeAll(async () => {
    rx = await new OtlpMetricsReceiver().start();
    hostRx = await new OtlpMetricsReceiver().start();
    dir = await mkdtemp(join(tmpdir(), 'self-telemetry-'));
  });
  afterAll(async () => {
    await rx.stop();
    await hostRx.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await slack?.stop();
    slack = undefined;
    await h?.cleanup();
    h = undefined;
  });

  /** A fresh fake Slack serving ENTRIES entries, a fresh cursor, both receivers emptied. */
  async function fresh(): Promise<Record<string, string>> {
    await slack?.stop();
    slack = await new FakeSlack({ token: TEST_TOKEN, entries: makeEntries(ENTRIES) }).start();
    for (const r of [rx, hostRx]) {
      r.points.length = 0;
      r.records.length = 0;
      r.protobufBodies.length = 0;
      r.metricsHeaders.length = 0;
      for (const k of Object.keys(r.requests)) delete r.requests[k];
    }
    return {
      PATH: process.env.PATH!,
      SLACK_TOKEN: TEST_TOKEN,
      SLACK_API_URL: slack.url,
      SLACK_CURSOR_FILE: join(dir, `cursor-${++runs}.json`),
      SLACK_BACKFILL_START_TIME: '0',
      SLACK_PAGE_SIZE: '10',
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.base,
      // Inventory snapshots off: the records counted here are the entries' (test/inventory-*.test.ts).
      SLACK_INVENTORY_INTERVAL: '0',
    };
  }

  it('CLI --once: every self-metric at the collector, with values from what the fakes saw', async () => {
    const env = await fresh();
    slack!.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: '' });
    const t0 = Date.now() / 1000;
    const cli = spawnNode([CLI, '--once'], {
      ...env,
      OTEL_SERVICE_NAME: 'ops-test-receiver',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-ops-test=metrics%20ok',
    });
    expect((await cli.exit).code, cli.stderr()).toBe(0);
    const t1 = Date.now() / 1000;

    // The records went to the same collector (base URL + /v1/logs).
    expect(rx.records).toHaveLength(ENTRIES);
    // One export at exit, with the headers the exporter read from the environment.
    expect(rx.requests['/v1/metrics']).toBe(1);
    expect(rx.metricsHeaders[0]!['x-ops-test']).toBe('metrics ok');
    expect(rx.metricsHeaders[0]!['content-type']).toBe('application/json');

    expect(total(rx, METRIC.exported)).toBe(ENTRIES);
    expect(total(rx, METRIC.rateLimitWaits)).toBe(1);
    expect(total(rx, METRIC.requests)).toBe(slack!.requests.length);
    expect(total(rx, METRIC.passes)).toBe(1);
    expect(rx.latest(METRIC.passes).some((p) => 'error.type' in p.attributes)).toBe(false);
    expect(total(rx, METRIC.deadLettersPending, () => true)).toBe(0);
    const newest = BASE_DATE + ENTRIES - 1;
    const [lag] = rx.latest(METRIC.cursorLag);
    expect(lag!.value).toBeGreaterThanOrEqual(t0 - newest - 1);
    expect(lag!.value).toBeLessThanOrEqual(t1 - newest + 1);
    const [last] = rx.latest(METRIC.lastSuccess);
    expect(last!.value).toBeGreaterThanOrEqual(t0 - 1);
    expect(last!.value).toBeLessThanOrEqual(t1 + 1);

    const byName = new Map(rx.points.map((p) => [p.name, p]));
    expect(byName.get(METRIC.exported)).toMatchObject({ kind: 'sum', monotonic: true, unit: '{record}' });
    expect(byName.get(METRIC.cursorLag)).toMatchObject({ kind: 'gauge', unit: 's' });
    expect(byName.get(METRIC.lastSuccess)).toMatchObject({ kind: 'gauge', unit: 's' });
    for (const p of rx.points) {
      expect(p.scope).toBe(PKG.name);
      expect(p.resource['service.name']).toBe('ops-test-receiver');
      expect(p.resource['deployment.environment.name']).toBe('test');
    }
    expect(JSON.stringify(rx.points)).not.toContain(TEST_TOKEN.slice(5));
  });

  it('service.name defaults to slack-integration-logs; only the records endpoint set: metrics go to that collector', async () => {
    const env = await fresh();
    const cli = spawnNode([CLI, '--once'], {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${rx.base}/v1/logs`,
    });
    expect((await cli.exit).code, cli.stderr()).toBe(0);
    expect(rx.records).toHaveLength(ENTRIES);
    expect(total(rx, METRIC.exported)).toBe(ENTRIES);
    expect(rx.points[0]!.resource['service.name']).toBe('slack-integration-logs');
  });

  it('OTEL_METRICS_EXPORTER=none sends nothing', async () => {
    const env = await fresh();
    const cli = spawnNode([CLI, '--once'], { ...env, OTEL_METRICS_EXPORTER: 'none' });
    expect((await cli.exit).code, cli.stderr()).toBe(0);
    expect(rx.records).toHaveLength(ENTRIES);
    expect(rx.requests['/v1/metrics']).toBeUndefined();
    expect(cli.stderr()).not.toContain('self-metrics');
  });

  it('polling: exported every OTEL_METRIC_EXPORT_INTERVAL while it runs, once more at SIGTERM', async () => {
    const env = await fresh();
    const cli = spawnNode([CLI], { ...env, SLACK_POLL_INTERVAL: '1s', OTEL_METRIC_EXPORT_INTERVAL: '200' });
    try {
      await until(
        () => rx.latest(METRIC.exported).length > 0 && total(rx, METRIC.exported) === ENTRIES && (rx.requests['/v1/metrics'] ?? 0) >= 2,
        30_000,
      );
      expect(total(rx, METRIC.exported)).toBe(ENTRIES);
      await until(() => rx.latest(METRIC.nextPoll).length > 0, 30_000);
      const [delay] = rx.latest(METRIC.nextPoll);
      expect(delay!.value).toBeGreaterThanOrEqual(0);
      expect(delay!.value).toBeLessThanOrEqual(1);
    } finally {
      cli.child.kill('SIGTERM');
    }
    const before = rx.requests['/v1/metrics'] ?? 0;
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(rx.requests['/v1/metrics']).toBeGreaterThan(before);
    expect(total(rx, METRIC.exported)).toBe(ENTRIES);
  });

  it('http/protobuf (the official proto exporter) to the same collector', async () => {
    const env = await fresh();
    const cli = spawnNode([CLI, '--once'], { ...env, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' });
    expect((await cli.exit).code, cli.stderr()).toBe(0);
    expect(rx.records).toHaveLength(ENTRIES);
    expect(rx.protobufBodies).toHaveLength(1);
    // Protobuf strings travel as UTF-8 bytes: the names and the scope are in the body.
    for (const text of [METRIC.exported, METRIC.cursorLag, PKG.name]) expect(rx.protobufBodies[0]!.includes(text), text).toBe(true);
    expect(cli.stderr()).not.toContain('self-metrics');
  });

  it('grpc (the official gRPC exporter) to the collector at OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', async () => {
    const env = await fresh();
    const calls: Buffer[] = [];
    const server = new grpc.Server();
    const raw = (b: Buffer) => b;
    server.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: raw,
          requestDeserialize: raw,
          responseSerialize: raw,
          responseDeserialize: raw,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
          calls.push(call.request);
          done(null, Buffer.alloc(0)); // an empty ExportMetricsServiceResponse: full success
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      const cli = spawnNode([CLI, '--once'], {
        ...env,
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}`,
      });
      expect((await cli.exit).code, cli.stderr()).toBe(0);
      expect(rx.records).toHaveLength(ENTRIES);
      expect(rx.requests['/v1/metrics']).toBeUndefined();
      expect(calls).toHaveLength(1);
      for (const text of [METRIC.exported, METRIC.lastSuccess, PKG.name]) expect(calls[0]!.includes(text), text).toBe(true);
    } finally {
      server.forceShutdown();
    }
  });

  it('a collector that is down for metrics does not hold the exit past the flush bound', async () => {
    const env = await fresh();
    const cli = spawnNode([CLI, '--once'], {
      ...env,
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${await freePort()}/v1/metrics`,
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '30000',
    });
    expect((await cli.exit).code, cli.stderr()).toBe(0);
    const exitedAt = Date.now();
    // The exporter retries a refused connection 5 times over about 13 s (measured); the bound is 5 s.
    // Counted from the pass's own end (its log line's time), so a slow start on a busy machine does not count.
    const passLine = cli
      .stderr()
      .split('\n')
      .find((line) => line.includes(' sync pass: '));
    expect(passLine, cli.stderr()).toBeDefined();
    const passEndedAt = Date.parse(passLine!.slice(0, passLine!.indexOf(' ')));
    expect(exitedAt - passEndedAt).toBeLessThan(10_000);
    expect(rx.records).toHaveLength(ENTRIES);
    expect(cli.stderr()).toMatch(/WARN self-metrics: the last export did not end within 5s/);
  }, 40_000);

  it('a host MeterProvider wins: the CLI under an --import-ed SDK sends nothing of its own', async () => {
    const env = await fresh();
    const cli = spawnNode(['--import', HOST_SDK, CLI, '--once'], { ...env, HOST_METRICS_URL: `${hostRx.base}/v1/metrics` });
    expect((await cli.exit).code, cli.stderr()).toBe(0);
    expect(rx.records).toHaveLength(ENTRIES);
    expect(rx.requests['/v1/metrics']).toBeUndefined();
    expect(total(hostRx, METRIC.exported)).toBe(ENTRIES);
    expect(hostRx.points[0]!.resource['service.name']).toBe('host-service');
  });

  it('the CLI reports an invalid self-metrics setting in the one message that lists every problem (exit 2)', async () => {
    const cli = spawnNode([CLI, '--once'], {
      PATH: process.env.PATH!,
      SLACK_TOKEN: TEST_TOKEN,
      SLACK_PAGE_SIZE: '0',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
      OTEL_METRIC_EXPORT_INTERVAL: '60s',
    });
    expect((await cli.exit).code).toBe(2);
    const lines = cli.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const problem of ['SLACK_PAGE_SIZE "0"', 'OTEL_EXPORTER_OTLP_PROTOCOL "http"', 'OTEL_METRIC_EXPORT_INTERVAL "60s"']) {
      expect(lines[0]).toContain(problem);
    }
    // Read for the records and for the metrics, said once.
    expect(lines[0]!.split('OTEL_EXPORTER_OTLP_PROTOCOL').length).toBe(2);
    expect(lines[0]).not.toContain(TEST_TOKEN);
  });

  it('--import register with self-metrics settings only a host SDK knows: says so, and the receiver runs', async () => {
    const env = await fresh();
    const host = spawnNode(['--import', 'slack-integration-logs-receiver/register', HOST_APP], {
      ...env,
      SLACK_POLL_INTERVAL: '1s',
      HOST_WORK_MS: '1500',
      OTEL_METRICS_EXPORTER: 'prometheus',
    });
    expect(await host.exit, host.stderr()).toEqual({ code: 0, signal: null });
    expect(rx.records).toHaveLength(ENTRIES);
    expect(rx.requests['/v1/metrics']).toBeUndefined();
    expect(host.stderr()).toContain(
      'slack-integration-logs-receiver/register: self-metrics not exported: invalid configuration: OTEL_METRICS_EXPORTER "prometheus" is not one of otlp, console, none',
    );
  });

  it('--import register in a host without a MeterProvider exports to the collector; after a host SDK, to the host', async () => {
    const env = await fresh();
    const register = ['--import', 'slack-integration-logs-receiver/register'];
    const alone = spawnNode([...register, HOST_APP], { ...env, SLACK_POLL_INTERVAL: '1s', HOST_WORK_MS: '1500' });
    expect(await alone.exit, alone.stderr()).toEqual({ code: 0, signal: null });
    expect(rx.records).toHaveLength(ENTRIES);
    expect(total(rx, METRIC.exported)).toBe(ENTRIES);

    const env2 = await fresh();
    const hosted = spawnNode(['--import', HOST_SDK, ...register, HOST_APP], {
      ...env2,
      SLACK_POLL_INTERVAL: '1s',
      HOST_WORK_MS: '1500',
      HOST_METRICS_URL: `${hostRx.base}/v1/metrics`,
    });
    expect(await hosted.exit, hosted.stderr()).toEqual({ code: 0, signal: null });
    expect(rx.records).toHaveLength(ENTRIES);
    expect(rx.requests['/v1/metrics']).toBeUndefined();
    expect(total(hostRx, METRIC.exported)).toBe(ENTRIES);
  });

  it('library: startSelfTelemetry gives a provider without a host, nothing with one (the host gets the metrics)', async () => {
    h = await startHarness({ entries: makeEntries(7) });
    const logger = new RecordingLogger();
    const collectorEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.base };
    for (const r of [rx]) for (const k of Object.keys(r.requests)) delete r.requests[k];
    rx.points.length = 0;

    expect(hostMeterProviderRegistered()).toBe(false);
    const own = await startSelfTelemetry(settingsFromEnv({ SLACK_TOKEN: TEST_TOKEN, ...collectorEnv }), logger);
    expect(own.meterProvider).toBeDefined();
    const first = h.receiver({ backfillStartTime: 0, meterProvider: own.meterProvider });
    await first.syncOnce();
    await h.shutdown(first);
    expect(await own.shutdown()).toBe(true);
    expect(total(rx, METRIC.exported)).toBe(7);

    class PullReader extends MetricReader {
      constructor() {
        super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
      }
      protected async onForceFlush(): Promise<void> {}
      protected async onShutdown(): Promise<void> {}
    }
    const reader = new PullReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    try {
      expect(hostMeterProviderRegistered()).toBe(true);
      const none = await startSelfTelemetry(settingsFromEnv({ SLACK_TOKEN: TEST_TOKEN, ...collectorEnv }), logger);
      expect(none.meterProvider).toBeUndefined();
      h.slack.add(...makeEntries(3, { startDate: BASE_DATE + 100, prefix: 'later-' }));
      const second = h.receiver({ backfillStartTime: 0, meterProvider: none.meterProvider });
      const before = rx.requests['/v1/metrics'];
      await second.syncOnce();
      await h.shutdown(second);
      await none.shutdown();
      expect(rx.requests['/v1/metrics']).toBe(before);
      const { resourceMetrics } = await reader.collect();
      const exported = resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .filter((m) => m.descriptor.name === METRIC.exported)
        .flatMap((m) => m.dataPoints as Array<{ value: unknown }>)
        .reduce((n, p) => n + Number(p.value), 0);
      expect(exported).toBe(3);
    } finally {
      metrics.disable();
    }
    expect(hostMeterProviderRegistered()).toBe(false);
    expect(logger.at('warn')).toEqual([]);
  });
});
