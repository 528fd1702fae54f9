import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, startLocalServers, until, type LocalServers } from './process-helpers.js';

/** `node --import slack-integration-logs-receiver/register app.js` inside a small host service. */

const HOST = join(import.meta.dirname, 'fixtures', 'host-app.mjs');
const TOKEN = 'xoxp-register-test-not-a-real-token';

let servers: LocalServers;
beforeAll(async () => {
  const entries = Array.from({ length: 12 }, (_, i) => ({
    app_id: `A${i}`,
    user_id: 'U1',
    date: String(1_700_000_000 + i),
    change_type: 'added',
  }));
  servers = await startLocalServers(TOKEN, entries);
});
afterAll(async () => servers.stop());

// Resolved by package name through the package's own `exports`, as a user's host would.
const host = (env: Record<string, string>) =>
  spawnNode(['--import', 'slack-integration-logs-receiver/register', HOST], { PATH: process.env.PATH!, ...env });

describe('--import slack-integration-logs-receiver/register', () => {
  it('does nothing and says so once when the variables are absent', async () => {
    const h = host({ HOST_WORK_MS: '100' });
    expect(await h.exit).toEqual({ code: 0, signal: null });
    expect(h.stdout()).toContain('host: work done');
    const lines = h
      .stderr()
      .split('\n')
      .filter((l) => l.includes('register'));
    expect(lines).toEqual(['slack-integration-logs-receiver/register: SLACK_TOKEN (or SLACK_TOKEN_FILE) is not set; not started']);
  });

  const env = () => servers.env({ SLACK_POLL_INTERVAL: '1s' });

  it('exports while the host works, and lets the host exit when its work is done', async () => {
    const started = Date.now();
    const h = host({ ...env(), HOST_WORK_MS: '1500' });
    expect(await h.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.stdout()).toContain('host: work done');
    expect(new Set(servers.otlp.records.map((r) => r.attributes['slack.integration.app_id'])).size).toBe(12);
  });

  it('stops with the host on SIGTERM: the host ends by the signal, as it would without the receiver', async () => {
    const h = host({ ...env(), HOST_MODE: 'forever' });
    await until(() => h.stdout().includes('running'), 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const at = Date.now();
    h.child.kill('SIGTERM');
    expect(await h.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - at).toBeLessThan(10_000);
    // Nothing new was delivered twice by the second run on the same cursor.
    const uids = servers.otlp.records.map((r) => r.attributes['log.record.uid']);
    expect(new Set(uids).size).toBe(uids.length);
  });
});
