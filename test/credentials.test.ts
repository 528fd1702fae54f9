/**
 * Token rotation's parts: the pure decisions, the credentials file, the token file that changes,
 * the settings, and one refresh through `@slack/web-api` against the fake Slack.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainOf, refreshDue, whichWins, type RotatingCredentials } from '../src/slack/credentials.js';
import { refreshAccessToken } from '../src/slack/oauth.js';
import { CredentialsFile, credentialsFileFor } from '../src/state/credentials-file.js';
import { WatchedFile, fixedValue } from '../src/state/watched-file.js';
import { RotatingTokenSource, TokenSource } from '../src/state/credential-source.js';
import { resolveConfig } from '../src/config/config.js';
import { ConfigError, CursorFileError, SlackFatalError } from '../src/core/errors.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeOAuth } from '../src/testing/fake-oauth.js';
import { RecordingLogger, TEST_TOKEN } from './helpers.js';

const HOUR = 3600_000;
const NOW = Date.UTC(2026, 11, 7, 12);
const R0 = 'xoxe-1-initial-refresh-token-for-tests';
const CLIENT = { clientId: '1234.5678', clientSecret: 'client-secret-for-tests-0123456789' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credentials-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when to refresh (refreshDue)', () => {
  const chain = 'abcdefabcdefabcd';
  const at = (hoursLeft: number, lifetimeHours = 12): RotatingCredentials => ({
    chain,
    refresh_token: 'r',
    access_token: 'a',
    expires_at: NOW + hoursLeft * HOUR,
    expires_in: lifetimeHours * 3600,
  });

  it('refreshes a 12 h token 2 h before it expires, as Slack SDKs do, and not before', () => {
    expect(refreshDue(at(2.01), NOW)).toBe(false);
    expect(refreshDue(at(2), NOW)).toBe(true);
    expect(refreshDue(at(-1), NOW)).toBe(true);
  });

  it('takes half the lifetime as margin for a token that lives less than 4 h', () => {
    // 1 h lifetime: margin 30 min.
    expect(refreshDue(at(0.51, 1), NOW)).toBe(false);
    expect(refreshDue(at(0.5, 1), NOW)).toBe(true);
  });

  it('refreshes at once without an access token, and never ahead for one of unknown expiry', () => {
    expect(refreshDue({ chain, refresh_token: 'r' }, NOW)).toBe(true);
    expect(refreshDue({ chain, refresh_token: 'r', access_token: 'a' }, NOW)).toBe(false);
  });
});

describe('which credentials win at start (whichWins)', () => {
  it('the chain id is the first 16 hex digits of the SHA-256 of the initial refresh token', () => {
    expect(chainOf(R0)).toBe(createHash('sha256').update(R0).digest('hex').slice(0, 16));
  });

  it('the file, when it descends from the configured refresh token; the configuration otherwise', () => {
    const file = { chain: chainOf(R0), refresh_token: 'xoxe-1-later' };
    expect(whichWins(file, R0)).toBe('file');
    expect(whichWins(file, 'xoxe-1-a-new-install')).toBe('configuration');
    expect(whichWins(undefined, R0)).toBe('configuration');
  });
});

describe('the credentials file', () => {
  it('is named after the cursor file, holds what was written, mode 0600, and its name holds no secret', async () => {
    const path = credentialsFileFor(join(dir, 'cursor.json'));
    expect(path).toBe(join(dir, 'cursor.json.credentials.json'));
    const file = new CredentialsFile(path);
    expect(await file.read()).toBeUndefined();
    const kept: RotatingCredentials = {
      chain: chainOf(R0),
      refresh_token: 'xoxe-1-r1',
      access_token: 'xoxe.xoxp-1-a1',
      expires_at: NOW + 12 * HOUR,
      expires_in: 43_200,
    };
    await file.withLock(() => file.write(kept));
    expect(await file.read()).toEqual(kept);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(json.expires_at).toBe('2026-12-08T00:00:00.000Z');
  });

  it('that is damaged is refused with the fix, without quoting what it holds', async () => {
    const path = join(dir, 'c.credentials.json');
    await writeFile(path, '{"refresh_token": "xoxe-1-secret-part-that-must-not-show", ', { mode: 0o600 });
    const error = await new CredentialsFile(path).read().catch((e: Error) => e);
    expect(error).toBeInstanceOf(CursorFileError);
    expect((error as Error).message).toContain('SLACK_REFRESH_TOKEN');
    expect((error as Error).message).not.toContain('secret-part');
  });
});

describe('a token file that changes (WatchedFile)', () => {
  it('gives the new content once the file is replaced (a Kubernetes-style rename), and keeps the last one while it is gone or empty', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'xoxp-first\n');
    const file = new WatchedFile(path, 'xoxp-first');
    expect(await file.read()).toEqual({ value: 'xoxp-first', changed: false });
    await writeFile(join(dir, 'token.new'), 'xoxp-second\n');
    await rename(join(dir, 'token.new'), path);
    expect(await file.read()).toEqual({ value: 'xoxp-second', changed: true });
    expect(await file.read()).toEqual({ value: 'xoxp-second', changed: false });
    await writeFile(path, '');
    expect(await file.read()).toEqual({ value: 'xoxp-second', changed: false });
    await rm(path);
    expect(await file.read(true)).toEqual({ value: 'xoxp-second', changed: false });
  });

  it('TokenSource retries with a file rewritten since the request, and says there is none when it holds the refused token', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'xoxp-one');
    const source = new TokenSource(new WatchedFile(path, 'xoxp-one'), new RecordingLogger(), path);
    expect(await source.token()).toBe('xoxp-one');
    expect(await source.renew('xoxp-one')).toBe(false); // the same token: Slack's error stands
    await writeFile(path, 'xoxp-two');
    expect(await source.renew('xoxp-one')).toBe(true);
    expect(await source.token()).toBe('xoxp-two');
  });
});

describe('the token rotation settings', () => {
  const base = { slackApiUrl: 'http://127.0.0.1:9/api/' };

  it('need the refresh token, the client ID and the client secret together, and then no SLACK_TOKEN', () => {
    const config = resolveConfig({ ...base, refreshToken: R0, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret });
    expect(config.token).toBeUndefined();
    expect(config.rotation).toEqual({
      clientId: CLIENT.clientId,
      clientSecret: { value: CLIENT.clientSecret },
      refreshToken: { value: R0 },
    });
    let error: unknown;
    try {
      resolveConfig({ ...base, refreshToken: R0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'token rotation needs SLACK_REFRESH_TOKEN, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (or SLACK_CLIENT_SECRET_FILE)',
    ]);
    expect((error as Error).message).not.toContain(R0);
  });

  it('read the *_FILE variants, remembering the files to re-read them', async () => {
    await writeFile(join(dir, 'refresh'), `${R0}\n`);
    await writeFile(join(dir, 'secret'), `${CLIENT.clientSecret}\n`);
    const config = resolveConfig({
      ...base,
      refreshTokenFile: join(dir, 'refresh'),
      clientId: CLIENT.clientId,
      clientSecretFile: join(dir, 'secret'),
    });
    expect(config.rotation).toEqual({
      clientId: CLIENT.clientId,
      clientSecret: { value: CLIENT.clientSecret, file: join(dir, 'secret') },
      refreshToken: { value: R0, file: join(dir, 'refresh') },
    });
  });

  it('refuse a refresh token put in the _FILE variable, never echoing it', () => {
    let error: unknown;
    try {
      resolveConfig({ ...base, refreshTokenFile: R0, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'SLACK_REFRESH_TOKEN_FILE holds what looks like a token, not a file path: put the value in SLACK_REFRESH_TOKEN, or its file path in SLACK_REFRESH_TOKEN_FILE',
    ]);
  });
});

describe('refreshing through oauth.v2.access', () => {
  let slack: FakeSlack;
  let oauth: FakeOAuth;
  beforeEach(async () => {
    oauth = new FakeOAuth({ ...CLIENT, refreshToken: R0, expiresIn: 3600 });
    slack = await new FakeSlack({ token: TEST_TOKEN, oauth }).start();
  });
  afterEach(async () => {
    await slack.stop();
  });

  it('sends the client credentials as HTTP Basic, not in the form, and gets a new pair', async () => {
    const result = await refreshAccessToken({ slackApiUrl: slack.url, ...CLIENT, refreshToken: R0, timeoutMs: 5000 });
    expect(result).toEqual({ access_token: oauth.issued[0], refresh_token: oauth.issued[1], expires_in: 3600 });
    const request = slack.requests.find((r) => r.path === '/api/oauth.v2.access')!;
    expect(request.authorization).toBe(`Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`);
    expect(request.params).toEqual({ grant_type: 'refresh_token', refresh_token: R0 });
  });

  it('a spent refresh token needs a person: invalid_refresh_token, with the fix and no secret', async () => {
    await refreshAccessToken({ slackApiUrl: slack.url, ...CLIENT, refreshToken: R0, timeoutMs: 5000 });
    const error = (await refreshAccessToken({ slackApiUrl: slack.url, ...CLIENT, refreshToken: R0, timeoutMs: 5000 }).catch(
      (e: unknown) => e,
    )) as SlackFatalError;
    expect(error).toBeInstanceOf(SlackFatalError);
    expect(error.code).toBe('invalid_refresh_token');
    expect(error.message).toMatch(/reinstall the app .*oauth\.v2\.exchange/);
    expect(error.message).not.toContain(R0);
    expect(error.cause).toBeUndefined();
  });

  /** A token source refreshing R0 at the fake Slack, keeping its credentials in `file`. */
  const rotatingSource = (file: CredentialsFile) =>
    new RotatingTokenSource(
      {
        slackApiUrl: slack.url,
        clientId: CLIENT.clientId,
        clientSecret: fixedValue(CLIENT.clientSecret),
        refreshToken: fixedValue(R0),
        timeoutMs: 5000,
      },
      file,
      new RecordingLogger(),
    );

  it('a refresh whose result could not be written is kept in memory, written before it is used, and not refreshed again', async () => {
    const real = new CredentialsFile(join(dir, 'cursor.json.credentials.json'));
    let failWrites = 1;
    const file = Object.assign(Object.create(real) as CredentialsFile, {
      write: async (c: RotatingCredentials) => {
        if (failWrites-- > 0) throw new CursorFileError('cannot write credentials file (EROFS)');
        return real.write(c);
      },
    });
    const source = rotatingSource(file);
    await expect(source.token()).rejects.toThrow('EROFS');
    expect(await real.read()).toBeUndefined();
    expect(await source.token()).toBe(oauth.issued[0]);
    expect(oauth.refreshes).toBe(1);
    expect((await real.read())?.refresh_token).toBe(oauth.issued[1]);
  });

  it('streams that find the token expired at once share one refresh (single flight); invalid_auth gets none', async () => {
    const file = new CredentialsFile(join(dir, 'cursor.json.credentials.json'));
    const source = rotatingSource(file);
    const first = await source.token();
    expect(oauth.refreshes).toBe(1);
    const renewed = await Promise.all(Array.from({ length: 5 }, () => source.renew(first, 'token_expired')));
    expect(renewed).toEqual([true, true, true, true, true]);
    expect(oauth.refreshes).toBe(2);
    const latest = await source.token();
    expect(latest).toBe(oauth.issued[2]);
    // Kept before use: the file holds the refresh token the fake would accept next.
    expect((await file.read())?.refresh_token).toBe(oauth.issued[3]);
    expect(source.state()).toMatchObject({ kind: 'refresh', refreshes: 2, failures: 0 });
    // invalid_auth is no expiry (a team the token's owner is not in): no refresh for it.
    expect(await source.renew(latest, 'invalid_auth')).toBe(false);
    expect(oauth.refreshes).toBe(2);
  });
});
