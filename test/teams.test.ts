import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/testing/fake-slack.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { teamAppIds as appsOf, teamsPerTest, savedCursor } from './helpers.js';
import { TeamsSyncError } from '../src/core/errors.js';

/** Enterprise Grid: several teams in one process, each with its own cursor; and filter sets. */

const TOKEN = 'xoxp-org-test-not-a-real-token';
const entriesFor = (team: string, n: number, start = 1_700_000_000): SlackIntegrationLogRaw[] =>
  Array.from({ length: n }, (_, i) => ({
    app_id: `${team}-A${i}`,
    user_id: 'U1',
    date: String(start + i),
    change_type: i % 2 ? 'added' : 'removed',
  }));

const grid = teamsPerTest(TOKEN, { backfillStartTime: 0, retryDeadline: 3 });
const setup = (teams: Record<string, SlackIntegrationLogRaw[]>) => grid.start({ teams });

describe('SLACK_TEAM_ID: several teams', () => {
  it('sends team_id on every request, tags every record, and keeps one cursor per team', async () => {
    const s = await setup({ T0AAA: entriesFor('T0AAA', 25), T0BBB: entriesFor('T0BBB', 7) });
    const receiver = s.make({ slackTeamIds: ['T0AAA', 'T0BBB'] });
    const summary = await receiver.syncOnce();

    expect(appsOf(s.otlp, 'T0AAA')).toEqual(
      entriesFor('T0AAA', 25)
        .map((e) => e.app_id)
        .sort(),
    );
    expect(appsOf(s.otlp, 'T0BBB')).toEqual(
      entriesFor('T0BBB', 7)
        .map((e) => e.app_id)
        .sort(),
    );
    expect(s.otlp.records).toHaveLength(32);
    expect(s.slack.requests.every((q) => q.params.team_id === 'T0AAA' || q.params.team_id === 'T0BBB')).toBe(true);
    expect(summary.exported).toBe(32);
    expect(Object.keys(summary.teams!).sort()).toEqual(['T0AAA', 'T0BBB']);

    const files = receiver.cursorFiles;
    expect(files).toEqual({ T0AAA: join(s.dir, 'cursor.T0AAA.json'), T0BBB: join(s.dir, 'cursor.T0BBB.json') });
    expect(savedCursor(readFileSync(files.T0AAA!, 'utf8')).position.date).toBe(1_700_000_024);
    expect(savedCursor(readFileSync(files.T0BBB!, 'utf8')).position.date).toBe(1_700_000_006);
  });

  it('an entry added to one team is delivered once, for that team only', async () => {
    const s = await setup({ T0AAA: entriesFor('T0AAA', 5), T0BBB: entriesFor('T0BBB', 5) });
    const receiver = s.make({ slackTeamIds: ['T0AAA', 'T0BBB'] });
    await receiver.syncOnce();
    s.slack.addToTeam('T0BBB', { app_id: 'T0BBB-new', user_id: 'U9', date: String(1_700_000_100), change_type: 'added' });
    const second = await receiver.syncOnce();
    expect(second.exported).toBe(1);
    expect((second.teams!.T0AAA as { exported: number }).exported).toBe(0);
    expect(appsOf(s.otlp, 'T0BBB')).toContain('T0BBB-new');
    expect(s.otlp.records.filter((r) => r.attributes['slack.integration.app_id'] === 'T0BBB-new')).toHaveLength(1);
    expect(appsOf(s.otlp, 'T0AAA')).toHaveLength(5);
  });

  it("one team's fatal error leaves the others delivering, and is reported for that team", async () => {
    // T0CCC is not served: Slack answers invalid_auth, as when the token's owner is not in the team.
    const s = await setup({ T0AAA: entriesFor('T0AAA', 12) });
    const receiver = s.make({ slackTeamIds: ['T0AAA', 'T0CCC'] });
    const error = await receiver.syncOnce().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TeamsSyncError);
    const teamsError = error as TeamsSyncError;
    expect(Object.keys(teamsError.errors)).toEqual(['T0CCC']);
    expect(teamsError.message).toContain('team T0CCC');
    expect(teamsError.message).toContain('invalid_auth');
    expect(teamsError.summary.exported).toBe(12);
    expect(appsOf(s.otlp, 'T0AAA')).toHaveLength(12);
    // The broken team's cursor holds only its start, so a fix later loses nothing in between.
    expect(savedCursor(readFileSync(join(s.dir, 'cursor.T0CCC.json'), 'utf8')).position).toEqual({ date: 0, delivered: {} });

    // Polling: the healthy team keeps delivering while the broken one backs off.
    s.slack.addToTeam('T0AAA', { app_id: 'T0AAA-late', user_id: 'U9', date: String(1_700_000_200), change_type: 'added' });
    const poller = s.make({ slackTeamIds: ['T0AAA', 'T0CCC'], pollInterval: 1, cursorFile: join(s.dir, 'cursor.json') });
    await receiver.shutdown({ timeoutMillis: 2000 });
    await poller.start();
    const until = Date.now() + 30_000;
    const brokenLogged = () => s.logger.at('error').some((l) => l.message.startsWith('team T0CCC:') && l.message.includes('invalid_auth'));
    while (!(appsOf(s.otlp, 'T0AAA').includes('T0AAA-late') && brokenLogged()) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(appsOf(s.otlp, 'T0AAA').filter((a) => a === 'T0AAA-late')).toHaveLength(1);
    expect(brokenLogged()).toBe(true);
  });
});

describe('filters', () => {
  it('sends the filters on every page, and a changed filter set gets a cursor of its own', async () => {
    const base = entriesFor('W', 30);
    const s = await setup({});
    await s.slack.stop();
    const slack = await new FakeSlack({ token: TOKEN, entries: base }).start();
    grid.onCleanup(() => slack.stop());
    const make = (filters: Record<string, string>) => s.make({ slackApiUrl: slack.url, filters });

    const removed = make({ change_type: 'removed' });
    await removed.syncOnce();
    await removed.shutdown({ timeoutMillis: 2000 });
    expect(slack.requests.length).toBeGreaterThanOrEqual(2);
    expect(slack.requests.every((q) => q.params.change_type === 'removed')).toBe(true);
    const wantRemoved = base
      .filter((e) => e.change_type === 'removed')
      .map((e) => e.app_id)
      .sort();
    expect(s.otlp.records.map((r) => String(r.attributes['slack.integration.app_id'])).sort()).toEqual(wantRemoved);

    const added = make({ change_type: 'added' });
    expect(added.cursorFile).not.toBe(removed.cursorFile);
    expect(added.cursorFile).toMatch(/cursor\.f-[0-9a-f]{8}\.json$/);
    await added.syncOnce();
    const wantAll = base.map((e) => e.app_id).sort();
    expect(s.otlp.records.map((r) => String(r.attributes['slack.integration.app_id'])).sort()).toEqual(wantAll);
    const saved = savedCursor(readFileSync(added.cursorFile, 'utf8'));
    expect(saved.scope).toEqual({ filters: { change_type: 'added' } });
  });
});

describe('many Enterprise Grid teams share one exporter', () => {
  // The exporter fails exports at once past its concurrencyLimit (30). Each team would keep
  // EXPORTS_IN_FLIGHT (2) on the wire; the cap in AcknowledgedExporter is for all teams together.
  it('16 teams against a slow collector: every team is delivered (no "Concurrent export limit reached")', async () => {
    const teams = Array.from({ length: 16 }, (_, i) => `T0${String(i).padStart(3, '0')}`);
    const perTeam = 1_500;
    const s = await setup(Object.fromEntries(teams.map((t) => [t, entriesFor(t, perTeam)])));
    // A slow collector: the teams' exports overlap.
    s.otlp.enqueue(...Array.from({ length: teams.length * 6 }, () => ({ delayMs: 100 })));
    await s.make({ slackTeamIds: teams, pageSize: 1000, retryDeadline: 5, otlpTimeoutMillis: 5000 }).syncOnce();
    expect(new Set(s.otlp.records.map((x) => String(x.attributes['log.record.uid']))).size).toBe(teams.length * perTeam);
  }, 60_000);
});
