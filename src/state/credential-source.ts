import { isoSeconds } from '../core/logger.js';
import type { ReceiverLogger } from '../core/types.js';
import { SlackFatalError } from '../core/errors.js';
import { chainOf, refreshDue, whichWins, type RotatingCredentials, type TokenProvider } from '../slack/credentials.js';
import { refreshAccessToken } from '../slack/oauth.js';
import { CredentialsFile, credentialsFileFor } from './credentials-file.js';
import { WatchedFile, fixedValue, type SecretValue } from './watched-file.js';
import type { ResolvedConfig } from '../config/config.js';
import type { SecretSetting } from '../config/rotation.js';

/** The credential state health and self-metrics show: never a token. */
export interface CredentialState {
  kind: 'token' | 'token_file' | 'refresh';
  /** Unix milliseconds the access token expires at, when known. */
  expiresAt?: number;
  refreshes: number;
  /** Refreshes that failed, person-needed or not. */
  failures: number;
}

/** A token set, or read from a file (re-read when it changes, and once more when Slack refuses it). */
export class TokenSource implements TokenProvider {
  constructor(
    private readonly value: SecretValue,
    private readonly logger: ReceiverLogger,
    private readonly file?: string,
  ) {}

  async token(): Promise<string> {
    const { value, changed } = await this.value.read();
    if (changed) this.logger.info(`SLACK_TOKEN_FILE ${this.file} changed: the token it holds now is used`);
    return value;
  }

  async renew(rejected: string): Promise<boolean> {
    const { value } = await this.value.read(true);
    if (value === rejected) return false;
    this.logger.info(`SLACK_TOKEN_FILE ${this.file} holds another token than the one Slack refused: retrying with it`);
    return true;
  }

  state(): CredentialState {
    return { kind: this.file ? 'token_file' : 'token', refreshes: 0, failures: 0 };
  }
}

export interface RotationSettings {
  slackApiUrl: string;
  clientId: string;
  clientSecret: SecretValue;
  /** The configured refresh token (`SLACK_REFRESH_TOKEN` or its file): where a chain starts. */
  refreshToken: SecretValue;
  /** An access token given with it (`SLACK_TOKEN`), used until Slack says it expired. */
  accessToken?: string;
  timeoutMs: number;
  /** After each refresh, for self-metrics: `error` names the failure's class. */
  onRefresh?: (error?: Error) => void;
}

/**
 * Token rotation: one refresh chain shared by every stream of the receiver. The access token is
 * refreshed through `oauth.v2.access` before it expires (`refreshDue`), and at once when Slack
 * answers `token_expired`; one refresh at a time (a single-flight promise). Each refresh's result
 * is written to the credentials file before the new token is used: the refresh token just spent
 * is never the only one kept. An error that needs a person is kept and thrown again, without a
 * request, until the configured refresh token or client secret changes.
 */
export class RotatingTokenSource implements TokenProvider {
  private current: RotatingCredentials | undefined;
  private configuredChain = '';
  private refreshing: Promise<string> | undefined;
  /** A refresh result not yet on disk (the write failed): written before it is used. */
  private unsaved = false;
  private needsPerson: { error: SlackFatalError; refreshToken: string; clientSecret: string } | undefined;
  private refreshes = 0;
  private failures = 0;

  constructor(
    private readonly settings: RotationSettings,
    private readonly file: CredentialsFile,
    private readonly logger: ReceiverLogger,
  ) {}

  async token(): Promise<string> {
    const current = await this.load();
    if (this.unsaved) await this.file.withLock(() => this.file.write(current));
    this.unsaved = false;
    if (!refreshDue(current, Date.now())) return current.access_token!;
    try {
      return await this.refresh(current.access_token);
    } catch (error) {
      const usable = current.access_token && current.expires_at !== undefined && current.expires_at > Date.now();
      if (!usable || error instanceof SlackFatalError) throw error;
      // A refresh ahead of time that failed (Slack busy, a locked file): the token still works.
      this.logger.warn(`${(error as Error).message}; the access token is valid until ${isoSeconds(current.expires_at! / 1000)}`);
      return current.access_token!;
    }
  }

  async renew(rejected: string, code: string): Promise<boolean> {
    const current = await this.load();
    // Another stream refreshed after this one's request left: its token is the one to retry with.
    if (current.access_token !== undefined && current.access_token !== rejected) return true;
    // `invalid_auth` is no expiry (with SLACK_TEAM_ID: a team the token's owner is not in): a refresh would not help.
    if (code !== 'token_expired') return false;
    await this.refresh(rejected);
    return true;
  }

  state(): CredentialState {
    return {
      kind: 'refresh',
      ...(this.current?.expires_at !== undefined ? { expiresAt: this.current.expires_at } : {}),
      refreshes: this.refreshes,
      failures: this.failures,
    };
  }

  /** The chain in use: at first (and when the configured refresh token changes) the file's or the configured one (`whichWins`). */
  private async load(): Promise<RotatingCredentials> {
    const { value: configured } = await this.settings.refreshToken.read();
    const chain = chainOf(configured);
    if (this.current && chain === this.configuredChain) return this.current;
    const kept = await this.file.read();
    if (whichWins(kept, configured) === 'file') {
      this.current = kept!;
      this.logger.info(`token rotation: using the refresh token kept in ${this.file.path}`);
    } else {
      if (kept) {
        this.logger.info(
          `token rotation: ${this.file.path} descends from another refresh token than the configured one (SLACK_REFRESH_TOKEN), which starts a new chain`,
        );
      }
      const accessToken = this.current ? undefined : this.settings.accessToken;
      this.current = { chain, refresh_token: configured, ...(accessToken ? { access_token: accessToken } : {}) };
    }
    this.configuredChain = chain;
    return this.current;
  }

  private refresh(stale: string | undefined): Promise<string> {
    this.refreshing ??= this.refreshOnce(stale).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshOnce(stale: string | undefined): Promise<string> {
    const { value: clientSecret } = await this.settings.clientSecret.read();
    const held = this.needsPerson;
    if (held && held.refreshToken === this.current!.refresh_token && held.clientSecret === clientSecret) throw held.error;
    return this.file.withLock(async () => {
      // A receiver sharing the file (another filter set) may have refreshed: its result is the chain now
      // (unless this one's last result is not on disk yet: then the file's is the spent one).
      const kept = this.unsaved ? undefined : await this.file.read();
      if (kept && kept.chain === this.current!.chain && kept.refresh_token !== this.current!.refresh_token) {
        this.current = kept;
        if (kept.access_token !== stale && !refreshDue(kept, Date.now())) return kept.access_token!;
      }
      const spent = this.current!;
      let result;
      try {
        result = await refreshAccessToken({
          slackApiUrl: this.settings.slackApiUrl,
          clientId: this.settings.clientId,
          clientSecret,
          refreshToken: spent.refresh_token,
          timeoutMs: this.settings.timeoutMs,
        });
      } catch (error) {
        this.failures++;
        this.settings.onRefresh?.(error as Error);
        if (error instanceof SlackFatalError) this.needsPerson = { error, refreshToken: spent.refresh_token, clientSecret };
        throw error;
      }
      const next: RotatingCredentials = {
        chain: spent.chain,
        refresh_token: result.refresh_token,
        access_token: result.access_token,
        expires_in: result.expires_in,
        expires_at: Date.now() + result.expires_in * 1000,
      };
      // Kept before anything else: the spent refresh token no longer works after Slack's grace period.
      this.current = next;
      this.unsaved = true;
      await this.file.write(next);
      this.unsaved = false;
      this.refreshes++;
      this.settings.onRefresh?.();
      this.logger.info(
        `token rotation: refreshed the access token through oauth.v2.access; it expires at ${isoSeconds(next.expires_at! / 1000)}; the new refresh token is kept in ${this.file.path}`,
      );
      return next.access_token!;
    });
  }
}

/** The credential source the settings describe: token rotation, a token file, or a token. */
export function credentialSourceFor(
  config: ResolvedConfig,
  logger: ReceiverLogger,
  onRefresh?: (error?: Error) => void,
): TokenSource | RotatingTokenSource {
  const secret = (s: SecretSetting): SecretValue => (s.file ? new WatchedFile(s.file, s.value) : fixedValue(s.value));
  const { rotation } = config;
  if (rotation) {
    return new RotatingTokenSource(
      {
        slackApiUrl: config.slackApiUrl,
        clientId: rotation.clientId,
        clientSecret: secret(rotation.clientSecret),
        refreshToken: secret(rotation.refreshToken),
        ...(config.token ? { accessToken: config.token } : {}),
        timeoutMs: Math.min(30_000, Math.max(1_000, config.retryDeadlineMs)),
        ...(onRefresh ? { onRefresh } : {}),
      },
      new CredentialsFile(credentialsFileFor(config.cursorFile)),
      logger,
    );
  }
  return new TokenSource(
    secret({ value: config.token!, ...(config.tokenFile ? { file: config.tokenFile } : {}) }),
    logger,
    config.tokenFile,
  );
}
