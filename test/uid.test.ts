/**
 * `log.record.uid`: stable (a single-workspace cursor's uids are what they were before
 * teams existed), and dead letters replayed with their original uid and time.
 *
 * Expected uids are computed here from the fixtures with node:crypto, as the README defines them:
 * fingerprint = first 32 hex of SHA-256 over the entry's JSON with keys sorted (`date` a number,
 * `service_id` a string); uid = first 32 hex of SHA-256 over `fingerprint:occurrence`, with
 * `team:` in front when teams are configured.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { appIdOf, BASE_DATE, harnessPerTest, makeEntries, readDeadLetters, type Harness } from './helpers.js';

const harness = harnessPerTest();
let h: Harness;

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function fingerprint(entry: SlackIntegrationLogRaw): string {
  const fields: Record<string, unknown> = { ...entry, date: Number(entry.date) };
  if (typeof fields.service_id === 'number') fields.service_id = String(fields.service_id);
  const sorted = Object.fromEntries(
    Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k]]),
  );
  return sha(JSON.stringify(sorted)).slice(0, 32);
}

const uid = (entry: SlackIntegrationLogRaw, occurrence: number, team?: string) =>
  sha(`${team ? `${team}:` : ''}${fingerprint(entry)}:${occurrence}`).slice(0, 32);

describe('the uid of a delivered record', () => {
  it('a single-workspace cursor: every uid is sha256(fingerprint:occurrence), identical entries in one second numbered 0, 1, 2', async () => {
    const same: SlackIntegrationLogRaw = {
      app_id: 'ATWIN',
      user_id: 'U1',
      date: String(BASE_DATE + 50),
      change_type: 'added',
      service_id: 7 as unknown as string,
    };
    const entries = [...makeEntries(5), same, { ...same }, { ...same }];
    h = await harness.start({ entries });
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    const want = [...makeEntries(5).map((e) => uid(e, 0)), uid(same, 0), uid(same, 1), uid(same, 2)].sort();
    expect(h.collector.records.map((r) => String(r.attributes['log.record.uid'])).sort()).toEqual(want);
  });

  it('with SLACK_TEAM_ID: sha256(team:fingerprint:occurrence), and no slack.team.id among the record attributes', async () => {
    const entries = makeEntries(4);
    h = await harness.start({ teams: { T0AAA: entries } });
    await h.receiver({ backfillStartTime: 0, slackTeamIds: ['T0AAA'] }).syncOnce();
    expect(h.collector.records.map((r) => String(r.attributes['log.record.uid'])).sort()).toEqual(
      entries.map((e) => uid(e, 0, 'T0AAA')).sort(),
    );
    expect(h.collector.records.every((r) => r.resource['slack.team.id'] === 'T0AAA' && !('slack.team.id' in r.attributes))).toBe(true);
  });
});

describe('the uid and time of a replayed dead letter', () => {
  async function deadLetterOne(options: Record<string, unknown> = {}) {
    const entries = makeEntries(6);
    const poison = entries[3]!;
    h = await harness.start({ entries });
    h.collector.refuseRecord = (r) => appIdOf(r) === poison.app_id;
    const r = h.receiver({ backfillStartTime: 0, ...options });
    expect((await r.syncOnce()).deadLettered).toBe(1);
    const file = deadLetterFileFor(h.cursorFile);
    return { entries, poison, r, file, letter: readDeadLetters(file)[0]! };
  }

  it('a replay carries the original uid (independently computed) and the entry time', async () => {
    const { poison, r, letter } = await deadLetterOne();
    expect(letter['log.record.uid']).toBe(uid(poison, 0));
    h!.collector.refuseRecord = undefined;
    await r.replayDeadLetters();
    const got = h!.collector.records.filter((rec) => appIdOf(rec) === poison.app_id);
    expect(got.map((g) => [g.attributes['log.record.uid'], g.timeUnixNano])).toEqual([
      [uid(poison, 0), BigInt(poison.date!) * 1_000_000_000n],
    ]);
  });

  it('a dead letter whose entry the person corrected (the field the collector refused) is replayed with the uid written in the file', async () => {
    // The collector refuses an app_type it cannot take; the person fixes that field in the file.
    const { poison, r, file, letter } = await deadLetterOne();
    writeFileSync(file, `${JSON.stringify({ ...letter, entry: { ...letter.entry, app_type: 'fixed' } })}\n`);
    h!.collector.refuseRecord = undefined;
    await r.replayDeadLetters();
    const got = h!.collector.records.filter((rec) => appIdOf(rec) === poison.app_id);
    expect(got.map((g) => g.attributes['log.record.uid'])).toEqual([letter['log.record.uid']]);
  });

  it('a dead letter without its occurrence (a hand-edited line) is refused with a clear message or replayed with its own uid, never a uid of "undefined"', async () => {
    const { poison, r, file, letter } = await deadLetterOne();
    const { occurrence: _dropped, ...rest } = letter;
    writeFileSync(file, `${JSON.stringify(rest)}\n`);
    h!.collector.refuseRecord = undefined;
    const outcome = await r.replayDeadLetters().then(
      () => 'replayed',
      (e: Error) => `refused: ${e.message}`,
    );
    if (outcome === 'replayed') {
      const got = h!.collector.records.filter((rec) => appIdOf(rec) === poison.app_id);
      expect(got.map((g) => g.attributes['log.record.uid'])).toEqual([letter['log.record.uid']]);
    } else {
      expect(outcome).toMatch(/occurrence/);
    }
  });

  it("replayed with SLACK_TIMESTAMP_POLICY=observed (as docs/delivery.md advises for Loki), the record time is the replay's", async () => {
    const { poison, r, file } = await deadLetterOne();
    await h!.shutdown(r);
    await new Promise((resolve) => setTimeout(resolve, 50));
    h!.collector.refuseRecord = undefined;
    // A new run for the replay, as `SLACK_TIMESTAMP_POLICY=observed slack-integration-logs --replay-dead-letters`.
    const replayer = h!.receiver({ timestampPolicy: 'observed' });
    const before = BigInt(Date.now()) * 1_000_000n;
    expect(existsSync(file)).toBe(true);
    expect(await replayer.replayDeadLetters()).toEqual([{ delivered: 1, remaining: 0, file }]);
    const got = h!.collector.records.filter((rec) => appIdOf(rec) === poison.app_id);
    expect(got).toHaveLength(1);
    expect(got[0]!.attributes['slack.integration.date']).toBe(Number(poison.date));
    expect(got[0]!.timeUnixNano).toBeGreaterThanOrEqual(before);
  });
});
