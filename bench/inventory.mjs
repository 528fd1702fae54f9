/**
 * `npm run bench`, the inventory's part (issue 18 §7), after bench/run.mjs: what the app inventory
 * costs. The receiver runs in this process against the bench's fake Slack and OTLP/JSON receiver in
 * their own process (servers.mjs), so CPU time here is the receiver's.
 *
 * 1. Throughput: a backfill of --entries (default 100,000; the median of five by CPU) that builds
 *    the inventory as it exports (every delivered entry folded, the inventory saved with every
 *    cursor save), against the CPU time the fold and the inventory's part of the saves (encoding
 *    and writing) take for the same entries and saves, measured alone, the saves as the receiver
 *    makes them (`inventoryAlone`). Target: at most 5%.
 * 2. The first run over a log of that size with SLACK_BACKFILL_START_TIME at now: it reads the
 *    whole log to build the inventory and exports nothing. Wall time, CPU, Slack requests.
 * 3. The cursor file with an inventory of 10,000 apps: bytes, the time a save of it takes (the
 *    first, and after batches that changed one app and 250), and the time to read it.
 *
 * Prints a table (a target missed says FAIL, as bench/run.mjs does; the exit code is 0 but on an
 * error, so `npm run bench` goes on), then one JSON line with every figure. Options:
 * --entries=100000 --apps=10000.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SlackIntegrationLogsReceiver } from '../dist/index.js';
import { InventoryFold } from '../dist/inventory/fold.js';
import { initialState } from '../dist/state/cursor.js';
import { CursorStore } from '../dist/state/cursor-store.js';
import { normalizeEntry } from '../dist/entry/normalize.js';
import { makeEntries } from './entries.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const TOKEN = 'xoxp-bench-not-a-real-token';
const MAX_SHARE = 0.05;
/** Backfills, and rounds of the inventory's part alone: medians of these (a shared machine's CPU times vary by a fifth). */
const BACKFILLS = 5;
const ROUNDS = 9;
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k, v.join('=') || 'true'];
  }),
);
const ENTRIES = Number(args.entries ?? 100_000);
const APPS = Number(args.apps ?? 10_000);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timed(fn) {
  const wall = performance.now();
  const cpu = cpuMs();
  const result = await fn();
  return { result, wallMs: performance.now() - wall, cpuMs: cpuMs() - cpu };
}

async function startServers() {
  const child = fork(join(here, 'servers.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const pending = new Map();
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`servers process exited (${code}) before it was ready`)));
  });
  child.on('message', (msg) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  });
  const call = (cmd, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, ...params });
    });
  return { call, otlpUrl: ready.otlpUrls['http/json'] };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** One `syncOnce` of a fresh receiver with a fresh cursor; its cursor file's size after. */
async function receiverRun(servers, slackUrl, dir, name, backfillStartTime) {
  const cursorFile = join(dir, `${name}.json`);
  const receiver = new SlackIntegrationLogsReceiver({
    token: TOKEN,
    slackApiUrl: slackUrl,
    otlpProtocol: 'http/json',
    otlpEndpoint: servers.otlpUrl,
    cursorFile,
    backfillStartTime,
    logger: silent,
  });
  const before = await servers.call('stats');
  try {
    const run = await timed(() => receiver.syncOnce());
    const after = await servers.call('stats');
    // The cursor file as the backfill left it (its first line and the saves since), and reading it.
    const cursorLines = (await readFile(cursorFile, 'utf8')).split('\n').length - 1;
    const reader = new CursorStore(cursorFile);
    const read = await timed(() => reader.load());
    return {
      ...run,
      slackRequests: after.slackRequests - before.slackRequests,
      cursorBytes: (await stat(cursorFile)).size,
      cursorLines,
      cursorReadMs: read.wallMs,
    };
  } finally {
    await receiver.shutdown();
  }
}

/**
 * The fold alone over `entries` (oldest first), as the pass runs it (changes handed out every
 * batch); the fold with a save of a cursor without inventory after every batch; and the fold with
 * a save of the cursor with its inventory after every batch. Saves as the receiver makes them (its
 * `CursorStore`: a line appended and fsynced with the apps the batch changed, the file written whole
 * now and then; the system time counts). Nine rounds of the three, alternated, so that
 * the file system's drift falls on all; medians: the first rounds of a process include compiling
 * the code, a cost paid once, not per entry. The fold's part is the first median; the saves' part,
 * the third less the second.
 */
async function inventoryAlone(entries, batchSize, dir) {
  // Through JSON, as the receiver gets them from Slack: `JSON.parse` shares short strings (ids,
  // change types), which the fold and the saves look up.
  const normalized = JSON.parse(JSON.stringify(entries)).map((e) => normalizeEntry(e));
  const plain = { ...initialState(0), persisted: true };
  const runs = { fold: [], plain: [], inventory: [] };
  let apps = 0;
  let saves = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['fold', 'plain', 'inventory']) {
      // A store per run: one encoder per cursor file, as the receiver keeps. Each save has a copy
      // of the inventory (a Map of references: the fold's `inventory` is one, as the receiver
      // copies its acknowledged view for each save).
      const cpu = await withStore(join(dir, `${kind}-${round}.json`), (store) =>
        cpuOf(async () => {
          const fold = new InventoryFold();
          let i = 0;
          saves = 0;
          for (const e of normalized) {
            fold.apply(e.fields, e.date ?? 0);
            if (++i % batchSize !== 0) continue;
            fold.takeChanges();
            if (kind === 'fold') continue;
            await store.save(kind === 'plain' ? plain : { ...plain, inventory: fold.inventory });
            saves++;
          }
          apps = fold.inventory.size;
        }),
      );
      runs[kind].push(cpu);
    }
  }
  const foldCpuMs = median(runs.fold);
  return { foldCpuMs, savesCpuMs: Math.max(0, median(runs.inventory) - median(runs.plain)), saves, apps };
}

async function withStore(path, fn) {
  const store = new CursorStore(path);
  await store.lock();
  try {
    return await fn(store);
  } finally {
    await store.unlock();
  }
}

function median(values) {
  return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
}

async function cpuOf(fn) {
  const cpu = cpuMs();
  await fn();
  return cpuMs() - cpu;
}

/** An inventory of `count` apps: each added, expanded and updated, with a few scopes. */
function bigInventory(count) {
  const fold = new InventoryFold();
  const scopes = ['chat:write', 'channels:read', 'commands', 'users:read', 'im:history', 'files:read'];
  for (let i = 0; i < count; i++) {
    const app = {
      app_id: `A${String(i).padStart(10, '0')}`,
      app_type: `App number ${i}`,
      user_id: 'U0123456789',
      user_name: 'security-admin',
    };
    fold.apply({ ...app, change_type: 'added', scope: scopes.slice(0, 3).join(',') }, 1_700_000_000 + i);
    fold.apply({ ...app, change_type: 'expanded', scope: scopes.slice(0, 5).join(',') }, 1_700_100_000 + i);
    fold.apply({ ...app, change_type: 'updated', scope: scopes.join(',') }, 1_700_200_000 + i);
  }
  fold.takeChanges();
  return fold;
}

const servers = await startServers();
const dir = await mkdtemp(join(tmpdir(), 'inventory-bench-'));
const figures = { entries: ENTRIES };
try {
  const { slackUrl } = await servers.call('load', { count: ENTRIES });
  process.stderr.write(`inventory bench: backfill of ${ENTRIES} entries...\n`);
  // Five backfills, the one of median CPU: a single one varies by a fifth on a shared machine.
  const backfills = [];
  for (let i = 0; i < BACKFILLS; i++) backfills.push(await receiverRun(servers, slackUrl, dir, `backfill-${i}`, 0));
  const backfill = [...backfills].sort((x, y) => x.cpuMs - y.cpuMs)[Math.floor(BACKFILLS / 2)];
  const batches = backfill.result.exportBatches;
  const alone = await inventoryAlone(makeEntries(0, ENTRIES), Math.ceil(backfill.result.exported / batches), dir);
  figures.backfill = {
    wallMs: backfill.wallMs,
    cpuMs: backfill.cpuMs,
    cpuMsRuns: backfills.map((run) => run.cpuMs),
    exported: backfill.result.exported,
    batches,
    recordsPerSecond: backfill.result.exported / (backfill.wallMs / 1000),
    inventoryFoldCpuMs: alone.foldCpuMs,
    inventorySavesCpuMs: alone.savesCpuMs,
    inventorySaves: alone.saves,
    apps: alone.apps,
    inventoryShare: (alone.foldCpuMs + alone.savesCpuMs) / backfill.cpuMs,
    cursorBytes: backfill.cursorBytes,
    cursorLines: backfill.cursorLines,
    cursorReadMs: backfill.cursorReadMs,
  };

  process.stderr.write(`inventory bench: first run over ${ENTRIES} entries, backfill start now...\n`);
  const first = await receiverRun(servers, slackUrl, dir, 'first-run', Math.floor(Date.now() / 1000));
  figures.firstRun = {
    wallMs: first.wallMs,
    cpuMs: first.cpuMs,
    slackRequests: first.slackRequests,
    exported: first.result.exported,
    cursorBytes: first.cursorBytes,
  };

  process.stderr.write(`inventory bench: a cursor file with ${APPS} apps...\n`);
  const fold = bigInventory(APPS);
  // Saved as the receiver saves it (its `CursorStore`: the first save writes the file whole, the
  // next ones append a line), then again after a batch that changed one app, and after one that
  // changed 250.
  const store = new CursorStore(join(dir, 'apps.json'));
  await store.lock();
  try {
    const save = () => timed(() => store.save({ ...initialState(0), persisted: true, inventory: fold.inventory }));
    const firstWrite = await save();
    // States handed out (`takeChanges`) before they are saved, as the receiver's are.
    fold.apply({ app_id: 'A0000000000', change_type: 'removed' }, 1_700_300_000);
    fold.takeChanges();
    const nextWrite = await save();
    for (let i = 1; i <= 250; i++) fold.apply({ app_id: `A${String(i).padStart(10, '0')}`, change_type: 'disabled' }, 1_700_300_001);
    fold.takeChanges();
    const batchWrite = await save();
    const read = await timed(() => store.load());
    figures.bigInventory = {
      apps: APPS,
      cursorBytes: (await stat(store.path)).size,
      firstWriteMs: firstWrite.wallMs,
      firstWriteCpuMs: firstWrite.cpuMs,
      nextWriteMs: nextWrite.wallMs,
      nextWriteCpuMs: nextWrite.cpuMs,
      batchWriteMs: batchWrite.wallMs,
      batchWriteCpuMs: batchWrite.cpuMs,
      readMs: read.wallMs,
    };
  } finally {
    await store.unlock();
  }
} finally {
  await servers.call('stop').catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

const b = figures.backfill;
const f = figures.firstRun;
const g = figures.bigInventory;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  '',
  'inventory (issue 18 §7)',
  `  backfill of ${fmt(b.exported)} records (the median of ${BACKFILLS} by CPU: ${b.cpuMsRuns.map((ms) => fmt(ms)).join(', ')} ms): ${fmt(b.wallMs)} ms wall, ${fmt(b.cpuMs)} ms CPU, ${fmt(b.recordsPerSecond)} records/s, ${b.apps} apps`,
  `  the inventory's part: fold ${fmt(b.inventoryFoldCpuMs, 1)} ms + saves ${fmt(b.inventorySavesCpuMs, 1)} ms CPU (${b.inventorySaves} saves, one per batch) = ${fmt(b.inventoryShare * 100, 2)}% of the receiver's CPU`,
  `  the backfill's cursor file: ${fmt(b.cursorBytes)} bytes in ${b.cursorLines} lines (its first, and the saves appended since it was last written whole), read in ${fmt(b.cursorReadMs, 1)} ms`,
  `  first run, ${fmt(ENTRIES)} entries, backfill start now: ${fmt(f.wallMs)} ms wall, ${fmt(f.cpuMs)} ms CPU, ${f.slackRequests} Slack requests, ${f.exported} exported, cursor file ${fmt(f.cursorBytes)} bytes`,
  `  cursor file with ${fmt(g.apps)} apps: ${fmt(g.cursorBytes / 2 ** 20, 2)} MiB; saves (wall / CPU): the first ${fmt(g.firstWriteMs, 1)} / ${fmt(g.firstWriteCpuMs, 1)} ms, after one app changed ${fmt(g.nextWriteMs, 1)} / ${fmt(g.nextWriteCpuMs, 1)} ms, after 250 changed ${fmt(g.batchWriteMs, 1)} / ${fmt(g.batchWriteCpuMs, 1)} ms; read ${fmt(g.readMs, 1)} ms`,
  `  ${b.inventoryShare <= MAX_SHARE ? 'PASS' : 'FAIL'}  the inventory costs at most ${MAX_SHARE * 100}% of throughput (CPU): ${fmt(b.inventoryShare * 100, 2)}%`,
];
process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ inventory: figures })}\n`);
