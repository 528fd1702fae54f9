import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DecodedLogRecord } from '../../src/testing/fake-collector.js';
import { makeEntries } from '../helpers.js';
import { LOKI_MAX_BEHIND_NS } from './loki-receiver.js';
import { type Pipeline, countDelivery, keyOf, startPipeline } from './pipeline.js';

// Two Enterprise Grid teams, polled side by side, through the shipped Loki pipeline of
// otel-collector.yaml (the datadog exporter taken out) on the real Collector.
const TEAMS = {
  T0AAAAAAA: makeEntries(3000, { prefix: 'a', perSecond: 2 }),
  T0BBBBBBB: makeEntries(2000, { prefix: 'b', perSecond: 1, startDate: Date.UTC(2024, 5, 1) / 1000 }),
};
const EVENT_NAME = 'slack.integration.change';

describe('receiver -> real Collector (shipped Loki pipeline) -> Loki-shaped OTLP receiver', () => {
  let p: Pipeline;
  let codes: number[];
  beforeAll(async () => {
    p = await startPipeline({ binary: inject('otelcolBinary'), teams: TEAMS });
    codes = await p.runUntilDone({}, 1);
    // The Collector answered 2xx before Loki has everything: wait for its queue to drain.
    const total = Object.values(TEAMS).flat().length;
    const end = Date.now() + 30_000;
    while (p.loki.arrived.length < total && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(() => p?.stop());

  it('the receiver finishes in one run and every acknowledged request was protobuf-decoded at Loki', () => {
    expect(codes).toEqual([0]);
    expect(p.proxy.statuses.every((s) => s === 200)).toBe(true);
    expect(p.loki.refused).toEqual([]);
  });

  it('every entry arrives exactly once, each copy with one log.record.uid', () => {
    const expected = Object.values(TEAMS)
      .flat()
      .map((e) => String(e.app_id));
    const count = countDelivery(p.loki.records, expected);
    expect(count.missing).toEqual([]);
    expect(count.duplicates).toBe(0);
    expect(p.loki.records).toHaveLength(expected.length);
    expect(new Set(p.loki.records.map((r) => String(r.attributes['log.record.uid']))).size).toBe(expected.length);
  });

  it('each Grid team is a Loki stream of its own (slack.team.id on the Resource), in non-decreasing time', () => {
    const byStream = new Map<string, bigint[]>();
    for (const a of p.loki.arrived) byStream.set(a.stream, [...(byStream.get(a.stream) ?? []), a.record.timeUnixNano]);
    expect([...byStream.keys()].sort()).toEqual(
      Object.keys(TEAMS).map((t) => `{service_name="slack-integration-logs", service_namespace="slack", slack_team_id="${t}"}`),
    );
    for (const [stream, times] of byStream) {
      const firstBackwards = times.findIndex((t, i) => i > 0 && t < times[i - 1]!);
      expect(firstBackwards, `${stream}: record ${firstBackwards} is older than the one before it`).toBe(-1);
    }
    // The streams' histories are months apart: one shared stream would have broken Loki's rule.
    const [a, b] = Object.keys(TEAMS).map((t) => p.loki.records.filter((r) => r.resource['slack.team.id'] === t));
    expect(b![0]!.timeUnixNano - a!.at(-1)!.timeUnixNano).toBeGreaterThan(LOKI_MAX_BEHIND_NS);
  });

  it('every attribute, value type and field is as the receiver sent it; the Collector adds event.name and service.namespace only', () => {
    const sent = new Map(p.proxy.acknowledged.map((r) => [keyOf(r), r]));
    expect(sent.size).toBe(p.loki.records.length);
    for (const got of p.loki.records) {
      const want = sent.get(keyOf(got))!;
      const expected: DecodedLogRecord = {
        ...want,
        attributes: { ...want.attributes, 'event.name': EVENT_NAME },
        resource: { ...want.resource, 'service.namespace': 'slack' },
      };
      expect(got).toEqual(expected);
    }
  });

  it("the records carry the entries' values, eventName and event.name", () => {
    const entries = new Map(Object.entries(TEAMS).flatMap(([team, list]) => list.map((e) => [String(e.app_id), { team, e }])));
    for (const r of p.loki.records) {
      const { team, e } = entries.get(keyOf(r))!;
      expect(r.eventName).toBe(EVENT_NAME);
      expect(r.attributes['event.name']).toBe(EVENT_NAME);
      expect(r.resource['slack.team.id']).toBe(team);
      expect(r.attributes['user.name']).toBe(e.user_name);
      expect(r.attributes['slack.integration.change_type']).toBe(e.change_type);
      expect(r.timeUnixNano).toBe(BigInt(Number(e.date)) * 1_000_000_000n);
      if (e.scope) expect(r.attributes['slack.integration.scopes']).toEqual(String(e.scope).split(','));
    }
  });

  it('the Collector started without deprecation warnings', () => {
    expect(p.collector.output).toContain('Everything is ready');
    expect(p.collector.output).not.toMatch(/deprecated/i);
  });
});
