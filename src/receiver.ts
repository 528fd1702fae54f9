import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { optionsFromEnv, resolveConfig, type ResolvedConfig } from './config/config.js';
import { AcknowledgedExporter } from './export/acknowledged-exporter.js';
import { ReceiverHealth } from './health/receiver-health.js';
import { stderrLogger } from './core/logger.js';
import { SelfMetrics } from './telemetry/self-metrics.js';
import { Stream, type StreamDeps } from './stream.js';
import type { ReplayResult } from './export/dead-letter-replay.js';
import type { InventoryItem } from './inventory/types.js';
import type { SlackIntegrationLogsReceiverOptions } from './config/options.js';
import type { ReceiverLogger, SyncSummary } from './core/types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './core/version.js';
import { TeamDiscovery } from './team-discovery.js';
import { TeamSlots } from './delivery/team-slots.js';
import { readinessReasonOf, SlackFatalError, TeamsSyncError, type ReadinessReason } from './core/errors.js';
import { credentialSourceFor, type CredentialState } from './state/credential-source.js';

/** Poll backoff after a failed pass: doubles from the poll interval up to this. */
const MAX_FAILURE_BACKOFF_MS = 15 * 60_000;
/** Wait after an error that needs a person (bad token...): long, so a broken setup does not spin. */
const FATAL_BACKOFF_MS = 15 * 60_000;
/**
 * OTLP requests on the wire at once for all teams together (each team has at most one): far below
 * the exporter's own limit of 30, past which it fails exports at once.
 */
const MAX_EXPORTS_IN_FLIGHT = 8;

/** What the receiver is doing, for health checks. */
export interface ReceiverStatus {
  running: boolean;
  /** Unix milliseconds of the last pass that ended without error. */
  lastSuccessAt?: number;
  /** The last pass's error message, cleared by a successful pass. */
  lastError?: string;
  /** The last pass's error class name (`SlackFatalError`, `OtlpExportError`, `CursorLockedError`...), cleared with `lastError`. */
  lastErrorType?: string;
  /** The last pass's error's `readinessReason` (what `/readyz` answers), cleared with `lastError`. */
  lastErrorReason?: ReadinessReason;
  lastSummary?: SyncSummary;
  /** The token in use: its expiry when known, refreshes and failed refreshes (token rotation). */
  credentials?: CredentialState;
}

/**
 * Pulls Slack `team.integrationLogs` (https://api.slack.com/methods/team.integrationLogs)
 * incrementally and exports each entry as one OpenTelemetry LogRecord over OTLP/HTTP, exactly once
 * across restarts, keeping its place in a cursor file (one per team and filter set).
 *
 * @throws ConfigError from the constructor when the options are invalid (every problem listed).
 */
export class SlackIntegrationLogsReceiver {
  private readonly config: ResolvedConfig;
  private readonly logger: ReceiverLogger;
  private readonly exporter: AcknowledgedExporter;
  /** The streams by team ID (`''`: the token's own workspace); with `SLACK_TEAM_ID=all`, as last listed. */
  private readonly streams = new Map<string, Stream>();
  private readonly deps: StreamDeps;
  /** Each team's poll loop, stopped alone when its workspace leaves `auth.teams.list`. */
  private readonly teamLoops = new Map<Stream, { stop: AbortController; done: Promise<void> }>();
  /** `SLACK_TEAM_ID=all`: the Grid team discovery. */
  private readonly discovery: TeamDiscovery | undefined;
  private loops: Promise<void>[] | undefined;
  private keepAlive = true;
  private stopping = new AbortController();
  private pass: Promise<SyncSummary> | undefined;
  private readonly statusValue: ReceiverStatus = { running: false };
  private closed = false;
  private readonly health: ReceiverHealth;
  private readonly credentials: ReturnType<typeof credentialSourceFor>;

  /** Reads options from environment variables (see README); `overrides` win. */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    overrides: SlackIntegrationLogsReceiverOptions = {},
  ): SlackIntegrationLogsReceiver {
    const fromEnv = optionsFromEnv(env);
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return new SlackIntegrationLogsReceiver({ ...fromEnv, ...defined });
  }

  constructor(options: SlackIntegrationLogsReceiverOptions) {
    this.config = resolveConfig(options);
    this.logger = options.logger ?? stderrLogger();
    for (const warning of this.config.warnings) this.logger.warn(warning);
    this.exporter = new AcknowledgedExporter(this.config.otlp, MAX_EXPORTS_IN_FLIGHT);
    const attributes = options.resource
      ? (options.resource.attributes as Record<string, string>)
      : { ...this.config.resourceAttributes, 'service.name': this.config.serviceName };
    const metrics = new SelfMetrics(options.meterProvider);
    this.credentials = credentialSourceFor(this.config, this.logger, (error) => metrics.credentialRefresh(error));
    metrics.credentialExpiry(() => this.credentials.state().expiresAt);
    this.deps = {
      credentials: this.credentials,
      settings: this.config,
      logger: this.logger,
      exporter: this.exporter,
      resource: defaultResource().merge(resourceFromAttributes(attributes)),
      scope: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      metrics,
      slots: new TeamSlots(this.config.teamConcurrency),
      rebuildInventory: options.rebuildInventory === true,
    };
    if (this.config.allTeams) {
      this.discovery = new TeamDiscovery({
        streams: this.streams,
        deps: this.deps,
        settings: this.config,
        added: (stream) => {
          if (this.loops) this.startLoop(stream);
        },
        stop: (stream) => this.stopLoop(stream),
        failed: (error) => this.failed(error),
      });
    } else {
      const teamIds = this.config.teamIds.length > 0 ? this.config.teamIds : [undefined];
      for (const team of teamIds) this.streams.set(team ?? '', new Stream(team, this.deps));
    }
    this.health = new ReceiverHealth(this.config.healthEndpoint, () => this.status, this.config.pollIntervalMs);
  }

  private get teams(): Stream[] {
    return [...this.streams.values()];
  }

  /** The cursor file in use (absolute path); with several teams, the first team's (`SLACK_TEAM_ID=all` before a listing: the setting's). */
  get cursorFile(): string {
    return this.teams[0]?.store.path ?? resolve(this.config.cursorFile);
  }

  /** Every cursor file in use, absolute paths, by team ID (`''` without teams). */
  get cursorFiles(): Record<string, string> {
    return Object.fromEntries(this.teams.map((t) => [t.teamId ?? '', t.store.path]));
  }

  get status(): ReceiverStatus {
    return { ...this.statusValue, credentials: this.credentials.state() };
  }

  /**
   * One sync pass (every team concurrently): fetches what is new since the cursor, exports it
   * oldest first, moves the cursor after each acknowledged batch. Takes the cursor files' locks on
   * first use (held until `shutdown`).
   *
   * @throws SlackFatalError (needs a person), SlackUnavailableError, OtlpExportError, a StateFileError;
   *   with several teams, TeamsSyncError when any team failed (the others were delivered).
   */
  async syncOnce(): Promise<SyncSummary> {
    this.assertOpen();
    this.pass ??= this.passAll().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  /**
   * Starts polling every `pollInterval` (the first pass at once), each team on its own schedule.
   * @param options.keepProcessAlive `false`: the wait between polls does not keep Node running
   *   (for embedding in a host that decides when to exit). Default `true`.
   */
  async start(options: { keepProcessAlive?: boolean } = {}): Promise<void> {
    this.assertOpen();
    if (this.loops) return;
    this.stopping = new AbortController();
    this.statusValue.running = true;
    const keepAlive = options.keepProcessAlive ?? true;
    this.keepAlive = keepAlive;
    this.loops = this.discovery ? [this.discovery.loop(this.stopping.signal, keepAlive)] : [];
    for (const team of this.teams) this.startLoop(team);
    await this.health.open(keepAlive);
  }

  /**
   * Stops polling, lets a pass in progress end at its next page or batch (never moving the cursor
   * past unacknowledged records), then releases the cursor locks and the exporter. Final: the
   * receiver cannot be started again (create a new one).
   * @param options.timeoutMillis how long to wait for the pass in progress. Default 8 s.
   */
  async shutdown({ timeoutMillis = 8_000 }: { timeoutMillis?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort();
    await this.health.close();
    const settled = Promise.allSettled([
      ...(this.loops ?? []),
      ...[...this.teamLoops.values()].map((l) => l.done),
      this.pass,
      ...this.teams.map((t) => t.current),
    ]);
    const finished = await Promise.race([settled.then(() => true), sleep(timeoutMillis, false, { ref: false })]);
    this.loops = undefined;
    this.statusValue.running = false;
    const release = async () => {
      await Promise.all(this.teams.map((t) => t.close()));
      await this.exporter.shutdown().catch(() => undefined);
    };
    if (finished) {
      await release();
      return;
    }
    // An export is still waiting for the collector. Its batch may be acknowledged and the cursor
    // saved after this returns, so the lock stays held until then: another receiver taking the
    // cursor now would export the same batch again.
    this.logger.warn(
      `shutdown: a pass is still waiting (on the collector or Slack) after ${Math.round(timeoutMillis / 1000)}s; its batch is not counted as delivered and goes again next run; the cursor lock is held until it ends or the process exits`,
    );
    void settled.then(release);
  }

  /**
   * Sends the records the collector refused (the dead-letter files) again, every team in turn.
   * Those acknowledged now are removed from the files; those refused again stay. Takes the cursor
   * locks (held until `shutdown`), so it cannot run beside a receiver polling the same cursors.
   */
  async replayDeadLetters(): Promise<ReplayResult[]> {
    this.assertOpen();
    if (this.discovery && !this.discovery.listed) await this.discovery.list();
    const results: ReplayResult[] = [];
    for (const team of this.teams) results.push(await team.replayDeadLetters());
    return results;
  }

  /**
   * The app inventory of every team (docs/inventory.md), as saved with the cursors: what
   * `inventory --json` prints.
   * @throws NoInventoryError when a team has none yet (no pass has built it).
   */
  async inventory(): Promise<InventoryItem[]> {
    this.assertOpen();
    if (this.discovery && !this.discovery.listed) await this.discovery.list();
    const items: InventoryItem[] = [];
    for (const team of this.teams) items.push(...(await team.inventory()));
    return items;
  }

  /** Its exporter and record builders are shut down with it: a pass now would export nothing. */
  private assertOpen(): void {
    if (this.closed) throw new Error('this SlackIntegrationLogsReceiver was shut down: create a new one');
  }

  private async passAll(): Promise<SyncSummary> {
    const signal = this.stopping.signal;
    return this.trackStatus(async () => {
      if (this.discovery) await this.discovery.list();
      const teams = this.teams;
      if (teams.length === 1 && !this.config.allTeams) return teams[0]!.pass(signal);
      const settled = await Promise.allSettled(teams.map((t) => t.pass(signal)));
      const ok: Record<string, SyncSummary> = {};
      const errors: Record<string, Error> = {};
      settled.forEach((s, i) => {
        const team = teams[i]!.teamId!;
        if (s.status === 'fulfilled') ok[team] = s.value;
        else errors[team] = s.reason as Error;
      });
      const summary = combine(ok, errors);
      if (Object.keys(errors).length > 0) throw new TeamsSyncError(errors, summary);
      return summary;
    });
  }

  private async trackStatus(run: () => Promise<SyncSummary>): Promise<SyncSummary> {
    try {
      const summary = await run();
      this.statusValue.lastSuccessAt = Date.now();
      this.statusValue.lastError = undefined;
      this.statusValue.lastErrorType = undefined;
      this.statusValue.lastErrorReason = undefined;
      this.statusValue.lastSummary = summary;
      return summary;
    } catch (error) {
      this.failed(error as Error);
      throw error;
    }
  }

  private startLoop(team: Stream): void {
    const stop = new AbortController();
    const done = this.pollLoop(team, AbortSignal.any([this.stopping.signal, stop.signal]), this.keepAlive);
    this.teamLoops.set(team, { stop, done });
  }

  /** Stops a team's poll loop (its workspace left `auth.teams.list`); resolves once it ended. */
  private async stopLoop(team: Stream): Promise<void> {
    const loop = this.teamLoops.get(team);
    this.teamLoops.delete(team);
    loop?.stop.abort();
    await loop?.done;
  }

  /** The status after a failure, for health checks (cleared by the next success). */
  private failed(error: Error, where = ''): void {
    this.statusValue.lastError = `${where}${error.message}`;
    this.statusValue.lastErrorType = error.name;
    this.statusValue.lastErrorReason = readinessReasonOf(error);
  }

  private async pollLoop(team: Stream, signal: AbortSignal, keepAlive: boolean): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let waitMs = this.config.pollIntervalMs;
      try {
        // In one of SLACK_TEAM_CONCURRENCY's places, given back while it waits out a rate limit.
        const summary = await team.pass(signal);
        failures = 0;
        this.statusValue.lastSuccessAt = Date.now();
        this.statusValue.lastSummary = summary;
        this.statusValue.lastError = undefined;
        this.statusValue.lastErrorType = undefined;
        this.statusValue.lastErrorReason = undefined;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        waitMs =
          error instanceof SlackFatalError
            ? Math.max(FATAL_BACKOFF_MS, this.config.pollIntervalMs)
            : Math.min(MAX_FAILURE_BACKOFF_MS, this.config.pollIntervalMs * 2 ** (failures - 1));
        const where = team.teamId ? `team ${team.teamId}: ` : '';
        this.failed(error as Error, where);
        this.logger.error(`${where}${(error as Error).message}; next try in ${Math.round(waitMs / 1000)}s`, {
          consecutiveFailures: failures,
          ...(team.teamId ? { team: team.teamId } : {}),
        });
      }
      team.nextPollIn(waitMs);
      await sleep(waitMs, undefined, { signal, ref: keepAlive }).catch(() => undefined);
    }
  }
}

/** Sums the teams' summaries; `cursor` is the team furthest behind. */
function combine(ok: Record<string, SyncSummary>, errors: Record<string, Error>): SyncSummary {
  const list = Object.values(ok);
  const sum = (key: keyof SyncSummary) => list.reduce((n, s) => n + (s[key] as number), 0);
  const behind = list.reduce<SyncSummary | undefined>((a, s) => (!a || s.cursor.date < a.cursor.date ? s : a), undefined);
  return {
    fetched: sum('fetched'),
    exported: sum('exported'),
    skippedAlreadyDelivered: sum('skippedAlreadyDelivered'),
    olderThanCursor: sum('olderThanCursor'),
    slackRequests: sum('slackRequests'),
    rateLimitWaits: sum('rateLimitWaits'),
    exportBatches: sum('exportBatches'),
    order: list.find((s) => s.order !== 'unknown')?.order ?? 'unknown',
    cursor: behind?.cursor ?? { date: 0, delivered: {} },
    undatedEntries: sum('undatedEntries'),
    rejectedByCollector: sum('rejectedByCollector'),
    deadLettered: sum('deadLettered'),
    durationMillis: Math.max(0, ...list.map((s) => s.durationMillis)),
    teams: {
      ...ok,
      ...Object.fromEntries(Object.entries(errors).map(([team, e]) => [team, { error: e.message }])),
    },
  };
}
