/**
 * Order per stream: the records of one stream reach the collector in non-decreasing time (Loki
 * refuses entries more than an hour behind their stream), with one request of a stream on the
 * wire at a time, whatever the dates, the timestamp policy, the number of teams or the splitting.
 */
import { describe, expect, it } from 'vitest';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { expectExactlyOnce, expectOldestFirst, harnessPerTest, makeEntries, nowSeconds, type Harness } from './helpers.js';
import type { OtlpProtocol } from '../src/config/otlp.js';

const harness = harnessPerTest();
let h: Harness;

describe('order per stream', () => {
  it('an entry without a usable date in the middle of a backfill does not send the stream back in time', async () => {
    // Three hours of history with one undated entry in the middle (Slack sends a date it cannot
    // parse). Loki refuses entries more than 1 h behind the newest of their stream.
    const start = nowSeconds() - 3 * 3600;
    const dated = makeEntries(40, { startDate: start }).map((e, i) => ({ ...e, date: String(start + i * 240) }));
    const undated: SlackIntegrationLogRaw = { app_id: 'A-undated', user_id: 'U1', date: 'n/a', change_type: 'added' };
    h = await harness.start({ entries: [...dated.slice(0, 20), undated, ...dated.slice(20)] });
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(h.collector.records).toHaveLength(41);
    expectOldestFirst(h.collector.records);
  });

  it('SLACK_TIMESTAMP_POLICY=observed over a multi-page backfill: record times never go backwards', async () => {
    const entries = makeEntries(60);
    h = await harness.start({ entries });
    // A few milliseconds between pages, as any real Slack answer takes.
    h.slack.enqueue(...Array.from({ length: 10 }, () => ({ delayMs: 5 })));
    await h.receiver({ backfillStartTime: 0, pageSize: 10, timestampPolicy: 'observed' }).syncOnce();
    expect(h.collector.records).toHaveLength(60);
    expectOldestFirst(h.collector.records);
  });

  it.each<OtlpProtocol>(['http/json', 'grpc'])(
    'over %s, twelve teams and a slow collector: one request per stream at a time, each team in order, each record once',
    async (protocol) => {
      const teams = Object.fromEntries(
        Array.from({ length: 12 }, (_, t) => [`T0${String(t).padStart(3, '0')}`, makeEntries(300, { prefix: `T${t}-`, perSecond: 2 })]),
      );
      h = await harness.start({ teams, protocol });
      h.collector.delayMs = 15;
      await h.receiver({ backfillStartTime: 0, slackTeamIds: Object.keys(teams), pageSize: 1000 }).syncOnce();
      expect(h.collector.maxConcurrentPerStream).toBe(1);
      for (const [team, entries] of Object.entries(teams)) {
        expectExactlyOnce(
          h.collector.records.filter((r) => r.resource['slack.team.id'] === team),
          entries,
        );
      }
      expectOldestFirst(h.collector.records);
    },
  );

  it('a refused batch split while a slow collector answers: halves go one at a time, in order', async () => {
    const entries = makeEntries(1000, { perSecond: 4 });
    h = await harness.start({ entries });
    h.collector.delayMs = 5;
    h.collector.maxBodyBytes = 25_000;
    const poison = new Set([10, 600, 999].map((i) => String(entries[i]!.app_id)));
    h.collector.refuseRecord = (r) => poison.has(String(r.attributes['slack.integration.app_id']));
    const summary = await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expect(summary.deadLettered).toBe(3);
    expect(h.collector.maxConcurrentPerStream).toBe(1);
    expectOldestFirst(h.collector.records);
  });
});
