import { randomBytes } from 'node:crypto';

/**
 * Slack's token rotation, for FakeSlack: `oauth.v2.access` with `grant_type=refresh_token` and the
 * client credentials as HTTP Basic (or form fields), access tokens that expire (`token_expired`),
 * and single-use refresh tokens: one used before gets `invalid_refresh_token`.
 */
export interface FakeOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** The refresh token the app was installed with. */
  refreshToken: string;
  /** Lifetime of issued access tokens, seconds. Default 43200 (Slack's 12 h). */
  expiresIn?: number;
  /** Milliseconds a used refresh token still works ("a short grace period", Slack says). Default 0. */
  graceMs?: number;
  /** Runs when a refresh is about to be answered (a test kills the receiver there). */
  beforeAnswer?: () => void;
}

export class FakeOAuth {
  readonly options: Required<FakeOAuthOptions>;
  /** Access tokens issued, with their expiry (Unix milliseconds). */
  private readonly access = new Map<string, number>();
  /** Refresh tokens that work, until when (Unix milliseconds). */
  private readonly refreshTokens = new Map<string, number>();
  /** Refreshes answered with new tokens. */
  refreshes = 0;
  /** Every token issued, in order (a refresh's access token, then its refresh token), for tests. */
  readonly issued: string[] = [];

  constructor(options: FakeOAuthOptions) {
    this.options = { expiresIn: 43_200, graceMs: 0, beforeAnswer: () => {}, ...options };
    this.refreshTokens.set(options.refreshToken, Infinity);
  }

  /** `ok`, or the error Slack answers a method call made with `token`. */
  check(token: string): 'ok' | 'token_expired' | 'invalid_auth' {
    const expiresAt = this.access.get(token);
    if (expiresAt === undefined) return 'invalid_auth';
    return Date.now() < expiresAt ? 'ok' : 'token_expired';
  }

  /** These access tokens (default: every one issued so far) expire now. */
  expire(...tokens: string[]): void {
    for (const token of tokens.length > 0 ? tokens : [...this.access.keys()]) this.access.set(token, 0);
  }

  /** A new refresh token that works, as a reinstall (or `oauth.v2.exchange`) gives one. */
  reinstall(): string {
    const refreshToken = `xoxe-1-${randomBytes(12).toString('hex')}`;
    this.refreshTokens.set(refreshToken, Infinity);
    this.issued.push(refreshToken);
    return refreshToken;
  }

  /** An access token accepted until it expires; for a test that starts with one. */
  issueAccessToken(expiresIn = this.options.expiresIn): string {
    const token = `xoxe.xoxp-1-${randomBytes(12).toString('hex')}`;
    this.access.set(token, Date.now() + expiresIn * 1000);
    this.issued.push(token);
    return token;
  }

  /** The answer to `oauth.v2.access`. */
  answer(authorization: string | undefined, params: Record<string, string>): Record<string, unknown> {
    let [clientId, clientSecret] = [params.client_id, params.client_secret];
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      [clientId, clientSecret] = [decoded.slice(0, at), decoded.slice(at + 1)];
    }
    if (params.grant_type !== 'refresh_token') return { ok: false, error: 'invalid_grant_type' };
    if (clientId !== this.options.clientId) return { ok: false, error: 'invalid_client_id' };
    if (clientSecret !== this.options.clientSecret) return { ok: false, error: 'bad_client_secret' };
    const used = params.refresh_token ?? '';
    const now = Date.now();
    if (!(now < (this.refreshTokens.get(used) ?? 0))) return { ok: false, error: 'invalid_refresh_token' };
    this.refreshTokens.set(used, Math.min(this.refreshTokens.get(used)!, now + this.options.graceMs));
    const accessToken = this.issueAccessToken();
    const refreshToken = `xoxe-1-${randomBytes(12).toString('hex')}`;
    this.refreshTokens.set(refreshToken, Infinity);
    this.issued.push(refreshToken);
    this.refreshes++;
    this.options.beforeAnswer();
    return {
      ok: true,
      app_id: 'A0FAKEAPP',
      authed_user: { id: 'U0FAKEADMIN' },
      scope: 'admin',
      token_type: 'user',
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: this.options.expiresIn,
      team: { id: 'T0FAKETEAM', name: 'Fake' },
    };
  }
}
