/**
 * Where a receiver's time went, from a V8 CPU profile written by `npm run bench -- --cpu-prof=DIR`:
 *
 *   node bench/profile-summary.mjs DIR/CPU.<date>.<pid>.0.001.cpuprofile [--from=US --to=US] [--top=N]
 *
 * `--from` / `--to` (microseconds, the profile's clock) keep one measured run: take `startHrtimeUs`
 * and `startHrtimeUs + wallS * 1e6` of the row with that `pid` in the bench's JSON line.
 *
 * Prints the run split at the first OTLP export (paging Slack into the spool, then exporting),
 * with the idle time of each part (the event loop waiting: for Slack, for the collector's answer,
 * for the file system), then self time by owner: the nearest caller that is a package
 * (node_modules) or the receiver's own code (dist/), so that Node's internals (HTTP parsing,
 * hashing, file-system calls) count for whoever asked for them; then the receiver's own functions.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const opt = (name, dflt) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [--from=US --to=US] [--top=N]\n');
  process.exit(2);
}
const from = opt('from', 0);
const to = opt('to', Infinity);
const top = opt('top', 15);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)']);
const OTLP = /@opentelemetry\/otlp-|@grpc\/grpc-js/;

function ancestors(node) {
  const out = [];
  for (let n = node; n; n = parentOf.get(n.id)) out.push(n);
  return out;
}
function owner(node) {
  if (SPECIAL.has(node.callFrame.functionName)) return { group: node.callFrame.functionName };
  for (const n of ancestors(node)) {
    const url = n.callFrame.url;
    if (!url || url.startsWith('node:')) continue;
    const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    if (pkg) return { group: pkg[1] };
    if (url.includes('/dist/')) return { group: 'receiver (dist/)', fn: n.callFrame.functionName || '(anonymous)' };
    return { group: url.includes('/bench/') ? 'bench harness' : url };
  }
  return { group: '(Node internals, no JS caller)' };
}

// Samples in the window, each with the time until the next sample.
const samples = [];
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  if (t >= from && t <= to) samples.push({ t, node: nodes.get(profile.samples[i]), us: profile.timeDeltas[i + 1] ?? 0 });
}
const total = samples.reduce((s, x) => s + x.us, 0);
const firstExport = samples.find((s) => ancestors(s.node).some((n) => OTLP.test(n.callFrame.url)))?.t ?? Infinity;

const ms = (us) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
const pct = (us, of) => `${((us / of) * 100).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${ms(total).trim()} sampled`);
for (const [name, inPart] of [
  ['paging Slack', (s) => s.t < firstExport],
  ['exporting', (s) => s.t >= firstExport],
]) {
  const part = samples.filter(inPart);
  const wall = part.reduce((s, x) => s + x.us, 0);
  const idle = part.filter((s) => s.node.callFrame.functionName === '(idle)').reduce((s, x) => s + x.us, 0);
  if (wall > 0) console.log(`  ${name.padEnd(13)} ${ms(wall)}, idle ${ms(idle).trim()} (${pct(idle, wall).trim()})`);
}
const groups = new Map();
const functions = new Map();
for (const s of samples) {
  const o = owner(s.node);
  groups.set(o.group, (groups.get(o.group) ?? 0) + s.us);
  if (o.fn) functions.set(o.fn, (functions.get(o.fn) ?? 0) + s.us);
}
const list = (m) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `  ${ms(us)} ${pct(us, total)}  ${k}`)
    .join('\n');
console.log('self time by owner:');
console.log(list(groups));
console.log("the receiver's own functions (with what they called in Node):");
console.log(list(functions));
