import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/demo/fake-slack.js';
import { OtlpReceiver } from '../src/demo/otlp-receiver.js';

/** `node --import slack-integration-logs-receiver/register app.js` inside a small host service. */

const ROOT = join(import.meta.dirname, '..');
const HOST = join(import.meta.dirname, 'fixtures', 'host-app.mjs');
const TOKEN = 'xoxp-register-test-not-a-real-token';

let slack: FakeSlack;
let otlp: OtlpReceiver;
let dir: string;
beforeAll(async () => {
  const entries = Array.from({ length: 12 }, (_, i) => ({ app_id: `A${i}`, user_id: 'U1', date: String(1_700_000_000 + i), change_type: 'added' }));
  slack = await new FakeSlack({ token: TOKEN, entries }).start();
  otlp = await new OtlpReceiver().start();
  dir = await mkdtemp(join(tmpdir(), 'register-test-'));
});
afterAll(async () => {
  await slack.stop();
  await otlp.stop();
  await rm(dir, { recursive: true, force: true });
});

function host(env: Record<string, string>) {
  // Resolved by package name through the package's own `exports`, as a user's host would.
  const child = spawn(process.execPath, ['--import', 'slack-integration-logs-receiver/register', HOST], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exit, out: () => stdout, err: () => stderr };
}

describe('--import slack-integration-logs-receiver/register', () => {
  it('does nothing and says so once when the variables are absent', async () => {
    const h = host({ HOST_WORK_MS: '100' });
    expect(await h.exit).toEqual({ code: 0, signal: null });
    expect(h.out()).toContain('host: work done');
    const lines = h.err().split('\n').filter((l) => l.includes('register'));
    expect(lines).toEqual(['slack-integration-logs-receiver/register: SLACK_TOKEN (or SLACK_TOKEN_FILE) is not set; not started']);
  });

  const env = () => ({
    SLACK_TOKEN: TOKEN,
    SLACK_API_URL: slack.url,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: otlp.url,
    SLACK_CURSOR_FILE: join(dir, 'cursor.json'),
    SLACK_BACKFILL_START_TIME: '0',
    SLACK_POLL_INTERVAL: '1s',
  });

  it('exports while the host works, and lets the host exit when its work is done', async () => {
    const started = Date.now();
    const h = host({ ...env(), HOST_WORK_MS: '1500' });
    expect(await h.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.out()).toContain('host: work done');
    expect(new Set(otlp.records.map((r) => r.attributes['slack.integration.app_id'])).size).toBe(12);
  });

  it('stops with the host on SIGTERM: the host ends by the signal, as it would without the receiver', async () => {
    const h = host({ ...env(), HOST_MODE: 'forever' });
    const until = Date.now() + 5_000;
    while (!h.out().includes('running') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    const at = Date.now();
    h.child.kill('SIGTERM');
    expect(await h.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - at).toBeLessThan(10_000);
    // Nothing new was delivered twice by the second run on the same cursor.
    const uids = otlp.records.map((r) => r.attributes['log.record.uid']);
    expect(new Set(uids).size).toBe(uids.length);
  });
});
