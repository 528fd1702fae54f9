import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import YAML from 'yaml';
import { dateOf, makeEntries } from '../helpers.js';
import { ROOT } from '../process-helpers.js';
import { type Pipeline, startPipeline } from './pipeline.js';
import { type Sample, scrape } from './prometheus-page.js';

/**
 * The receiver's self-metrics through a shipped Collector configuration's `metrics` pipeline (otlp
 * -> memory_limiter -> prometheus) on the real Collector, read back the way Prometheus reads them:
 * a scrape of the prometheus exporter's page. The expected values come from the fake Slack's
 * entries and the clock around the run; the expected names from the alert rules that need them.
 */

const TEAMS = {
  T0AAAAAAA: makeEntries(300, { prefix: 'a' }),
  T0BBBBBBB: makeEntries(200, { prefix: 'b', startDate: Date.UTC(2024, 5, 1) / 1000 }),
};

/** Every metric name and grouping label the Prometheus alert rules use. */
function namesInRules(): { metrics: string[]; labels: string[] } {
  const doc = YAML.parse(readFileSync(join(ROOT, 'detections/ops/prometheus-rules.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ expr: string }> }>;
  };
  const exprs = doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
  const metrics = new Set(exprs.flatMap((e) => e.match(/\bslack_integration_logs_[a-z_]+\b/g) ?? []));
  const labels = new Set(
    exprs.flatMap((e) => [...e.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()))),
  );
  return { metrics: [...metrics].sort(), labels: [...labels].sort() };
}

const CASES = [
  // Datadog taken out of the metrics pipeline (it cannot be built here); prometheus as shipped.
  // No service.instance.id: the page has no `instance`, Prometheus adds the target's.
  { source: 'otel-collector.yaml', protocol: 'http/json', instanceId: undefined },
  // service.instance.id (OTEL_RESOURCE_ATTRIBUTES) becomes `instance`, which the rules group by.
  { source: 'examples/compose/otel-collector.loki-only.yaml', protocol: 'http/protobuf', instanceId: 'slack-receiver-1' },
];

describe.each(CASES)(
  'self-metrics: receiver --once -> real Collector ($source, $protocol) -> prometheus exporter',
  ({ source, protocol, instanceId }) => {
    let p: Pipeline;
    let run: Awaited<ReturnType<Pipeline['runOnce']>>;
    let samples: Sample[];
    let page: string;
    let startedAt: number;
    let endedAt: number;
    beforeAll(async () => {
      p = await startPipeline({ binary: inject('otelcolBinary'), teams: TEAMS, source });
      startedAt = Date.now() / 1000;
      // The metrics go where the records go (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, /v1/logs -> /v1/metrics).
      run = await p.runOnce({
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        ...(instanceId ? { OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instanceId}` } : {}),
      });
      endedAt = Date.now() / 1000;
      // The CLI exits after its last export was answered, and the Collector's prometheus exporter
      // takes the values in before it answers: the page has them now.
      ({ samples, text: page } = await scrape(p.metricsUrl));
    });
    afterAll(() => p?.stop());

    const ours = (name: string) => samples.filter((s) => s.name === name);
    const byTeam = (name: string) => Object.fromEntries(ours(name).map((s) => [s.labels.slack_team_id, s.value]));

    it('the run succeeds and the receiver says nothing about its self-metrics (the Collector took them)', () => {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/self-metrics/);
      expect(run.stdout).not.toMatch(/self-metrics/);
      expect(p.proxy.acknowledged).toHaveLength(500);
    });

    it("slack_integration_logs_records_exported_total counts each team's entries, all delivered (no error_type)", () => {
      const expected = Object.fromEntries(Object.entries(TEAMS).map(([team, entries]) => [team, entries.length]));
      expect(byTeam('slack_integration_logs_records_exported_total'), page).toEqual(expected);
      for (const s of ours('slack_integration_logs_records_exported_total')) expect(s.labels.error_type).toBeUndefined();
    });

    it('every metric the Prometheus alert rules use is on the page, per team, with every label they group by', () => {
      const { metrics, labels } = namesInRules();
      expect(metrics).toEqual([
        'slack_integration_logs_cursor_lag_seconds',
        'slack_integration_logs_dead_letters_pending',
        'slack_integration_logs_last_success_time_seconds',
        'slack_integration_logs_records_exported_total',
      ]);
      for (const name of metrics) {
        expect(Object.keys(byTeam(name)).sort(), `${name} per team`).toEqual(Object.keys(TEAMS).sort());
        for (const s of ours(name)) {
          // `instance` is the only one Prometheus adds itself (from the target) when the page has none.
          for (const l of labels.filter((l) => l !== 'instance')) expect(s.labels[l], `${name} has ${l}`).toBeDefined();
        }
      }
      for (const s of metrics.flatMap(ours)) {
        expect(s.labels.job, "job: the receiver's service.name").toBe('slack-integration-logs');
        expect(s.labels.instance, "instance: the receiver's service.instance.id").toBe(instanceId);
      }
    });

    it("the gauges hold the run's values: nothing dead-lettered, last success during the run, lag from the newest entry", () => {
      expect(byTeam('slack_integration_logs_dead_letters_pending')).toEqual({ T0AAAAAAA: 0, T0BBBBBBB: 0 });
      for (const [team, at] of Object.entries(byTeam('slack_integration_logs_last_success_time_seconds'))) {
        expect(at, team).toBeGreaterThanOrEqual(startedAt);
        expect(at, team).toBeLessThanOrEqual(endedAt);
      }
      for (const [team, lag] of Object.entries(byTeam('slack_integration_logs_cursor_lag_seconds'))) {
        const newest = Math.max(...TEAMS[team as keyof typeof TEAMS].map(dateOf));
        expect(lag, team).toBeGreaterThanOrEqual(startedAt - newest);
        expect(lag, team).toBeLessThanOrEqual(endedAt - newest);
      }
    });
  },
);
