import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackIntegrationLogRaw } from '../core/types.js';
import type { FakeOAuth } from './fake-oauth.js';

/**
 * A local stand-in for Slack's Web API `team.integrationLogs`, speaking its wire format:
 * form-encoded POST, `Authorization: Bearer`, `count`/`page` paging with a `paging` object,
 * `ok:false` errors on HTTP 200, HTTP 429 with `Retry-After`. Used by `--demo` and the tests.
 * Listens on 127.0.0.1 only.
 */

export interface FakeSlackOptions {
  /** The only token accepted; others get `invalid_auth`. */
  token: string;
  entries?: SlackIntegrationLogRaw[];
  /** Page order. Default newest-first. */
  order?: 'newest-first' | 'oldest-first';
  /** Largest `count` honoured (Slack may clamp). Default 1000. */
  maxCount?: number;
  /** Largest page served; past it `over_pagination_limit`. Default unlimited. */
  maxPage?: number;
  /**
   * Enterprise Grid: entries of each team, served when a request names it in `team_id`. A request
   * naming a team not listed gets `invalid_auth`, as Slack answers when the token's owner is not in it.
   */
  teams?: Record<string, SlackIntegrationLogRaw[]>;
  /** `auth.teams.list`: each team's `name` (default: the ID). */
  teamNames?: Record<string, string>;
  /** Every answer after this many milliseconds: Slack's own latency (the bench). Default 0. */
  latencyMs?: number;
  /** `auth.teams.list`: the most teams on one page, whatever `limit` asks (to see its cursor paging). Default 1000. */
  maxTeamsPerPage?: number;
  /** Token rotation: `oauth.v2.access`, and the access tokens it issued accepted besides `token`. */
  oauth?: FakeOAuth;
}

/** One workspace's log. */
class TeamLog {
  entries: SlackIntegrationLogRaw[];
  private sortedCache: { order: string; list: SlackIntegrationLogRaw[] } | undefined;

  constructor(entries: SlackIntegrationLogRaw[]) {
    this.entries = [...entries];
  }

  add(entries: SlackIntegrationLogRaw[]): void {
    for (const e of entries) this.entries.push(e);
    this.sortedCache = undefined;
  }

  expireOldest(n: number): void {
    this.entries = this.sorted('oldest-first').slice(n);
    this.sortedCache = undefined;
  }

  sorted(order: 'newest-first' | 'oldest-first'): SlackIntegrationLogRaw[] {
    if (this.sortedCache?.order === order) return this.sortedCache.list;
    // Stable sort by date; among equal dates, insertion order (reversed for newest-first).
    // An entry without a usable date (tests send some) sorts with the entry added before it.
    let previous = 0;
    const indexed = this.entries.map((e, i) => {
      const d = Number((e as { date?: unknown } | null)?.date);
      previous = Number.isFinite(d) ? d : previous;
      return { e, i, d: previous };
    });
    indexed.sort((a, b) => a.d - b.d || a.i - b.i);
    const list = indexed.map((x) => x.e);
    if (order === 'newest-first') list.reverse();
    this.sortedCache = { order, list };
    return list;
  }
}

/** A scripted reply that replaces the next normal answer. */
export type ScriptedReply =
  | { status: number; headers?: Record<string, string>; body: string }
  | { slackError: string; extra?: Record<string, unknown> }
  | { destroy: true }
  /** Answer normally, but only after this many milliseconds (a slow or hung Slack). */
  | { delayMs: number };

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  params: Record<string, string>;
}

export class FakeSlack {
  private server: Server | undefined;
  private readonly workspace: TeamLog;
  private readonly teams = new Map<string, TeamLog>();
  private readonly teamNames = new Map<string, string>();
  /** Requests being answered now, and the most at once since start (a concurrency limit's evidence). */
  inFlight = 0;
  maxInFlight = 0;
  private readonly maxTeamsPerPage: number;
  private readonly latencyMs: number;
  private readonly script: ScriptedReply[] = [];
  readonly requests: RecordedRequest[] = [];
  options: Required<Omit<FakeSlackOptions, 'entries' | 'maxPage' | 'teams' | 'teamNames' | 'maxTeamsPerPage' | 'latencyMs' | 'oauth'>> & {
    maxPage?: number;
  };
  readonly oauth: FakeOAuth | undefined;
  /** Runs before a page is answered; may change the entries (drift between page requests). */
  beforeAnswer: ((page: number, fake: FakeSlack) => void) | undefined;

  constructor(options: FakeSlackOptions) {
    this.workspace = new TeamLog(options.entries ?? []);
    for (const [team, entries] of Object.entries(options.teams ?? {})) this.addTeam(team, options.teamNames?.[team] ?? team, ...entries);
    const { order = 'newest-first', maxCount = 1000, token, maxPage } = options;
    this.options = { order, maxCount, token, maxPage };
    this.oauth = options.oauth;
    this.maxTeamsPerPage = options.maxTeamsPerPage ?? 1000;
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** The `slackApiUrl` to give the client, e.g. `http://127.0.0.1:4567/api/`. */
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Adds entries as if they happened now (they sort by `date`); to a team's log when `team` is given. */
  add(...entries: SlackIntegrationLogRaw[]): void {
    this.workspace.add(entries);
  }

  addToTeam(team: string, ...entries: SlackIntegrationLogRaw[]): void {
    this.teams.get(team)!.add(entries);
  }

  /** A workspace the organisation creates (or approves the app for): listed by `auth.teams.list` from now on. */
  addTeam(team: string, name: string, ...entries: SlackIntegrationLogRaw[]): void {
    this.teams.set(team, new TeamLog(entries));
    this.teamNames.set(team, name);
  }

  /** A workspace renamed: `auth.teams.list` names it so from now on. */
  renameTeam(team: string, name: string): void {
    this.teamNames.set(team, name);
  }

  /** A workspace deleted, or the app's approval withdrawn: no longer listed, its log answers `invalid_auth`. */
  removeTeam(team: string): void {
    this.teams.delete(team);
    this.teamNames.delete(team);
  }

  /** Removes the oldest `n` entries, as retention would. */
  expireOldest(n: number): void {
    this.workspace.expireOldest(n);
  }

  /** The next requests get these replies, in order, instead of a normal answer. */
  enqueue(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  get size(): number {
    return this.workspace.entries.length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // In flight from arrival to the answer's end, the client's view.
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const contentType = req.headers['content-type'];
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (req.url ?? '').split('?')[0]!;
    this.requests.push({ method: req.method ?? '', path, contentType, authorization: req.headers.authorization, params });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    await this.answer(req, res, path, params);
  }

  private async answer(req: IncomingMessage, res: ServerResponse, path: string, params: Record<string, string>): Promise<void> {
    let scripted = this.script.shift();
    if (scripted && 'delayMs' in scripted) {
      await new Promise((r) => setTimeout(r, scripted && 'delayMs' in scripted ? scripted.delayMs : 0));
      if (res.destroyed || req.socket.destroyed) return;
      scripted = undefined;
    }
    if (scripted) {
      if ('destroy' in scripted) {
        req.socket.destroy();
        return;
      }
      if ('slackError' in scripted) {
        return this.json(res, { ok: false, error: scripted.slackError, ...scripted.extra });
      }
      res.writeHead(scripted.status, { 'content-type': 'text/plain', ...scripted.headers });
      res.end(scripted.body);
      return;
    }
    if (this.oauth && req.method === 'POST' && path.endsWith('/oauth.v2.access')) {
      return this.json(res, this.oauth.answer(req.headers.authorization, params));
    }
    const method = path.endsWith('/auth.teams.list') ? 'auth.teams.list' : path.endsWith('/team.integrationLogs') ? 'logs' : undefined;
    if (req.method !== 'POST' || !method) {
      return this.json(res, { ok: false, error: 'unknown_method' });
    }
    const auth = req.headers.authorization ?? (params.token ? `Bearer ${params.token}` : undefined);
    if (!auth) return this.json(res, { ok: false, error: 'not_authed' });
    if (auth !== `Bearer ${this.options.token}`) {
      const verdict = this.oauth?.check(auth.slice('Bearer '.length)) ?? 'invalid_auth';
      if (verdict !== 'ok') return this.json(res, { ok: false, error: verdict });
    }
    if (method === 'auth.teams.list') return this.listTeams(res, params);

    const page = Math.max(1, Number.parseInt(params.page ?? '1', 10) || 1);
    const count = Math.min(this.options.maxCount, Math.max(1, Number.parseInt(params.count ?? '100', 10) || 100));
    if (this.options.maxPage !== undefined && page > this.options.maxPage) {
      return this.json(res, { ok: false, error: 'over_pagination_limit' });
    }
    this.beforeAnswer?.(page, this);
    const log = params.team_id ? this.teams.get(params.team_id) : this.workspace;
    if (!log) return this.json(res, { ok: false, error: 'invalid_auth' });
    let list = log.sorted(this.options.order);
    for (const filter of ['app_id', 'change_type', 'service_id', 'user'] as const) {
      const want = params[filter];
      if (want) list = list.filter((e) => String(e[filter === 'user' ? 'user_id' : filter] ?? '') === want);
    }
    const total = list.length;
    this.json(res, {
      ok: true,
      logs: list.slice((page - 1) * count, page * count),
      paging: { count, total, page, pages: Math.max(1, Math.ceil(total / count)) },
    });
  }

  /** `auth.teams.list`: `limit` (default 100, at most 1000), `cursor` an opaque offset, `next_cursor` empty at the end. */
  private listTeams(res: ServerResponse, params: Record<string, string>): void {
    const limit = Number(params.limit ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return this.json(res, { ok: false, error: 'invalid_limit' });
    const offset = params.cursor
      ? Number(
          Buffer.from(params.cursor, 'base64url')
            .toString('utf8')
            .replace(/^offset:/, ''),
        )
      : 0;
    if (!Number.isInteger(offset) || offset < 0) return this.json(res, { ok: false, error: 'invalid_cursor' });
    const all = [...this.teamNames].map(([id, name]) => ({ id, name }));
    const end = offset + Math.min(limit, this.maxTeamsPerPage);
    const next = end < all.length ? Buffer.from(`offset:${end}`).toString('base64url') : '';
    this.json(res, { ok: true, teams: all.slice(offset, end), response_metadata: { next_cursor: next } });
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}
