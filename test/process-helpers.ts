/**
 * For tests that run the receiver in child processes: a fake Slack and an OTLP receiver in this
 * process, a temp dir for cursors, and a spawner that keeps the child's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeCollector } from '../src/testing/fake-collector.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';

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

export async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}
