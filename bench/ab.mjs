/**
 * A/B of two (or more) builds of the receiver on the same machine, interleaved so that the
 * machine's drift falls on both: `npm run bench` compares the receiver with a baseline; this
 * compares the receiver with itself, e.g. a change against main.
 *
 *   node bench/ab.mjs --protocol=http/json --rounds=6 --size=100000 CHECKOUT_A CHECKOUT_B ...
 *
 * Each CHECKOUT is a directory holding a built `dist/` (`node scripts/build.mjs`) and its
 * node_modules. One servers process (this checkout's bench/servers.mjs) serves every run; each run
 * is one backfill in a fresh process (bench/ab-subject.mjs), in the order A B, then B A, and so on.
 * Prints each run, then per build the lowest and median CPU and wall time, and the median time its event loop
 * sat idle (waiting for acknowledgements, file syncs, Slack): work moved off the wait shows there.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const options = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.slice(2).split('=')),
);
const checkouts = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map((c) => resolve(c));
const protocol = options.protocol ?? 'http/json';
const rounds = Number(options.rounds ?? 6);
const size = Number(options.size ?? 100_000);
if (checkouts.length < 2) {
  process.stderr.write('usage: node bench/ab.mjs [--protocol=P] [--rounds=N] [--size=N] CHECKOUT_A CHECKOUT_B ...\n');
  process.exit(2);
}

const servers = fork(join(here, 'servers.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { otlpUrls } = await new Promise((ok) => servers.on('message', (m) => m?.type === 'ready' && ok(m)));
let nextId = 0;
const call = (cmd, args = {}) =>
  new Promise((ok, fail) => {
    const id = ++nextId;
    const onMessage = (m) => {
      if (m?.id !== id) return;
      servers.off('message', onMessage);
      if (m.ok) ok(m.result);
      else fail(new Error(m.error));
    };
    servers.on('message', onMessage);
    servers.send({ id, cmd, ...args });
  });

async function runOnce(checkout, slackUrl) {
  const dir = await mkdtemp(join(tmpdir(), 'slack-integration-logs-ab-'));
  try {
    const child = fork(join(here, 'ab-subject.mjs'), [checkout, slackUrl, otlpUrls[protocol], protocol, join(dir, 'cursor.json')], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const result = await new Promise((ok, fail) => {
      child.once('message', ok);
      child.once('exit', (code) => fail(new Error(`the subject for ${checkout} exited (${code}) without a result`)));
    });
    await new Promise((ok) => child.once('exit', ok));
    if (result.exported !== size) throw new Error(`${checkout} exported ${result.exported} of ${size}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const results = new Map(checkouts.map((c) => [c, []]));
try {
  const { slackUrl } = await call('load', { count: size });
  for (let round = 0; round < rounds; round++) {
    for (const checkout of round % 2 ? [...checkouts].reverse() : checkouts) {
      const r = await runOnce(checkout, slackUrl);
      results.get(checkout).push(r);
      process.stdout.write(
        `${protocol} ${checkout}: wall ${r.wallMs.toFixed(0)} ms, CPU ${r.cpuMs.toFixed(0)} ms, idle ${r.idleMs.toFixed(0)} ms, event-loop delay max ${r.eldMaxMs.toFixed(1)} ms\n`,
      );
    }
  }
} finally {
  await call('stop').catch(() => undefined);
  servers.kill();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [checkout, runs] of results) {
  const cpu = runs.map((r) => r.cpuMs);
  const wall = runs.map((r) => r.wallMs);
  const idle = runs.map((r) => r.idleMs);
  process.stdout.write(
    `${protocol} ${checkout} (${runs.length} runs of ${size}): CPU lowest ${Math.min(...cpu).toFixed(0)} median ${median(cpu).toFixed(0)} ms; ` +
      `wall lowest ${Math.min(...wall).toFixed(0)} median ${median(wall).toFixed(0)} ms; idle median ${median(idle).toFixed(0)} ms\n`,
  );
}
