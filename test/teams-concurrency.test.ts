import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/demo/fake-slack.js';
import { OtlpReceiver } from '../src/demo/otlp-receiver.js';
import { SlackIntegrationLogsReceiver, TeamsSyncError } from '../src/receiver.js';
import type { SlackIntegrationLogRaw } from '../src/types.js';
import { RecordingLogger } from './helpers.js';

/**
 * Enterprise Grid: all teams share one OTLPLogExporter, which fails exports at once past its
 * concurrencyLimit (30). Each team would keep EXPORTS_IN_FLIGHT (2) exports on the wire; the cap in
 * AcknowledgedExporter is for all of them together, so 16 teams never reach the exporter's limit.
 */
const TOKEN = 'xoxp-org-test-not-a-real-token';
const TEAMS = Array.from({ length: 16 }, (_, i) => `T0${String(i).padStart(3, '0')}`);
const PER_TEAM = 1_500; // 3 batches each
const entriesFor = (team: string): SlackIntegrationLogRaw[] =>
  Array.from({ length: PER_TEAM }, (_, i) => ({ app_id: `${team}-A${i}`, user_id: 'U1', date: String(1_700_000_000 + i), change_type: 'added' }));

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('many Enterprise Grid teams share one exporter', () => {
  it('16 teams against a slow collector: every team is delivered (no "Concurrent export limit reached")', async () => {
    const teams = Object.fromEntries(TEAMS.map((t) => [t, entriesFor(t)]));
    const slack = await new FakeSlack({ token: TOKEN, teams }).start();
    const otlp = await new OtlpReceiver().start();
    // A slow collector: the teams' exports overlap.
    otlp.enqueue(...Array.from({ length: TEAMS.length * 3 }, () => ({ delayMs: 100 })));
    const dir = await mkdtemp(join(tmpdir(), 'slack-integration-logs-teams-'));
    const logger = new RecordingLogger();
    const r = new SlackIntegrationLogsReceiver({
      token: TOKEN,
      slackApiUrl: slack.url,
      otlpEndpoint: otlp.url,
      cursorFile: join(dir, 'cursor.json'),
      backfillStartTime: 0,
      pageSize: 1000,
      retryDeadline: 5,
      otlpTimeoutMillis: 5000,
      slackTeamIds: TEAMS,
      logger,
    });
    cleanup.push(async () => {
      await r.shutdown(2000);
      await slack.stop();
      await otlp.stop();
      await rm(dir, { recursive: true, force: true });
    });
    let error: unknown;
    try {
      await r.syncOnce();
    } catch (e) {
      error = e;
    }
    if (error instanceof TeamsSyncError) {
      console.log('TeamsSyncError:', Object.entries(error.errors).map(([t, e]) => `${t}: ${e.message}`).slice(0, 3).join(' | '), `(${Object.keys(error.errors).length} teams failed)`);
    }
    expect(error).toBeUndefined();
    expect(new Set(otlp.records.map((x) => String(x.attributes['log.record.uid']))).size).toBe(TEAMS.length * PER_TEAM);
  }, 60_000);
});
