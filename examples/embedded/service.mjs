// A small host service that runs the OpenTelemetry NodeSDK for its own logs and metrics, and
// embeds slack-integration-logs-receiver next to it.
//
//   npm run example:embedded          (builds the package first)
//
// Without SLACK_TOKEN (or SLACK_TOKEN_FILE) it runs in DEMO mode: a local fake Slack workspace and a
// local OTLP/HTTP receiver on 127.0.0.1, both shipped in dist/testing/. It then checks that the host's
// own log and the Slack records both arrived, prints the receiver's self-metric, and exits 0 (else 1).
// With a token it does one real pass against Slack and your collector (OTEL_EXPORTER_OTLP_ENDPOINT).
//
// Two things to take from it:
// - The receiver does NOT send its records through the host's LoggerProvider. It builds and exports
//   them itself, acknowledged batch by acknowledged batch, because a BatchLogRecordProcessor drops
//   records when its queue is full and its forceFlush() resolves even when the export failed
//   (the cursor would move past records that never arrived). The host keeps its own pipeline.
// - The receiver's self-metrics go to the MeterProvider you give it (`meterProvider`), by default the
//   global one: here the NodeSDK's, so they leave with the host's other metrics.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { logs as logsApi, SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { NodeSDK, logs as sdkLogs, metrics as sdkMetrics } from '@opentelemetry/sdk-node';

// The built package (what `import ... from 'slack-integration-logs-receiver'` gives an installed user).
import { SlackIntegrationLogsReceiver } from '../../dist/index.js';

const HOST_SERVICE = 'example-host-service';
const DEMO_TOKEN = 'xoxp-demo-token-not-a-real-one';
const SELF_METRIC = 'slack.integration_logs.records.exported';

const log = (line) => process.stdout.write(`[host] ${line}\n`);

async function main() {
  const demo = !process.env.SLACK_TOKEN && !process.env.SLACK_TOKEN_FILE;
  let slack;
  let collector;
  let cursorDir;
  let expectedEntries = 0;

  if (demo) {
    // Demo-only helpers, loaded only in demo mode.
    const { FakeSlack } = await import('../../dist/testing/fake-slack.js');
    const { FakeCollector } = await import('../../dist/testing/fake-collector.js');
    const { demoEntries } = await import('../../dist/testing/workspace.js');
    const entries = demoEntries(Math.floor(Date.now() / 1000));
    expectedEntries = entries.length;
    slack = await new FakeSlack({ token: DEMO_TOKEN, entries }).start();
    collector = await new FakeCollector().start();
    cursorDir = await mkdtemp(join(tmpdir(), 'slack-integration-logs-embedded-'));
    log('DEMO MODE: no SLACK_TOKEN set. Using a local FAKE Slack workspace and a local OTLP receiver;');
    log(`DEMO MODE: nothing leaves this machine. Slack API ${slack.url}, OTLP ${collector.url}`);
  }

  // --- The host's own OpenTelemetry SDK -------------------------------------------------------
  // Logs: the host's LoggerProvider with its own BatchLogRecordProcessor + OTLP/HTTP (JSON) exporter.
  // Without a url, OTLPLogExporter reads OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT like any OTel service.
  const hostLogProcessor = new sdkLogs.BatchLogRecordProcessor({
    exporter: new OTLPLogExporter(collector ? { url: collector.url } : {}),
  });
  // Metrics: a MeterProvider (registered globally by NodeSDK) with an in-memory reader, so this
  // example can read the receiver's self-metrics back. A real service would add a
  // PeriodicExportingMetricReader with an OTLP metric exporter next to it.
  const metricExporter = new sdkMetrics.InMemoryMetricExporter(sdkMetrics.AggregationTemporality.CUMULATIVE);
  const metricReader = new sdkMetrics.PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 60_000,
  });
  const sdk = new NodeSDK({
    serviceName: HOST_SERVICE,
    logRecordProcessors: [hostLogProcessor],
    metricReaders: [metricReader],
    spanProcessors: [], // this example has no traces; an empty list keeps NodeSDK from building a trace exporter
  });
  sdk.start();

  // --- The embedded receiver ------------------------------------------------------------------
  // Same settings as the CLI (environment variables); the overrides win.
  const receiver = SlackIntegrationLogsReceiver.fromEnv(demo ? { ...process.env, SLACK_TOKEN: DEMO_TOKEN } : process.env, {
    meterProvider: metrics.getMeterProvider(), // the NodeSDK's MeterProvider (also the default)
    ...(demo
      ? {
          slackApiUrl: slack.url,
          otlpEndpoint: collector.url,
          cursorFile: join(cursorDir, 'cursor.json'),
          backfillStartTime: 0,
        }
      : {}),
  });

  let ok = false;
  try {
    // A long-running service would call `await receiver.start()` and `receiver.shutdown()` on SIGTERM.
    const summary = await receiver.syncOnce();
    log(`receiver pass: ${summary.exported} Slack records exported and acknowledged, ${summary.slackRequests} Slack request(s)`);

    // The host logs something of its own, through its own pipeline.
    const hostMessage = `host service finished a Slack sync pass (${summary.exported} records)`;
    logsApi.getLogger('example-host-service').emit({
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: hostMessage,
      attributes: { 'example.step': 'after-sync' },
    });
    // forceFlush() resolves even when the export failed: the arrival is checked below, not assumed.
    await hostLogProcessor.forceFlush();

    // The receiver's self-metric, read back from the MeterProvider through the in-memory reader.
    await metricReader.forceFlush();
    const exportedMetric = readCounter(metricExporter.getMetrics(), SELF_METRIC);
    log(`self-metric ${SELF_METRIC} = ${exportedMetric ?? '(not recorded)'}`);

    if (demo) {
      const slackRecords = collector.records.filter((r) => r.eventName === 'slack.integration.change');
      const hostRecords = collector.records.filter((r) => r.resource['service.name'] === HOST_SERVICE && r.body === hostMessage);
      const problems = [];
      if (slackRecords.length !== expectedEntries) {
        problems.push(`expected ${expectedEntries} Slack records at the OTLP receiver, got ${slackRecords.length}`);
      }
      if (slackRecords.some((r) => r.resource['service.name'] !== 'slack-integration-logs')) {
        problems.push('a Slack record does not carry service.name slack-integration-logs');
      }
      if (hostRecords.length !== 1) problems.push(`expected the host's own log once, got ${hostRecords.length}`);
      if (exportedMetric !== expectedEntries) {
        problems.push(`expected ${SELF_METRIC} = ${expectedEntries}, got ${exportedMetric}`);
      }
      for (const r of slackRecords) log(`  received: ${r.severityText} ${r.body}`);
      log(`  received: host log "${hostRecords[0]?.body ?? '(missing)'}" from service.name ${HOST_SERVICE}`);
      if (problems.length) {
        for (const p of problems) log(`FAILED: ${p}`);
      } else {
        log(`OK: ${slackRecords.length} Slack records and the host's own log arrived; self-metric matches`);
        ok = true;
      }
    } else {
      ok = true;
    }
  } catch (error) {
    log(`FAILED: ${error?.message ?? String(error)}`);
  } finally {
    await receiver.shutdown();
    await sdk.shutdown().catch(() => undefined);
    await collector?.stop();
    await slack?.stop();
    if (cursorDir) await rm(cursorDir, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}

/** Sum of a counter's data points in the newest collection of an InMemoryMetricExporter. */
function readCounter(resourceMetrics, name) {
  const latest = resourceMetrics.at(-1);
  if (!latest) return undefined;
  let found = false;
  let total = 0;
  for (const scope of latest.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      found = true;
      for (const point of metric.dataPoints) total += point.value;
    }
  }
  return found ? total : undefined;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Do not hang on a stray handle if something above went wrong.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (error) => {
    process.stderr.write(`[host] ${error?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
