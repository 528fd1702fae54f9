/**
 * The self-metrics table (`INSTRUMENTS`) against docs/operations.md's instruments table, and what
 * the instruments created from it record through a real MeterProvider: each stream's recorder puts
 * its bound attributes on every point, and no point carries a key its row does not list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTS, SelfMetrics } from '../src/telemetry/self-metrics.js';

const ROOT = join(import.meta.dirname, '..');

/** The rows of the docs table under the `| instrument | kind | unit | meaning |` header. */
function documentedRows(): Map<string, { kind: string; unit: string; meaning: string }> {
  const lines = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8').split('\n');
  const header = lines.findIndex((l) => /^\| instrument \| kind \| unit \| meaning \|$/.test(l));
  expect(header, 'the instruments table of docs/operations.md').toBeGreaterThan(-1);
  const rows = new Map<string, { kind: string; unit: string; meaning: string }>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [name, kind, unit, ...meaning] = line
      .slice(1, -1)
      .split(' | ')
      .map((c) => c.trim());
    rows.set(name!.replace(/`/g, ''), { kind: kind!, unit: unit!.replace(/`/g, ''), meaning: meaning.join(' | ') });
  }
  return rows;
}

class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function collected(reader: PullReader): Promise<MetricData[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

describe('the self-metrics table', () => {
  it('every instrument is in the docs table with its kind and unit, every extra attribute named in its row, and nothing else is', () => {
    const docs = documentedRows();
    const rows = Object.values(INSTRUMENTS);
    expect([...docs.keys()].sort()).toEqual(rows.map((r) => r.name).sort());
    for (const row of rows) {
      const doc = docs.get(row.name)!;
      expect([row.name, doc.kind, doc.unit]).toEqual([row.name, row.kind, row.unit]);
      // `slack.team.id` is said once, above the table, for every point of a team's stream.
      for (const key of row.attributes.filter((k) => k !== 'slack.team.id')) {
        expect(doc.meaning, `${row.name}: ${key}`).toContain(`\`${key}\``);
      }
    }
  });

  it('instruments are created once from the table; a bound recorder puts its attributes on every point, and only listed keys', async () => {
    const reader = new PullReader();
    const self = new SelfMetrics(new MeterProvider({ readers: [reader] }));
    const t1 = self.bind({ 'slack.team.id': 'T1' });
    const t2 = self.bind({ 'slack.team.id': 'T2' });
    t1.exported(5);
    t1.exported(2, 'rejected');
    t2.exported(3);
    t2.exported(0, 'dead_lettered');
    t1.request('ok');
    t1.request('rate_limited');
    t1.rateLimitWait();
    t1.skipped(4, 'already_delivered');
    t1.pass();
    t2.pass(new TypeError('x'));
    t1.cursorDate(1_000);
    t1.lastSuccess();
    t1.pendingDeadLetters(7);
    t2.nextPoll(60_000);
    self.credentialRefresh(new RangeError('y'));
    self.teamChange('T3', 'added');
    self.credentialExpiry(() => 1_800_000_000_000);

    const byName = new Map((await collected(reader)).map((m) => [m.descriptor.name, m]));
    const rowOf = (name: string) => Object.values(INSTRUMENTS).find((r) => r.name === name)!;
    // One metric per row, each with the row's unit, and points with only the row's attribute keys.
    expect([...byName.keys()].sort()).toEqual(
      Object.values(INSTRUMENTS)
        .map((r) => r.name)
        .sort(),
    );
    for (const [name, metric] of byName) {
      expect(metric.descriptor.unit, name).toBe(rowOf(name).unit);
      expect(metric.dataPointType, name).toBe(rowOf(name).kind === 'counter' ? DataPointType.SUM : DataPointType.GAUGE);
      for (const point of metric.dataPoints) {
        expect(Object.keys(point.attributes).filter((k) => !(rowOf(name).attributes as readonly string[]).includes(k))).toEqual([]);
      }
    }
    const points = (key: keyof typeof INSTRUMENTS) =>
      byName.get(INSTRUMENTS[key].name)!.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value as number }));
    // Counted nothing (0 dead-lettered): no point.
    expect([points('exported').length, points('requests').length, points('passes').length]).toEqual([3, 2, 2]);
    expect(points('exported')).toEqual(
      expect.arrayContaining([
        { attributes: { 'slack.team.id': 'T1' }, value: 5 },
        { attributes: { 'slack.team.id': 'T1', 'error.type': 'rejected' }, value: 2 },
        { attributes: { 'slack.team.id': 'T2' }, value: 3 },
      ]),
    );
    expect(points('requests')).toEqual(
      expect.arrayContaining([
        { attributes: { 'slack.team.id': 'T1', outcome: 'ok' }, value: 1 },
        { attributes: { 'slack.team.id': 'T1', outcome: 'rate_limited' }, value: 1 },
      ]),
    );
    expect(points('passes')).toEqual(
      expect.arrayContaining([
        { attributes: { 'slack.team.id': 'T1' }, value: 1 },
        { attributes: { 'slack.team.id': 'T2', 'error.type': 'TypeError' }, value: 1 },
      ]),
    );
    expect(points('skipped')).toEqual([
      { attributes: { 'slack.team.id': 'T1', 'slack.integration_logs.skip_reason': 'already_delivered' }, value: 4 },
    ]);
    expect(points('deadLettersPending')).toEqual([{ attributes: { 'slack.team.id': 'T1' }, value: 7 }]);
    expect(points('refreshes')).toEqual([{ attributes: { 'error.type': 'RangeError' }, value: 1 }]);
    expect(points('teamChanges')).toEqual([
      { attributes: { 'slack.team.id': 'T3', 'slack.integration_logs.team_change': 'added' }, value: 1 },
    ]);
    expect(points('credentialExpiry')).toEqual([{ attributes: {}, value: 1_800_000_000 }]);
    // The cursor at Unix second 1,000: its lag is at least the time since then.
    const [lag] = points('cursorLag');
    expect(lag!.attributes).toEqual({ 'slack.team.id': 'T1' });
    expect(lag!.value).toBeGreaterThan(1_700_000_000 - 1_000);
    // The next poll 60 s away: at most that, never negative.
    const [next] = points('nextPoll');
    expect(next!.attributes).toEqual({ 'slack.team.id': 'T2' });
    expect(next!.value).toBeLessThanOrEqual(60);
    expect(next!.value).toBeGreaterThan(0);
  });
});
