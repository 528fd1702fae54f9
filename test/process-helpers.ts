/**
 * For tests that run the receiver in child processes: a fake Slack and an OTLP receiver in this
 * process, a temp dir for cursors, and a spawner that keeps the child's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeCollector } from '../src/testing/fake-collector.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import type { DecodedLogRecord } from '../src/testing/fake-collector.js';

export const ROOT = join(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

export interface LocalServers {
  slack: FakeSlack;
  otlp: FakeCollector;
  dir: string;
  /** Environment for a receiver on these servers, with its cursor in `dir`, backfilling everything. */
  env(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

export async function startLocalServers(token: string, entries: SlackIntegrationLogRaw[]): Promise<LocalServers> {
  const slack = await new FakeSlack({ token, entries }).start();
  const otlp = await new FakeCollector().start();
  const dir = await mkdtemp(join(tmpdir(), 'receiver-process-test-'));
  return {
    slack,
    otlp,
    dir,
    env: (extra = {}) => ({
      PATH: process.env.PATH!,
      SLACK_TOKEN: token,
      SLACK_API_URL: slack.url,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: otlp.url,
      SLACK_CURSOR_FILE: join(dir, 'cursor.json'),
      SLACK_BACKFILL_START_TIME: '0',
      // The records a test counts are the entries' (test/inventory-*.test.ts turn snapshots on).
      SLACK_INVENTORY_INTERVAL: '0',
      ...extra,
    }),
    async stop() {
      await slack.stop();
      await otlp.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Spawned {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

export function spawnNode(args: string[], env: Record<string, string>, cwd = ROOT): Spawned {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exit, stdout: () => out, stderr: () => err };
}

/** Polls `condition` every `everyMs` until it holds or `timeoutMs` passed (then it returns all the same). */
export async function until(condition: () => boolean, timeoutMs: number, everyMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, everyMs));
}

/** Where the kills of `killWhileDelivering` land. */
export interface KillPlan {
  /** Distinct records (by `log.record.uid`) the whole backfill delivers. */
  total: number;
  /** Per kill, in [0, 1): where it lands within its share of the work left. */
  at: number[];
  /** Per kill, a further wait in ms, so it hits any moment of an export (before, during, after the ack). */
  extraMs: number[];
  /** The most records that further wait may let through, so no machine is fast enough to finish the work in it. */
  extraRecords: number;
  /** Distinct records kept back from the kills' shares for the run after the last one. */
  reserve: number;
}

/**
 * Runs the command again and again, SIGKILLing it each time while records flow, and returns the
 * record count at each kill. Each kill's threshold is a share of the distinct records still to come
 * (not a fixed count), so the runs never finish first, on a machine of any speed: a run that ends
 * before its kill fails the test, naming it.
 */
export async function killWhileDelivering(run: () => Spawned, records: DecodedLogRecord[], plan: KillPlan): Promise<number[]> {
  const seen = new Set<string>();
  let counted = 0;
  const distinct = () => {
    for (; counted < records.length; counted++) seen.add(String(records[counted]!.attributes['log.record.uid']));
    return seen.size;
  };
  const killedAt: number[] = [];
  for (let k = 0; k < plan.at.length; k++) {
    const left = Math.max(0, plan.total - distinct() - plan.reserve);
    const threshold = records.length + 1 + Math.floor((plan.at[k]! * left) / (plan.at.length - k));
    const { child, exit } = run();
    let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void exit.then((e) => (ended = e));
    await until(() => records.length >= threshold || ended !== undefined, Infinity, 1);
    if (ended) throw new Error(`run ${k + 1} ended (${JSON.stringify(ended)}) before its kill at ${threshold} records`);
    const extraUntil = records.length + plan.extraRecords;
    const waited = Date.now() + plan.extraMs[k]!;
    await until(() => Date.now() >= waited || records.length >= extraUntil, Infinity, 1);
    killedAt.push(records.length);
    child.kill('SIGKILL');
    expect(await exit, `run ${k + 1} was still running when killed`).toEqual({ code: null, signal: 'SIGKILL' });
  }
  return killedAt;
}

export interface CliRun {
  code: number | null;
  stderr: string;
}

export interface CliServers {
  slack: FakeSlack;
  collector: FakeCollector;
  dir: string;
  /** `dir/state/cursor.json`. */
  cursorFile: string;
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs the CLI with `args` to its end; fails the test when stderr holds the token. */
  run(args: string[], extraEnv?: Record<string, string>): Promise<CliRun>;
  /** The dead-letter file of a team's cursor. */
  letters(team: string): string;
}

/**
 * For a file whose tests run the built CLI against a fake Slack serving `teams` and a fake
 * collector: `start` begins them, `onCleanup` adds a step; all undone after each test.
 */
export function cliServersPerTest(token: string): {
  start(teams: Record<string, SlackIntegrationLogRaw[]>): Promise<CliServers>;
  onCleanup(step: () => Promise<void>): void;
} {
  let cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    cleanup = [];
  });
  return {
    onCleanup: (step) => void cleanup.push(step),
    async start(teams) {
      const slack = await new FakeSlack({ token, teams }).start();
      const collector = await new FakeCollector().start();
      const dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
      cleanup.push(async () => {
        await slack.stop();
        await collector.stop();
        await rm(dir, { recursive: true, force: true });
      });
      const cursorFile = join(dir, 'state', 'cursor.json');
      const env = (extra: Record<string, string> = {}) => ({
        PATH: process.env.PATH!,
        SLACK_TOKEN: token,
        SLACK_API_URL: slack.url,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
        OTEL_METRICS_EXPORTER: 'none',
        SLACK_CURSOR_FILE: cursorFile,
        SLACK_BACKFILL_START_TIME: '0',
        SLACK_RETRY_DEADLINE: '2',
        SLACK_INVENTORY_INTERVAL: '0',
        ...extra,
      });
      const run = async (args: string[], extraEnv: Record<string, string> = {}) => {
        const p = spawnNode([CLI, ...args], env(extraEnv));
        const { code } = await p.exit;
        const stderr = p.stderr();
        expect(stderr).not.toContain(token.slice(5));
        return { code, stderr };
      };
      const letters = (team: string) => join(dir, 'state', `cursor.${team}.json.dead-letters.jsonl`);
      return { slack, collector, dir, cursorFile, env, run, letters };
    },
  };
}
