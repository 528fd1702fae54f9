/**
 * `npm run bench`, teams scenario: 500 Enterprise Grid workspaces × 20 entries, `SLACK_TEAM_ID=all`,
 * one pass (the backfill), then one more over the idle teams; against one workspace × 20 entries.
 * The fake Slack and the collector run here; the receiver in a fresh process (teams-subject.mjs),
 * so its peak RSS and file descriptors are its own. Prints a table and the targets with
 * PASS/FAIL, then one JSON line with every figure (`allPass`). Like bench/run.mjs, it exits 0 unless
 * it could not run.
 *
 * Options:
 *   --teams=500 --entries=20
 *   --concurrency=8        SLACK_TEAM_CONCURRENCY values to run, comma-separated (default: the default, 8)
 *   --slack-latency=100    milliseconds the fake Slack takes to answer (Slack's own is 100-300 ms):
 *                          with none, a request is over before the next team's starts
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeCollector, FakeSlack } from '../dist/testing/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const TOKEN = 'xoxp-bench-not-a-real-token';
const TARGETS = { rssAboveOneTeamMB: 200, idleRequestsPerTeam: 1 };

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k, v.join('=') || 'true'];
  }),
);
const TEAMS = Number(args.teams ?? 500);
const ENTRIES = Number(args.entries ?? 20);
const LATENCY_MS = Number(args['slack-latency'] ?? 100);
const CONCURRENCIES = String(args.concurrency ?? '8')
  .split(',')
  .map(Number);

const entriesOf = (team) =>
  Array.from({ length: ENTRIES }, (_, i) => ({
    app_id: `A${team}${i}`,
    app_type: 'app',
    user_id: 'U0BENCH',
    user_name: 'bench',
    date: String(1_700_000_000 + i),
    change_type: i % 3 ? 'added' : 'removed',
    scope: 'channels:read,chat:write',
  }));

function subject() {
  const child = fork(join(here, 'teams-subject.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else w.reject(new Error(m.error));
  });
  const ask = (cmd, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      child.send({ id, cmd, ...extra });
    });
  return { ask };
}

/** One run: a fresh fake Slack with `teams` workspaces (`all`) or one (the token's own), a fresh collector. */
async function run({ teams, all, concurrency }) {
  const ids = Array.from({ length: teams }, (_, i) => `T${String(i).padStart(5, '0')}`);
  const slack = await new FakeSlack(
    all
      ? { token: TOKEN, latencyMs: LATENCY_MS, teams: Object.fromEntries(ids.map((t) => [t, entriesOf(t)])) }
      : { token: TOKEN, latencyMs: LATENCY_MS, entries: entriesOf('T') },
  ).start();
  const otlp = await new FakeCollector().start();
  const dir = await mkdtemp(join(tmpdir(), 'bench-teams-'));
  const s = subject();
  try {
    await s.ask('init', { slackUrl: slack.url, otlpUrl: otlp.url, cursorFile: join(dir, 'cursor.json'), token: TOKEN, all, concurrency });
    const first = await s.ask('pass');
    const firstInFlight = slack.maxInFlight;
    // The entries' records; each team's inventory snapshot comes besides (counted apart).
    const changes = otlp.records.filter((r) => r.eventName !== 'slack.integration.inventory');
    const uids = changes.map((r) => String(r.attributes['log.record.uid']));
    const snapshots = otlp.records.length - changes.length;
    const before = slack.requests.length;
    const idle = await s.ask('pass');
    const idleRequests = slack.requests.slice(before);
    await s.ask('exit');
    return {
      teams: all ? teams : 1,
      concurrency: all ? (concurrency ?? 8) : 1,
      wallMs: Math.round(first.wallMs),
      peakRssMB: Math.round(first.peakRssMB),
      maxSlackInFlight: firstInFlight,
      fds: first.fds,
      records: uids.length,
      distinctRecords: new Set(uids).size,
      expectedRecords: (all ? teams : 1) * ENTRIES,
      inventoryRecords: snapshots,
      idleWallMs: Math.round(idle.wallMs),
      idleLogRequests: idleRequests.filter((q) => q.path.endsWith('/team.integrationLogs')).length,
      idleListings: idleRequests.filter((q) => q.path.endsWith('/auth.teams.list')).length,
      warnings: first.logged.warn + first.logged.error,
      firstWarnings: first.logged.messages,
    };
  } finally {
    await slack.stop();
    await otlp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

process.stderr.write(
  `bench teams: 1 team × ${ENTRIES}, then ${TEAMS} teams × ${ENTRIES} at concurrency ${CONCURRENCIES.join(', ')}; Slack answers in ${LATENCY_MS} ms\n`,
);
const one = await run({ teams: 1, all: false });
const rows = [one];
for (const concurrency of CONCURRENCIES) rows.push(await run({ teams: TEAMS, all: true, concurrency }));

const line = (cells) => `| ${cells.join(' | ')} |`;
console.log(
  line(['teams', 'concurrency', 'wall', 'peak RSS', 'Slack in flight', 'fds', 'records (distinct/expected)', 'idle pass', 'idle requests']),
);
console.log(line(Array(9).fill('---')));
for (const r of rows) {
  console.log(
    line([
      r.teams,
      r.concurrency,
      `${(r.wallMs / 1000).toFixed(2)} s`,
      `${r.peakRssMB} MB`,
      r.maxSlackInFlight,
      r.fds,
      `${r.distinctRecords}/${r.expectedRecords} (${r.records} received)`,
      `${(r.idleWallMs / 1000).toFixed(2)} s`,
      `${r.idleLogRequests} + ${r.idleListings} listing`,
    ]),
  );
}
const checks = [];
for (const r of rows.slice(1)) {
  const at = `${r.teams} teams, concurrency ${r.concurrency}`;
  checks.push([
    `${at}: peak RSS ${r.peakRssMB} MB <= one team's ${one.peakRssMB} + ${TARGETS.rssAboveOneTeamMB} MB`,
    r.peakRssMB <= one.peakRssMB + TARGETS.rssAboveOneTeamMB,
  ]);
  checks.push([`${at}: Slack requests in flight ${r.maxSlackInFlight} <= ${r.concurrency}`, r.maxSlackInFlight <= r.concurrency]);
  checks.push([
    `${at}: every record delivered once (${r.records} received, ${r.distinctRecords} distinct, ${r.expectedRecords} expected)`,
    r.records === r.expectedRecords && r.distinctRecords === r.expectedRecords,
  ]);
  checks.push([
    `${at}: idle pass ${r.idleLogRequests} team.integrationLogs requests <= ${TARGETS.idleRequestsPerTeam} per team`,
    r.idleLogRequests <= r.teams * TARGETS.idleRequestsPerTeam,
  ]);
}
for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
console.log(
  JSON.stringify({
    scenario: 'teams',
    entriesPerTeam: ENTRIES,
    slackLatencyMs: LATENCY_MS,
    targets: TARGETS,
    allPass: checks.every(([, ok]) => ok),
    rows,
  }),
);
