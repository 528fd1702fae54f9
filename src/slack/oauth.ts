import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { SlackFatalError, SlackUnavailableError } from '../core/errors.js';
import { REFRESH_FIXES } from './credentials.js';
import { proxyRefusal, proxyRefusalReason, slackFetch } from './transport.js';

export interface RefreshRequest {
  slackApiUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  timeoutMs: number;
}

/** What a refresh gave: a new access token, a new refresh token (the old one is spent), the lifetime. */
export interface RefreshResult {
  access_token: string;
  refresh_token: string;
  /** Seconds. */
  expires_in: number;
}

/**
 * One `oauth.v2.access` refresh (https://api.slack.com/methods/oauth.v2.access), with the client
 * credentials as HTTP Basic, as Slack recommends: through `@slack/web-api`'s documented `headers`
 * option and its generic `apiCall`, because the typed `client.oauth.v2.access` requires the client
 * secret among the form fields. No retries here: the caller decides (a token still valid is used
 * meanwhile).
 *
 * @throws SlackFatalError for the errors that need a person (REFRESH_FIXES), SlackUnavailableError
 *   otherwise. Neither holds a secret, nor a cause that could.
 */
export async function refreshAccessToken(request: RefreshRequest): Promise<RefreshResult> {
  const basic = Buffer.from(`${request.clientId}:${request.clientSecret}`).toString('base64');
  const client = new WebClient(undefined, {
    slackApiUrl: request.slackApiUrl,
    headers: { Authorization: `Basic ${basic}` },
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: request.timeoutMs,
    logger: silent,
    logLevel: LogLevel.ERROR,
    fetch: slackFetch(),
  });
  let answer: Record<string, unknown>;
  try {
    const result = await client.apiCall('oauth.v2.access', { grant_type: 'refresh_token', refresh_token: request.refreshToken });
    answer = result as unknown as Record<string, unknown>;
  } catch (error) {
    throw failure(error);
  }
  // A user token's refresh answers at the top level; an install's answer nests it in `authed_user`.
  const fields = typeof answer.refresh_token === 'string' ? answer : ((answer.authed_user ?? {}) as Record<string, unknown>);
  const expiresIn = Number(fields.expires_in);
  if (typeof fields.access_token !== 'string' || typeof fields.refresh_token !== 'string' || !(expiresIn > 0)) {
    throw new SlackUnavailableError(
      'Slack oauth.v2.access answered without access_token, refresh_token and expires_in: is token rotation on for the app? (SLACK_API_URL must be the Web API)',
    );
  }
  return { access_token: fields.access_token, refresh_token: fields.refresh_token, expires_in: expiresIn };
}

/** A failed refresh as our error, built from Slack's code or the HTTP status only (never the request). */
function failure(error: unknown): Error {
  const e = error as { code?: string; data?: { error?: unknown }; statusCode?: number; retryAfter?: number };
  if (e?.code === ErrorCode.PlatformError) {
    const code = String(e.data?.error ?? '');
    const fix = REFRESH_FIXES[code];
    if (fix) return new SlackFatalError(code, `Slack oauth.v2.access refused to refresh the token: ${code}: ${fix}`);
    if (/^[a-z0-9_]{1,64}$/.test(code))
      return new SlackUnavailableError(`Slack oauth.v2.access failed: ${code}; the refresh is tried again`);
    return new SlackUnavailableError('Slack oauth.v2.access answered with a body that is not JSON; the refresh is tried again');
  }
  if (e?.code === ErrorCode.RateLimitedError) {
    return new SlackUnavailableError(
      `Slack oauth.v2.access is rate limited (Retry-After ${Number(e.retryAfter) || 1}s); the refresh is tried again`,
    );
  }
  if (e?.code === ErrorCode.HTTPError) {
    return new SlackUnavailableError(`Slack oauth.v2.access answered HTTP ${Number(e.statusCode)}; the refresh is tried again`);
  }
  const proxyStatus = proxyRefusal((error as { original?: unknown })?.original);
  if (proxyStatus !== undefined) {
    return new SlackUnavailableError(
      `Slack oauth.v2.access could not be reached: ${proxyRefusalReason(proxyStatus)}; the refresh is tried again`,
    );
  }
  return new SlackUnavailableError('Slack oauth.v2.access could not be reached; the refresh is tried again');
}

/** The Slack client's own logging is off: its debug lines would describe our requests. */
const silent: SlackLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};
