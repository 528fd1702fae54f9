/**
 * Delivery that lands: records reach the collector in time order per stream (Loki refuses
 * entries more than an hour behind their stream), each Grid team is a stream of its own, a refused
 * batch is split until every record the collector takes is delivered, and a record refused alone
 * is kept in the dead-letter file, never lost and never freezing the cursor; times are exact, and
 * re-sends stay within the bounds docs/delivery.md states. For each OTLP protocol, with the real
 * exporters against local collectors that decode what they get.
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPORT_BATCH_SIZE } from '../src/delivery/pass.js';
import { deadLetterFileFor, type DeadLetter } from '../src/state/dead-letter-file.js';
import {
  BASE_DATE,
  TEST_TOKEN,
  expectExactlyOnce,
  expectNoTokenLeak,
  expectOldestFirst,
  harnessPerTest,
  makeEntries,
  waitFor,
  type Harness,
  savedCursor,
} from './helpers.js';
import type { OtlpProtocol } from '../src/config/otlp.js';

const PROTOCOLS: OtlpProtocol[] = ['http/json', 'http/protobuf', 'grpc'];

const harness = harnessPerTest();
let h: Harness;

const readLetters = (file: string): DeadLetter[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DeadLetter);

describe.each(PROTOCOLS)('over %s', (protocol) => {
  it('a slow collector: never two requests of one stream outstanding, records in time order, each once', async () => {
    const entries = makeEntries(2_500, { perSecond: 2 });
    h = await harness.start({ entries, protocol });
    h.collector.delayMs = 20;
    await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expect(h.collector.maxConcurrentPerStream).toBe(1);
    expectExactlyOnce(h.collector.records, entries);
    expectOldestFirst(h.collector.records);
  });

  it('a collector that refuses bodies above 40 KB: the batches are split and everything is delivered', async () => {
    const entries = makeEntries(1_000, { perSecond: 3 });
    h = await harness.start({ entries, protocol });
    h.collector.maxBodyBytes = 40_000;
    const summary = await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    expectOldestFirst(h.collector.records);
    expect(summary.deadLettered).toBe(0);
    expect(summary.exported).toBe(1_000);
    // Refused requests were really made: more requests than the 4 batches of 250.
    expect(h.collector.requests).toBeGreaterThan(4);
  });

  it('a poison record in a 1,200-entry backfill: dead-lettered alone, the rest once, the next pass not frozen, replay works', async () => {
    const entries = makeEntries(1_200);
    const poison = entries[617]!;
    h = await harness.start({ entries, protocol });
    h.collector.refuseRecord = (r) => r.attributes['slack.integration.app_id'] === poison.app_id;
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    const summary = await r.syncOnce();

    expect(summary.deadLettered).toBe(1);
    expectExactlyOnce(
      h.collector.records,
      entries.filter((e) => e !== poison),
    );
    expectOldestFirst(h.collector.records);
    const file = deadLetterFileFor(h.cursorFile);
    const letters = readLetters(file);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      entry: { ...poison, date: Number(poison.date) },
      occurrence: 0,
      status: protocol === 'grpc' ? 'gRPC 3 INVALID_ARGUMENT' : 'HTTP 400 Bad Request',
    });
    expect(letters[0]!.message).toBe(`invalid log record ${letters[0]!['log.record.uid']}`);
    expect(Date.parse(letters[0]!.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(TEST_TOKEN.slice(5));
    const error = h.logger
      .at('error')
      .map((l) => l.message)
      .join('\n');
    expect(error).toContain(`refused 1 record(s) even alone`);
    expect(error).toContain(file);
    // The cursor moved past it: it stands at the newest entry.
    expect(savedCursor((await h.cursorText())!).position.date).toBe(BASE_DATE + 1_199);

    // Not frozen: a newer entry is delivered by the next pass, which warns that a letter waits.
    const later = makeEntries(3, { startDate: BASE_DATE + 5_000, prefix: 'L' });
    h.slack.add(...later);
    const next = await r.syncOnce();
    expect(next.exported).toBe(3);
    expect(next.deadLettered).toBe(0);
    expect(h.logger.at('warn').some((l) => l.message.startsWith(`1 dead letter(s) wait in ${file}`))).toBe(true);

    // Replay while the cause remains: kept. Once fixed: delivered, with its own uid, and the file is gone.
    const stillRefused = await r.replayDeadLetters();
    expect(stillRefused).toEqual([{ delivered: 0, remaining: 1, file }]);
    h.collector.refuseRecord = undefined;
    const replayed = await r.replayDeadLetters();
    expect(replayed).toEqual([{ delivered: 1, remaining: 0, file }]);
    const arrived = h.collector.records.filter((r) => r.attributes['slack.integration.app_id'] === poison.app_id);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]!.attributes['log.record.uid']).toBe(letters[0]!['log.record.uid']);
    expect(arrived[0]!.timeUnixNano).toBe(BigInt(poison.date!) * 1_000_000_000n);
    expect(() => statSync(file)).toThrow();
    expectExactlyOnce(h.collector.records, [...entries, ...later]);
    await expectNoTokenLeak(h);
  });

  it('every record refused, even alone: nothing dead-lettered, the cursor stays, the error quotes the collector', async () => {
    const entries = makeEntries(6);
    h = await harness.start({ entries, protocol });
    h.collector.refuseRecord = () => true;
    const first = h.receiver({ backfillStartTime: 0 });
    const error = await h.failingPass(first);
    expect(error.name).toBe('OtlpExportError');
    expect(error.message).toMatch(
      /^OTLP export to \S+ failed: (HTTP 400 Bad Request|gRPC 3 INVALID_ARGUMENT), the collector said "invalid log record [0-9a-f]{32}"; the cursor stays at 1970-01-01T00:00:00\.000Z, after the last record delivered or kept; every one of the 6 records was refused on its own too/,
    );
    expect(() => statSync(deadLetterFileFor(h.cursorFile))).toThrow();
    expect(savedCursor((await h.cursorText())!).position).toEqual({ date: 0, delivered: {} });
    await h.shutdown(first);

    h.collector.refuseRecord = undefined;
    await h.receiver().syncOnce();
    expectExactlyOnce(h.collector.records, entries);
  });

  it('each Grid team is its own stream: slack.team.id on the Resource, one request in flight per team, identical entries keep distinct uids', async () => {
    const shared = makeEntries(600);
    h = await harness.start({ teams: { T0AAA: shared, T0BBB: shared }, protocol });
    h.collector.delayMs = 10;
    await h.receiver({ backfillStartTime: 0, slackTeamIds: ['T0AAA', 'T0BBB'], pageSize: 1000 }).syncOnce();
    expect(h.collector.maxConcurrentPerStream).toBe(1);
    for (const team of ['T0AAA', 'T0BBB']) {
      const records = h.collector.records.filter((r) => r.resource['slack.team.id'] === team);
      expectExactlyOnce(records, shared);
    }
    expect(h.collector.records.some((r) => 'slack.team.id' in r.attributes)).toBe(false);
    expect(new Set(h.collector.records.map((r) => r.attributes['log.record.uid'])).size).toBe(1_200);
    expectOldestFirst(h.collector.records);
  });
});

describe('exact times', () => {
  it('a date of "86400" arrives as 86400 × 1e9 ns, not at the process start plus a day', async () => {
    h = await harness.start({ entries: [{ ...makeEntries(1)[0]!, date: '86400' }] });
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(h.collector.records.map((r) => r.timeUnixNano)).toEqual([86_400_000_000_000n]);
  });

  it.each<OtlpProtocol>(['http/json', 'http/protobuf', 'grpc'])(
    'over %s, timeUnixNano is date × 1e9 exactly and observedTimeUnixNano whole milliseconds',
    async (protocol) => {
      const entries = [1, 1_392_163_801, 1_700_000_001, 1_796_000_003].map((d, i) => ({
        ...makeEntries(1, { prefix: `t${i}` })[0]!,
        date: String(d),
      }));
      h = await harness.start({ entries, protocol });
      await h.receiver({ backfillStartTime: 0 }).syncOnce();
      const got = h.collector.records.map((r) => r.timeUnixNano).sort((a, b) => (a < b ? -1 : 1));
      expect(got).toEqual([1n, 1_392_163_801n, 1_700_000_001n, 1_796_000_003n].map((s) => s * 1_000_000_000n));
      expect(
        h.collector.records.every(
          (r) => r.observedTimeUnixNano % 1_000_000n === 0n && r.observedTimeUnixNano > 1_700_000_000n * 1_000_000_000n,
        ),
      ).toBe(true);
    },
  );
});

describe('re-sends within the documented bounds (docs/delivery.md)', () => {
  it('a split batch whose second half fails: the next pass re-sends at most that batch (docs/delivery.md), and first copies stay in order', async () => {
    const entries = makeEntries(EXPORT_BATCH_SIZE);
    h = await harness.start({ entries });
    // The batch is refused as too large; its first half is taken; the second half meets a collector
    // that is restarting (503 until the export timeout).
    h.collector.enqueue({ status: 400, body: '{"code":3,"message":"http: request body too large"}' }, { delayMs: 0 });
    for (let i = 0; i < 30; i++) h.collector.enqueue({ status: 503, body: 'restarting' });
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000, otlpTimeoutMillis: 1_500 });
    await h.failingPass(r);
    expect(h.collector.records).toHaveLength(EXPORT_BATCH_SIZE / 2);
    // The collector is back: drop the 503s it did not get to give.
    while (h.collector.nextReply()) continue;
    await r.syncOnce();
    const uids = h.collector.records.map((rec) => String(rec.attributes['log.record.uid']));
    console.log(
      `failed split: ${uids.length} records received for ${EXPORT_BATCH_SIZE} entries, ${uids.length - new Set(uids).size} duplicates`,
    );
    expect(new Set(uids).size).toBe(EXPORT_BATCH_SIZE);
    // The acknowledged first half goes again (the cursor moves per batch): duplicates, same uids.
    expect(uids.length - new Set(uids).size).toBeLessThanOrEqual(EXPORT_BATCH_SIZE);
    const seen = new Set<string>();
    expectOldestFirst(
      h.collector.records.filter(
        (rec) => !seen.has(String(rec.attributes['log.record.uid'])) && seen.add(String(rec.attributes['log.record.uid'])),
      ),
    );
  }, 30_000);

  it('a collector slower than OTEL_EXPORTER_OTLP_TIMEOUT on every request: re-sends stay within one batch per the documented bound', async () => {
    // The collector takes every request, but answers after the exporter gave up (a real one keeps
    // processing a request whose client hung up). Three passes.
    const entries = makeEntries(EXPORT_BATCH_SIZE);
    h = await harness.start({ entries });
    h.collector.delayMs = 1_500;
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000, otlpTimeoutMillis: 500 });
    for (let pass = 0; pass < 3; pass++) {
      const before = h.collector.requests;
      await r.syncOnce().catch(() => undefined);
      // Let the collector finish the request the exporter abandoned: it keeps the 250 records of every request it answered.
      await waitFor(() => h!.collector.requests > before, 30_000, 'the request to arrive');
      await waitFor(
        () => h!.collector.records.length === h!.collector.requests * EXPORT_BATCH_SIZE,
        30_000,
        'the abandoned request to be answered',
      );
    }
    const copies = h.collector.records.length / EXPORT_BATCH_SIZE;
    console.log(
      `slow collector: ${h.collector.records.length} records received for ${EXPORT_BATCH_SIZE} entries over 3 passes (${copies} copies); cursor ${savedCursor((await h.cursorText())!).position.date}`,
    );
    // Documented (docs/delivery.md): a request that timed out may have arrived; each pass that
    // timed out sends its batch again. So at most one copy per pass, and the cursor does not move.
    expect(h.collector.records.length).toBeLessThanOrEqual(3 * EXPORT_BATCH_SIZE);
    expect(new Set(h.collector.records.map((rec) => rec.attributes['log.record.uid'])).size).toBe(EXPORT_BATCH_SIZE);
  }, 30_000);

  // KNOWN LIMIT (docs/delivery.md, "Timeouts"): the receiver cannot know when a collector finishes a
  // request it gave up on; raise OTEL_EXPORTER_OTLP_TIMEOUT above the collector's processing time.
  it.fails(
    'a timed-out request still being processed never overlaps the re-send of the next poll (one request per stream)',
    async () => {
      const entries = makeEntries(EXPORT_BATCH_SIZE);
      h = await harness.start({ entries });
      // The collector needs 10 s; the exporter gives up after 0.5 s and the next poll comes 1 s later,
      // so the second request arrives while the first is held, however slow the machine.
      h.collector.delayMs = 10_000;
      const r = h.receiver({ backfillStartTime: 0, pageSize: 1000, otlpTimeoutMillis: 500, pollInterval: 1 });
      await r.start({ keepProcessAlive: false });
      await waitFor(() => h!.collector.requests >= 2, 9_000, 'a second request');
      await h.shutdown(r);
      expect(h.collector.maxConcurrentPerStream).toBe(1);
    },
    30_000,
  );
});
