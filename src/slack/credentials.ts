import { createHash } from 'node:crypto';

/**
 * Token rotation's decisions, pure: when to refresh, which credentials win at start, which
 * `oauth.v2.access` errors need a person. The files and the requests are elsewhere
 * (`state/credential-source.ts`, `slack/oauth.ts`).
 */

/** What `team.integrationLogs` requests authenticate with; the client asks before each request. */
export interface TokenProvider {
  /** The access token to use now (re-read or refreshed first when due). */
  token(): Promise<string>;
  /**
   * Slack refused `rejected` with `code` (`token_expired`, `invalid_auth`): whether a newer token is
   * there to retry the request with once (re-read or refreshed); `false`: Slack's error stands.
   */
  renew(rejected: string, code: string): Promise<boolean>;
}

/** A refresh chain's state, as the credentials file keeps it (Slack's field names). */
export interface RotatingCredentials {
  /** Which initial refresh token this chain descends from: {@link chainOf} of it. */
  chain: string;
  refresh_token: string;
  /** Absent before the first refresh (only a refresh token was given). */
  access_token?: string;
  /** Unix milliseconds; absent when unknown (an access token given by hand). */
  expires_at?: number;
  /** Seconds, as `oauth.v2.access` gave them: the lifetime the refresh margin is taken from. */
  expires_in?: number;
}

/** Slack's SDKs refresh tokens that expire within 2 hours (node `@slack/oauth`, python `TokenRotator`). */
export const REFRESH_MARGIN_MS = 2 * 3600_000;

/**
 * Whether to refresh before using the access token: none yet, or it expires within the margin
 * (2 h, or half its lifetime for a token that lives shorter than 4 h).
 */
export function refreshDue(credentials: RotatingCredentials, nowMs: number): boolean {
  if (!credentials.access_token) return true;
  if (credentials.expires_at === undefined) return false;
  const lifetimeMs = (credentials.expires_in ?? Infinity) * 1000;
  return credentials.expires_at - nowMs <= Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
}

/**
 * The chain id of an initial refresh token: the first 16 hex digits of its SHA-256. Enough to tell
 * chains apart, and the file never holds the initial token itself.
 */
export function chainOf(initialRefreshToken: string): string {
  return createHash('sha256').update(initialRefreshToken).digest('hex').slice(0, 16);
}

/**
 * At start, and whenever the configured refresh token changes: the credentials file wins when it
 * descends from the configured refresh token (its chain is that token's), since the configured
 * one was spent by the file's first refresh. A file of another chain is stale: a person gave a
 * new refresh token (after a reinstall or `oauth.v2.exchange`), and it wins.
 */
export function whichWins(file: RotatingCredentials | undefined, configuredRefreshToken: string): 'file' | 'configuration' {
  return file !== undefined && file.chain === chainOf(configuredRefreshToken) ? 'file' : 'configuration';
}

/** `oauth.v2.access` errors that need a person, and the fix each line names. */
export const REFRESH_FIXES: Readonly<Record<string, string>> = {
  invalid_refresh_token:
    'the refresh token was already used or is unknown: reinstall the app (or get a new refresh token through oauth.v2.exchange) and set SLACK_REFRESH_TOKEN to it',
  refresh_token_expired:
    'the refresh token expired: reinstall the app (or get a new refresh token through oauth.v2.exchange) and set SLACK_REFRESH_TOKEN to it',
  invalid_client_id: "SLACK_CLIENT_ID is not this app's client ID: copy it from the app's Basic Information page",
  bad_client_secret: "the client secret is wrong: copy it from the app's Basic Information page into SLACK_CLIENT_SECRET",
  invalid_grant_type: 'Slack refused grant_type=refresh_token: turn token rotation on for the app, then reinstall it',
};
