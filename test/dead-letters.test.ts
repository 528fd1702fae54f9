/**
 * Dead letters: a record the collector refuses even alone is kept in the dead-letter file, once,
 * before the cursor moves past it; a damaged or unwritable file never loses a record, and two
 * cursors never share one file. Each test states the way a record could be neither delivered nor
 * kept while the cursor moves on, or delivery could stop for good.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';
import { DeadLetterFileError } from '../src/core/errors.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import type { DecodedLogRecord } from '../src/testing/fake-collector.js';
import { appIdOf, BASE_DATE, harnessPerTest, makeEntries, NS_PER_SECOND, readDeadLetters, type Harness, savedCursor } from './helpers.js';

const harness = harnessPerTest();
let h: Harness;

describe('records refused even alone', () => {
  it('poison records in both halves of a batch, and several in a row: each dead-lettered once, the rest delivered once', async () => {
    const entries = makeEntries(250);
    const poison = new Set([3, 4, 5, 130, 249].map((i) => String(entries[i]!.app_id)));
    h = await harness.start({ entries });
    h.collector.refuseRecord = (r) => poison.has(appIdOf(r));
    const summary = await h.receiver({ backfillStartTime: 0, pageSize: 1000 }).syncOnce();
    expect(summary.deadLettered).toBe(5);
    expect(h.collector.records.map(appIdOf).sort()).toEqual(
      entries
        .map((e) => String(e.app_id))
        .filter((id) => !poison.has(id))
        .sort(),
    );
    expect(readDeadLetters(deadLetterFileFor(h.cursorFile)).map((l) => String(l.entry.app_id))).toEqual([...poison]);
  });

  it('a poison record that is the only new entry: the pass fails with the cursor where it was; once a newer entry joins it, it is dead-lettered', async () => {
    const entries = makeEntries(3);
    h = await harness.start({ entries });
    const r = h.receiver({ backfillStartTime: 0 });
    await r.syncOnce();
    const poison: SlackIntegrationLogRaw = { app_id: 'APOISON', user_id: 'U1', date: String(BASE_DATE + 100), change_type: 'added' };
    h.slack.add(poison);
    h.collector.refuseRecord = (rec) => appIdOf(rec) === 'APOISON';
    const error = await h.failingPass(r);
    expect(error.name).toBe('OtlpExportError');
    expect(savedCursor((await h.cursorText())!).position.date).toBe(BASE_DATE + 2);
    h.slack.add(...makeEntries(2, { startDate: BASE_DATE + 200, prefix: 'N' }));
    const next = await r.syncOnce();
    expect(next.deadLettered).toBe(1);
    expect(h.collector.records.map(appIdOf)).toEqual(['A00000', 'A00001', 'A00002', 'AN00000', 'AN00001']);
    expect(readDeadLetters(deadLetterFileFor(h.cursorFile)).map((l) => l.entry.app_id)).toEqual(['APOISON']);
  });

  it('a collector that accepts the first half of a split, then goes away: nothing is counted past what it acknowledged', async () => {
    const entries = makeEntries(250);
    h = await harness.start({ entries });
    const poison = String(entries[200]!.app_id);
    h.collector.refuseRecord = (rec) => appIdOf(rec) === poison;
    let seen = 0;
    h.collector.onRecords = () => {
      // After the first accepted half (125 records) the collector dies.
      if (++seen === 1) void h.collector.stop();
    };
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000, otlpTimeoutMillis: 1000 });
    await h.failingPass(r);
    expect(savedCursor((await h.cursorText())!).position.date).toBe(0);
    expect(readDeadLetters(deadLetterFileFor(h.cursorFile))).toHaveLength(0);
  });

  // KNOWN LIMIT, by issue 11's rule (docs/delivery.md, "Splitting"): when every record of a batch
  // is refused alone, the fault is taken to lie with the collector, not the records, so nothing
  // is dead-lettered and the stream waits, failing each pass with the collector's message.
  it.fails('a run of 250 records refused even alone (one whole batch) does not stop the newer records behind it forever', async () => {
    // e.g. a backfill whose oldest 250 records a backend refuses (too old), then fresh ones.
    const old = makeEntries(250, { prefix: 'OLD' });
    const fresh = makeEntries(50, { startDate: BASE_DATE + 10_000, prefix: 'NEW' });
    h = await harness.start({ entries: [...old, ...fresh] });
    h.collector.refuseRecord = (r) => appIdOf(r).startsWith('AOLD');
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    for (let pass = 0; pass < 3; pass++) await r.syncOnce().catch(() => undefined);
    // The fresh records the collector accepts must get through (the old ones kept as dead letters).
    expect(h.collector.records.filter((rec) => appIdOf(rec).startsWith('ANEW'))).toHaveLength(50);
  });
});

describe('the dead-letter file', () => {
  it('with a line that is not a letter does not stop delivery (passes warn with the count); the replay refuses it, naming the line and the fix', async () => {
    const entries = makeEntries(5);
    h = await harness.start({ entries });
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

  it('whose last line was torn (crash or full disk during an append) does not stop delivery', async () => {
    const entries = makeEntries(5);
    h = await harness.start({ entries });
    const file = deadLetterFileFor(h.cursorFile);
    mkdirSync(file.replace(/\/[^/]+$/, ''), { recursive: true });
    // What an append cut short leaves: a whole line, then the start of the next one.
    const letter = {
      time: '2026-01-01T00:00:00.000Z',
      'log.record.uid': '0'.repeat(32),
      status: 'HTTP 400 Bad Request',
      entry: { app_id: 'AX', date: BASE_DATE },
      occurrence: 0,
      fetchedAt: '2026-01-01T00:00:00.000Z',
    };
    writeFileSync(file, `${JSON.stringify(letter)}\n{"time":"2026-01-01T00:00:01.000Z","log.record.ui`, { mode: 0o600 });
    const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(summary.exported).toBe(5);
  });

  it('that cannot be written (its path is a directory): the pass fails, the cursor stays before the poison record', async () => {
    const entries = makeEntries(20);
    h = await harness.start({ entries });
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    await r.syncOnce();
    h.slack.add(...makeEntries(10, { startDate: BASE_DATE + 100, prefix: 'N' }));
    h.collector.refuseRecord = (rec) => appIdOf(rec) === 'AN00004';
    const file = deadLetterFileFor(h.cursorFile);
    mkdirSync(file);
    await h.failingPass(r);
    expect(savedCursor((await h.cursorText())!).position.date).toBe(BASE_DATE + 19);
    rmSync(file, { recursive: true });
    const next = await r.syncOnce();
    expect(next.deadLettered).toBe(1);
    expect(readDeadLetters(file).map((l) => l.entry.app_id)).toEqual(['AN00004']);
  });

  it('after a pass whose cursor save failed once it wrote a dead letter: the next pass does not write the same letter again (a replay would deliver it twice)', async () => {
    const entries = makeEntries(5);
    h = await harness.start({ entries });
    const r = h.receiver({ backfillStartTime: 0 });
    await r.syncOnce();
    h.slack.add(...makeEntries(5, { startDate: BASE_DATE + 100, prefix: 'N' }));
    h.collector.refuseRecord = (rec) => appIdOf(rec) === 'AN00002';
    // The cursor cannot be replaced for one pass (disk trouble), after the letter was appended.
    rmSync(h.cursorFile);
    mkdirSync(h.cursorFile);
    await h.failingPass(r);
    rmSync(h.cursorFile, { recursive: true });
    await r.syncOnce();
    const letters = readDeadLetters(deadLetterFileFor(h.cursorFile));
    expect(letters.map((l) => l['log.record.uid'])).toEqual([...new Set(letters.map((l) => l['log.record.uid']))]);
    h.collector.refuseRecord = undefined;
    await r.replayDeadLetters();
    expect(h.collector.records.filter((rec) => appIdOf(rec) === 'AN00002')).toHaveLength(1);
  });

  it('of two cursor files with the same stem (acme.prod, acme.test: two receivers, two locks) is never shared', () => {
    // Each receiver locks only its own cursor; a shared dead-letter file would be appended by one
    // while the other's replay rewrites it.
    expect(deadLetterFileFor('/state/acme.prod')).not.toBe(deadLetterFileFor('/state/acme.test'));
  });
});

describe('a replayed dead letter', () => {
  it('is the record it would have been: the inventory effect, the neighbour date of an undated entry, the uid and time; an older letter without them still replays', async () => {
    // Oldest first. A1's expansion and removal, and an undated entry, are refused even alone.
    const entries: SlackIntegrationLogRaw[] = [
      { app_id: 'A1', user_id: 'U1', date: String(BASE_DATE + 1), change_type: 'added', scope: 'chat:write,commands' },
      { app_id: 'A1', user_id: 'U1', date: String(BASE_DATE + 2), change_type: 'expanded', scope: 'chat:write,commands,files:read' },
      { app_id: 'A2', user_id: 'U2', date: String(BASE_DATE + 3), change_type: 'added', scope: 'im:history' },
      { app_id: 'A1', user_id: 'U1', date: String(BASE_DATE + 4), change_type: 'removed', scope: 'chat:write,commands,files:read' },
      { app_id: 'A3', user_id: 'U3', date: 'garbage', change_type: 'added', scope: 'chat:write' },
      { app_id: 'A2', user_id: 'U2', date: String(BASE_DATE + 5), change_type: 'removed', scope: 'im:history' },
    ];
    const poison = (r: DecodedLogRecord) =>
      appIdOf(r) === 'A3' || (appIdOf(r) === 'A1' && r.attributes['slack.integration.change_type'] !== 'added');
    h = await harness.start({ entries });
    const uid = (r: DecodedLogRecord) => String(r.attributes['log.record.uid']);

    // The records as made fresh, on a cursor of their own with nothing refused.
    await h.receiver({ backfillStartTime: 0, cursorFile: join(h.dir, 'fresh', 'cursor.json') }).syncOnce();
    const fresh = new Map(h.collector.records.filter(poison).map((r) => [uid(r), r]));
    expect(fresh.size).toBe(3);

    h.collector.refuseRecord = poison;
    const r = h.receiver({ backfillStartTime: 0 });
    expect((await r.syncOnce()).deadLettered).toBe(3);
    const file = deadLetterFileFor(h.cursorFile);
    const letters = readDeadLetters(file);
    h.collector.refuseRecord = undefined;
    const before = h.collector.records.length;
    expect((await r.replayDeadLetters())[0]!.delivered).toBe(3);
    const replayed = h.collector.records.slice(before);

    // What the fixture says, worked out here: the expansion granted files:read; the removal took
    // the three scopes A1 held; the undated entry takes the date of an entry beside it.
    const byApp = (app: string, change: string) =>
      replayed.find((x) => appIdOf(x) === app && x.attributes['slack.integration.change_type'] === change)!;
    expect(byApp('A1', 'expanded').attributes['slack.integration.scopes.added']).toEqual(['files:read']);
    expect([...(byApp('A1', 'removed').attributes['slack.integration.scopes.removed'] as string[])].sort()).toEqual([
      'chat:write',
      'commands',
      'files:read',
    ]);
    expect([BASE_DATE + 4, BASE_DATE + 5].map((d) => BigInt(d) * NS_PER_SECOND)).toContain(byApp('A3', 'added').timeUnixNano);
    // And each is the fresh record: same uid, attributes, body, severity and time; observed when fetched.
    for (const record of replayed) {
      const twin = fresh.get(uid(record))!;
      expect(twin, uid(record)).toBeDefined();
      const { observedTimeUnixNano, ...rest } = record;
      const { observedTimeUnixNano: _observed, ...twinRest } = twin;
      expect(rest).toEqual(twinRest);
      const letter = letters.find((l) => l['log.record.uid'] === uid(record))!;
      expect(observedTimeUnixNano).toBe(BigInt(Date.parse(letter.fetchedAt)) * 1_000_000n);
    }

    // A letter written before these fields were kept: replayed all the same, the record without them.
    const [expanded] = letters.filter((l) => l.entry.change_type === 'expanded');
    const { 'slack.integration.scopes.added': added, ...older } = expanded!;
    expect(added).toEqual(['files:read']);
    writeFileSync(file, `${JSON.stringify(older)}\n`);
    const beforeOld = h.collector.records.length;
    expect((await r.replayDeadLetters())[0]!.delivered).toBe(1);
    const [old] = h.collector.records.slice(beforeOld);
    expect(uid(old!)).toBe(expanded!['log.record.uid']);
    expect(old!.attributes).not.toHaveProperty('slack.integration.scopes.added');
  });
});
