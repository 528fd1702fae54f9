#!/usr/bin/env node
// Turns every rule's example entries into records the receiver really produced, as JSON lines.
//
// The examples (detections/examples/*.yml) are served by the local fake Slack; the built CLI
// (`node dist/cli.js --once`) pulls them and exports to the local OTLP receiver, which decodes what
// it gets. This runs twice: once as a plain workspace, once as an Enterprise Grid team
// (SLACK_TEAM_ID), so the rules are proven on both shapes of record. Each entry carries one extra
// field, `detection_example` (the mapping keeps unknown fields, as Slack sends some), so every record
// can be traced back to its example: `<rule>:<positive|negative>:<i>`, or `...:<i>:before:<j>` for
// the entries an example lists under `before`. The inventory snapshots the pass ends with (event
// slack.integration.inventory) carry no entry's fields; each is named `inventory:<app_id>` (or
// `inventory:<service_id>:<service_type>`), which an example's `snapshot_of` refers to.
//
// Usage: node scripts/detections/records.mjs <out.jsonl>   (after `npm run build`)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { FakeSlack } from '../../dist/testing/fake-slack.js';
import { FakeCollector } from '../../dist/testing/fake-collector.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'detections', 'examples');
const TOKEN = 'xoxp-detections-test-not-a-real-token';
const GRID_TEAM = 'T0DETECTIONS';
const EXAMPLE_FIELD = 'detection_example';

/** Every entry the examples hold, file by file, earlier entries before their example: `{id, entry}`, marked with its id. */
function examples() {
  const out = [];
  const push = (id, entry) => {
    if (entry === null || typeof entry !== 'object') throw new Error(`${id}: no entry`);
    out.push({ id, entry: { ...entry, [EXAMPLE_FIELD]: id } });
  };
  for (const file of readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yml'))
    .sort()) {
    const doc = YAML.parse(readFileSync(join(EXAMPLES, file), 'utf8'));
    const stem = basename(file, '.yml');
    for (const kind of ['positive', 'negative']) {
      (doc[kind] ?? []).forEach((example, i) => {
        const id = `${stem}:${kind}:${i}`;
        if ('entry' in example === 'snapshot_of' in example) throw new Error(`${id}: give either an entry or a snapshot_of`);
        (example.before ?? []).forEach((b, j) => push(`${id}:before:${j}`, b?.entry));
        if ('entry' in example) push(id, example.entry);
      });
    }
  }
  return out;
}

const SNAPSHOT_EVENT = 'slack.integration.inventory';

/** The name of a record: its example's id, or for an inventory snapshot the app it describes. */
function nameOf(record) {
  const a = record.attributes;
  if (record.eventName !== SNAPSHOT_EVENT) return a[`slack.integration.${EXAMPLE_FIELD}`];
  const app = a['slack.integration.app_id'];
  return `inventory:${app ?? `${a['slack.integration.service_id']}:${a['slack.integration.service_type']}`}`;
}

/** One `--once` pass of the real CLI against the fake Slack; the records the OTLP receiver decoded. */
async function runOnce(entries, team) {
  const slack = await new FakeSlack(team ? { token: TOKEN, teams: { [team]: entries } } : { token: TOKEN, entries }).start();
  const otlp = await new FakeCollector().start();
  const dir = mkdtempSync(join(tmpdir(), 'detections-records-'));
  try {
    const env = {
      PATH: process.env.PATH,
      SLACK_TOKEN: TOKEN,
      SLACK_API_URL: slack.url,
      SLACK_CURSOR_FILE: join(dir, 'cursor.json'),
      SLACK_BACKFILL_START_TIME: '0',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: otlp.url,
      ...(team ? { SLACK_TEAM_ID: team } : {}),
    };
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--once'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`node dist/cli.js --once exited ${code}:\n${output}`);
    return [...otlp.records];
  } finally {
    await slack.stop();
    await otlp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A decoded record as one flat object: record fields, then resource and record attributes by their OTel names. */
function flatten(record, run) {
  const example = nameOf(record);
  const flat = {
    key: `${example}@${run}`,
    example,
    run,
    time_unix_nano: String(record.timeUnixNano),
    severity_number: record.severityNumber ?? null,
    severity_text: record.severityText ?? null,
    event_name: record.eventName ?? null,
    body: record.body ?? null,
  };
  for (const [k, v] of [...Object.entries(record.resource), ...Object.entries(record.attributes)]) {
    if (k in flat && JSON.stringify(flat[k]) !== JSON.stringify(v))
      throw new Error(`${flat.key}: ${k} differs between resource and record`);
    flat[k] = v;
  }
  return flat;
}

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/detections/records.mjs <out.jsonl>');
  process.exit(2);
}
const list = examples();
const lines = [];
for (const [run, team] of [
  ['workspace', undefined],
  ['grid', GRID_TEAM],
]) {
  const records = await runOnce(
    list.map((e) => e.entry),
    team,
  );
  const changes = records.filter((r) => r.eventName !== SNAPSHOT_EVENT);
  const seen = new Set(changes.map(nameOf));
  const missing = list.filter((e) => !seen.has(e.id)).map((e) => e.id);
  if (changes.length !== list.length || missing.length > 0) {
    throw new Error(
      `${run}: ${list.length} entries served, ${changes.length} change records received; missing: ${missing.join(', ') || 'none'}`,
    );
  }
  const flat = records.map((r) => flatten(r, run));
  const twice = flat.filter((r, i) => flat.findIndex((o) => o.key === r.key) !== i).map((r) => r.key);
  if (twice.length > 0) throw new Error(`${run}: more than one record named ${twice.join(', ')}`);
  for (const r of flat) lines.push(JSON.stringify(r));
}
const snapshots = lines.filter((l) => JSON.parse(l).event_name === SNAPSHOT_EVENT).length;
writeFileSync(out, lines.join('\n') + '\n');
console.log(
  `${lines.length} records (${snapshots} inventory snapshots) from ${list.length} entries (workspace and Grid team runs) -> ${out}`,
);
