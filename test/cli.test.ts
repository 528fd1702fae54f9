/**
 * The CLI as users run it: `node dist/cli.js` in a child process (build first: `npm run build`;
 * `npm test` does it in pretest), against FakeSlack + FakeCollector started in this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoEntries, demoLaterEntries } from '../src/testing/workspace.js';
import {
  OTHER_TOKEN,
  PKG,
  TEST_TOKEN,
  expectExactlyOnce,
  expectNoTokenLeak,
  freePort,
  makeEntries,
  startHarness,
  waitFor,
  type Harness,
  type HarnessOptions,
  savedCursor,
} from './helpers.js';
import lockfile from 'proper-lockfile';
import { cliServersPerTest } from './process-helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A minimal environment: nothing SLACK_* or OTEL_* from the host leaks in. */
function baseEnv(home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return env;
}

let h: Harness | undefined;
const outputs: string[] = [];

async function setup(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

/** Env for a run against the harness's FakeSlack and collector. */
function runEnv(s: Harness, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...baseEnv(s.dir),
    SLACK_TOKEN: TEST_TOKEN,
    SLACK_API_URL: s.slack.url,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: s.endpoint,
    SLACK_CURSOR_FILE: s.cursorFile,
    SLACK_PAGE_SIZE: '10',
    SLACK_RETRY_DEADLINE: '5',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    // Inventory snapshots off: the records counted here are the entries' (test/inventory-*.test.ts).
    SLACK_INVENTORY_INTERVAL: '0',
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

function startCli(args: string[], env: Record<string, string>, cwd: string): { child: ChildProcess; done: Promise<CliResult> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli ${args.join(' ')} did not exit within 30 s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      outputs.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
  return { child, done };
}

function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}

beforeAll(() => {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it in pretest)`);
  }
});

afterEach(async () => {
  const harness = h;
  h = undefined;
  const texts = outputs.splice(0);
  try {
    for (const t of texts) {
      expect(t.includes(TEST_TOKEN), 'token in CLI output').toBe(false);
      expect(t.includes(TEST_TOKEN.slice(5)), 'token secret part in CLI output').toBe(false);
    }
    if (harness) await expectNoTokenLeak(harness, TEST_TOKEN);
  } finally {
    await harness?.cleanup();
  }
});

const DOCUMENTED_ENV = [
  'SLACK_TOKEN',
  'SLACK_TOKEN_FILE',
  'SLACK_API_URL',
  'SLACK_BACKFILL_START_TIME',
  'SLACK_CURSOR_FILE',
  'SLACK_POLL_INTERVAL',
  'SLACK_PAGE_SIZE',
  'SLACK_RETRY_DEADLINE',
  'SLACK_TIMESTAMP_POLICY',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
];

/** Every `*.ts` file under src, as text. */
function sourceTexts(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(ROOT, 'src'));
  return out;
}

describe('--help and --version', () => {
  it('--help lists every environment variable and exits 0', async () => {
    const r = await runCli(['--help'], baseEnv(ROOT), ROOT);
    expect(r.code).toBe(0);
    for (const name of DOCUMENTED_ENV) {
      expect(r.stdout, name).toMatch(new RegExp(`(^|[^A-Z_])${name}([^A-Z_]|$)`));
    }
    // every variable the source reads from the environment is listed too
    const read = new Set<string>();
    for (const text of sourceTexts()) {
      for (const m of text.matchAll(/'((?:SLACK|OTEL)_[A-Z0-9_]+)'/g)) read.add(m[1]!);
      for (const m of text.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(10);
    for (const name of read) expect(r.stdout, name).toContain(name);
    expect(r.stdout).toMatch(/--once/);
    expect(r.stdout).toMatch(/--demo/);
  });

  // BUG (reported): Slack error messages tell people to "set SLACK_TEAM_ID", a setting that nothing
  // reads and --help does not list.
  it('every SLACK_* setting that an error message tells people to set is one --help documents', async () => {
    const r = await runCli(['--help'], baseEnv(ROOT), ROOT);
    const errorsTs = readFileSync(join(ROOT, 'src', 'slack', 'codes.ts'), 'utf8');
    const named = new Set([...errorsTs.matchAll(/\b(SLACK_[A-Z_]+)\b/g)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(0);
    for (const name of named) expect(r.stdout, name).toMatch(new RegExp(`(^|[^A-Z_])${name}([^A-Z_]|$)`));
  });

  it('--version prints the package.json version', async () => {
    const r = await runCli(['--version'], baseEnv(ROOT), ROOT);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(PKG.version);
  });

  it('an unknown flag exits 2 pointing at --help', async () => {
    const r = await runCli(['--frobnicate'], baseEnv(ROOT), ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--help/);
  });
});

describe('configuration errors', () => {
  it('no token: exit 2 with one stderr line naming SLACK_TOKEN, and no silent demo', async () => {
    const s = await setup({ entries: makeEntries(5) });
    const r = await runCli(['--once'], runEnv(s, { SLACK_TOKEN: undefined, SLACK_BACKFILL_START_TIME: '0' }), s.dir);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/\bSLACK_TOKEN\b/);
    expect(r.stdout).not.toMatch(/demo/i);
    expect(s.slack.requests).toHaveLength(0);
    expect(s.collector.records).toHaveLength(0);
    expect(s.collector.requests).toBe(0);
  });

  it('no token in polling mode (no flag) also exits 2 at once', async () => {
    const s = await setup({ entries: makeEntries(5) });
    const r = await runCli([], runEnv(s, { SLACK_TOKEN: undefined }), s.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\bSLACK_TOKEN\b/);
    expect(s.collector.records).toHaveLength(0);
    expect(s.slack.requests).toHaveLength(0);
  });

  it('invalid settings: every problem in one message, exit 2, no request made', async () => {
    const s = await setup({ entries: makeEntries(5) });
    const r = await runCli(
      ['--once'],
      runEnv(s, {
        SLACK_TOKEN: undefined,
        SLACK_PAGE_SIZE: '5000',
        SLACK_POLL_INTERVAL: 'often',
        SLACK_BACKFILL_START_TIME: 'yesterday',
        SLACK_API_URL: 'ftp://example.invalid/api/',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli',
      }),
      s.dir,
    );
    expect(r.code).toBe(2);
    const errLines = lines(r.stderr);
    expect(errLines).toHaveLength(1);
    for (const name of [
      'SLACK_TOKEN',
      'SLACK_PAGE_SIZE',
      'SLACK_POLL_INTERVAL',
      'SLACK_BACKFILL_START_TIME',
      'SLACK_API_URL',
      'OTEL_EXPORTER_OTLP_COMPRESSION',
    ]) {
      expect(errLines[0], name).toContain(name);
    }
    expect(s.slack.requests).toHaveLength(0);
    expect(s.collector.records).toHaveLength(0);
  });
});

describe('--once', () => {
  it('exports the workspace to the collector and exits 0; a second run exports only new entries', async () => {
    const entries = makeEntries(23, { perSecond: 2 });
    const s = await setup({ entries });
    const env = runEnv(s, { SLACK_BACKFILL_START_TIME: '0' });
    const r = await runCli(['--once'], env, s.dir);
    expect(r.code, r.stderr).toBe(0);
    expectExactlyOnce(s.collector.records, entries);
    expect(existsSync(s.cursorFile)).toBe(true);

    const more = makeEntries(4, { startDate: Number(entries.at(-1)!.date) + 1, prefix: 'X' });
    s.slack.add(...more);
    const r2 = await runCli(['--once'], env, s.dir);
    expect(r2.code, r2.stderr).toBe(0);
    expectExactlyOnce(s.collector.records.slice(entries.length), more);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT (base URL) works, and the default cursor file lands in the working directory', async () => {
    const entries = makeEntries(6);
    const s = await setup({ entries });
    const base = s.collector.url.replace(/\/v1\/logs$/, '');
    const env = runEnv(s, {
      SLACK_BACKFILL_START_TIME: '0',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_ENDPOINT: base,
      SLACK_CURSOR_FILE: undefined,
    });
    const r = await runCli(['--once'], env, s.dir);
    expect(r.code, r.stderr).toBe(0);
    expectExactlyOnce(s.collector.records, entries);
    expect(existsSync(join(s.dir, '.slack-integration-logs', 'cursor.json'))).toBe(true);
  });

  it('collector down: exit 1, stderr names the OTLP export, the cursor stays at the start', async () => {
    const s = await setup({ entries: makeEntries(8) });
    const port = await freePort();
    const r = await runCli(
      ['--once'],
      runEnv(s, { SLACK_BACKFILL_START_TIME: '0', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://127.0.0.1:${port}/v1/logs` }),
      s.dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OTLP export/);
    expect(savedCursor(readFileSync(s.cursorFile, 'utf8')).position).toEqual({ date: 0, delivered: {} });
    expect(r.ms).toBeLessThan(10_000);
  });

  it.each(['http/protobuf', 'grpc'] as const)(
    'OTEL_EXPORTER_OTLP_PROTOCOL=%s with the base URL in OTEL_EXPORTER_OTLP_ENDPOINT delivers everything',
    async (protocol) => {
      const entries = makeEntries(30);
      const s = await setup({ entries, protocol });
      const base = protocol === 'grpc' ? s.endpoint : s.endpoint.replace(/\/v1\/logs$/, '');
      const env = runEnv(s, {
        SLACK_BACKFILL_START_TIME: '0',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: undefined,
        OTEL_EXPORTER_OTLP_ENDPOINT: base,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      });
      const r = await runCli(['--once'], env, s.dir);
      expect(r.code, r.stderr).toBe(0);
      expectExactlyOnce(s.collector.records, entries);
    },
  );

  it('a record the collector refuses: exit 5 naming the dead-letter file; the next run exits 0 but warns; --replay-dead-letters delivers it once fixed', async () => {
    const entries = makeEntries(40);
    const s = await setup({ entries });
    s.collector.refuseRecord = (rec) => rec.attributes['slack.integration.app_id'] === entries[7]!.app_id;
    const env = runEnv(s, { SLACK_BACKFILL_START_TIME: '0' });
    const file = join(dirname(s.cursorFile), 'cursor.json.dead-letters.jsonl');
    const r = await runCli(['--once'], env, s.dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`refused 1 record(s) even alone (HTTP 400 Bad Request: "invalid log record`);
    expect(r.stderr).toContain(file);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(s.collector.records).toHaveLength(39);

    const again = await runCli(['--once'], env, s.dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`1 dead letter(s) wait in ${file}`);

    const refusedAgain = await runCli(['--replay-dead-letters'], env, s.dir);
    expect(refusedAgain.code, refusedAgain.stderr).toBe(5);
    expect(refusedAgain.stderr).toContain(`0 dead letter(s) delivered from ${file}; 1 refused again and kept there`);
    s.collector.refuseRecord = undefined;
    const replay = await runCli(['--replay-dead-letters'], env, s.dir);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toContain(`1 dead letter(s) delivered from ${file}; 0 refused again`);
    expect(existsSync(file)).toBe(false);
    expectExactlyOnce(s.collector.records, entries);
    const quiet = await runCli(['--once'], env, s.dir);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('dead letter');
  });

  it("an OTLP partial success: exit 5, the count and the collector's message on stderr", async () => {
    const s = await setup({ entries: makeEntries(5) });
    s.collector.enqueue({ partialSuccess: { rejectedLogRecords: 2, errorMessage: 'timestamp too old' } });
    const r = await runCli(['--once'], runEnv(s, { SLACK_BACKFILL_START_TIME: '0' }), s.dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('the collector rejected 2 of 5 records (OTLP partial success: timestamp too old)');
  });

  it('invalid_auth: exit 3 naming invalid_auth, nothing exported', async () => {
    const s = await setup({ entries: makeEntries(8), slackToken: OTHER_TOKEN });
    const r = await runCli(['--once'], runEnv(s, { SLACK_BACKFILL_START_TIME: '0' }), s.dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/invalid_auth/);
    expect(r.stderr).toMatch(/SLACK_TOKEN/);
    expect(s.collector.records).toHaveLength(0);
    expect(r.stderr.includes(OTHER_TOKEN)).toBe(false);
  });

  it('a corrupt cursor file: exit 4 naming the file, which is left as it was', async () => {
    const s = await setup({ entries: makeEntries(8) });
    const corrupt = '{"format": "slack-integration-logs-receiver/cursor", "version": 1, "position": {\n';
    await mkdir(dirname(s.cursorFile), { recursive: true });
    await writeFile(s.cursorFile, corrupt);
    const r = await runCli(['--once'], runEnv(s, { SLACK_BACKFILL_START_TIME: '0' }), s.dir);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(s.cursorFile);
    expect(await readFile(s.cursorFile, 'utf8')).toBe(corrupt);
    expect(s.collector.records).toHaveLength(0);
  });
});

describe('--demo', () => {
  it('runs with no token against its embedded workspace, says it is a demo and prints the records', async () => {
    const s = await setup();
    const r = await runCli(['--demo'], baseEnv(s.dir), s.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\bdemo\b/i);
    const now = Math.floor(Date.now() / 1000);
    const fixture = [...demoEntries(now), ...demoLaterEntries(now)];
    for (const e of fixture) {
      expect(r.stdout).toContain(String(e.user_name));
      expect(r.stdout).toContain(String(e.app_id ?? e.service_id));
    }
    expect(r.stdout).toContain('slack.integration.change');
    expect(s.collector.records).toHaveLength(0); // it did not go to an outside collector
  });

  it('with an OTLP endpoint set, the demo records go to that collector, each once', async () => {
    const s = await setup();
    const env = {
      ...baseEnv(s.dir),
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: s.collector.url,
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      SLACK_INVENTORY_INTERVAL: '0',
    };
    const r = await runCli(['--demo'], env, s.dir);
    expect(r.code, r.stderr).toBe(0);
    const now = Math.floor(Date.now() / 1000);
    const fixture = [...demoEntries(now), ...demoLaterEntries(now)];
    expect(s.collector.records).toHaveLength(fixture.length);
    expect(new Set(s.collector.records.map((x) => x.attributes['log.record.uid'])).size).toBe(fixture.length);
    expect(s.collector.records.map((x) => String(x.attributes['user.name'])).sort()).toEqual(
      fixture.map((e) => String(e.user_name)).sort(),
    );
  });
});

describe('polling mode', () => {
  it('SIGTERM while polling: exits 0 within 10 s, everything exported once', async () => {
    const entries = makeEntries(25);
    const s = await setup({ entries });
    const { child, done } = startCli([], runEnv(s, { SLACK_BACKFILL_START_TIME: '0', SLACK_POLL_INTERVAL: '1s' }), s.dir);
    await waitFor(() => s.collector.records.length >= entries.length, 20_000, 'the first pass');
    const firstPassRequests = s.slack.requests.length;
    await waitFor(() => s.slack.requests.length > firstPassRequests, 20_000, 'a second poll');
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(0);
    expectExactlyOnce(s.collector.records, entries);
  });

  it('SIGTERM while a pass waits out a Slack 429: exits 0 within 10 s, nothing exported twice', async () => {
    const entries = makeEntries(12);
    const s = await setup({ entries });
    s.slack.enqueue({ status: 429, headers: { 'retry-after': '3' }, body: '' });
    const { child, done } = startCli([], runEnv(s, { SLACK_BACKFILL_START_TIME: '0', SLACK_POLL_INTERVAL: '1s' }), s.dir);
    await waitFor(() => s.slack.requests.length >= 1, 20_000, 'the first Slack request');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(0);
    const uids = s.collector.records.map((x) => x.attributes['log.record.uid']);
    expect(new Set(uids).size).toBe(uids.length);
    expect(s.collector.records.length === 0 || s.collector.records.length === entries.length).toBe(true);
  });
});

describe('--once with several teams (SLACK_TEAM_ID): the exit code names the worst outcome', () => {
  const cli = cliServersPerTest('xoxp-cli-teams-not-a-real-token');
  const appIdOf = (r: { attributes: Record<string, unknown> }) => String(r.attributes['slack.integration.app_id']);
  const teamOf = (r: { resource: Record<string, unknown> }) => String(r.resource['slack.team.id']);

  it('one team dead-letters a record, the other is clean: exit 5', async () => {
    const s = await cli.start({ T0AAA: makeEntries(10, { prefix: 'a' }), T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Aa00003';
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(5);
    expect(s.collector.records).toHaveLength(19);
  });

  it('one team fails (every record refused), the other dead-letters: exit 1, and the other team was delivered', async () => {
    const s = await cli.start({ T0AAA: makeEntries(10, { prefix: 'a' }), T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => teamOf(r) === 'T0AAA' || appIdOf(r) === 'Ab00003';
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(1);
    expect(s.collector.records.filter((rec) => teamOf(rec) === 'T0BBB')).toHaveLength(9);
    expect(r.stderr).toContain('team T0AAA: OTLP export');
  });

  it('one team refused by Slack (not in the org), the other dead-letters: exit 3', async () => {
    const s = await cli.start({ T0BBB: makeEntries(10, { prefix: 'b' }) });
    s.collector.refuseRecord = (r) => appIdOf(r) === 'Ab00003';
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('invalid_auth');
  });

  it("one team's cursor locked by another receiver, the other clean: exit 4, the other delivered", async () => {
    const s = await cli.start({ T0AAA: makeEntries(5, { prefix: 'a' }), T0BBB: makeEntries(5, { prefix: 'b' }) });
    await mkdir(join(s.dir, 'state'), { recursive: true });
    const release = await lockfile.lock(join(s.dir, 'state', 'cursor.T0AAA.json'), { realpath: false, stale: 5_000, update: 1_000 });
    cli.onCleanup(release);
    const r = await s.run(['--once'], { SLACK_TEAM_ID: 'T0AAA,T0BBB' });
    expect(r.code, r.stderr).toBe(4);
    expect(s.collector.records.map(teamOf)).toEqual(Array(5).fill('T0BBB'));
  }, 30_000);
});
