/**
 * The health endpoint (SLACK_HEALTH_ENDPOINT): the address parsing, the readiness decision (pure,
 * so the time-based state is checked without sleeping), the server in each state a real receiver
 * reaches against the fake Slack and a local collector, and its wiring in the library and the CLI.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveConfig } from '../src/config/config.js';
import { CursorStore } from '../src/state/cursor-store.js';
import { parseHealthEndpoint } from '../src/config/health-endpoint.js';
import { HealthServer } from '../src/health/health-server.js';
import { readiness, type StatusForReadiness } from '../src/health/readiness.js';
import type { SlackIntegrationLogsReceiver } from '../src/receiver.js';
import { freePort, makeEntries, OTHER_TOKEN, startHarness, TEST_TOKEN, type Harness } from './helpers.js';
import { CLI, ROOT, spawnNode, until } from './process-helpers.js';
import {
  ConfigError,
  CursorFileError,
  CursorLockedError,
  DeadLetterFileError,
  HealthEndpointError,
  OtlpExportError,
  readinessReasonOf,
  SlackFatalError,
  SlackUnavailableError,
  SpoolError,
  TeamsSyncError,
  type ReadinessReason,
} from '../src/core/errors.js';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';

const SECRET_PART = TEST_TOKEN.slice('xoxp-'.length);

/** A polling receiver's environment (every second) against the harness's fakes, without self-metrics. */
function pollingEnv(h: Harness, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    SLACK_TOKEN: TEST_TOKEN,
    SLACK_API_URL: h.slack.url,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: h.collector.url,
    OTEL_METRICS_EXPORTER: 'none',
    SLACK_CURSOR_FILE: h.cursorFile,
    SLACK_BACKFILL_START_TIME: '0',
    SLACK_POLL_INTERVAL: '1s',
    // Inventory snapshots off: the records counted here are the entries' (test/inventory-*.test.ts).
    SLACK_INVENTORY_INTERVAL: '0',
    ...extra,
  };
}

describe('parseHealthEndpoint (SLACK_HEALTH_ENDPOINT)', () => {
  it.each([
    ['127.0.0.1:13133', '127.0.0.1', 13133],
    ['0.0.0.0:13133', '0.0.0.0', 13133],
    ['localhost:8080', 'localhost', 8080],
    ['[::1]:13133', '::1', 13133],
    [':13133', '127.0.0.1', 13133],
    ['13133', '127.0.0.1', 13133],
    [' 127.0.0.1:1 ', '127.0.0.1', 1],
  ])('%j -> %s port %i', (text, host, port) => {
    expect(parseHealthEndpoint(text)).toEqual({ endpoint: { host, port } });
  });

  it.each(['', 'abc', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', 'http://127.0.0.1:13133', '127.0.0.1:13133/healthz', '1.2.3.4:5:6'])(
    '%j is refused with the variable and an example',
    (text) => {
      const { endpoint, problem } = parseHealthEndpoint(text);
      expect(endpoint).toBeUndefined();
      expect(problem).toContain('SLACK_HEALTH_ENDPOINT');
      expect(problem).toContain('127.0.0.1:13133');
      expect(problem).not.toContain('\n');
    },
  );

  it('comes from the environment and is validated with the other settings, every problem at once', () => {
    expect(resolveConfig(optionsFromEnv({ SLACK_TOKEN: TEST_TOKEN, SLACK_HEALTH_ENDPOINT: ' 0.0.0.0:13133 ' })).healthEndpoint).toEqual({
      host: '0.0.0.0',
      port: 13133,
    });
    expect(resolveConfig({ token: TEST_TOKEN, healthEndpoint: '9000' }).healthEndpoint).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(resolveConfig({ token: TEST_TOKEN }).healthEndpoint).toBeUndefined();
    let error: unknown;
    try {
      resolveConfig({ token: TEST_TOKEN, healthEndpoint: 'nope', pageSize: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.some((p) => p.startsWith('SLACK_HEALTH_ENDPOINT "nope"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SLACK_PAGE_SIZE'))).toBe(true);
  });
});

describe('readiness (pure)', () => {
  const POLL = 60_000;
  const AT = Date.UTC(2026, 0, 31, 12, 0, 0);

  it('starting: no pass has ended yet', () => {
    expect(readiness({}, AT, POLL)).toEqual({
      ready: false,
      body: { status: 'not_ready', reason: 'starting', message: 'the first pass has not ended yet', last_success: null },
    });
  });

  it('ready up to 3 poll intervals after the last success, stale after', () => {
    const status: StatusForReadiness = { lastSuccessAt: AT };
    expect(readiness(status, AT, POLL)).toEqual({ ready: true, body: { status: 'ready', last_success: '2026-01-31T12:00:00.000Z' } });
    expect(readiness(status, AT + 3 * POLL, POLL).ready).toBe(true);
    const stale = readiness(status, AT + 3 * POLL + 1, POLL);
    expect(stale.ready).toBe(false);
    expect(stale.body).toMatchObject({ reason: 'stale', last_success: '2026-01-31T12:00:00.000Z' });
    expect(stale.body.message).toContain('180s');
    // The window follows the poll interval.
    expect(readiness(status, AT + 3 * 5_000 + 1, 5_000).body.reason).toBe('stale');
    expect(readiness(status, AT + 3 * 5_000, 5_000).ready).toBe(true);
  });

  const refusal = { kind: 'retryable', status: 'HTTP 503', fix: 'wait' } as const;
  it.each([
    [new SlackFatalError('invalid_auth', 'x'), 'slack_needs_a_person'],
    [new OtlpExportError('http://127.0.0.1:1/v1/logs', refusal), 'collector_unavailable'],
    [new CursorLockedError('x'), 'cursor_locked'],
    [new CursorFileError('x'), 'cursor_unusable'],
    [new SlackUnavailableError('x'), 'slack_unavailable'],
    [new SpoolError('x'), 'spool_unusable'],
    [new DeadLetterFileError('x'), 'dead_letters_unusable'],
    [new TeamsSyncError({}, {} as never), 'teams_failing'],
    [new Error('not ours'), 'last_pass_failed'],
  ])('a last pass failed with %s: 503 %s, even right after an earlier success', (error, reason) => {
    const r = readiness({ lastSuccessAt: AT, lastError: `boom ${SECRET_PART}`, lastErrorReason: readinessReasonOf(error) }, AT + 1, POLL);
    expect(r.ready).toBe(false);
    expect(r.body.reason).toBe(reason);
    expect(r.body.last_success).toBe('2026-01-31T12:00:00.000Z');
    expect(JSON.stringify(r.body)).not.toContain('boom');
  });

  it('an error without a reason, or with one it does not know, still counts as a failure', () => {
    expect(readiness({ lastSuccessAt: AT, lastError: 'x' }, AT, POLL).body.reason).toBe('last_pass_failed');
    const unknown = 'constructor' as ReadinessReason;
    expect(readiness({ lastSuccessAt: AT, lastError: 'x', lastErrorReason: unknown }, AT, POLL).body.reason).toBe('last_pass_failed');
  });
});

// ---------------------------------------------------------------------------------------------
// The server, in each state a real receiver reaches

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

async function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** One line of JSON, no token, no error message (they may name files and hosts). */
function expectClean(answer: Answer, receiver?: SlackIntegrationLogsReceiver): void {
  expect(answer.text.endsWith('\n')).toBe(true);
  expect(answer.text.trim().split('\n')).toHaveLength(1);
  expect(answer.text).not.toContain(TEST_TOKEN);
  expect(answer.text).not.toContain(SECRET_PART);
  const lastError = receiver?.status.lastError;
  if (lastError) expect(answer.text).not.toContain(lastError);
}

describe('HealthServer with a real receiver', () => {
  let h: Harness | undefined;
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await h?.cleanup();
    h = undefined;
  });

  async function serve(receiver: SlackIntegrationLogsReceiver, pollIntervalMs = 60_000): Promise<number> {
    server = await HealthServer.listen({ endpoint: { host: '127.0.0.1', port: 0 }, status: () => receiver.status, pollIntervalMs });
    return server.address.port;
  }

  it('alive always; starting before the first pass; ready after it; 404 elsewhere', async () => {
    h = await startHarness({ entries: makeEntries(12) });
    const receiver = h!.receiver({ backfillStartTime: 0 });
    const port = await serve(receiver);

    const alive = await get(port, '/healthz');
    expect(alive.status).toBe(200);
    expect(alive.json).toEqual({ status: 'alive' });
    expectClean(alive);

    const starting = await get(port, '/readyz');
    expect(starting.status).toBe(503);
    expect(starting.json).toMatchObject({ status: 'not_ready', reason: 'starting', last_success: null });
    expectClean(starting);

    const before = Date.now();
    await receiver.syncOnce();
    const after = Date.now();
    expect(h.collector.records).toHaveLength(12);
    const ready = await get(port, '/readyz?verbose=1');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('ready');
    const at = Date.parse(String(ready.json.last_success));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expectClean(ready);

    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/health'],
      ['POST', '/readyz'],
      ['GET', '/healthz/x'],
    ] as const) {
      expect((await get(port, path, method)).status, `${method} ${path}`).toBe(404);
    }
    expect((await get(port, '/healthz')).status).toBe(200);
  });

  it('503 collector_unavailable when the OTLP endpoint refuses connections', async () => {
    h = await startHarness({ entries: makeEntries(5) });
    const receiver = h!.receiver({
      backfillStartTime: 0,
      otlpEndpoint: `http://127.0.0.1:${await freePort()}/v1/logs`,
      otlpTimeoutMillis: 300,
    });
    const port = await serve(receiver);
    const error = await h.failingPass(receiver);
    expect(error.name).toBe('OtlpExportError');
    const answer = await get(port, '/readyz');
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ status: 'not_ready', reason: 'collector_unavailable', last_success: null });
    expectClean(answer, receiver);
  });

  it('503 slack_needs_a_person when Slack answers invalid_auth, after an earlier success', async () => {
    h = await startHarness({ entries: makeEntries(5) });
    const good = h!.receiver({ backfillStartTime: 0 });
    await good.syncOnce();
    await h.shutdown(good);
    const bad = h!.receiver({ backfillStartTime: 0, token: OTHER_TOKEN });
    const port = await serve(bad);
    const error = await h.failingPass(bad);
    expect(error.name).toBe('SlackFatalError');
    expect(h.slack.requests.at(-1)?.authorization).toBe(`Bearer ${OTHER_TOKEN}`);
    const answer = await get(port, '/readyz');
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ status: 'not_ready', reason: 'slack_needs_a_person' });
    expect(answer.text).not.toContain(OTHER_TOKEN.slice('xoxp-'.length));
    expectClean(answer, bad);
  });

  it('503 cursor_locked while another holder keeps the cursor lock', async () => {
    h = await startHarness({ entries: makeEntries(5) });
    const receiver = h!.receiver({ backfillStartTime: 0 });
    const holder = new CursorStore(receiver.cursorFile);
    await holder.lock();
    try {
      const port = await serve(receiver);
      const error = await h.failingPass(receiver);
      expect(error.name).toBe('CursorLockedError');
      const answer = await get(port, '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({ status: 'not_ready', reason: 'cursor_locked' });
      expectClean(answer, receiver);
    } finally {
      await holder.unlock();
    }
    // The lock released, the next pass succeeds and the receiver is ready again.
    await receiver.syncOnce();
    expect((await get(server!.address.port, '/readyz')).status).toBe(200);
  }, 30_000);

  it('503 dead_letters_unusable (not cursor_unusable) when a refused record cannot be written to the dead-letter file', async () => {
    h = await startHarness({ entries: makeEntries(5) });
    const receiver = h!.receiver({ backfillStartTime: 0 });
    // A directory where the file should be: it cannot be read, so nothing can be appended to it.
    mkdirSync(deadLetterFileFor(receiver.cursorFile), { recursive: true });
    const poison = String(makeEntries(5)[2]!.app_id);
    h.collector.refuseRecord = (r) => r.attributes['slack.integration.app_id'] === poison;
    const port = await serve(receiver);
    const error = await h.failingPass(receiver);
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect(error.message).toContain(`dead-letter file ${deadLetterFileFor(receiver.cursorFile)}`);
    const answer = await get(port, '/readyz');
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ status: 'not_ready', reason: 'dead_letters_unusable' });
    expectClean(answer, receiver);
  });

  it('refuses a port in use with a one-line HealthEndpointError naming the variable (exit code 2, not a ConfigError)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const error = await HealthServer.listen({ endpoint: { host: '127.0.0.1', port }, status: () => ({}), pollIntervalMs: 1000 }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(HealthEndpointError);
      expect(error).not.toBeInstanceOf(ConfigError);
      expect(error.exitCode).toBe(2);
      expect(error.readinessReason).toBe('health_endpoint_unusable');
      expect(error.message).not.toContain('\n');
      expect(error.message).toContain(`SLACK_HEALTH_ENDPOINT 127.0.0.1:${port}`);
      expect(error.message).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });
});

describe('healthEndpoint in the library and SLACK_HEALTH_ENDPOINT in the CLI', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('start() serves it, shutdown() closes it; syncOnce alone does not open it', async () => {
    h = await startHarness({ entries: makeEntries(8) });
    const port = await freePort();
    const once = h!.receiver({ backfillStartTime: 0, healthEndpoint: `127.0.0.1:${port}` });
    await once.syncOnce();
    await expect(get(port, '/healthz')).rejects.toThrow();
    await h.shutdown(once);

    const receiver = h!.receiver({ backfillStartTime: 0, healthEndpoint: `127.0.0.1:${port}`, pollInterval: '1s' });
    await receiver.start();
    expect((await get(port, '/healthz')).status).toBe(200);
    await until(() => receiver.status.lastSuccessAt !== undefined, 10_000);
    const ready = await get(port, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('ready');
    await h.shutdown(receiver);
    await expect(get(port, '/healthz')).rejects.toThrow();
  });

  it('the CLI serves it while polling (ready after the first pass) and closes it on SIGTERM', async () => {
    h = await startHarness({ entries: makeEntries(20) });
    const port = await freePort();
    const env = pollingEnv(h, { SLACK_HEALTH_ENDPOINT: String(port) });
    const cli = spawnNode([CLI], env);
    try {
      await until(() => h!.collector.records.length >= 20, 30_000);
      expect(h.collector.records).toHaveLength(20);
      let ready: Answer | undefined;
      const end = Date.now() + 10_000;
      while (Date.now() < end && ready?.status !== 200) {
        ready = await get(port, '/readyz').catch(() => undefined);
        if (ready?.status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready?.status, cli.stderr()).toBe(200);
      expectClean(ready!);
      expect((await get(port, '/healthz')).json).toEqual({ status: 'alive' });
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    await expect(get(port, '/healthz')).rejects.toThrow();
    expect(cli.stderr()).not.toContain(SECRET_PART);
  });

  it('--import register serves it without keeping the host alive: the host still exits when its work is done', async () => {
    h = await startHarness({ entries: makeEntries(6) });
    const port = await freePort();
    const host = spawnNode(
      ['--import', 'slack-integration-logs-receiver/register', join(ROOT, 'test', 'fixtures', 'host-app.mjs')],
      pollingEnv(h, { SLACK_HEALTH_ENDPOINT: `127.0.0.1:${port}`, HOST_WORK_MS: '8000' }),
    );
    // A host that never ends (the server holding it) fails the test instead of outliving it.
    const guard = setTimeout(() => host.child.kill('SIGKILL'), 20_000);
    let alive: Answer | undefined;
    // The host works 8 s: long enough to be reached on a busy machine, and it must still exit after.
    const end = Date.now() + 8_000;
    while (Date.now() < end && alive?.status !== 200) {
      alive = await get(port, '/healthz').catch(() => undefined);
      // Not a busy loop: the host under test shares the machine.
      if (alive?.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive?.json).toEqual({ status: 'alive' });
    expect(await host.exit, host.stderr()).toEqual({ code: 0, signal: null });
    clearTimeout(guard);
    expect(host.stdout()).toContain('host: work done');
    expect(h.collector.records).toHaveLength(6);
  }, 30_000);

  it('the CLI stops with exit 2 and one line when the health port is taken (a HealthEndpointError)', async () => {
    h = await startHarness({ entries: makeEntries(3) });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const cli = spawnNode([CLI], pollingEnv(h, { SLACK_HEALTH_ENDPOINT: `127.0.0.1:${port}` }));
      expect((await cli.exit).code, cli.stderr()).toBe(2);
      const lines = cli.stderr().trim().split('\n');
      expect(lines.at(-1)).toBe(
        `slack-integration-logs: SLACK_HEALTH_ENDPOINT 127.0.0.1:${port}: cannot listen (EADDRINUSE): another process uses the port, choose another`,
      );
      expect(cli.stderr()).not.toContain(SECRET_PART);
    } finally {
      taken.close();
    }
  }, 30_000);

  it('the CLI refuses an invalid SLACK_HEALTH_ENDPOINT with exit 2 and one line', async () => {
    const cli = spawnNode([CLI, '--once'], {
      PATH: process.env.PATH!,
      SLACK_TOKEN: TEST_TOKEN,
      SLACK_HEALTH_ENDPOINT: 'localhost',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect((await cli.exit).code).toBe(2);
    const lines = cli.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('SLACK_HEALTH_ENDPOINT "localhost" is not host:port');
  });
});
