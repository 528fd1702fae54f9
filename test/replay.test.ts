/**
 * Replaying dead letters: on a running receiver (racing its pass, answered with a partial
 * success), and from the command line with `--replay-dead-letters` (no file, several teams, a
 * locked cursor, a damaged or torn file, a collector that is down). The command-line runs are
 * child processes of the built CLI against a fake Slack and a fake collector on 127.0.0.1.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';
import { appIdOf, BASE_DATE, harnessPerTest, makeEntries, readDeadLetters, waitFor, type Harness, savedCursor } from './helpers.js';
import { CLI, cliServersPerTest, spawnNode } from './process-helpers.js';

describe('a replay on a running receiver', () => {
  const harness = harnessPerTest();
  let h: Harness;

  it('racing its pass, keeps the dead letter that pass wrote', async () => {
    // 128 entries, every other one refused even alone: 64 dead letters to replay (still refused).
    const entries = makeEntries(128);
    const poisonIds = new Set(entries.filter((_, i) => i % 2 === 0).map((e) => String(e.app_id)));
    h = await harness.start({ entries });
    h.collector.refuseRecord = (r) => poisonIds.has(appIdOf(r)) || appIdOf(r) === 'ANEW00005';
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    expect((await r.syncOnce()).deadLettered).toBe(64);
    const file = deadLetterFileFor(h.cursorFile);
    expect(readDeadLetters(file)).toHaveLength(64);

    // New entries, one of them poison (ANEW00005). The embedder calls replayDeadLetters() on the
    // running receiver (its lock is held, so nothing stops it) while a pass runs.
    const later = makeEntries(11, { startDate: BASE_DATE + 10_000, prefix: 'NEW' });
    h.slack.add(...later);
    h.collector.delayMs = 5;
    const [pass, replay] = await Promise.all([r.syncOnce(), r.replayDeadLetters()]);
    expect(pass.deadLettered).toBe(1);
    // The replay waits for the pass: it sees the pass's letter too, and all are still refused.
    expect(replay[0]!.remaining).toBe(65);

    // The cursor moved past ANEW00005: it must be in the dead-letter file (it reached no collector).
    expect(savedCursor((await h.cursorText())!).position.date).toBe(BASE_DATE + 10_010);
    expect(h.collector.records.some((rec) => appIdOf(rec) === 'ANEW00005')).toBe(false);
    expect(readDeadLetters(file).map((l) => String(l.entry.app_id))).toContain('ANEW00005');
  });

  it('racing a pass of the same receiver, never puts two requests of one stream on the wire', async () => {
    const entries = makeEntries(40);
    const poisonIds = new Set(entries.filter((_, i) => i % 2 === 0).map((e) => String(e.app_id)));
    h = await harness.start({ entries });
    h.collector.refuseRecord = (r) => poisonIds.has(appIdOf(r));
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    await r.syncOnce();
    h.collector.refuseRecord = undefined;
    h.slack.add(...makeEntries(600, { startDate: BASE_DATE + 10_000, prefix: 'NEW' }));
    h.collector.delayMs = 30;
    h.collector.maxConcurrentPerStream = 0;
    await Promise.all([r.syncOnce(), r.replayDeadLetters()]);
    expect(h.collector.maxConcurrentPerStream).toBe(1);
  });

  it('answered with a partial success: the rejected letters are not reported delivered and removed', async () => {
    const entries = makeEntries(6);
    h = await harness.start({ entries });
    h.collector.refuseRecord = (r) => appIdOf(r) === 'A00003';
    const r = h.receiver({ backfillStartTime: 0 });
    await r.syncOnce();
    const file = deadLetterFileFor(h.cursorFile);
    expect(readDeadLetters(file)).toHaveLength(1);
    h.collector.refuseRecord = undefined;
    // The collector takes the request but rejects its one record (e.g. too old for its limits).
    h.collector.enqueue({ partialSuccess: { rejectedLogRecords: 1, errorMessage: 'timestamp too old' } });
    const [result] = await r.replayDeadLetters();
    // Either kept for another replay, or at least not reported as delivered.
    const kept = readDeadLetters(file).length;
    expect({ delivered: result!.delivered, kept }).not.toEqual({ delivered: 1, kept: 0 });
  });
});

describe('--replay-dead-letters', () => {
  const cli = cliServersPerTest('xoxp-cli-replay-not-a-real-token');

  it('with no dead-letter file and no cursor yet: exit 0, says so, writes nothing', async () => {
    const s = await cli.start({});
    const r = await s.run(['--replay-dead-letters'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no dead letters in');
    expect(existsSync(s.cursorFile)).toBe(false);
    expect(s.collector.requests).toBe(0);
  });

  it("several teams: each team's letters go with its own Resource and uid; a team still refused keeps its file, exit 5", async () => {
    const teamOf = (r: { resource: Record<string, unknown> }) => String(r.resource['slack.team.id']);
    const s = await cli.start({ T0AAA: makeEntries(10, { prefix: 'a' }), T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => ['Aa00003', 'Ab00004'].includes(appIdOf(r));
    expect((await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' })).code).toBe(5);
    const a = JSON.parse(readFileSync(s.letters('T0AAA'), 'utf8').trim()) as { 'log.record.uid': string };
    const b = JSON.parse(readFileSync(s.letters('T0BBB'), 'utf8').trim()) as { 'log.record.uid': string };
    // T0AAA's record passes now; T0BBB's is still refused.
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Ab00004';
    const r = await s.run(['--replay-dead-letters'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(5);
    const replayed = s.collector.records.filter((rec) => appIdOf(rec) === 'Aa00003');
    expect(replayed.map((rec) => [teamOf(rec), rec.attributes['log.record.uid']])).toEqual([['T0AAA', a['log.record.uid']]]);
    expect(existsSync(s.letters('T0AAA'))).toBe(false);
    expect(JSON.parse(readFileSync(s.letters('T0BBB'), 'utf8').trim())['log.record.uid']).toBe(b['log.record.uid']);
  });

  it('while a polling receiver holds the cursor: exit 4 naming the lock, the file untouched', async () => {
    const s = await cli.start({ T0AAA: makeEntries(10, { prefix: 'a' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Aa00003';
    expect((await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA' })).code).toBe(5);
    const before = readFileSync(s.letters('T0AAA'), 'utf8');
    const poller = spawnNode([CLI], s.env({ SLACK_TEAM_ID: 'T0AAA', SLACK_POLL_INTERVAL: '60s' }));
    cli.onCleanup(async () => {
      poller.child.kill('SIGKILL');
      await poller.exit;
    });
    await waitFor(() => existsSync(join(s.dir, 'state', 'cursor.T0AAA.json.lock')), 20_000, "the poller's lock");
    s.collector.refuseRecord = undefined;
    const r = await s.run(['--replay-dead-letters'], { SLACK_TEAM_ID: 'T0AAA' });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('is locked by another running receiver');
    expect(readFileSync(s.letters('T0AAA'), 'utf8')).toBe(before);
  }, 30_000);

  it('a damaged dead-letter line: exit 4 naming the file and the line', async () => {
    const s = await cli.start({});
    mkdirSync(join(s.dir, 'state'), { recursive: true });
    writeFileSync(join(s.dir, 'state', 'cursor.json.dead-letters.jsonl'), '{"time":"2026-\n');
    const r = await s.run(['--replay-dead-letters'], {});
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('cursor.json.dead-letters.jsonl line 1 is not JSON');
  });

  it('a torn last line (an append that never finished: the cursor never moved past it) is left out: exit 0', async () => {
    const s = await cli.start({});
    mkdirSync(join(s.dir, 'state'), { recursive: true });
    writeFileSync(join(s.dir, 'state', 'cursor.json.dead-letters.jsonl'), '{"time":"2026-');
    const r = await s.run(['--replay-dead-letters'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no dead letters in');
  });

  it('the collector down: exit 1, the letters kept', async () => {
    const s = await cli.start({ T0AAA: makeEntries(10, { prefix: 'a' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Aa00003';
    expect((await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA' })).code).toBe(5);
    const before = readFileSync(s.letters('T0AAA'), 'utf8');
    await s.collector.stop();
    const r = await s.run(['--replay-dead-letters'], { SLACK_TEAM_ID: 'T0AAA', OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/OTLP export to \S+ failed: no answer/);
    expect(readFileSync(s.letters('T0AAA'), 'utf8')).toBe(before);
  });
});
