import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { SlackFatalError, SlackUnavailableError } from '../core/errors.js';
import { FATAL_FIXES, TRANSIENT_CODES } from './codes.js';
import type { TokenProvider } from './credentials.js';
import { slackFetch } from './transport.js';

/**
 * `SLACK_TEAM_ID=all`: the organisation's workspaces, through `auth.teams.list`
 * (https://api.slack.com/methods/auth.teams.list, no scope needed), and the pure decision of which
 * teams to start and stop polling.
 */

/** A workspace as `auth.teams.list` names it (Slack's field names). */
export interface ListedTeam {
  id: string;
  name: string;
}

/** The largest page `auth.teams.list` serves: one request for most organisations. */
const LIST_LIMIT = 1000;

/**
 * Every workspace the token's app is approved for, following `response_metadata.next_cursor`
 * through the client's paginate helper. Rate limits and 5xx are retried by the client (a few
 * times): a listing that still fails throws, and the caller keeps the teams it had.
 * @throws SlackFatalError for Slack's error codes that need a person (`invalid_auth`...), else SlackUnavailableError.
 */
export async function listTeams(options: { credentials: TokenProvider; slackApiUrl: string; timeoutMs?: number }): Promise<ListedTeam[]> {
  const web = new WebClient(await options.credentials.token(), {
    slackApiUrl: options.slackApiUrl,
    retryConfig: { retries: 3, factor: 2, minTimeout: 1_000, maxTimeout: 10_000 },
    timeout: options.timeoutMs ?? 30_000,
    // Silent: the client's own lines would go around the receiver's logger.
    logger: { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} },
    // Through the same proxy as every other Slack request.
    fetch: slackFetch(),
  });
  const teams: ListedTeam[] = [];
  try {
    for await (const page of web.paginate('auth.teams.list', { limit: LIST_LIMIT })) {
      for (const team of (page as { teams?: Array<{ id?: unknown; name?: unknown }> }).teams ?? []) {
        if (typeof team.id === 'string' && team.id) teams.push({ id: team.id, name: typeof team.name === 'string' ? team.name : team.id });
      }
    }
  } catch (error) {
    const e = error as { code?: string; data?: { error?: unknown }; message?: string };
    const code = e.code === ErrorCode.PlatformError ? String(e.data?.error ?? '') : '';
    if (/^[a-z0-9_]{1,64}$/.test(code) && !TRANSIENT_CODES.has(code)) {
      const fix = FATAL_FIXES[code] ?? "Slack's error code; see https://api.slack.com/methods/auth.teams.list#errors";
      throw new SlackFatalError(code, `SLACK_TEAM_ID=all: Slack auth.teams.list failed: ${code}: ${fix}`, { cause: error });
    }
    throw new SlackUnavailableError(`SLACK_TEAM_ID=all: Slack auth.teams.list failed: ${e.message ?? String(error)}`, { cause: error });
  }
  return teams;
}

/**
 * What a listing changes: teams to start polling, teams to stop polling (their cursors stay), and
 * teams polled now whose name is no longer the one their records carry (a renamed workspace).
 */
export interface TeamChanges {
  added: ListedTeam[];
  removed: string[];
  renamed: ListedTeam[];
}

/**
 * Compares a listing with the teams polled now (their IDs, and the names their records carry).
 * Excluded teams are never added, and one excluded while polled is removed. A team listed twice
 * counts once, as first listed.
 */
export function teamChanges(
  polled: ReadonlyMap<string, string | undefined>,
  listed: readonly ListedTeam[],
  exclude: readonly string[],
): TeamChanges {
  const excluded = new Set(exclude);
  const wanted = new Map<string, ListedTeam>();
  for (const team of listed) if (!excluded.has(team.id) && !wanted.has(team.id)) wanted.set(team.id, team);
  return {
    added: [...wanted.values()].filter((team) => !polled.has(team.id)),
    removed: [...polled.keys()].filter((id) => !wanted.has(id)),
    renamed: [...wanted.values()].filter((team) => polled.has(team.id) && polled.get(team.id) !== team.name),
  };
}
