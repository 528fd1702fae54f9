import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/demo/fake-slack.js';
import { OtlpReceiver } from '../src/demo/otlp-receiver.js';

/** Two processes on one cursor file: the second refuses (exit 4); no record is exported twice. */

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const TOKEN = 'xoxp-lock-test-not-a-real-token';

describe('two receivers on one cursor file', () => {
  let slack: FakeSlack;
  let otlp: OtlpReceiver;
  let dir: string;
  beforeAll(async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ app_id: `A${i}`, user_id: 'U1', date: String(1_700_000_000 + i), change_type: 'added' }));
    slack = await new FakeSlack({ token: TOKEN, entries }).start();
    otlp = await new OtlpReceiver().start();
    dir = await mkdtemp(join(tmpdir(), 'lock-test-'));
  });
  afterAll(async () => {
    await slack.stop();
    await otlp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (args: string[]) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH,
        SLACK_TOKEN: TOKEN,
        SLACK_API_URL: slack.url,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: otlp.url,
        SLACK_CURSOR_FILE: join(dir, 'cursor.json'),
        SLACK_BACKFILL_START_TIME: '0',
        SLACK_POLL_INTERVAL: '1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exit, stderr: () => stderr };
  };

  it('refuses the second with exit 4 naming the lock, and the first stops cleanly on SIGTERM', async () => {
    const first = start([]);
    const deadline = Date.now() + 10_000;
    while (otlp.records.length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(otlp.records.length).toBe(30);

    const second = start(['--once']);
    expect(await second.exit).toBe(4);
    expect(second.stderr()).toContain('locked by another running receiver');
    expect(second.stderr()).toContain(join(dir, 'cursor.json'));

    // New entries while the first keeps polling: delivered once, by the first.
    slack.add({ app_id: 'A-new', user_id: 'U2', date: String(1_700_000_100), change_type: 'removed' });
    const until = Date.now() + 10_000;
    while (otlp.records.length < 31 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));

    const stopAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(10_000);

    const uids = otlp.records.map((r) => r.attributes['log.record.uid']);
    expect(uids.length).toBe(31);
    expect(new Set(uids).size).toBe(31);
  }, 60_000);
});
