/**
 * Delivery that lands: records reach the collector in time order per stream (Loki refuses
 * entries more than an hour behind their stream), each Grid team is a stream of its own, a refused
 * batch is split until every record the collector takes is delivered, and a record refused alone
 * is kept in the dead-letter file, never lost and never freezing the cursor. For each OTLP protocol,
 * with the real exporters against local collectors that decode what they get.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deadLetterFileFor, type DeadLetter } from '../src/state/dead-letter-file.js';
import {
  BASE_DATE,
  TEST_TOKEN,
  expectExactlyOnce,
  expectNoTokenLeak,
  expectOldestFirst,
  makeEntries,
  startHarness,
  type Harness,
} from './helpers.js';

import type { Protocol } from './otlp/transports.js';
import { DeadLetterFileError } from '../src/core/errors.js';

const PROTOCOLS: Protocol[] = ['http/json', 'http/protobuf', 'grpc'];

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const readLetters = (file: string): DeadLetter[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DeadLetter);

describe.each(PROTOCOLS)('over %s', (protocol) => {
  it('a slow collector: never two requests of one stream outstanding, records in time order, each once', async () => {
    const entries = makeEntries(2_500, { perSecond: 2 });
    h = await startHarness({ entries, protocol });
    h.collector.delayMs = 20;
    await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expect(h.collector.maxConcurrentPerStream).toBe(1);
    expectExactlyOnce(h.collector.records, entries);
    expectOldestFirst(h.collector.records);
  });

  it('a collector that refuses bodies above 40 KB: the batches are split and everything is delivered', async () => {
    const entries = makeEntries(1_000, { perSecond: 3 });
    h = await startHarness({ entries, protocol });
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
    h = await startHarness({ entries, protocol });
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
    expect(JSON.parse((await h.cursorText())!).position.date).toBe(BASE_DATE + 1_199);

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
    h = await startHarness({ entries, protocol });
    h.collector.refuseRecord = () => true;
    const first = h.receiver({ backfillStartTime: 0 });
    const error = await h.failingPass(first);
    expect(error.name).toBe('OtlpExportError');
    expect(error.message).toMatch(
      /^OTLP export to \S+ failed: (HTTP 400 Bad Request|gRPC 3 INVALID_ARGUMENT), the collector said "invalid log record [0-9a-f]{32}"; the cursor stays at 1970-01-01T00:00:00\.000Z, after the last record delivered or kept; every one of the 6 records was refused on its own too/,
    );
    expect(() => statSync(deadLetterFileFor(h.cursorFile))).toThrow();
    expect(JSON.parse((await h.cursorText())!).position).toEqual({ date: 0, delivered: {} });
    await h.shutdown(first);

    h.collector.refuseRecord = undefined;
    await h.receiver().syncOnce();
    expectExactlyOnce(h.collector.records, entries);
  });

  it('each Grid team is its own stream: slack.team.id on the Resource, one request in flight per team, identical entries keep distinct uids', async () => {
    const shared = makeEntries(600);
    h = await startHarness({ teams: { T0AAA: shared, T0BBB: shared }, protocol });
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

describe('a damaged dead-letter file', () => {
  it('does not stop delivery (passes warn with the count); the replay refuses it, naming the line and the fix', async () => {
    const entries = makeEntries(5);
    h = await startHarness({ entries });
    const file = deadLetterFileFor(h.cursorFile);
    await mkdir(dirname(file), { recursive: true });
    writeFileSync(file, '{"not":"a letter"}\n');
    const r = h.receiver({ backfillStartTime: 0 });
    expect((await r.syncOnce()).exported).toBe(5);
    expect(h.logger.at('warn').some((l) => l.message.startsWith(`1 dead letter(s) wait in ${file}`))).toBe(true);
    const error = await r.replayDeadLetters().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect((error as Error).message).toBe(
      `dead-letter file ${file} line 1 has no valid entry, log.record.uid, occurrence, fetchedAt: fix or remove that line`,
    );
    expect(readFileSync(file, 'utf8')).toBe('{"not":"a letter"}\n');
  });
});

describe('exact times', () => {
  it('a date of "86400" arrives as 86400 × 1e9 ns, not at the process start plus a day', async () => {
    h = await startHarness({ entries: [{ ...makeEntries(1)[0]!, date: '86400' }] });
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(h.collector.records.map((r) => r.timeUnixNano)).toEqual([86_400_000_000_000n]);
  });
});

describe('OTLP partial success', () => {
  it('counts the rejected records of each request correctly, never more than it held', async () => {
    const entries = makeEntries(300);
    h = await startHarness({ entries });
    // The collector claims more than the second request (50 records) held.
    h.collector.enqueue({ delayMs: 0 }, { partialSuccess: { rejectedLogRecords: 250, errorMessage: 'too old' } });
    const summary = await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expect(summary.rejectedByCollector).toBe(50);
    expect(h.logger.at('warn').map((l) => l.message)).toContain(
      "the collector rejected 50 of 50 records (OTLP partial success: too old); they are not re-sent and the cursor moves on: check the collector's logs and limits",
    );
  });
});
