/**
 * What a pass says it did: entries older than the start or the cursor are not "already delivered"
 * (issue 19 §7). Expected counts are computed from the fake Slack's entries, not from the code.
 */
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { passSummaryLine, olderReason } from '../src/delivery/pass-summary.js';
import type { SlackIntegrationLogRaw, SyncSummary } from '../src/core/types.js';
import { BASE_DATE, harnessPerTest, makeEntries } from './helpers.js';

const harness = harnessPerTest();
/** One page holds every entry of these tests, so every entry is read once. */
const ONE_PAGE = { pageSize: 100 } as const;

const dateOf = (e: SlackIntegrationLogRaw) => Number(e.date);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The skip counter's sums by reason. */
async function skippedByReason(reader: TestReader): Promise<Record<string, number>> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  const out: Record<string, number> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== 'slack.integration_logs.entries.skipped') continue;
      for (const point of metric.dataPoints) {
        const reason = String(point.attributes['slack.integration_logs.skip_reason']);
        out[reason] = (out[reason] ?? 0) + Number(point.value);
      }
    }
  }
  return out;
}

describe('a first run without SLACK_BACKFILL_START_TIME', () => {
  it('counts the entries older than the start as such, says how to export them, and a run with 0 then does', async () => {
    const entries = makeEntries(40);
    const h = await harness.start({ entries });
    const reader = new TestReader();
    const startedAt = Math.floor(Date.now() / 1000);
    const first = h.receiver({ ...ONE_PAGE, meterProvider: new MeterProvider({ readers: [reader] }) });
    const summary = await first.syncOnce();
    const olderThanNow = entries.filter((e) => dateOf(e) < startedAt).length;
    expect(olderThanNow).toBe(40);
    expect(summary).toMatchObject({ fetched: 40, exported: 0, skippedAlreadyDelivered: 0, olderThanCursor: olderThanNow });
    const line = h.logger.at('info').find((l) => l.message.includes('sync pass:'))!.message;
    expect(line).toContain(`${olderThanNow} older than the start`);
    expect(line).toContain('set SLACK_BACKFILL_START_TIME=0 for the past');
    expect(line).not.toContain(`${olderThanNow} already delivered`);
    expect(await skippedByReason(reader)).toEqual({ older_than_start: olderThanNow });
    await h.shutdown(first);

    const again = await h.receiver({ ...ONE_PAGE, backfillStartTime: 0 }).syncOnce();
    expect(again.exported).toBe(40);
    expect(h.collector.records).toHaveLength(40);
  });
});

describe('the counts of a pass add up to what Slack returned', () => {
  it('a start inside the log: the entries before it are older than the start, no hint once the cursor moved', async () => {
    const entries = makeEntries(40, { perSecond: 2 });
    const start = BASE_DATE + 7;
    const h = await harness.start({ entries });
    const summary = await h.receiver({ ...ONE_PAGE, backfillStartTime: start }).syncOnce();
    const before = entries.filter((e) => dateOf(e) < start).length;
    expect(before).toBe(14);
    expect(summary).toMatchObject({ fetched: 40, exported: 40 - before, skippedAlreadyDelivered: 0, olderThanCursor: before });
    const line = h.logger.at('info').find((l) => l.message.includes('sync pass:'))!.message;
    expect(line).toContain(`${before} older than the start ${iso(start)} (SLACK_BACKFILL_START_TIME)`);
    expect(line).not.toContain('for the past');
  });

  it('a late entry (dated before the cursor) is older than the cursor, not "already delivered"', async () => {
    const entries = makeEntries(30, { perSecond: 3 });
    const h = await harness.start({ entries });
    const reader = new TestReader();
    const receiver = h.receiver({ ...ONE_PAGE, backfillStartTime: 0, meterProvider: new MeterProvider({ readers: [reader] }) });
    expect((await receiver.syncOnce()).exported).toBe(30);
    const cursorDate = Math.max(...entries.map(dateOf));
    const late = makeEntries(1, { startDate: BASE_DATE + 2, prefix: 'late' });
    const fresh = makeEntries(2, { startDate: cursorDate + 5, prefix: 'new' });
    h.slack.add(...late, ...fresh);
    const all = [...entries, ...late, ...fresh];

    const summary = await receiver.syncOnce();
    const atCursor = all.filter((e) => dateOf(e) === cursorDate).length;
    const beforeCursor = all.filter((e) => dateOf(e) < cursorDate).length;
    expect(summary).toMatchObject({
      fetched: all.length,
      exported: fresh.length,
      skippedAlreadyDelivered: atCursor,
      olderThanCursor: beforeCursor,
    });
    expect(summary.fetched).toBe(summary.exported + summary.skippedAlreadyDelivered + summary.olderThanCursor);
    const line = h.logger.at('info').filter((l) => l.message.includes('sync pass:'))[1]!.message;
    expect(line).toContain(`${fresh.length} exported, ${atCursor} already delivered, ${beforeCursor} older than the cursor`);
    expect(await skippedByReason(reader)).toEqual({ already_delivered: atCursor, older_than_cursor: beforeCursor });
  });
});

describe('passSummaryLine (pure)', () => {
  const summary = (over: Partial<SyncSummary>): SyncSummary => ({
    fetched: 0,
    exported: 0,
    skippedAlreadyDelivered: 0,
    olderThanCursor: 0,
    slackRequests: 1,
    rateLimitWaits: 0,
    exportBatches: 0,
    order: 'newest-first',
    cursor: { date: 1_700_000_000, delivered: {} },
    undatedEntries: 0,
    rejectedByCollector: 0,
    deadLettered: 0,
    durationMillis: 1,
    ...over,
  });
  const atStart = { position: { date: 1_700_000_000, delivered: {} }, backfillStart: 1_700_000_000 };
  const moved = { position: { date: 1_700_000_100, delivered: { ['a'.repeat(32)]: 1 } }, backfillStart: 1_700_000_000 };

  it('names entries older than the start, with the way to export them while the cursor is untouched', () => {
    expect(passSummaryLine(summary({ olderThanCursor: 40 }), atStart, atStart)).toBe(
      'sync pass: 0 exported, 0 already delivered, 40 older than the start 2023-11-14T22:13:20.000Z (SLACK_BACKFILL_START_TIME; set SLACK_BACKFILL_START_TIME=0 for the past), 1 Slack request(s), cursor at 2023-11-14T22:13:20.000Z',
    );
    expect(olderReason(atStart)).toBe('older_than_start');
  });

  it('once the cursor moved, entries before it are older than the cursor; none: not mentioned', () => {
    expect(passSummaryLine(summary({ exported: 2, skippedAlreadyDelivered: 1, olderThanCursor: 7 }), moved, moved)).toBe(
      'sync pass: 2 exported, 1 already delivered, 7 older than the cursor, 1 Slack request(s), cursor at 2023-11-14T22:13:20.000Z',
    );
    expect(olderReason(moved)).toBe('older_than_cursor');
    expect(passSummaryLine(summary({ exported: 3 }), moved, moved)).not.toContain('older');
  });
});
