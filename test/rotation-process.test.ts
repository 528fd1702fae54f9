/**
 * Token rotation through the command, in child processes: a receiver SIGKILLed right after a
 * refresh (once the refresh was kept, and while Slack was answering it) restarts and goes on; a
 * refresh that needs a person exits 3 with one line; no secret in the output or the files.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeOAuth, type FakeOAuthOptions } from '../src/testing/fake-oauth.js';
import { FakeCollector } from '../src/testing/fake-collector.js';
import { CLI, spawnNode, until, type Spawned } from './process-helpers.js';
import { BASE_DATE, expectExactlyOnce, makeEntries } from './helpers.js';

const R0 = 'xoxe-1-initial-refresh-token-of-the-process-tests';
const CLIENT_ID = '1111111111.2222222222';
const CLIENT_SECRET = 'process-tests-client-secret-0123456789ab';

interface Servers {
  oauth: FakeOAuth;
  slack: FakeSlack;
  collector: FakeCollector;
  dir: string;
  credentialsFile: string;
  env(extra?: Record<string, string>): Record<string, string>;
}

let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops) await stop();
  stops = [];
});

async function servers(oauthOptions: Partial<FakeOAuthOptions> = {}): Promise<Servers> {
  const oauth = new FakeOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: R0, ...oauthOptions });
  const slack = await new FakeSlack({ token: 'xoxp-never-given', entries: makeEntries(12), oauth }).start();
  const collector = await new FakeCollector().start();
  const dir = await mkdtemp(join(tmpdir(), 'rotation-process-'));
  stops.push(async () => {
    await slack.stop();
    await collector.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    oauth,
    slack,
    collector,
    dir,
    credentialsFile: join(dir, 'cursor.json.credentials.json'),
    env: (extra = {}) => ({
      PATH: process.env.PATH!,
      SLACK_REFRESH_TOKEN: R0,
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      SLACK_API_URL: slack.url,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: collector.url,
      OTEL_METRICS_EXPORTER: 'none',
      SLACK_CURSOR_FILE: join(dir, 'cursor.json'),
      SLACK_BACKFILL_START_TIME: '0',
      SLACK_PAGE_SIZE: '5',
      SLACK_POLL_INTERVAL: '1',
      // Inventory snapshots off: the records counted here are the entries' (test/inventory-*.test.ts).
      SLACK_INVENTORY_INTERVAL: '0',
      ...extra,
    }),
  };
}

/** Fails when a secret is in the processes' output or in a file under `dir` other than the credentials file. */
async function expectNoSecretLeak(s: Servers, runs: Spawned[]): Promise<void> {
  const secrets = [R0, CLIENT_SECRET, ...s.oauth.issued];
  const places: Array<[string, string]> = runs.flatMap((r, i): Array<[string, string]> => [
    [`run ${i} stdout`, r.stdout()],
    [`run ${i} stderr`, r.stderr()],
  ]);
  for (const name of await readdir(s.dir, { recursive: true })) {
    const path = join(s.dir, name);
    if (
      path !== s.credentialsFile &&
      !(await readdir(path).then(
        () => true,
        () => false,
      ))
    ) {
      places.push([name, await readFile(path, 'utf8')]);
    }
  }
  // Names of files hold no secret either.
  places.push(['file names', (await readdir(s.dir, { recursive: true })).join('\n')]);
  for (const [where, text] of places) for (const secret of secrets) expect(text.includes(secret), `a secret in ${where}`).toBe(false);
  if (existsSync(s.credentialsFile)) expect((await readFile(s.credentialsFile, 'utf8')).includes(CLIENT_SECRET)).toBe(false);
}

const keptRefreshToken = async (s: Servers) =>
  existsSync(s.credentialsFile)
    ? (JSON.parse(await readFile(s.credentialsFile, 'utf8')) as { refresh_token?: string }).refresh_token
    : undefined;

describe('the command with token rotation', () => {
  it('SIGKILLed right after a refresh was kept, a restart with the spent refresh token configured still works', async () => {
    const s = await servers({ expiresIn: 3600 });
    // The refresh is answered; the first page after it is held, so the pass cannot finish before the kill on any machine.
    s.slack.enqueue({ delayMs: 0 }, { delayMs: 30_000 });
    const first = spawnNode([CLI], s.env());
    // Killed the moment the new refresh token is on disk.
    await until(() => s.oauth.refreshes === 1, 15_000);
    const renewed = s.oauth.issued.at(-1);
    let kept: string | undefined;
    const end = Date.now() + 10_000;
    while (kept !== renewed && Date.now() < end) kept = await keptRefreshToken(s).catch(() => undefined);
    // Its first page is asked for and held: the held reply is spent, and the restart's requests are answered at once.
    await until(() => s.slack.requests.some((q) => q.path.endsWith('/team.integrationLogs')), 15_000);
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(kept).toBe(renewed);
    expect(s.collector.records).toHaveLength(0);
    s.oauth.expire(); // the restart must refresh, with the kept refresh token (R0 is spent)
    s.slack.add(...makeEntries(4, { startDate: BASE_DATE + 1000, prefix: 'late-' }));
    const second = spawnNode([CLI, '--once'], s.env());
    expect(await second.exit, second.stderr()).toEqual({ code: 0, signal: null });
    expect(s.oauth.refreshes).toBe(2);
    expectExactlyOnce(s.collector.records, [...makeEntries(12), ...makeEntries(4, { startDate: BASE_DATE + 1000, prefix: 'late-' })]);
    await expectNoSecretLeak(s, [first, second]);
  }, 40_000);

  it("SIGKILLed while Slack answered the refresh (never seen), a restart within Slack's grace period refreshes again", async () => {
    const running: { first?: Spawned } = {};
    const s = await servers({ graceMs: 30_000, beforeAnswer: () => running.first?.child.kill('SIGKILL') });
    const first = spawnNode([CLI], s.env());
    running.first = first;
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(await keptRefreshToken(s)).toBeUndefined(); // nothing was kept: the answer never arrived
    const second = spawnNode([CLI, '--once'], s.env());
    expect(await second.exit, second.stderr()).toEqual({ code: 0, signal: null });
    expect(s.oauth.refreshes).toBe(2);
    expect(await keptRefreshToken(s)).toBe(s.oauth.issued.at(-1));
    expectExactlyOnce(s.collector.records, makeEntries(12));
    await expectNoSecretLeak(s, [first, second]);
  }, 40_000);

  it('a refresh that needs a person exits 3 with one line naming the fix, after one request', async () => {
    const s = await servers();
    const run = spawnNode([CLI, '--once'], s.env({ SLACK_CLIENT_ID: '9999999999.0000000000' }));
    expect(await run.exit).toEqual({ code: 3, signal: null });
    const lines = run.stderr().trim().split('\n');
    expect(lines.at(-1)).toBe(
      "slack-integration-logs: Slack oauth.v2.access refused to refresh the token: invalid_client_id: SLACK_CLIENT_ID is not this app's client ID: copy it from the app's Basic Information page",
    );
    expect(s.slack.requests.filter((r) => r.path.endsWith('/oauth.v2.access'))).toHaveLength(1);
    expect(s.collector.records).toHaveLength(0);
    await expectNoSecretLeak(s, [run]);
  }, 30_000);
});
