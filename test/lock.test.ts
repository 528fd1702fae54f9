import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, spawnNode, startLocalServers, until, type LocalServers } from './process-helpers.js';
import { savedCursor } from './helpers.js';

/** Two processes on one cursor file: the second refuses (exit 4); no record is exported twice. */

const TOKEN = 'xoxp-lock-test-not-a-real-token';

describe('two receivers on one cursor file', () => {
  let servers: LocalServers;
  beforeAll(async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({
      app_id: `A${i}`,
      user_id: 'U1',
      date: String(1_700_000_000 + i),
      change_type: 'added',
    }));
    servers = await startLocalServers(TOKEN, entries);
  });
  afterAll(async () => servers.stop());
  const start = (args: string[]) => spawnNode([CLI, ...args], servers.env({ SLACK_POLL_INTERVAL: '1s' }));

  it('refuses the second with exit 4 naming the lock, and the first stops cleanly on SIGTERM', async () => {
    const { otlp, slack, dir } = servers;
    const first = start([]);
    await until(() => otlp.records.length >= 30, 30_000);
    expect(otlp.records.length).toBe(30);

    const second = start(['--once']);
    expect((await second.exit).code).toBe(4);
    expect(second.stderr()).toContain('locked by another running receiver');
    expect(second.stderr()).toContain(join(dir, 'cursor.json'));

    // New entries while the first keeps polling: delivered once, by the first.
    slack.add({ app_id: 'A-new', user_id: 'U2', date: String(1_700_000_100), change_type: 'removed' });
    await until(() => otlp.records.length >= 31, 30_000);

    const stopAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopAt).toBeLessThan(10_000);

    const uids = otlp.records.map((r) => r.attributes['log.record.uid']);
    expect(uids.length).toBe(31);
    expect(new Set(uids).size).toBe(31);
  }, 60_000);
});

describe('cursor store', () => {
  it('saves with mode 0600, and removes the temp files a killed save left, nothing else', async () => {
    const { mkdtemp, readFile, readdir, rm, stat, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { CursorStore } = await import('../src/state/cursor-store.js');
    const { initialState } = await import('../src/state/cursor.js');
    const dir = await mkdtemp(join(tmpdir(), 'slack-integration-logs-store-'));
    try {
      const path = join(dir, 'cursor.json');
      await writeFile(`${path}.4242.7.tmp`, 'half a cursor');
      await writeFile(`${path}.bak`, 'a backup');
      await writeFile(join(dir, 'other.json.1.2.tmp'), 'not ours');
      const store = new CursorStore(path);
      await store.lock();
      const state = initialState(1_700_000_000);
      await store.save(state);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(savedCursor(await readFile(path, 'utf8')).position).toEqual({ date: 1_700_000_000, delivered: {} });
      expect((await store.load())?.position).toEqual(state.position);
      await store.unlock();
      expect((await readdir(dir)).sort()).toEqual(['cursor.json', 'cursor.json.bak', 'other.json.1.2.tmp']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('cursor store behind a symlink', () => {
  it('writes through a link to the file it points at (existing or not yet), and keeps the link', async () => {
    const { lstat, mkdir, mkdtemp, readFile, rm, symlink } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { CursorStore } = await import('../src/state/cursor-store.js');
    const { initialState } = await import('../src/state/cursor.js');
    const dir = await mkdtemp(join(tmpdir(), 'slack-integration-logs-link-'));
    try {
      await mkdir(join(dir, 'volume'));
      for (const existing of [false, true]) {
        const target = join(dir, 'volume', `cursor-${existing}.json`);
        const link = join(dir, `cursor-${existing}.json`);
        await symlink(target, link);
        if (existing) {
          const first = new CursorStore(target);
          await first.lock();
          await first.save(initialState(1));
          await first.unlock();
        }
        const store = new CursorStore(link);
        await store.lock();
        await store.save(initialState(1_700_000_000));
        await store.unlock();
        expect((await lstat(link)).isSymbolicLink(), `link kept (target existed: ${existing})`).toBe(true);
        expect(savedCursor(await readFile(target, 'utf8')).position.date).toBe(1_700_000_000);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
