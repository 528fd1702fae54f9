import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_BATCH_SIZE, MAX_RESENT_BATCHES } from '../src/delivery/pass.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { CLI, spawnNode, startLocalServers, until, type LocalServers } from './process-helpers.js';

/**
 * SIGKILL at random moments of a 20,000-entry backfill, restarting each time: nothing is lost,
 * and duplicates stay within MAX_RESENT_BATCHES export batches (500 records) per kill.
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

/** Deterministic pseudo-random numbers, so a failure reproduces: a small LCG. */
function randoms(seed: number, n: number, max: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  });
}

describe('SIGKILL during a backfill', () => {
  let servers: LocalServers;
  beforeAll(async () => {
    servers = await startLocalServers(TOKEN, entries());
  });
  afterAll(async () => servers.stop());
  const run = () => spawnNode([CLI, '--once'], servers.env());

  it('loses nothing and re-sends at most MAX_RESENT_BATCHES batches per kill', async () => {
    // Each kill lands while records flow: after a random number of records arrived in this run,
    // plus a random 0-40 ms, so it hits any point of an export (before, during, after the ack).
    const otlp = servers.otlp;
    const killedAt: number[] = [];
    const afterRecords = randoms(7, KILLS, 3_000);
    const extraMs = randoms(11, KILLS, 40);
    for (let k = 0; k < KILLS; k++) {
      const { child, exit } = run();
      const start = otlp.records.length;
      await until(() => otlp.records.length >= start + 1 + afterRecords[k]!, 30_000);
      await new Promise((r) => setTimeout(r, extraMs[k]));
      killedAt.push(otlp.records.length);
      child.kill('SIGKILL');
      await exit;
    }
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
  }, 120_000);
});
