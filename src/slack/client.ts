import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { normalizeEntry } from '../entry/normalize.js';
import type { PageResponse, PaginationLimit } from './page.js';
import type { ReceiverLogger, SlackIntegrationLogFilters } from '../core/types.js';
import { SlackFatalError, SlackPaginationLimitError, SlackUnavailableError, StoppedError } from '../core/errors.js';
import { FATAL_FIXES, PAGINATION_LIMIT_CODE, TRANSIENT_CODES } from './codes.js';
import type { TokenProvider } from './credentials.js';
import { proxyRefusal, proxyRefusalReason, slackFetch } from './transport.js';

export interface IntegrationLogsClientOptions {
  /** Asked for the token before each request, and for a newer one when Slack refuses it. */
  credentials: TokenProvider;
  slackApiUrl: string;
  pageSize: number;
  filters: SlackIntegrationLogFilters;
  teamId?: string;
  /** Milliseconds one page may spend in retries before the pass fails. */
  retryDeadlineMs: number;
  /** Milliseconds before one HTTP request is abandoned. */
  requestTimeoutMs?: number;
  logger: ReceiverLogger;
  /** Called before each wait, for self-metrics. */
  onWait?: (kind: 'rate_limit' | 'backoff', seconds: number) => void;
  /** Called after each request with its outcome, for self-metrics. */
  onRequest?: (outcome: 'ok' | 'rate_limited' | 'transient_error' | 'fatal_error') => void;
  /** Runs each wait before a retry (default: as it is); the stream gives its concurrency place back meanwhile. */
  aside?: <T>(wait: () => Promise<T>) => Promise<T>;
}

/** Backoff for transient failures: 3 s doubling to 60 s, jittered, never under 3 s (Tier 2 is ~20 requests/min). */
const BACKOFF_BASE_MS = 3_000;
const BACKOFF_CAP_MS = 60_000;
/** A backoff cut short by the deadline still gets a last try if at least this much is left. */
const LAST_TRY_MIN_MS = 1_000;

/**
 * Reads pages of `team.integrationLogs` through the official `@slack/web-api` client
 * (https://api.slack.com/methods/team.integrationLogs), with our own retry policy so that waits
 * are visible and bounded: the client's own policy retries for about half an hour, silently.
 */
export class IntegrationLogsClient {
  /** A client for the token in use, made again when the token changes (a token file, token rotation). */
  private client: { token: string; web: WebClient } | undefined;
  private readonly options: IntegrationLogsClientOptions;
  requests = 0;
  rateLimitWaits = 0;

  constructor(options: IntegrationLogsClientOptions) {
    this.options = options;
  }

  /** A per-call `token` argument would go into the form body too: the client's own token goes in the header only. */
  private clientFor(token: string): WebClient {
    if (this.client?.token !== token) {
      const web = new WebClient(token, {
        slackApiUrl: this.options.slackApiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: this.options.requestTimeoutMs ?? 30_000,
        logger: quietLogger(this.options.logger),
        logLevel: LogLevel.ERROR,
        fetch: slackFetch(),
      });
      // The client's `rate_limited` event carries the request body, token included: never listen to it.
      this.client = { token, web };
    }
    return this.client.web;
  }

  /**
   * @param page 1-based page number.
   * @param signal ends a wait between retries at once (shutdown).
   * @returns the page, or `paginationLimit` when Slack refuses to page this far (`over_pagination_limit`).
   * @throws SlackFatalError, or SlackUnavailableError once the deadline passed.
   */
  async fetchPage(page: number, signal?: AbortSignal): Promise<PageResponse | PaginationLimit> {
    const startedAt = Date.now();
    const deadline = startedAt + this.options.retryDeadlineMs;
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      let waitMs: number;
      let why: string;
      const token = await this.options.credentials.token();
      try {
        this.requests++;
        const result = await this.clientFor(token).team.integrationLogs({
          count: this.options.pageSize,
          page,
          ...this.options.filters,
          ...(this.options.teamId ? { team_id: this.options.teamId } : {}),
        } as never);
        const parsed = toPage(result as unknown as Record<string, unknown>, page, this.options.pageSize);
        this.options.onRequest?.('ok');
        return parsed;
      } catch (error) {
        const failure = classify(error);
        if (failure.kind === 'pagination-limit') {
          this.options.onRequest?.('ok');
          return { paginationLimit: failure.error };
        }
        if (failure.kind === 'fatal') {
          this.options.onRequest?.('fatal_error');
          // Once per page: a token file rewritten or a token refreshed meanwhile gets one more try.
          const code = (failure.error as SlackFatalError).code;
          if (!renewed && (code === 'token_expired' || code === 'invalid_auth')) {
            renewed = true;
            if (await this.options.credentials.renew(token, code)) continue;
          }
          throw failure.error;
        }
        // Slack's `ratelimited` code (HTTP 200, no Retry-After) is a rate limit waited out with the backoff.
        const rateLimited = failure.kind === 'rate_limit' || (failure.kind === 'transient' && failure.rateLimited === true);
        if (failure.kind === 'rate_limit') {
          this.options.onRequest?.('rate_limited');
          waitMs = failure.retryAfterSeconds * 1000;
          why = `Slack rate limit (HTTP 429, Retry-After ${failure.retryAfterSeconds}s)`;
        } else {
          this.options.onRequest?.(rateLimited ? 'rate_limited' : 'transient_error');
          // Equal jitter, never under the base: retries alone stay within Tier 2 (~1 request / 3 s).
          const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
          waitMs = Math.max(BACKOFF_BASE_MS, ceiling / 2 + (Math.random() * ceiling) / 2);
          why = failure.reason;
        }
        const remaining = deadline - Date.now();
        // A backoff is cut short to make a last try at the deadline; a Retry-After is Slack's
        // instruction and cannot be, so one longer than what is left ends the retries now.
        if (remaining < (failure.kind === 'rate_limit' ? waitMs : LAST_TRY_MIN_MS)) {
          const elapsed = Math.round((Date.now() - startedAt) / 100) / 10;
          throw new SlackUnavailableError(
            `Slack team.integrationLogs page ${page} failed: ${why}; gave up after ${elapsed}s and ${attempt + 1} attempt(s) (SLACK_RETRY_DEADLINE ${Math.round(this.options.retryDeadlineMs / 1000)}s)`,
            { cause: error },
          );
        }
        waitMs = Math.min(waitMs, remaining);
        const seconds = Math.round(waitMs / 100) / 10;
        if (rateLimited) this.rateLimitWaits++;
        this.options.onWait?.(rateLimited ? 'rate_limit' : 'backoff', seconds);
        this.options.logger.warn(`${why}: waiting ${seconds}s before retrying page ${page}`, { page, waitSeconds: seconds });
        try {
          const wait = () => sleep(waitMs, undefined, { signal });
          await (this.options.aside ? this.options.aside(wait) : wait());
        } catch (error) {
          throw new StoppedError(`stopping: the wait before retrying page ${page} was cut short by shutdown`, { cause: error });
        }
      }
    }
  }
}

type Failure =
  | { kind: 'fatal'; error: Error }
  | { kind: 'pagination-limit'; error: SlackPaginationLimitError }
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'transient'; reason: string; rateLimited?: boolean };

function classify(error: unknown): Failure {
  const e = error as {
    code?: string;
    data?: Record<string, unknown>;
    retryAfter?: number;
    statusCode?: number;
    original?: Error;
    message?: string;
  };
  if (e?.code === ErrorCode.RateLimitedError) {
    return { kind: 'rate_limit', retryAfterSeconds: Math.max(1, Number(e.retryAfter) || 1) };
  }
  if (e?.code === ErrorCode.PlatformError && e.data) {
    const code = String(e.data.error ?? '');
    if (code === PAGINATION_LIMIT_CODE) {
      return { kind: 'pagination-limit', error: new SlackPaginationLimitError(`Slack answered ${code}`, { cause: error }) };
    }
    if (!/^[a-z0-9_]{1,64}$/.test(code)) {
      // The client puts a body that is not JSON (a proxy's HTML page, a cut-off reply) here.
      return { kind: 'transient', reason: `Slack answered with a body that is not JSON (${JSON.stringify(code.slice(0, 60))})` };
    }
    if (TRANSIENT_CODES.has(code)) {
      return { kind: 'transient', reason: `Slack answered ${code}`, rateLimited: code === 'ratelimited' };
    }
    const fix = FATAL_FIXES[code];
    const scopes =
      code === 'missing_scope' && (e.data.needed || e.data.provided)
        ? ` (needed: ${String(e.data.needed ?? '?')}; provided: ${String(e.data.provided ?? 'none')})`
        : '';
    return {
      kind: 'fatal',
      error: new SlackFatalError(
        code,
        `Slack team.integrationLogs failed: ${code}${scopes}: ${fix ?? "Slack's error code; see https://api.slack.com/methods/team.integrationLogs#errors"}`,
        { cause: error },
      ),
    };
  }
  if (e?.code === ErrorCode.HTTPError) {
    const status = Number(e.statusCode);
    if (status >= 500 || status === 408) {
      return { kind: 'transient', reason: `Slack answered HTTP ${status}` };
    }
    return {
      kind: 'fatal',
      error: new SlackFatalError(
        `http_${status}`,
        `Slack team.integrationLogs failed: HTTP ${status}: check SLACK_API_URL (and any proxy in between)`,
        { cause: error },
      ),
    };
  }
  if (e?.code === ErrorCode.RequestError) {
    const original = e.original as { message?: string; cause?: { code?: string; message?: string }; name?: string } | undefined;
    const proxyStatus = proxyRefusal(original);
    if (proxyStatus !== undefined) {
      const reason = proxyRefusalReason(proxyStatus);
      // A refused password needs a person; another refusal (a busy or restarting proxy) may pass.
      if (proxyStatus !== 407) return { kind: 'transient', reason };
      return { kind: 'fatal', error: new SlackFatalError('proxy_auth', `Slack team.integrationLogs failed: ${reason}`, { cause: error }) };
    }
    const detail = original?.cause?.code ?? original?.cause?.message ?? original?.name ?? original?.message ?? 'request failed';
    if (detail === 'unexpected redirect') {
      return {
        kind: 'fatal',
        error: new SlackFatalError(
          'redirect',
          'Slack team.integrationLogs failed: SLACK_API_URL answered with a redirect: set it to the final URL (e.g. https://slack.com/api/)',
          { cause: error },
        ),
      };
    }
    if (detail === 'bad port') {
      // The Fetch standard blocks some ports outright: no retry can ever succeed.
      return {
        kind: 'fatal',
        error: new SlackFatalError(
          'bad_port',
          'Slack team.integrationLogs failed: SLACK_API_URL uses a port that Node refuses to connect to (a blocked port of the Fetch standard): use another port',
          { cause: error },
        ),
      };
    }
    return { kind: 'transient', reason: `Slack request failed (${detail})` };
  }
  if (typeof e?.message === 'string' && e.message.startsWith('Retry header did not contain a valid timeout')) {
    return { kind: 'transient', reason: 'Slack answered HTTP 429 without a usable Retry-After' };
  }
  return { kind: 'transient', reason: `Slack request failed (${e?.message ?? String(error)})` };
}

/** A successful `team.integrationLogs` answer -> PageResponse, `paging` checked against itself. */
function toPage(result: Record<string, unknown>, requestedPage: number, requestedCount: number): PageResponse {
  const logs = result.logs;
  if (!Array.isArray(logs)) {
    throw Object.assign(new Error('answer without a `logs` array'), { code: 'malformed_answer' });
  }
  const paging = (result.paging ?? {}) as Record<string, unknown>;
  const int = (v: unknown): number | undefined => {
    const n = Number(v);
    return v !== null && v !== '' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };
  const page = int(paging.page) || requestedPage;
  const count = int(paging.count) || requestedCount;
  const full = logs.length >= count;
  const seen = (page - 1) * count + logs.length;
  const stated = int(paging.total);
  // A total below what this very answer shows is as good as none.
  const totalKnown = stated !== undefined && stated >= seen;
  // Without a total to trust, a full page may not be the last: assume one more entry, so paging
  // goes on until a short page ends it, rather than stopping where the answer stopped saying.
  const total = totalKnown ? stated : seen + (full ? 1 : 0);
  const pages = Math.ceil(total / count);
  const fetchedAtMs = Date.now();
  const nowSeconds = fetchedAtMs / 1000;
  return { page, count, total, totalKnown, pages, entries: logs.map((raw) => normalizeEntry(raw, nowSeconds)), fetchedAtMs };
}

/** The Slack client's own log lines go to ours at debug level; they never include the token. */
function quietLogger(logger: ReceiverLogger): SlackLogger {
  let level = LogLevel.ERROR;
  return {
    debug: () => {},
    info: () => {},
    warn: (...msg: unknown[]) => logger.debug(`@slack/web-api: ${msg.map(String).join(' ')}`),
    error: (...msg: unknown[]) => logger.debug(`@slack/web-api: ${msg.map(String).join(' ')}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
