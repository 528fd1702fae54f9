/**
 * Attack: the CLI's exit codes with several teams (SLACK_TEAM_ID), and --replay-dead-letters with
 * no file, several teams, a locked cursor, a torn file and a collector that is down. Each run is
 * a child process of the built CLI against a fake Slack and a fake collector on 127.0.0.1.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeCollector } from '../src/testing/fake-collector.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { makeEntries } from './helpers.js';
import { CLI, spawnNode } from './process-helpers.js';

const TOKEN = 'xoxp-attack-cli-not-a-real-token';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

async function setup(teams: Record<string, SlackIntegrationLogRaw[]>) {
  const slack = await new FakeSlack({ token: TOKEN, teams }).start();
  const collector = await new FakeCollector().start();
  const dir = await mkdtemp(join(tmpdir(), 'attack-cli-'));
  cleanup.push(async () => {
    await slack.stop();
    await collector.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const cursorFile = join(dir, 'state', 'cursor.json');
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH!,
    SLACK_TOKEN: TOKEN,
    SLACK_API_URL: slack.url,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    OTEL_METRICS_EXPORTER: 'none',
    SLACK_CURSOR_FILE: cursorFile,
    SLACK_BACKFILL_START_TIME: '0',
    SLACK_RETRY_DEADLINE: '2',
    ...extra,
  });
  const run = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const p = spawnNode([CLI, ...args], env(extraEnv));
    const { code } = await p.exit;
    const stderr = p.stderr();
    expect(stderr).not.toContain(TOKEN.slice(5));
    return { code, stderr };
  };
  const letters = (team: string) => join(dir, 'state', `cursor.${team}.json.dead-letters.jsonl`);
  return { slack, collector, dir, cursorFile, env, run, letters };
}

const appIdOf = (r: { attributes: Record<string, unknown> }) => String(r.attributes['slack.integration.app_id']);
const teamOf = (r: { resource: Record<string, unknown> }) => String(r.resource['slack.team.id']);

describe('attack: --once exit codes with several teams', () => {
  it('one team dead-letters a record, the other is clean: exit 5', async () => {
    const s = await setup({ T0AAA: makeEntries(10, { prefix: 'a' }), T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Aa00003';
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(5);
    expect(s.collector.records).toHaveLength(19);
  });

  it('one team fails (every record refused), the other dead-letters: exit 1, and the other team was delivered', async () => {
    const s = await setup({ T0AAA: makeEntries(10, { prefix: 'a' }), T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => teamOf(r) === 'T0AAA' || appIdOf(r) === 'Ab00003';
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(1);
    expect(s.collector.records.filter((rec) => teamOf(rec) === 'T0BBB')).toHaveLength(9);
    expect(r.stderr).toContain('team T0AAA: OTLP export');
  });

  it('one team refused by Slack (not in the org), the other dead-letters: exit 3', async () => {
    const s = await setup({ T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Ab00003';
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('invalid_auth');
  });

  it("one team's cursor locked by another receiver, the other clean: exit 4, the other delivered", async () => {
    const s = await setup({ T0AAA: makeEntries(5, { prefix: 'a' }), T0BBB: makeEntries(5, { prefix: 'b' }) });
    mkdirSync(join(s.dir, 'state'), { recursive: true });
    const release = await lockfile.lock(join(s.dir, 'state', 'cursor.T0AAA.json'), { realpath: false, stale: 5_000, update: 1_000 });
    cleanup.push(release);
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(4);
    expect(s.collector.records.map(teamOf)).toEqual(Array(5).fill('T0BBB'));
  }, 30_000);
});

describe('attack: --replay-dead-letters', () => {
  it('with no dead-letter file and no cursor yet: exit 0, says so, writes nothing', async () => {
    const s = await setup({});
    const r = await s.run(['--replay-dead-letters'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no dead letters in');
    expect(existsSync(s.cursorFile)).toBe(false);
    expect(s.collector.requests).toBe(0);
  });

  it("several teams: each team's letters go with its own Resource and uid; a team still refused keeps its file, exit 5", async () => {
    const s = await setup({ T0AAA: makeEntries(10, { prefix: 'a' }), T0BBB: makeEntries(10, { prefix: 'b' }) });
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
    const s = await setup({ T0AAA: makeEntries(10, { prefix: 'a' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Aa00003';
    expect((await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA' })).code).toBe(5);
    const before = readFileSync(s.letters('T0AAA'), 'utf8');
    const poller = spawnNode([CLI], s.env({ SLACK_TEAM_ID: 'T0AAA', SLACK_POLL_INTERVAL: '60s' }));
    cleanup.push(async () => {
      poller.child.kill('SIGKILL');
      await poller.exit;
    });
    const until = Date.now() + 10_000;
    while (!existsSync(join(s.dir, 'state', 'cursor.T0AAA.json.lock')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    s.collector.refuseRecord = undefined;
    const r = await s.run(['--replay-dead-letters'], { SLACK_TEAM_ID: 'T0AAA' });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('is locked by another running receiver');
    expect(readFileSync(s.letters('T0AAA'), 'utf8')).toBe(before);
  }, 30_000);

  it('a damaged dead-letter line: exit 4 naming the file and the line', async () => {
    const s = await setup({});
    mkdirSync(join(s.dir, 'state'), { recursive: true });
    writeFileSync(join(s.dir, 'state', 'cursor.json.dead-letters.jsonl'), '{"time":"2026-\n');
    const r = await s.run(['--replay-dead-letters'], {});
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('cursor.json.dead-letters.jsonl line 1 is not JSON');
  });

  it('a torn last line (an append that never finished: the cursor never moved past it) is left out: exit 0', async () => {
    const s = await setup({});
    mkdirSync(join(s.dir, 'state'), { recursive: true });
    writeFileSync(join(s.dir, 'state', 'cursor.json.dead-letters.jsonl'), '{"time":"2026-');
    const r = await s.run(['--replay-dead-letters'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no dead letters in');
  });

  it('the collector down: exit 1, the letters kept', async () => {
    const s = await setup({ T0AAA: makeEntries(10, { prefix: 'a' }) });
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
