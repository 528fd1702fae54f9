/**
 * Token rotation and token files that change, end to end in one process: the real receiver and
 * `@slack/web-api` against the fake Slack's `oauth.v2.access` (expiring access tokens, single-use
 * refresh tokens) and the fake collector.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackIntegrationLogsReceiver } from '../src/receiver.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeOAuth } from '../src/testing/fake-oauth.js';
import { FakeCollector } from '../src/testing/fake-collector.js';
import { SlackFatalError } from '../src/core/errors.js';
import { readiness } from '../src/health/readiness.js';
import type { SlackIntegrationLogsReceiverOptions } from '../src/config/options.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { BASE_DATE, FAST, RecordingLogger, expectExactlyOnce, makeEntries, waitFor } from './helpers.js';

const R0 = 'xoxe-1-initial-refresh-token-of-the-rotation-tests';
const CLIENT_ID = '1234567890.0987654321';
const CLIENT_SECRET = 'rotation-tests-client-secret-abcdef012345';

interface Setup {
  oauth: FakeOAuth;
  slack: FakeSlack;
  collector: FakeCollector;
  dir: string;
  cursorFile: string;
  credentialsFile: string;
  logger: RecordingLogger;
  errors: string[];
  receiver(overrides?: SlackIntegrationLogsReceiverOptions): SlackIntegrationLogsReceiver;
  /** Fails when a secret appears in a log line, an error, the status, an OTLP body, or a file other than the credentials file and `inputs`. */
  expectNoSecretLeak(inputs?: string[]): Promise<void>;
}

let live: SlackIntegrationLogsReceiver[] = [];
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const r of live) await r.shutdown({ timeoutMillis: 2000 }).catch(() => undefined);
  for (const c of cleanups) await c();
  live = [];
  cleanups = [];
});

async function setup(
  options: { entries?: SlackIntegrationLogRaw[]; teams?: Record<string, SlackIntegrationLogRaw[]>; expiresIn?: number } = {},
): Promise<Setup> {
  const oauth = new FakeOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: R0, expiresIn: options.expiresIn ?? 3600 });
  // The static token the fake knows is never given to the receiver: only rotated tokens work.
  const slack = await new FakeSlack({ token: 'xoxp-never-given', entries: options.entries ?? [], teams: options.teams, oauth }).start();
  const collector = await new FakeCollector().start();
  const dir = await mkdtemp(join(tmpdir(), 'rotation-test-'));
  cleanups.push(async () => {
    await slack.stop();
    await collector.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const cursorFile = join(dir, 'state', 'cursor.json');
  const logger = new RecordingLogger();
  const errors: string[] = [];
  const s: Setup = {
    oauth,
    slack,
    collector,
    dir,
    cursorFile,
    credentialsFile: `${cursorFile}.credentials.json`,
    logger,
    errors,
    receiver(overrides = {}) {
      const r = new SlackIntegrationLogsReceiver({
        refreshToken: R0,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        slackApiUrl: slack.url,
        otlpEndpoint: collector.url,
        cursorFile,
        logger,
        backfillStartTime: 0,
        ...FAST,
        ...overrides,
      });
      live.push(r);
      return r;
    },
    async expectNoSecretLeak(inputs = []) {
      const secrets = [R0, CLIENT_SECRET, ...oauth.issued];
      const files: Array<[string, string]> = [];
      const walk = async (d: string): Promise<void> => {
        for (const entry of await readdir(d, { withFileTypes: true })) {
          const path = join(d, entry.name);
          if (entry.isDirectory()) await walk(path);
          else if (path !== s.credentialsFile && !inputs.includes(path)) files.push([path, await readFile(path, 'utf8')]);
        }
      };
      await walk(dir);
      const places: Array<[string, string]> = [
        ['log lines', logger.allText],
        ['errors', errors.join('\n')],
        ['status', JSON.stringify(live.map((r) => [r.status, readiness(r.status, Date.now(), 60_000)]))],
        ['OTLP bodies', collector.bodies.join('\n')],
        ...files,
      ];
      for (const [where, text] of places) for (const secret of secrets) expect(text.includes(secret), `a secret in ${where}`).toBe(false);
      // The credentials file keeps the live refresh token, never the client secret or a spent refresh token.
      if (existsSync(s.credentialsFile)) {
        const kept = await readFile(s.credentialsFile, 'utf8');
        const refreshTokens = oauth.issued.filter((t) => t.startsWith('xoxe-1-'));
        for (const spent of [R0, ...refreshTokens.slice(0, -1)]) expect(kept.includes(spent), 'a spent refresh token kept').toBe(false);
        expect(kept.includes(CLIENT_SECRET)).toBe(false);
      }
    },
  };
  return s;
}

async function failing(s: Setup, receiver: SlackIntegrationLogsReceiver): Promise<Error> {
  try {
    await receiver.syncOnce();
  } catch (e) {
    s.errors.push((e as Error).message, String((e as Error).stack));
    return e as Error;
  }
  throw new Error('expected syncOnce to reject');
}

const batch = (k: number, n = 7) => makeEntries(n, { startDate: BASE_DATE + 1000 * k, prefix: `b${k}-` });
const oauthRequests = (s: Setup) => s.slack.requests.filter((r) => r.path.endsWith('/oauth.v2.access')).length;
const keptRefreshToken = async (s: Setup) =>
  (JSON.parse(await readFile(s.credentialsFile, 'utf8')) as { refresh_token: string }).refresh_token;

describe('token rotation', () => {
  it('lives through three expiries (token_expired, refresh, the same request again): 0 lost, 0 duplicated', async () => {
    const s = await setup({ entries: batch(0) });
    const receiver = s.receiver();
    const all = [...batch(0)];
    await receiver.syncOnce();
    expect(s.oauth.refreshes).toBe(1); // no SLACK_TOKEN: the first access token comes from a refresh
    for (let k = 1; k <= 3; k++) {
      s.oauth.expire();
      s.slack.add(...batch(k));
      all.push(...batch(k));
      const summary = await receiver.syncOnce();
      expect(summary.exported).toBe(7);
    }
    // A 1 h token is never refreshed ahead within this test: every later refresh answered a token_expired.
    expect(s.oauth.refreshes).toBe(4);
    expectExactlyOnce(s.collector.records, all);
    expect(await keptRefreshToken(s)).toBe(s.oauth.issued.at(-1));
    expect(receiver.status.credentials).toMatchObject({ kind: 'refresh', refreshes: 4, failures: 0 });
    const body = readiness(receiver.status, Date.now(), 60_000).body;
    expect(body.credentials).toEqual({
      expires_at: new Date(receiver.status.credentials!.expiresAt!).toISOString(),
      refreshes: 4,
      refresh_failures: 0,
    });
    await s.expectNoSecretLeak();
  });

  it('polling with 1 s tokens refreshes ahead of expiry at least three times, delivering everything once', async () => {
    const s = await setup({ entries: batch(0), expiresIn: 1 });
    const receiver = s.receiver({ pollInterval: 1 });
    const all = [...batch(0)];
    await receiver.start({ keepProcessAlive: false });
    await waitFor(() => s.collector.records.length === 7, 10_000, 'the first batch');
    for (let k = 1; k <= 3; k++) {
      const seen = s.oauth.refreshes;
      await waitFor(() => s.oauth.refreshes > seen, 15_000, `refresh ${k + 1}`);
      s.slack.add(...batch(k));
      all.push(...batch(k));
    }
    await waitFor(() => s.collector.records.length >= all.length, 15_000, 'every record');
    await receiver.shutdown();
    expect(s.oauth.refreshes).toBeGreaterThanOrEqual(4);
    expectExactlyOnce(s.collector.records, all);
    expect(receiver.status.lastError).toBeUndefined();
    await s.expectNoSecretLeak();
  }, 40_000);

  it('every team waits for the one refresh in flight', async () => {
    const teams = { T01: batch(1, 3), T02: batch(2, 3), T03: batch(3, 3) };
    const s = await setup({ teams });
    const receiver = s.receiver({ slackTeamIds: Object.keys(teams) });
    await receiver.syncOnce();
    expect(s.oauth.refreshes).toBe(1);
    s.oauth.expire();
    s.slack.addToTeam('T02', ...batch(4, 2));
    await receiver.syncOnce();
    expect(s.oauth.refreshes).toBe(2);
    expect(oauthRequests(s)).toBe(2);
    expectExactlyOnce(s.collector.records, [...teams.T01, ...teams.T02, ...teams.T03, ...batch(4, 2)]);
  });

  it('a restart with the spent refresh token still configured goes on from the credentials file', async () => {
    const s = await setup({ entries: batch(0) });
    const first = s.receiver();
    await first.syncOnce();
    await first.shutdown();
    s.slack.add(...batch(1));
    const second = s.receiver(); // SLACK_REFRESH_TOKEN is still R0, spent by the first run
    await second.syncOnce();
    expect(s.oauth.refreshes).toBe(1); // the kept access token is still valid
    s.oauth.expire();
    s.slack.add(...batch(2));
    await second.syncOnce();
    expect(s.oauth.refreshes).toBe(2);
    expectExactlyOnce(s.collector.records, [...batch(0), ...batch(1), ...batch(2)]);
    expect(s.logger.allText).toContain(`token rotation: using the refresh token kept in ${s.credentialsFile}`);
    await s.expectNoSecretLeak();
  });
});

describe('a new refresh token given while running', () => {
  it('SLACK_REFRESH_TOKEN_FILE rewritten after a reinstall: read again, it starts a new chain that replaces the file', async () => {
    const s = await setup({ entries: batch(0) });
    const refreshFile = join(s.dir, 'refresh-token');
    await writeFile(refreshFile, R0);
    const receiver = s.receiver({ refreshToken: undefined, refreshTokenFile: refreshFile });
    await receiver.syncOnce();
    const fresh = s.oauth.reinstall();
    await writeFile(`${refreshFile}.new`, `${fresh}\n`);
    await rename(`${refreshFile}.new`, refreshFile);
    s.slack.add(...batch(1));
    await receiver.syncOnce();
    // The new chain has no access token yet: refreshed at once with the new refresh token.
    expect(s.oauth.refreshes).toBe(2);
    expect(s.slack.requests.filter((r) => r.path.endsWith('/oauth.v2.access')).at(-1)!.params.refresh_token).toBe(fresh);
    const kept = JSON.parse(await readFile(s.credentialsFile, 'utf8')) as { chain: string; refresh_token: string };
    expect(kept.chain).toBe(createHash('sha256').update(fresh).digest('hex').slice(0, 16));
    expect(kept.refresh_token).toBe(s.oauth.issued.at(-1));
    expect(s.logger.allText).toContain(
      'descends from another refresh token than the configured one (SLACK_REFRESH_TOKEN), which starts a new chain',
    );
    expectExactlyOnce(s.collector.records, [...batch(0), ...batch(1)]);
    await s.expectNoSecretLeak([refreshFile]);
  });
});

describe('the credential state in self-metrics', () => {
  class PullReader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    }
    protected async onForceFlush(): Promise<void> {}
    protected async onShutdown(): Promise<void> {}
  }

  it('counts refreshes (failed ones with error.type) and shows when the token in use expires', async () => {
    const s = await setup({ entries: batch(0), expiresIn: 7200 });
    const reader = new PullReader();
    const receiver = s.receiver({ meterProvider: new MeterProvider({ readers: [reader] }) });
    const before = Date.now();
    await receiver.syncOnce();
    s.oauth.expire();
    await receiver.syncOnce();
    const after = Date.now();
    const points = async (name: string) =>
      (await reader.collect()).resourceMetrics.scopeMetrics
        .flatMap((m) => m.metrics)
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as Array<{ value: number; attributes: Record<string, unknown> }>);
    expect((await points('slack.integration_logs.credentials.refreshes')).map((p) => [p.value, p.attributes])).toEqual([[2, {}]]);
    const [expiry, ...more] = await points('slack.integration_logs.credentials.expiry.time');
    expect(more).toEqual([]);
    expect(expiry!.value).toBeGreaterThanOrEqual(before / 1000 + 7200);
    expect(expiry!.value).toBeLessThanOrEqual(after / 1000 + 7200);

    // A receiver of its own chain (another cursor) with a wrong client secret: one failed refresh.
    const otherReader = new PullReader();
    const wrong = s.receiver({
      clientSecret: 'another-wrong-secret-1111',
      cursorFile: join(s.dir, 'other', 'cursor.json'),
      meterProvider: new MeterProvider({ readers: [otherReader] }),
    });
    await failing(s, wrong);
    const failed = (await otherReader.collect()).resourceMetrics.scopeMetrics
      .flatMap((m) => m.metrics)
      .filter((m) => m.descriptor.name === 'slack.integration_logs.credentials.refreshes')
      .flatMap((m) => m.dataPoints as Array<{ value: number; attributes: Record<string, unknown> }>);
    expect(failed.map((p) => [p.value, p.attributes])).toEqual([[1, { 'error.type': 'SlackFatalError' }]]);
    expect(await points('slack.integration_logs.credentials.expiry.time')).toHaveLength(1);
    await s.expectNoSecretLeak();
  });
});

describe('refresh errors that need a person', () => {
  it('a wrong client secret: SlackFatalError bad_client_secret, one line with the fix, readiness slack_needs_a_person, and no second request', async () => {
    const s = await setup({ entries: batch(0) });
    const receiver = s.receiver({ clientSecret: 'a-wrong-client-secret-0000' });
    const error = await failing(s, receiver);
    expect(error).toBeInstanceOf(SlackFatalError);
    expect((error as SlackFatalError).code).toBe('bad_client_secret');
    expect(error.message).toBe(
      "Slack oauth.v2.access refused to refresh the token: bad_client_secret: the client secret is wrong: copy it from the app's Basic Information page into SLACK_CLIENT_SECRET",
    );
    expect(readiness(receiver.status, Date.now(), 60_000).body.reason).toBe('slack_needs_a_person');
    const again = await failing(s, receiver);
    expect(again.message).toBe(error.message);
    expect(oauthRequests(s)).toBe(1);
    expect(s.collector.records).toHaveLength(0);
    expect(receiver.status.credentials).toMatchObject({ refreshes: 0, failures: 1 });
    await s.expectNoSecretLeak();
    expect(s.errors.join('\n')).not.toContain('a-wrong-client-secret-0000');
  });

  it('a lost credentials file with the spent refresh token configured: invalid_refresh_token, naming reinstall or oauth.v2.exchange', async () => {
    const s = await setup({ entries: batch(0) });
    const first = s.receiver();
    await first.syncOnce();
    await first.shutdown();
    await rm(s.credentialsFile);
    const error = await failing(s, s.receiver());
    expect((error as SlackFatalError).code).toBe('invalid_refresh_token');
    expect(error.message).toMatch(/reinstall the app \(or get a new refresh token through oauth\.v2\.exchange\)/);
    await s.expectNoSecretLeak();
  });
});

describe('a token file that changes', () => {
  it('replaced while polling (a Kubernetes secret update): the new token is used, nothing lost or repeated', async () => {
    const s = await setup({ entries: batch(0) });
    const tokenFile = join(s.dir, 'token');
    const first = s.oauth.issueAccessToken();
    await writeFile(tokenFile, `${first}\n`);
    const receiver = s.receiver({ refreshToken: undefined, clientId: undefined, clientSecret: undefined, tokenFile, pollInterval: 1 });
    await receiver.start({ keepProcessAlive: false });
    await waitFor(() => s.collector.records.length === 7, 10_000, 'the first batch');
    const second = s.oauth.issueAccessToken();
    await writeFile(`${tokenFile}.new`, `${second}\n`);
    await rename(`${tokenFile}.new`, tokenFile);
    s.oauth.expire(first);
    s.slack.add(...batch(1));
    await waitFor(() => s.collector.records.length >= 14, 10_000, 'the second batch');
    await receiver.shutdown();
    expectExactlyOnce(s.collector.records, [...batch(0), ...batch(1)]);
    expect(receiver.status.lastError).toBeUndefined();
    const used = s.slack.requests.filter((r) => r.path.endsWith('/team.integrationLogs')).map((r) => r.authorization);
    expect(used.at(-1)).toBe(`Bearer ${second}`);
    expect(s.logger.allText).toContain(`SLACK_TOKEN_FILE ${tokenFile} changed: the token it holds now is used`);
    await s.expectNoSecretLeak([tokenFile]);
  }, 30_000);

  it('still holding the expired token after a re-read: token_expired stands, as a SlackFatalError', async () => {
    const s = await setup({ entries: batch(0) });
    const tokenFile = join(s.dir, 'token');
    const token = s.oauth.issueAccessToken();
    await writeFile(tokenFile, token);
    s.oauth.expire(token);
    const receiver = s.receiver({ refreshToken: undefined, clientId: undefined, clientSecret: undefined, tokenFile });
    const error = await failing(s, receiver);
    expect((error as SlackFatalError).code).toBe('token_expired');
    // The file, read again, holds the refused token: no second request with it.
    expect(s.slack.requests.filter((r) => r.path.endsWith('/team.integrationLogs'))).toHaveLength(1);
    await s.expectNoSecretLeak([tokenFile]);
  });
});
