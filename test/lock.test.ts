import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, spawnNode, startLocalServers, until, type LocalServers } from './process-helpers.js';

/** Two processes on one cursor file: the second refuses (exit 4); no record is exported twice. */

const TOKEN = 'xoxp-lock-test-not-a-real-token';

describe('two receivers on one cursor file', () => {
  let servers: LocalServers;
  beforeAll(async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ app_id: `A${i}`, user_id: 'U1', date: String(1_700_000_000 + i), change_type: 'added' }));
    servers = await startLocalServers(TOKEN, entries);
  });
  afterAll(async () => servers.stop());
  const start = (args: string[]) => spawnNode([CLI, ...args], servers.env({ SLACK_POLL_INTERVAL: '1s' }));

  it('refuses the second with exit 4 naming the lock, and the first stops cleanly on SIGTERM', async () => {
    const { otlp, slack, dir } = servers;
    const first = start([]);
    await until(() => otlp.records.length >= 30, 10_000);
    expect(otlp.records.length).toBe(30);

    const second = start(['--once']);
    expect((await second.exit).code).toBe(4);
    expect(second.stderr()).toContain('locked by another running receiver');
    expect(second.stderr()).toContain(join(dir, 'cursor.json'));

    // New entries while the first keeps polling: delivered once, by the first.
    slack.add({ app_id: 'A-new', user_id: 'U2', date: String(1_700_000_100), change_type: 'removed' });
    await until(() => otlp.records.length >= 31, 10_000);

    const stopAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopAt).toBeLessThan(10_000);

    const uids = otlp.records.map((r) => r.attributes['log.record.uid']);
    expect(uids.length).toBe(31);
    expect(new Set(uids).size).toBe(31);
  }, 60_000);
});
