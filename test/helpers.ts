/**
 * Shared helpers for the end-to-end tests: a FakeSlack + FakeCollector pair on 127.0.0.1, receivers
 * with a temp cursor file, a recording logger, a deterministic entry generator, leak checks, cleanup.
 *
 * Expected values in the tests are computed from the fixtures built here, never from the code under test.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, expect } from 'vitest';
import { FakeSlack, type FakeSlackOptions } from '../src/testing/fake-slack.js';
import { FakeCollector, type DecodedLogRecord } from '../src/testing/fake-collector.js';
import type { OtlpProtocol } from '../src/config/otlp.js';
import { startFakeCollector } from '../src/testing/start-fake-collector.js';
import { deadLetterFileFor, type DeadLetter } from '../src/state/dead-letter-file.js';
import { SlackIntegrationLogsReceiver } from '../src/receiver.js';
import type { SlackIntegrationLogsReceiverOptions } from '../src/config/options.js';
import type { ReceiverLogger, SlackIntegrationLogRaw } from '../src/core/types.js';

/** A fake token: obviously not real, but shaped like a user token so no "not xoxp-" warning fires. */
export const TEST_TOKEN = 'xoxp-test-not-a-real-token';
/** A second fake token, for "wrong token" cases. */
export const OTHER_TOKEN = 'xoxp-other-test-not-a-real-token';

/** package.json, read from disk (independent of src/version.ts). */
export const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export const NS_PER_SECOND = 1_000_000_000n;

/** 2024-01-01T00:00:00Z, Unix seconds: the default start of generated entries. */
export const BASE_DATE = Date.UTC(2024, 0, 1) / 1000;

// ---------------------------------------------------------------------------------------------
// Logger

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
  /** The message and its fields as one line, as a real sink would write it. */
  text: string;
}

/** A silent logger that keeps every line, all levels, so tests can assert on messages. */
export class RecordingLogger implements ReceiverLogger {
  readonly lines: LoggedLine[] = [];

  private push(level: LoggedLine['level'], message: string, fields?: Record<string, unknown>): void {
    let extra: string;
    try {
      extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    } catch {
      extra = ` ${String(fields)}`;
    }
    this.lines.push({ level, message, fields, text: `${level.toUpperCase()} ${message}${extra}` });
  }

  debug = (message: string, fields?: Record<string, unknown>) => this.push('debug', message, fields);
  info = (message: string, fields?: Record<string, unknown>) => this.push('info', message, fields);
  warn = (message: string, fields?: Record<string, unknown>) => this.push('warn', message, fields);
  error = (message: string, fields?: Record<string, unknown>) => this.push('error', message, fields);

  at(level: LoggedLine['level']): LoggedLine[] {
    return this.lines.filter((l) => l.level === level);
  }

  get allText(): string {
    return this.lines.map((l) => l.text).join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Entries

const CHANGE_TYPES = ['added', 'enabled', 'expanded', 'updated', 'disabled', 'removed'] as const;
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;

export interface MakeEntriesOptions {
  /** Unix seconds of the first (oldest) entry. Default {@link BASE_DATE}. */
  startDate?: number;
  /** Entries per second. Default 1. */
  perSecond?: number;
  /** Distinguishes batches: part of every `app_id`. Default `''`. */
  prefix?: string;
  /** `date` as a string (Slack's documented form, default) or a number. `alternate` mixes them. */
  dateAs?: 'string' | 'number' | 'alternate';
}

/**
 * `n` deterministic, pairwise distinct app entries, oldest first: entry `i` is dated
 * `startDate + floor(i / perSecond)` and has the unique `app_id` `A<prefix><i>`.
 */
export function makeEntries(n: number, options: MakeEntriesOptions = {}): SlackIntegrationLogRaw[] {
  const { startDate = BASE_DATE, perSecond = 1, prefix = '', dateAs = 'string' } = options;
  const out: SlackIntegrationLogRaw[] = [];
  for (let i = 0; i < n; i++) {
    const seconds = startDate + Math.floor(i / perSecond);
    const asNumber = dateAs === 'number' || (dateAs === 'alternate' && i % 2 === 1);
    const user = USERS[i % USERS.length]!;
    out.push({
      app_id: `A${prefix}${String(i).padStart(5, '0')}`,
      app_type: `Test App ${i % 7}`,
      user_id: `U${user.toUpperCase()}`,
      user_name: user,
      date: asNumber ? seconds : String(seconds),
      change_type: CHANGE_TYPES[i % CHANGE_TYPES.length]!,
      scope: i % 3 === 0 ? '' : 'chat:write,channels:read',
    });
  }
  return out;
}

/** Unix seconds of an entry's `date`, computed from the fixture. */
export function dateOf(entry: SlackIntegrationLogRaw): number {
  return Number(entry.date);
}

/** The key of a generated entry (its `app_id`). */
export function keyOfEntry(entry: SlackIntegrationLogRaw): string {
  return String(entry.app_id);
}

/** The key of a decoded record made from a generated entry. */
export function keyOfRecord(record: DecodedLogRecord): string {
  return String(record.attributes['slack.integration.app_id']);
}

export function sortedKeys(entries: SlackIntegrationLogRaw[]): string[] {
  return entries.map(keyOfEntry).sort();
}

export function recordKeys(records: DecodedLogRecord[]): string[] {
  return records.map(keyOfRecord).sort();
}

export function uidsOf(records: DecodedLogRecord[]): string[] {
  return records.map((r) => String(r.attributes['log.record.uid']));
}

/** Fails unless the records are exactly the entries, each once. */
export function expectExactlyOnce(records: DecodedLogRecord[], entries: SlackIntegrationLogRaw[]): void {
  expect(records.length).toBe(entries.length);
  expect(recordKeys(records)).toEqual(sortedKeys(entries));
  expect(new Set(uidsOf(records)).size).toBe(entries.length);
}

/**
 * Fails unless the records arrived in non-decreasing time, per stream (`slack.team.id` of the
 * resource): one export request at a time per stream, so nothing overtakes.
 */
export function expectOldestFirst(records: DecodedLogRecord[]): void {
  const newest = new Map<string, bigint>();
  records.forEach((record, i) => {
    const stream = String(record.resource['slack.team.id'] ?? '');
    const before = newest.get(stream) ?? -1n;
    if (record.timeUnixNano < before) {
      throw new Error(`record ${i} of stream '${stream}' (${record.timeUnixNano}) is older than one before it (${before})`);
    }
    newest.set(stream, record.timeUnixNano);
  });
}

// ---------------------------------------------------------------------------------------------
// Harness

export interface HarnessOptions {
  entries?: SlackIntegrationLogRaw[];
  order?: FakeSlackOptions['order'];
  maxCount?: number;
  maxPage?: number;
  /** The token FakeSlack accepts. Default {@link TEST_TOKEN}. */
  slackToken?: string;
  /** Enterprise Grid teams' logs, by team ID. */
  teams?: Record<string, SlackIntegrationLogRaw[]>;
  /** The OTLP protocol the fake collector serves and the receivers use. Default http/json. */
  protocol?: OtlpProtocol;
}

export interface Harness {
  slack: FakeSlack;
  collector: FakeCollector;
  /** The fake collector's OTLP logs endpoint, for its protocol. */
  endpoint: string;
  dir: string;
  cursorFile: string;
  logger: RecordingLogger;
  /** Error messages caught by tests; checked for leaks. */
  errors: string[];
  /** A receiver on the harness's servers and cursor file; `overrides` win. Shut down by `cleanup`. */
  receiver(overrides?: SlackIntegrationLogsReceiverOptions): SlackIntegrationLogsReceiver;
  /** A receiver built through `fromEnv`, with the harness's servers and cursor file in `env`. */
  receiverFromEnv(env?: Record<string, string | undefined>, overrides?: SlackIntegrationLogsReceiverOptions): SlackIntegrationLogsReceiver;
  /** Runs `syncOnce` expecting it to reject; records and returns the error. */
  failingPass(receiver: SlackIntegrationLogsReceiver): Promise<Error>;
  /** The cursor file's text, or `undefined` when it does not exist. */
  cursorText(): Promise<string | undefined>;
  /** Shuts down a receiver now (releasing the cursor lock). */
  shutdown(receiver: SlackIntegrationLogsReceiver): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Default receiver options for tests: small page, short retry deadline and OTLP timeout, and no
 * inventory snapshots (the records a test counts are the entries'; test/inventory-*.test.ts turn
 * them on).
 */
export const FAST: SlackIntegrationLogsReceiverOptions = {
  pageSize: 10,
  retryDeadline: 5,
  otlpTimeoutMillis: 2000,
  inventoryInterval: 0,
};

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = await new FakeSlack({
    token: options.slackToken ?? TEST_TOKEN,
    entries: options.entries ?? [],
    ...(options.order ? { order: options.order } : {}),
    ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    ...(options.maxPage !== undefined ? { maxPage: options.maxPage } : {}),
    ...(options.teams ? { teams: options.teams } : {}),
  }).start();
  const protocol = options.protocol ?? 'http/json';
  const fake = await startFakeCollector(protocol);
  const collector = fake.collector;
  const dir = await mkdtemp(join(tmpdir(), 'slack-logs-e2e-'));
  const cursorFile = join(dir, 'state', 'cursor.json');
  const logger = new RecordingLogger();
  const errors: string[] = [];
  const live = new Set<SlackIntegrationLogsReceiver>();

  const harness: Harness = {
    slack,
    collector,
    endpoint: fake.endpoint,
    dir,
    cursorFile,
    logger,
    errors,
    receiver(overrides = {}) {
      const r = new SlackIntegrationLogsReceiver({
        token: TEST_TOKEN,
        slackApiUrl: slack.url,
        otlpEndpoint: fake.endpoint,
        otlpProtocol: protocol,
        cursorFile,
        logger,
        ...FAST,
        ...overrides,
      });
      live.add(r);
      return r;
    },
    receiverFromEnv(env = {}, overrides = {}) {
      const r = SlackIntegrationLogsReceiver.fromEnv(
        {
          SLACK_TOKEN: TEST_TOKEN,
          SLACK_API_URL: slack.url,
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fake.endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          SLACK_CURSOR_FILE: cursorFile,
          SLACK_PAGE_SIZE: '10',
          SLACK_RETRY_DEADLINE: '5',
          OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
          SLACK_INVENTORY_INTERVAL: '0',
          ...env,
        },
        { logger, ...overrides },
      );
      live.add(r);
      return r;
    },
    async failingPass(receiver) {
      try {
        await receiver.syncOnce();
      } catch (e) {
        const error = e as Error;
        // The whole error as a host would log it: causes and their own fields too.
        errors.push(error.message, String(error.stack ?? ''), inspect(error, { depth: 20 }));
        return error;
      }
      throw new Error('expected syncOnce to reject, but it resolved');
    },
    async cursorText() {
      return existsSync(cursorFile) ? readFile(cursorFile, 'utf8') : undefined;
    },
    async shutdown(receiver) {
      live.delete(receiver);
      await receiver.shutdown({ timeoutMillis: 2000 });
    },
    async cleanup() {
      for (const r of live) await r.shutdown({ timeoutMillis: 2000 }).catch(() => undefined);
      live.clear();
      await fake.stop().catch(() => undefined);
      await slack.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * For a file whose tests each start one harness: `start` begins it, and after every test it is
 * checked for token leaks and cleaned up.
 */
export function harnessPerTest(): { start(options?: HarnessOptions): Promise<Harness> } {
  let current: Harness | undefined;
  afterEach(async () => {
    const h = current;
    current = undefined;
    if (h) {
      try {
        await expectNoTokenLeak(h);
      } finally {
        await h.cleanup();
      }
    }
  });
  return {
    async start(options) {
      current = await startHarness(options);
      return current;
    },
  };
}

/** The app IDs of the records `otlp` received for `team` (`slack.team.id` of their Resource), sorted. */
export function teamAppIds(otlp: FakeCollector, team: string): string[] {
  return otlp.records
    .filter((r) => r.resource['slack.team.id'] === team)
    .map((r) => String(r.attributes['slack.integration.app_id']))
    .sort();
}

/** An Enterprise Grid setup of `teamsPerTest`. */
export interface TeamsServers {
  slack: FakeSlack;
  otlp: FakeCollector;
  /** Holds `cursor.json` and the teams' cursors beside it. */
  dir: string;
  logger: RecordingLogger;
  /** A receiver on these servers: the file's defaults, then `options`. Shut down after the test. */
  make(options?: SlackIntegrationLogsReceiverOptions): SlackIntegrationLogsReceiver;
  /** See {@link teamAppIds}. */
  appsOf(team: string): string[];
}

/**
 * For a file of Enterprise Grid tests: `start` begins a fake Slack (its options but the token) and
 * a fake collector, a temp dir for the cursors, and receivers made with `defaults` (inventory
 * snapshots off: the records counted are the entries'); `onCleanup` adds a step. All undone after
 * each test.
 */
export function teamsPerTest(
  token: string,
  defaults: SlackIntegrationLogsReceiverOptions,
): { start(slack: Omit<FakeSlackOptions, 'token'>): Promise<TeamsServers>; onCleanup(step: () => Promise<unknown>): void } {
  let cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });
  return {
    onCleanup: (step) => void cleanup.push(step),
    async start(slackOptions) {
      const slack = await new FakeSlack({ token, ...slackOptions }).start();
      const otlp = await new FakeCollector().start();
      const dir = await mkdtemp(join(tmpdir(), 'teams-test-'));
      const logger = new RecordingLogger();
      cleanup.push(async () => {
        await slack.stop();
        await otlp.stop();
        await rm(dir, { recursive: true, force: true });
      });
      const make = (options: SlackIntegrationLogsReceiverOptions = {}) => {
        const r = new SlackIntegrationLogsReceiver({
          token,
          slackApiUrl: slack.url,
          otlpEndpoint: otlp.url,
          cursorFile: join(dir, 'cursor.json'),
          pageSize: 10,
          inventoryInterval: 0,
          logger,
          ...defaults,
          ...options,
        });
        cleanup.push(() => r.shutdown({ timeoutMillis: 2000 }));
        return r;
      };
      return { slack, otlp, dir, logger, make, appsOf: (team) => teamAppIds(otlp, team) };
    },
  };
}

/**
 * Fails when the token (or its secret part) appears in any logged line, caught error, the cursor
 * file, the dead-letter file, or any OTLP body the collector received.
 */
export async function expectNoTokenLeak(h: Harness, token = TEST_TOKEN, more: string[] = []): Promise<void> {
  const secretPart = token.slice('xoxp-'.length);
  const places: Array<[string, string]> = [
    ['log lines', h.logger.allText],
    [
      'log fields',
      JSON.stringify(
        h.logger.lines.map((l) => l.fields ?? null),
        (_k, v) => (typeof v === 'bigint' ? String(v) : v),
      ),
    ],
    ['error messages', h.errors.join('\n')],
    ['cursor file', (await h.cursorText()) ?? ''],
    ['dead-letter file', deadLetterText(h.cursorFile)],
    ['OTLP bodies', h.collector.bodies.join('\n')],
    ['other', more.join('\n')],
  ];
  for (const [where, text] of places) {
    expect(text.includes(token), `token found in ${where}`).toBe(false);
    expect(text.includes(secretPart), `token's secret part found in ${where}`).toBe(false);
  }
}

/** The dead-letter file's text; empty when there is none (or a test made its path a directory). */
function deadLetterText(cursorFile: string): string {
  const file = deadLetterFileFor(cursorFile);
  return existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : '';
}

/** Waits until `check` is true, polling; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A 127.0.0.1 port with nothing listening (bound then released). */
export async function freePort(): Promise<number> {
  const probe = await new FakeCollector().start();
  const port = Number(new URL(probe.url).port);
  await probe.stop();
  return port;
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The dead letters in a file, as JSON (none when it does not exist). */
/**
 * The cursor file's newest state as docs/cursor.md describes it, read without the receiver's
 * parser: the first line (or a version 1 or 2 file's one document), with each save line's fields
 * over it; a last line cut short is left out. Not its inventory (`apps` of save lines are left out).
 */
export function savedCursor(
  text: string,
): { version: number; position: { date: number; delivered: Record<string, number> } } & Record<string, unknown> {
  const lines = text.split('\n');
  if (!lines[0]!.startsWith('{"')) return JSON.parse(text) as ReturnType<typeof savedCursor>;
  let state = JSON.parse(lines[0]!) as ReturnType<typeof savedCursor>;
  for (const line of lines.slice(1, -1)) {
    const { apps: _, ...save } = JSON.parse(line) as Record<string, unknown>;
    state = { ...state, hint: undefined, undated: undefined, ...save };
  }
  return state;
}

export function readDeadLetters(file: string): DeadLetter[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as DeadLetter)
    : [];
}

/** The `app_id` a generated entry's record carries. */
export const appIdOf = (r: { attributes: Record<string, unknown> }): string => String(r.attributes['slack.integration.app_id']);

/** The outcome of one pass of 4 entries where the collector gives `status` and `body` to the first request only. */
export async function passWithFirstAnswer(
  harness: { start(options?: HarnessOptions): Promise<Harness> },
  protocol: OtlpProtocol,
  status: number,
  body: string,
): Promise<{ h: Harness; outcome: { ok: true } | { ok: false; error: Error }; requests: number; delivered: number }> {
  const h = await harness.start({ entries: makeEntries(4), protocol });
  h.collector.enqueue({ status, body });
  // The exporter's own retry of a retryable answer waits about 1 s: 10 s leave room on a busy machine.
  const r = h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 10_000 });
  const outcome = await r.syncOnce().then(
    () => ({ ok: true as const }),
    (error: Error) => {
      h.errors.push(error.message, inspect(error, { depth: Infinity, showHidden: true }));
      return { ok: false as const, error };
    },
  );
  return { h, outcome, requests: h.collector.requests, delivered: h.collector.records.length };
}

/** A single line without control characters: what every message the receiver prints must be. */
// eslint-disable-next-line no-control-regex -- a line must hold no control characters
export const ONE_LINE = /^[^\x00-\x1f\x7f\u0085\u2028\u2029]*$/;

/** Deterministic pseudo-random whole numbers in [0, max), so a failure reproduces: a small LCG. */
export function randoms(seed: number, n: number, max: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  });
}

/** `n` deterministic pseudo-random fractions in [0, 1). */
export function fractions(seed: number, n: number): number[] {
  return randoms(seed, n, 1_000).map((x) => x / 1_000);
}
