import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { teamChanges } from '../src/slack/teams.js';
import { resolveConfig } from '../src/config/config.js';
import { ConfigError, SlackFatalError } from '../src/core/errors.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { teamsPerTest, waitFor, savedCursor } from './helpers.js';

/** `SLACK_TEAM_ID=all` (auth.teams.list), `SLACK_TEAM_EXCLUDE`, `SLACK_TEAM_CONCURRENCY`. */

const TOKEN = 'xoxp-org-test-not-a-real-token';
const entriesFor = (team: string, n: number, start = 1_700_000_000): SlackIntegrationLogRaw[] =>
  Array.from({ length: n }, (_, i) => ({ app_id: `${team}-A${i}`, user_id: 'U1', date: String(start + i), change_type: 'added' }));
const appIds = (entries: SlackIntegrationLogRaw[]) => entries.map((e) => String(e.app_id)).sort();

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The sum of `slack.integration_logs.passes` over all its points. */
async function passesCounted(reader: TestReader): Promise<number> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  let sum = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === 'slack.integration_logs.passes') for (const point of metric.dataPoints) sum += Number(point.value);
    }
  }
  return sum;
}

const grid = teamsPerTest(TOKEN, { slackTeamIds: ['all'], retryDeadline: 5 });
const setup = grid.start;

describe('teamChanges: which teams a listing starts, stops and renames', () => {
  it('adds the new ones, removes the ones gone and the excluded, renames those named otherwise, counts a team listed twice once', () => {
    const listed = [
      { id: 'T1', name: 'one' },
      { id: 'T3', name: 'three' },
      { id: 'T3', name: 'three again' },
      { id: 'T4', name: 'four' },
      { id: 'T5', name: 'five' },
    ];
    const polled = new Map([
      ['T1', 'one'],
      ['T2', 'two'],
      ['T4', 'four'],
    ]);
    expect(teamChanges(polled, listed, ['T4'])).toEqual({
      added: [
        { id: 'T3', name: 'three' },
        { id: 'T5', name: 'five' },
      ],
      removed: ['T2', 'T4'],
      renamed: [],
    });
    // T1 renamed; T3 listed twice: its first name counts, as for a team added.
    const renamedListing = [{ id: 'T1', name: 'uno' }, ...listed];
    expect(teamChanges(new Map([...polled, ['T3', 'three']]), renamedListing, []).renamed).toEqual([{ id: 'T1', name: 'uno' }]);
    expect(teamChanges(new Map(), [], [])).toEqual({ added: [], removed: [], renamed: [] });
  });
});

describe('the settings', () => {
  it('all alone, exclusions, concurrency; all among team IDs is refused with its fix', () => {
    const config = resolveConfig({ token: TOKEN, slackTeamIds: ['ALL'], teamExclude: ['T9'], teamConcurrency: 3 });
    expect([config.allTeams, config.teamIds, config.teamExclude, config.teamConcurrency]).toEqual([true, [], ['T9'], 3]);
    expect(resolveConfig({ token: TOKEN }).teamConcurrency).toBe(8);
    const error = (() => {
      try {
        resolveConfig({ token: TOKEN, slackTeamIds: ['all', 'T1'] });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('all cannot be combined with team IDs; use all alone, and SLACK_TEAM_EXCLUDE');
  });
});

describe('SLACK_TEAM_ID=all', () => {
  it('polls every listed workspace over several auth.teams.list pages, but the excluded, with slack.team.name', async () => {
    const teams = { T1: entriesFor('T1', 4), T2: entriesFor('T2', 3), T3: entriesFor('T3', 2), T4: entriesFor('T4', 5) };
    const s = await setup({ teams, teamNames: { T1: 'Sales', T2: 'Legal', T3: 'Eng', T4: 'Ops' }, maxTeamsPerPage: 3 });
    const receiver = s.make({ backfillStartTime: 0, teamExclude: ['T2'] });
    const summary = await receiver.syncOnce();

    const listings = s.slack.requests.filter((q) => q.path.endsWith('/auth.teams.list'));
    expect(listings.map((q) => q.params.limit)).toEqual(['1000', '1000']);
    expect(listings[1]!.params.cursor).toBeTruthy();
    expect(s.appsOf('T1')).toEqual(appIds(teams.T1));
    expect(s.appsOf('T3')).toEqual(appIds(teams.T3));
    expect(s.appsOf('T4')).toEqual(appIds(teams.T4));
    expect(s.appsOf('T2')).toEqual([]);
    expect(s.slack.requests.some((q) => q.params.team_id === 'T2')).toBe(false);
    expect(s.otlp.records).toHaveLength(11);
    expect(Object.keys(summary.teams!).sort()).toEqual(['T1', 'T3', 'T4']);
    const names = Object.fromEntries(s.otlp.records.map((r) => [r.resource['slack.team.id'], r.resource['slack.team.name']]));
    expect(names).toEqual({ T1: 'Sales', T3: 'Eng', T4: 'Ops' });
    expect(s.logger.at('info').some((l) => l.message.includes('lists 4 workspace(s), 1 left out by SLACK_TEAM_EXCLUDE; polling 3'))).toBe(
      true,
    );
  });

  it('a token Slack refuses: SlackFatalError naming auth.teams.list, the code and its fix, without the token', async () => {
    const s = await setup({ teams: { T1: entriesFor('T1', 2) } });
    const wrong = 'xoxp-wrong-not-a-real-token';
    const error = await s
      .make({ token: wrong })
      .syncOnce()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackFatalError);
    expect((error as SlackFatalError).message).toBe(
      'SLACK_TEAM_ID=all: Slack auth.teams.list failed: invalid_auth: the token is not valid (or, with SLACK_TEAM_ID, its owner is not in that team): check SLACK_TOKEN',
    );
    expect(s.otlp.records).toHaveLength(0);
    expect(s.slack.requests.map((q) => q.path.split('/').pop())).toEqual(['auth.teams.list']);
  });

  it('a workspace added while polling starts from when it was found; one removed is no longer polled and keeps its cursor', async () => {
    const now = Math.floor(Date.now() / 1000);
    const s = await setup({ teams: { T1: [] }, teamNames: { T1: 'Sales' } });
    const receiver = s.make({ pollInterval: 1 });
    await receiver.start({ keepProcessAlive: false });
    // A minute ahead (Slack's clock may run up to 300 s ahead): after T1 was found, however slow the start.
    const t1Late = entriesFor('T1', 3, now + 60);
    s.slack.addToTeam('T1', ...t1Late);
    await waitFor(() => s.appsOf('T1').length === 3, 20_000, "T1's entries");

    // T2 appears with a history (before it was found) and then changes.
    const t2Old = entriesFor('T2old', 4, now - 3600);
    s.slack.addTeam('T2', 'Legal', ...t2Old);
    await waitFor(() => s.logger.at('info').some((l) => l.message.startsWith('team T2 (Legal) appeared')), 20_000, 'T2 found');
    const t2New = entriesFor('T2', 2, Math.floor(Date.now() / 1000) + 60);
    s.slack.addToTeam('T2', ...t2New);
    await waitFor(() => s.appsOf('T2').length >= 2, 20_000, "T2's new entries");

    s.slack.removeTeam('T1');
    await waitFor(
      () => s.logger.at('warn').some((l) => l.message.startsWith('team T1 is no longer in auth.teams.list')),
      20_000,
      'T1 gone',
    );
    const requestsAtRemoval = s.slack.requests.filter((q) => q.params.team_id === 'T1').length;
    // Two more listings: T1 is not asked for again.
    const listings = () => s.slack.requests.filter((q) => q.path.endsWith('/auth.teams.list')).length;
    const seen = listings();
    await waitFor(() => listings() >= seen + 2, 20_000, 'two more listings');

    expect(s.slack.requests.filter((q) => q.params.team_id === 'T1')).toHaveLength(requestsAtRemoval);
    expect(s.appsOf('T1')).toEqual(appIds(t1Late));
    expect(s.appsOf('T2')).toEqual(appIds(t2New));
    const found = s.logger.at('info').find((l) => l.message.startsWith('team T2 (Legal) appeared'))!.message;
    expect(found).toContain('SLACK_BACKFILL_START_TIME unset: from when it was found');
    const t1Cursor = join(s.dir, 'cursor.T1.json');
    expect(existsSync(t1Cursor)).toBe(true);
    expect(savedCursor(readFileSync(t1Cursor, 'utf8')).position.date).toBe(now + 62);
    expect(s.logger.at('warn').find((l) => l.message.startsWith('team T1 is no longer'))!.message).toContain(
      `its cursor ${t1Cursor} is kept`,
    );
  }, 90_000);

  it('a workspace renamed while polling: its records carry the new slack.team.name from the next listing on, without a restart', async () => {
    const s = await setup({ teams: { T1: entriesFor('T1', 2), T2: entriesFor('T2', 1) }, teamNames: { T1: 'Sales', T2: 'Legal' } });
    const receiver = s.make({ pollInterval: 1, backfillStartTime: 0 });
    await receiver.start({ keepProcessAlive: false });
    await waitFor(() => s.appsOf('T1').length === 2, 20_000, "T1's entries");
    s.slack.renameTeam('T1', 'Sales EMEA');
    await waitFor(() => s.logger.at('info').some((l) => l.message.startsWith('team T1 is now named')), 20_000, 'the rename seen');
    const later = entriesFor('T1late', 2, Math.floor(Date.now() / 1000) + 5);
    s.slack.addToTeam('T1', ...later);
    await waitFor(() => s.appsOf('T1').length === 4, 20_000, "T1's later entries");

    const nameOf = (app: string) =>
      s.otlp.records.find((r) => r.attributes['slack.integration.app_id'] === app)!.resource['slack.team.name'];
    expect(entriesFor('T1', 2).map((e) => nameOf(String(e.app_id)))).toEqual(['Sales', 'Sales']);
    expect(later.map((e) => nameOf(String(e.app_id)))).toEqual(['Sales EMEA', 'Sales EMEA']);
    expect(nameOf('T2-A0')).toBe('Legal');
    expect(s.logger.at('info').find((l) => l.message.startsWith('team T1 is now named'))!.message).toBe(
      'team T1 is now named Sales EMEA in auth.teams.list (was Sales): its records carry the new slack.team.name',
    );
    // Renamed, not removed and added again: one stream, its cursor and loop kept.
    expect(s.logger.at('warn').filter((l) => l.message.includes('no longer in auth.teams.list'))).toEqual([]);
  }, 90_000);

  it('with SLACK_BACKFILL_START_TIME=0, a workspace added while polling is read from its beginning, each entry once', async () => {
    const s = await setup({ teams: { T1: entriesFor('T1', 2) } });
    const receiver = s.make({ pollInterval: 1, backfillStartTime: 0 });
    await receiver.start({ keepProcessAlive: false });
    await waitFor(() => s.appsOf('T1').length === 2, 20_000, "T1's entries");
    const t2 = entriesFor('T2', 25);
    s.slack.addTeam('T2', 'Legal', ...t2);
    await waitFor(() => s.appsOf('T2').length >= 25, 20_000, "T2's entries");
    const listings = () => s.slack.requests.filter((q) => q.path.endsWith('/auth.teams.list')).length;
    const seen = listings();
    await waitFor(() => listings() >= seen + 2, 20_000, 'two more listings');
    expect(s.appsOf('T2')).toEqual(appIds(t2));
    expect(s.appsOf('T1')).toEqual(appIds(entriesFor('T1', 2)));
  }, 90_000);
});

describe('SLACK_TEAM_CONCURRENCY', () => {
  it('never more Slack requests in flight than teams allowed at once, and every record delivered once', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `T${String(i).padStart(2, '0')}`);
    const teams = Object.fromEntries(ids.map((t) => [t, entriesFor(t, 15)]));
    const s = await setup({ teams });
    // Slow answers: the teams' requests would overlap without the limit.
    s.slack.enqueue(...Array.from({ length: 60 }, () => ({ delayMs: 40 })));
    await s.make({ slackTeamIds: ids, teamConcurrency: 3, backfillStartTime: 0 }).syncOnce();
    expect(s.slack.maxInFlight).toBeLessThanOrEqual(3);
    expect(s.slack.maxInFlight).toBeGreaterThan(1);
    expect(new Set(s.otlp.records.map((r) => String(r.attributes['log.record.uid']))).size).toBe(12 * 15);
    expect(s.otlp.records).toHaveLength(12 * 15);
  });

  it('a team waiting out a 429 gives its place back: with one place, the other team is read and delivered during the wait', async () => {
    const teams = { T1: entriesFor('T1', 3), T2: entriesFor('T2', 3) };
    const s = await setup({ teams });
    s.slack.enqueue({ status: 429, headers: { 'retry-after': '2' }, body: 'slow down' });
    await s.make({ slackTeamIds: ['T1', 'T2'], teamConcurrency: 1, backfillStartTime: 0 }).syncOnce();
    const logs = s.slack.requests.filter((q) => q.path.endsWith('/team.integrationLogs')).map((q) => q.params.team_id);
    const limited = logs[0]!;
    const other = limited === 'T1' ? 'T2' : 'T1';
    // The limited team's 429, the other team's page while it waits, then its retry.
    expect(logs).toEqual([limited, other, limited]);
    expect(s.otlp.records.map((r) => String(r.resource['slack.team.id']))).toEqual([other, other, other, limited, limited, limited]);
    // Requests in flight stay within the one place.
    expect(s.slack.maxInFlight).toBe(1);
  });

  it('a 429 on one team delays that team, not the others', async () => {
    const teams = { T1: entriesFor('T1', 3), T2: entriesFor('T2', 3), T3: entriesFor('T3', 3) };
    const s = await setup({ teams });
    // The first request to arrive gets the 429: 3 s, a hundred times what the other two teams take.
    s.slack.enqueue({ status: 429, headers: { 'retry-after': '3' }, body: 'slow down' });
    await s.make({ slackTeamIds: ['T1', 'T2', 'T3'], teamConcurrency: 2, backfillStartTime: 0 }).syncOnce();
    const limited = s.slack.requests[0]!.params.team_id!;
    const others = ['T1', 'T2', 'T3'].filter((t) => t !== limited);
    const order = s.otlp.records.map((r) => String(r.resource['slack.team.id']));
    expect(order).toHaveLength(9);
    // The other two were delivered while the limited team waited out its 3 s.
    expect(order.slice(0, 6).sort()).toEqual(others.flatMap((t) => [t, t, t]).sort());
    expect(order.slice(6)).toEqual([limited, limited, limited]);
  });
  it('a shutdown while teams wait for the one place counts only the pass that ran, not the ones that never started', async () => {
    const teams = { T1: entriesFor('T1', 3), T2: entriesFor('T2', 3), T3: entriesFor('T3', 3) };
    const s = await setup({ teams });
    // The first page asked for is slow: the two other teams wait for the one place meanwhile.
    s.slack.enqueue({ delayMs: 5000 });
    const reader = new TestReader();
    const receiver = s.make({
      slackTeamIds: ['T1', 'T2', 'T3'],
      teamConcurrency: 1,
      backfillStartTime: 0,
      meterProvider: new MeterProvider({ readers: [reader] }),
    });
    const once = receiver.syncOnce().catch((error: unknown) => error);
    await waitFor(() => s.slack.requests.some((q) => q.path.endsWith('/team.integrationLogs')), 20_000);
    await receiver.shutdown({ timeoutMillis: 5000 });
    await once;
    expect(s.slack.requests.filter((q) => q.path.endsWith('/team.integrationLogs'))).toHaveLength(1);
    expect(await passesCounted(reader)).toBe(1);
  });
});
