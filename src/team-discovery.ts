import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedConfig } from './config/config.js';
import { isoSeconds } from './core/logger.js';
import { listTeams, teamChanges, type ListedTeam } from './slack/teams.js';
import { Stream, type StreamDeps } from './stream.js';

export interface TeamDiscoveryOptions {
  /** The streams by team ID, the receiver's: discovery adds and removes them. */
  streams: Map<string, Stream>;
  /** What every stream gets; a discovered one gets its own start and `slack.team.name`. */
  deps: StreamDeps;
  settings: Pick<
    ResolvedConfig,
    'slackApiUrl' | 'teamExclude' | 'backfillStart' | 'backfillStartExplicit' | 'teamConcurrency' | 'pollIntervalMs'
  >;
  /** A stream was added: the receiver starts its poll loop when polling. */
  added(stream: Stream): void;
  /** A stream is removed: resolves once its poll loop stopped (after its pass in progress). */
  stop(stream: Stream): Promise<void>;
  /** A listing of the loop failed: the receiver's status says so. */
  failed(error: Error): void;
}

/**
 * `SLACK_TEAM_ID=all`: the Grid team discovery. Lists the workspaces (`auth.teams.list`), starts a
 * stream for each new one, stops those no longer listed (their cursor files stay), and gives a
 * renamed one its new `slack.team.name`. One listing at a time; while polling, one every poll interval.
 */
export class TeamDiscovery {
  /** Whether a listing succeeded yet. */
  listed = false;
  private listing: Promise<void> | undefined;

  constructor(private readonly options: TeamDiscoveryOptions) {}

  /**
   * Lists the workspaces and applies what changed; a call while one runs gets the same promise.
   * @throws when the listing fails and no listing succeeded yet; later, the teams listed before stay.
   */
  list(): Promise<void> {
    this.listing ??= this.applyListing().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  /** Lists the workspaces again every poll interval, until `signal`. */
  async loop(signal: AbortSignal, keepAlive: boolean): Promise<void> {
    const { pollIntervalMs } = this.options.settings;
    while (!signal.aborted) {
      try {
        await this.list();
      } catch (error) {
        this.options.failed(error as Error);
        this.options.deps.logger.error(`${(error as Error).message}; next try in ${Math.round(pollIntervalMs / 1000)}s`);
      }
      await sleep(pollIntervalMs, undefined, { signal, ref: keepAlive }).catch(() => undefined);
    }
  }

  private async applyListing(): Promise<void> {
    const { streams, deps, settings } = this.options;
    const { logger, metrics } = deps;
    let listed: ListedTeam[];
    try {
      listed = await listTeams({ credentials: deps.credentials, slackApiUrl: settings.slackApiUrl });
    } catch (error) {
      if (!this.listed) throw error;
      logger.error(`${(error as Error).message}; the teams listed before are polled meanwhile`);
      return;
    }
    const first = !this.listed;
    const polled = new Map([...streams].map(([id, stream]) => [id, stream.teamName]));
    const { added, removed, renamed } = teamChanges(polled, listed, settings.teamExclude);
    for (const id of removed) await this.remove(id);
    for (const team of renamed) {
      const stream = streams.get(team.id)!;
      logger.info(
        `team ${team.id} is now named ${team.name} in auth.teams.list (was ${stream.teamName}): its records carry the new slack.team.name`,
        {
          team: team.id,
        },
      );
      stream.rename(team.name);
    }
    const { backfillStart, backfillStartExplicit } = settings;
    for (const team of added) {
      // A workspace found later starts when it was found, unless SLACK_BACKFILL_START_TIME says otherwise.
      const start = backfillStartExplicit || first ? backfillStart : Math.floor(Date.now() / 1000);
      const stream = new Stream(team.id, { ...deps, settings: { ...deps.settings, backfillStart: start }, teamName: team.name });
      streams.set(team.id, stream);
      if (!first) {
        metrics.teamChange(team.id, 'added');
        logger.info(
          `team ${team.id} (${team.name}) appeared in auth.teams.list: polled from now on, from ${isoSeconds(start)} when it has no cursor (${backfillStartExplicit ? 'SLACK_BACKFILL_START_TIME' : 'SLACK_BACKFILL_START_TIME unset: from when it was found'})`,
          { team: team.id },
        );
      }
      this.options.added(stream);
    }
    if (first) {
      const excluded = listed.length - added.length;
      logger.info(
        `SLACK_TEAM_ID=all: auth.teams.list lists ${listed.length} workspace(s)${excluded > 0 ? `, ${excluded} left out by SLACK_TEAM_EXCLUDE` : ''}; polling ${added.length}, ${settings.teamConcurrency} at once`,
      );
    }
    this.listed = true;
  }

  /** A workspace left `auth.teams.list`: its loop stops after its pass in progress, its cursor lock is released, its files stay. */
  private async remove(id: string): Promise<void> {
    const { streams, deps } = this.options;
    const stream = streams.get(id)!;
    streams.delete(id);
    await this.options.stop(stream);
    await stream.current;
    await stream.close();
    deps.metrics.teamChange(id, 'removed');
    deps.logger.warn(`team ${id} is no longer in auth.teams.list: no longer polled; its cursor ${stream.store.path} is kept`, { team: id });
  }
}
