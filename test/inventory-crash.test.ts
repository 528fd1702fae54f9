import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { fractions, randoms, savedCursor } from './helpers.js';
import { CLI, killWhileDelivering, spawnNode, startLocalServers, until, type LocalServers } from './process-helpers.js';
import { referenceFold, referenceProjection, savedApps, savedProjection } from './inventory-reference.js';

/**
 * SIGKILL at random moments of a first run that builds the inventory from the whole log while it
 * exports only the second half (the backfill start is in the middle), restarting each time: the
 * inventory in the cursor file, and every copy of every record sent, match one in-order fold of
 * the log (issue 18 §1, §7).
 */

const TOKEN = 'xoxp-inventory-crash-test-not-a-real-token';
const ENTRIES = 6_000;
const BASE = 1_700_000_000;
const BACKFILL_START = BASE + ENTRIES / 6; // the middle: three entries a second
const CHANGES = ['added', 'expanded', 'expanded', 'updated', 'removed', 'disabled', 'enabled'];
const SCOPES = ['commands', 'chat:write', 'im:history', 'admin.users:read', 'files:read'];

/** The log, oldest first: 40 apps, three entries a second, some identical to the one before. */
function log(): SlackIntegrationLogRaw[] {
  const r = randoms(3, ENTRIES * 3, 1 << 16);
  const out: SlackIntegrationLogRaw[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const date = String(BASE + Math.floor(i / 3));
    const previous = out.at(-1);
    if (previous && previous.date === date && r[3 * i]! % 4 === 0) {
      out.push({ ...previous });
      continue;
    }
    const scope = SCOPES.filter((_, k) => (r[3 * i + 1]! >> k) & 1).join(',');
    out.push({
      app_id: `A${r[3 * i + 2]! % 40}`,
      user_id: `U${i % 5}`,
      date,
      change_type: CHANGES[r[3 * i]! % CHANGES.length],
      ...(scope ? { scope } : {}),
    });
  }
  return out;
}

/** `log.record.uid` computed here: SHA-256 over the sorted-key JSON of the entry (date a number) and its occurrence. */
function expectedUids(entries: SlackIntegrationLogRaw[]): string[] {
  const seen = new Map<string, number>();
  return entries.map((e) => {
    const fields = Object.fromEntries(Object.entries({ ...e, date: Number(e.date) }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const fp = createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 32);
    const key = `${e.date}:${fp}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return createHash('sha256').update(`${fp}:${n}`).digest('hex').slice(0, 32);
  });
}

describe('SIGKILL while the inventory is built and records flow', () => {
  let servers: LocalServers;
  const entries = log();
  beforeAll(async () => {
    // Slack lists newest first.
    servers = await startLocalServers(TOKEN, [...entries].reverse());
  });
  afterAll(async () => servers.stop());
  const run = () => spawnNode([CLI, '--once'], servers.env({ SLACK_BACKFILL_START_TIME: String(BACKFILL_START) }));

  it('leaves the inventory of one in-order fold, and every copy of a record says what that fold says', async () => {
    const otlp = servers.otlp;
    const kills = 4;
    const exported = entries.filter((e) => Number(e.date) >= BACKFILL_START).length;
    // Each kill after a random share of the records still to come (plus 0-40 ms, at most 250 records);
    // 1,000 records stay for the final run, so the last kill lands while records flow on any machine.
    const plan = { total: exported, at: fractions(7, kills), extraMs: randoms(11, kills, 40), extraRecords: 250, reserve: 1_000 };
    // The first kill lands once the run has asked Slack for the log, before its records are all read.
    {
      const { child, exit } = run();
      await until(() => servers.slack.requests.length > 0, 60_000);
      child.kill('SIGKILL');
      await exit;
    }
    const killedAt = await killWhileDelivering(run, otlp.records, plan);
    const final = run();
    expect((await final.exit).code).toBe(0);

    const changes = otlp.records.filter((r) => r.eventName === 'slack.integration.change');
    expect(killedAt[kills - 1]).toBeLessThan(changes.length);

    const reference = referenceFold(entries);
    const uids = expectedUids(entries);
    const want = new Map(uids.map((uid, i) => [uid, { entry: entries[i]!, effect: reference.effects[i]! }]));
    const got = new Set<string>();
    for (const record of changes) {
      const uid = String(record.attributes['log.record.uid']);
      const expected = want.get(uid);
      expect(expected, uid).toBeDefined();
      expect(Number(expected!.entry.date)).toBeGreaterThanOrEqual(BACKFILL_START);
      got.add(uid);
      expect({
        added: record.attributes['slack.integration.scopes.added'],
        removed: record.attributes['slack.integration.scopes.removed'],
      }).toEqual({ added: expected!.effect.added, removed: expected!.effect.removed });
    }
    expect(got.size).toBe(exported);
    console.log(`inventory SIGKILL test: kills at ${killedAt.join(', ')} records; ${changes.length} change records, ${exported} distinct`);

    const text = await readFile(join(servers.dir, 'cursor.json'), 'utf8');
    expect(savedCursor(text).version).toBe(3);
    expect(savedProjection(savedApps(text))).toEqual(referenceProjection(reference.apps));
  }, 300_000);
});
