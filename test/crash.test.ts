import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_BATCH_SIZE, MAX_RESENT_BATCHES } from '../src/delivery/pass.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { appIdOf, fractions, randoms, readDeadLetters, savedCursor } from './helpers.js';
import { CLI, killWhileDelivering, spawnNode, startLocalServers, type LocalServers } from './process-helpers.js';

/**
 * SIGKILL at random moments of a 20,000-entry backfill, restarting each time: nothing is lost,
 * and duplicates stay within MAX_RESENT_BATCHES export batches (500 records) per kill. The same
 * while batches are split and records dead-lettered, and a disk that fills during a dead-letter
 * append (RLIMIT_FSIZE: the write stops part-way, as on ENOSPC). Child processes of the built CLI
 * against a fake Slack and a fake collector on 127.0.0.1.
 */

const TOKEN = 'xoxp-crash-test-not-a-real-token';
const ENTRIES = 20_000;
const KILLS = 6;
/** Records a kill may cause to be sent again: the batches delivered past the saved cursor. */
const RESEND_BOUND = MAX_RESENT_BATCHES * EXPORT_BATCH_SIZE;

function entries(): SlackIntegrationLogRaw[] {
  const out: SlackIntegrationLogRaw[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    // Three entries a second, some identical: the cursor's same-second bookkeeping is exercised.
    out.push({
      app_id: `A${i % 7}`,
      app_type: 'Bench App',
      user_id: `U${i % 5}`,
      date: String(1_700_000_000 + Math.floor(i / 3)),
      change_type: i % 3 === 2 ? 'added' : 'removed',
      scope: 'chat:write',
    });
  }
  return out;
}

describe('SIGKILL during a backfill', () => {
  let servers: LocalServers;
  beforeAll(async () => {
    servers = await startLocalServers(TOKEN, entries());
  });
  afterAll(async () => servers.stop());
  const run = () => spawnNode([CLI, '--once'], servers.env());

  it('loses nothing and re-sends at most MAX_RESENT_BATCHES batches per kill', async () => {
    // Each kill lands while records flow: after a random share of the records still to come arrived
    // in this run, plus a random 0-40 ms (at most 500 records), so it hits any point of an export
    // (before, during, after the ack). 5,000 records stay for the final run.
    const otlp = servers.otlp;
    const plan = { total: ENTRIES, at: fractions(7, KILLS), extraMs: randoms(11, KILLS, 40), extraRecords: 500, reserve: 5_000 };
    const killedAt = await killWhileDelivering(run, otlp.records, plan);
    // A final run completes; it waits for the killed process's lock to go stale.
    const final = run();
    expect((await final.exit).code).toBe(0);

    const uids = otlp.records.map((r) => String(r.attributes['log.record.uid']));
    const unique = new Set(uids);
    const duplicates = uids.length - unique.size;
    console.log(
      `SIGKILL test: ${KILLS} kills, at ${killedAt.join(', ')} records received; ${uids.length} records in all, ${unique.size} unique, ${duplicates} duplicates (bound ${KILLS * RESEND_BOUND})`,
    );
    // The kills really interrupted the backfill: it did not finish before the last one.
    expect(killedAt[KILLS - 1]).toBeLessThan(uids.length);

    expect(unique.size).toBe(ENTRIES);
    expect(MAX_RESENT_BATCHES * EXPORT_BATCH_SIZE).toBe(500); // the figure the README states
    expect(duplicates).toBeLessThanOrEqual(KILLS * RESEND_BOUND);
    // Every entry, by its content and date, arrived: compare with the fixture, not with our ids.
    const want = new Map<string, number>();
    for (const e of entries()) {
      const k = `${e.date}|${e.app_id}|${e.user_id}|${e.change_type}`;
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    const got = new Map<string, Set<string>>();
    for (const r of otlp.records) {
      const k = `${r.timeUnixNano / 1_000_000_000n}|${r.attributes['slack.integration.app_id']}|${r.attributes['user.id']}|${r.attributes['slack.integration.change_type']}`;
      const set = got.get(k) ?? new Set();
      set.add(String(r.attributes['log.record.uid']));
      got.set(k, set);
    }
    expect(new Map([...got].map(([k, v]) => [k, v.size]))).toEqual(want);
  }, 300_000);
});

/** `n` entries with distinct app IDs, two a second. */
function distinctEntries(n: number): SlackIntegrationLogRaw[] {
  return Array.from({ length: n }, (_, i) => ({
    app_id: `A${String(i).padStart(5, '0')}`,
    app_type: 'Crash App',
    user_id: `U${i % 5}`,
    date: String(1_700_000_000 + Math.floor(i / 2)),
    change_type: i % 2 ? 'added' : 'removed',
    scope: 'chat:write',
  }));
}

describe('crashes during splitting and dead-lettering', () => {
  let servers: LocalServers | undefined;
  afterEach(async () => {
    await servers?.stop();
    servers = undefined;
  });

  it('SIGKILL at random moments while every batch is split and poison records are dead-lettered: nothing lost, duplicates within 500 per kill', async () => {
    const all = distinctEntries(3_000);
    const poison = new Set(all.filter((_, i) => i % 97 === 13).map((e) => String(e.app_id)));
    servers = await startLocalServers(TOKEN, all);
    const otlp = servers.otlp;
    otlp.maxBodyBytes = 20_000; // every 250-record batch is split a few times
    otlp.refuseRecord = (r) => poison.has(appIdOf(r));
    otlp.delayMs = 2;
    const env = servers.env({ OTEL_EXPORTER_OTLP_TIMEOUT: '3000' });
    const file = join(servers.dir, 'cursor.json.dead-letters.jsonl');
    const kills = 5;
    const total = all.length - poison.size;
    const plan = { total, at: fractions(3, kills), extraMs: randoms(5, kills, 30), extraRecords: 100, reserve: 500 };
    await killWhileDelivering(() => spawnNode([CLI, '--once'], env), otlp.records, plan);
    const final = spawnNode([CLI, '--once'], env);
    const { code } = await final.exit;
    expect([0, 5], final.stderr()).toContain(code);

    const delivered = new Set(otlp.records.map(appIdOf));
    const letters = readDeadLetters(file);
    const kept = new Set(letters.map((l) => l.entry.app_id));
    const lost = all.map((e) => String(e.app_id)).filter((id) => !delivered.has(id) && !kept.has(id));
    const duplicates = otlp.records.length - delivered.size;
    const duplicateLetters = letters.length - kept.size;
    console.log(
      `split+kill: ${otlp.records.length} records, ${delivered.size} unique, ${duplicates} duplicates; ${letters.length} dead letters (${kept.size} unique); lost ${lost.length}`,
    );
    expect(lost).toEqual([]);
    expect([...kept].sort()).toEqual([...poison].sort());
    expect(duplicates).toBeLessThanOrEqual(kills * MAX_RESENT_BATCHES * EXPORT_BATCH_SIZE);
    expect(duplicateLetters).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('the disk fills during a dead-letter append (the line is cut short): once space is back, the next run delivers and keeps the poison record', async () => {
    const all = distinctEntries(40);
    servers = await startLocalServers(TOKEN, all);
    servers.otlp.refuseRecord = (r) => appIdOf(r) === 'A00020';
    const file = join(servers.dir, 'cursor.json.dead-letters.jsonl');
    // Earlier dead letters fill the file to just under 64 KiB, the file-size limit of the next run.
    const old = {
      time: '2026-01-01T00:00:00.000Z',
      'log.record.uid': 'f'.repeat(32),
      status: 'HTTP 400 Bad Request',
      message: 'x'.repeat(200),
      entry: { app_id: 'AOLD', date: 1_600_000_000 },
      occurrence: 0,
      fetchedAt: '2026-01-01T00:00:00.000Z',
    };
    const line = `${JSON.stringify(old)}\n`;
    mkdirSync(servers.dir, { recursive: true });
    const lines = line.repeat(Math.floor((64 * 1024) / line.length) - 1);
    // One more letter whose message pads the file to 40 bytes under the limit.
    const pad = `${JSON.stringify({ ...old, message: '' })}\n`;
    const filler = `${JSON.stringify({ ...old, message: 'y'.repeat(64 * 1024 - 40 - lines.length - pad.length) })}\n`;
    writeFileSync(file, lines + filler, { mode: 0o600 });
    expect(readFileSync(file).length).toBe(64 * 1024 - 40);
    // This run may write files of at most 64 KiB (bash's ulimit -f): the append stops part-way.
    const limited = spawn('bash', ['-c', `ulimit -f 64; exec "${process.execPath}" "${CLI}" --once`], {
      env: servers.env(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let limitedErr = '';
    limited.stderr!.on('data', (d) => (limitedErr += String(d)));
    const [limitedCode, limitedSignal] = await new Promise<[number | null, string | null]>((resolve) =>
      limited.on('exit', (c, sig) => resolve([c, sig])),
    );
    // Node is ended by SIGXFSZ when the write runs on a libuv thread; on ENOSPC it gets an error. Either way the line is cut.
    console.log(`disk full run: exit ${limitedCode ?? limitedSignal}: ${limitedErr.trim().split('\n').at(-1)}`);
    expect(limitedCode).not.toBe(0);
    expect(savedCursor(readFileSync(join(servers.dir, 'cursor.json'), 'utf8')).position.date).toBeLessThanOrEqual(1_700_000_010);

    // Space is back.
    const next = spawnNode([CLI, '--once'], servers.env());
    const { code } = await next.exit;
    console.log(`next run: exit ${code}: ${next.stderr().trim().split('\n').at(-1)}`);
    expect(code, next.stderr()).toBe(5);
    expect(readDeadLetters(file).map((l) => l.entry.app_id)).toContain('A00020');
    expect(new Set(servers.otlp.records.map(appIdOf)).size).toBe(39);
  }, 60_000);
});
