/**
 * The cursor file as a journal (format version 3): the bytes `InventoryEncoder` makes for a file's
 * first line (`all`, `cursorPieces`) and its save lines (`changes`, `savePieces`), checked against
 * an independent model (the inventory `InventoryFold` folded, read back with `parseCursor`) and
 * against text written by hand; and `CursorStore` choosing between appending a save line and
 * writing the file whole (first save, past the size limit, a file gone, changed or written by a
 * save that failed), checked on disk: lines, inodes, links, what `load()` reads back.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cursorPieces, parseCursor, savePieces, serializeCursor, type CursorState } from '../src/state/cursor.js';
import { CursorStore, JOURNAL_BYTES, JOURNAL_LINES } from '../src/state/cursor-store.js';
import { writeFileAtomic } from '../src/state/atomic-write.js';
import { InventoryEncoder } from '../src/state/inventory-encoder.js';
import { InventoryFold, TIMELINE_LENGTH, type AppChange, type AppState, type Inventory } from '../src/inventory/fold.js';
import { CursorFileError } from '../src/core/errors.js';

const ROOT = join(import.meta.dirname, '..');
const FP1 = '0123456789abcdef0123456789abcdef';
const NOW = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));
const T0 = 1_700_000_000;
const HEAD = '{"format":"slack-integration-logs-receiver/cursor","version":3,';

function text(pieces: readonly Uint8Array[]): string {
  return Buffer.concat(pieces).toString('utf8');
}

/** A fingerprint of its own for each `n`. */
function fingerprint(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** `count` fingerprints delivered once each: a big `position.delivered`, to grow lines fast. */
function delivered(count: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [fingerprint(i), 1]));
}

/** The inventory as plain JSON, apps by key: the fold's class instances and the parse's objects compare alike, key order ignored. */
function plain(inventory: Inventory | undefined): unknown {
  return inventory && (JSON.parse(JSON.stringify(Object.fromEntries(inventory))) as unknown);
}

/** A state as plain JSON, as `load()` gives it back (persisted). */
function plainState(state: CursorState | undefined): unknown {
  return state && (JSON.parse(JSON.stringify({ ...state, persisted: true, inventory: plain(state.inventory) })) as unknown);
}

/** An inventory of `apps`, in their order. */
function inventoryOf(apps: Record<string, AppState>): Inventory {
  return new Map(Object.entries(apps));
}

function stateWith(date: number, inventory?: Inventory, more: Partial<CursorState> = {}): CursorState {
  return { position: { date, delivered: {} }, backfillStart: T0, persisted: true, ...(inventory ? { inventory } : {}), ...more };
}

/** The code under test bundled for a child process (src as it is, not dist): `CursorStore`, `writeFileAtomic`. */
let bundled: Promise<string> | undefined;
function bundle(): Promise<string> {
  return (bundled ??= (async () => {
    const outfile = join(await mkdtemp(join(tmpdir(), 'cursor-journal-bundle-')), 'state.cjs');
    await build({
      stdin: {
        contents:
          "export { CursorStore } from './src/state/cursor-store.ts';\nexport { writeFileAtomic } from './src/state/atomic-write.ts';\n",
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })());
}
afterAll(async () => {
  if (bundled) await rm(join(await bundled, '..'), { recursive: true, force: true });
});

/**
 * Runs `script` (CommonJS; `state` is the bundle, `file` the file given) in a child process whose
 * files may not grow past 4 KB (`ulimit -f` counts KB): past it a write is cut short, then fails
 * with EFBIG, as a full disk's would with ENOSPC. The SIGXFSZ that comes with it has a listener:
 * proper-lockfile's signal-exit would otherwise raise it again and end the process.
 * @returns its output.
 */
async function runUnderFileSizeLimit(script: string, file: string): Promise<string> {
  const code = `const state = require(${JSON.stringify(await bundle())}); const file = process.argv[1]; process.on('SIGXFSZ', () => {}); (async () => {${script}})().catch((e) => { console.log('crashed', e); process.exitCode = 1; });`;
  return new Promise<string>((resolve, reject) => {
    const child = spawn('bash', ['-c', 'ulimit -f 4 && exec "$0" "$@"', process.execPath, '-e', code, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

describe('InventoryEncoder against the fold it saves', () => {
  const CHANGES = ['added', 'expanded', 'updated', 'disabled', 'enabled', 'removed', 'changed'];
  interface Entry {
    /** 0-5 an app (2 and 5 services, 5 without a type), 6 none. */
    app: number;
    change: string;
    user?: string;
    name?: string;
    reason?: string;
    scopes: string[];
    channel?: string;
    /** After the entry: nothing, a save, a save whose write fails (never on disk, never committed), the file written whole. */
    then: 'fold' | 'save' | 'fail' | 'whole';
  }

  /** The entry's fields, its app one of the first `apps`. */
  function fieldsOf(entry: Entry, apps: number): Record<string, unknown> {
    const app = entry.app === 6 ? 6 : entry.app % apps;
    const ids =
      app === 6
        ? {}
        : app % 3 === 2
          ? { service_id: `${1000 + app}`, ...(app === 5 ? {} : { service_type: 'RSS' }) }
          : { app_id: `A${app}`, ...(app === 0 ? { app_type: 'App "ü"\n' } : {}) };
    return {
      ...ids,
      change_type: entry.change,
      user_id: entry.user,
      user_name: entry.name,
      reason: entry.reason,
      scope: entry.scopes.join(','),
      channel: entry.channel,
    };
  }

  /**
   * Folds `entries`, saving as each says; after every save, the file's text read back is the
   * fold's inventory. @returns the save lines written.
   */
  function replay(entries: readonly Entry[], apps = 6): string[] {
    const fold = new InventoryFold();
    const encoder = new InventoryEncoder();
    let file = '';
    const lines: string[] = [];
    entries.forEach((entry, i) => {
      fold.apply(fieldsOf(entry, apps), T0 + i);
      if (entry.then === 'fold') return;
      fold.takeChanges();
      const inventory = fold.inventory;
      const state = stateWith(T0 + i, inventory, i % 2 === 0 ? { hint: { order: 'newest-first' } } : {});
      if (file === '' || entry.then === 'whole') {
        const all = encoder.all(inventory);
        file = text(cursorPieces(state, NOW, all));
        all.commit();
      } else {
        const changes = encoder.changes(inventory);
        // The fold never loses an app: a save line can always say what changed.
        expect(changes).toBeDefined();
        const line = text(savePieces(state, NOW, changes));
        if (entry.then === 'fail') return;
        file += line;
        lines.push(line);
        changes!.commit();
      }
      const back = parseCursor(file);
      expect(plain(back.inventory)).toEqual(plain(inventory));
      expect(back.position.date).toBe(T0 + i);
      expect(back.hint).toEqual(state.hint);
    });
    return lines;
  }

  const entry: fc.Arbitrary<Entry> = fc.record({
    app: fc.integer({ min: 0, max: 6 }),
    change: fc.constantFrom(...CHANGES),
    user: fc.option(fc.constantFrom('U1', 'U2', 'U3'), { nil: undefined }),
    name: fc.option(fc.constantFrom('ann', 'joey', 'Zoë "z"'), { nil: undefined }),
    reason: fc.option(fc.constantFrom('user_removed', 'slack'), { nil: undefined }),
    scopes: fc.subarray(['chat:write', 'commands', 'im:history', 'users:read']),
    channel: fc.option(fc.constantFrom('C1', 'C2'), { nil: undefined }),
    then: fc.constantFrom('fold', 'fold', 'save', 'save', 'fail', 'whole'),
  });

  it('read back after every save, whole or appended, the file is the inventory folded (random histories)', () => {
    fc.assert(
      // Few apps and long histories, too: timelines fill up, and drop their oldest changes.
      fc.property(fc.array(entry, { minLength: 1, maxLength: 200, size: 'max' }), fc.integer({ min: 1, max: 6 }), (entries, apps) => {
        replay(entries, apps);
      }),
      // A failure's shrinking replays long histories: cut short, it still reports the smallest found.
      { numRuns: 80, interruptAfterTimeLimit: 15_000 },
    );
  });

  it('read back after every save of a long history (timelines full, changes dropped), the file is the inventory folded', () => {
    const entries: Entry[] = Array.from({ length: 2_500 }, (_, i) => ({
      app: i % 4,
      change: CHANGES[(i * 5) % CHANGES.length]!,
      user: `U${i % 3}`,
      ...(i % 4 === 0 ? { name: 'ann' } : {}),
      scopes: ['chat:write', 'commands', 'im:history'].slice(0, i % 4),
      // 9 entries a batch (2 or 3 changes an app); every 5th save fails, every 40th writes the file whole.
      then: i % 9 !== 8 ? 'fold' : i % 360 === 350 ? 'whole' : i % 45 === 44 ? 'fail' : 'save',
    }));
    const lines = replay(entries);
    expect(lines.length).toBeGreaterThan(200);
    // Patches that dropped some of a full timeline's changes and kept the rest.
    const drops = lines.flatMap((line) =>
      Object.values((JSON.parse(line) as { apps: Record<string, { timeline_dropped?: number }> }).apps).map((app) => app.timeline_dropped),
    );
    expect(drops.every((dropped) => dropped !== undefined)).toBe(true);
    expect(drops.some((dropped) => dropped! > 0 && dropped! < TIMELINE_LENGTH)).toBe(true);
  });
});

describe('InventoryEncoder: the bytes, written by hand', () => {
  it('line 1 has every app whole; a save line, of an app that only changed status and appended one change, the patch saying so', () => {
    const fold = new InventoryFold();
    fold.apply({ app_id: 'A1', change_type: 'added', user_id: 'U1', user_name: 'ann', scope: 'chat:write' }, 1700000001);
    fold.apply({ service_id: '99', service_type: 'RSS', channel: 'C1', change_type: 'added' }, 1700000002);
    fold.takeChanges();
    const encoder = new InventoryEncoder();
    const first = stateWith(1700000002, fold.inventory);
    const all = encoder.all(first.inventory!);
    expect(text(cursorPieces(first, NOW, all))).toBe(
      `${HEAD}"position":{"date":1700000002,"delivered":{}},"backfillStart":1700000000,"updatedAt":"2026-12-01T10:00:00.000Z",` +
        '"inventory":{"apps":{' +
        '"app:A1":{"app_id":"A1","status":"active","scopes":["chat:write"],"added_by":{"id":"U1","name":"ann"},"added_at":1700000001,' +
        '"timeline":[["added",1700000001,"U1","ann",null,["chat:write"]]]},' +
        '"service:99:RSS":{"service_id":"99","service_type":"RSS","status":"active","scopes":[],"added_by":{},"added_at":1700000002,' +
        '"channel_id":"C1","timeline":[["added",1700000002,null,null,null,[]]]}}}}\n',
    );
    all.commit();

    fold.apply({ app_id: 'A1', change_type: 'disabled', user_id: 'U1', user_name: 'joey' }, 1700000177);
    fold.takeChanges();
    const second = stateWith(1700000177, fold.inventory, { position: { date: 1700000177, delivered: { [FP1]: 1 } } });
    const changes = encoder.changes(second.inventory!)!;
    expect(text(savePieces(second, NOW, changes))).toBe(
      `{"position":{"date":1700000177,"delivered":{"${FP1}":1}},"backfillStart":1700000000,"updatedAt":"2026-12-01T10:00:00.000Z",` +
        '"apps":{"app:A1":{"status":"disabled","timeline_dropped":0,"timeline":[["disabled",1700000177,"U1","joey"]]}}}\n',
    );
    changes.commit();
    // Nothing changed since: no app.
    expect(text(savePieces(second, NOW, encoder.changes(second.inventory!)))).toBe(
      `{"position":{"date":1700000177,"delivered":{"${FP1}":1}},"backfillStart":1700000000,"updatedAt":"2026-12-01T10:00:00.000Z","apps":{}}\n`,
    );
    // Without an inventory, no apps at all.
    expect(text(savePieces(stateWith(1700000177), NOW, undefined))).toBe(
      '{"position":{"date":1700000177,"delivered":{}},"backfillStart":1700000000,"updatedAt":"2026-12-01T10:00:00.000Z"}\n',
    );
  });

  it('a full timeline drops its oldest changes: timeline_dropped counts those gone, the line has those appended', () => {
    const fold = new InventoryFold();
    const enable = (i: number) => fold.apply({ app_id: 'A1', change_type: 'enabled', user_id: 'U1' }, T0 + i);
    const written = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `["enabled",${T0 + from + i},"U1"]`).join(',');
    for (let i = 0; i < 50; i++) enable(i);
    fold.takeChanges();
    const encoder = new InventoryEncoder();
    const all = encoder.all(fold.inventory);
    expect(text(all.pieces)).toBe(`{"apps":{"app:A1":{"app_id":"A1","status":"active","scopes":[],"timeline":[${written(0, 50)}]}}}`);
    all.commit();

    for (let i = 50; i < 53; i++) enable(i);
    fold.takeChanges();
    const three = encoder.changes(fold.inventory)!;
    expect(text(three.pieces)).toBe(`{"app:A1":{"timeline_dropped":3,"timeline":[${written(50, 53)}]}}`);
    three.commit();

    // More changes than a timeline holds: every change written is gone.
    for (let i = 53; i < 113; i++) enable(i);
    fold.takeChanges();
    const sixty = encoder.changes(fold.inventory)!;
    expect(text(sixty.pieces)).toBe(`{"app:A1":{"timeline_dropped":50,"timeline":[${written(63, 113)}]}}`);
  });

  const c1: AppChange = { change_type: 'added', at: 1 };
  const c2: AppChange = { change_type: 'updated', at: 2, user_id: 'U2' };
  const rss: AppState = {
    service_id: '9',
    service_type: 'RSS',
    status: 'active',
    scopes: [],
    channel_id: 'C1',
    last_change: c1,
    timeline: [c1],
  };

  it('an app that lost a field is whole in the save line; one that gained one, or whose last_change is not its newest, a patch', () => {
    const encoder = new InventoryEncoder();
    encoder.all(inventoryOf({ 'service:9': rss })).commit();
    const cases: Array<[AppState, string]> = [
      [
        { service_id: '9', status: 'active', scopes: [], channel_id: 'C1', last_change: c2, timeline: [c1, c2] },
        '{"service:9":{"service_id":"9","status":"active","scopes":[],"channel_id":"C1","timeline":[["added",1],["updated",2,"U2"]]}}',
      ],
      [
        { ...rss, channel_id: undefined, last_change: c2, timeline: [c1, c2] },
        '{"service:9":{"service_id":"9","service_type":"RSS","status":"active","scopes":[],"timeline":[["added",1],["updated",2,"U2"]]}}',
      ],
      [
        { ...rss, app_type: 'X', last_change: c2, timeline: [c1, c2] },
        '{"service:9":{"app_type":"X","timeline_dropped":0,"timeline":[["updated",2,"U2"]]}}',
      ],
      [
        { ...rss, status: 'disabled', last_change: { change_type: 'disabled', at: 3 } },
        '{"service:9":{"status":"disabled","last_change":["disabled",3],"timeline_dropped":0,"timeline":[]}}',
      ],
      // Equal changes, but not the ones written: the timeline is written again, all of it dropped.
      [
        { ...rss, last_change: c2, timeline: [{ ...c1 }, c2] },
        '{"service:9":{"timeline_dropped":1,"timeline":[["added",1],["updated",2,"U2"]]}}',
      ],
      [
        { ...rss, channel_id: 'C2', last_change: c2, timeline: [c2] },
        '{"service:9":{"channel_id":"C2","timeline_dropped":1,"timeline":[["updated",2,"U2"]]}}',
      ],
    ];
    const first = serializeCursor(stateWith(T0, inventoryOf({ 'service:9': rss })), NOW);
    for (const [app, expected] of cases) {
      const inventory = inventoryOf({ 'service:9': app });
      const changes = encoder.changes(inventory)!;
      expect(text(changes.pieces)).toBe(expected);
      const back = parseCursor(first + text(savePieces(stateWith(T0 + 1, inventory), NOW, changes)));
      expect(plain(back.inventory)).toEqual(plain(inventory));
    }
  });

  it('changes() is undefined when an app written is missing (only a whole file can say so), and whole for an app not written', () => {
    const encoder = new InventoryEncoder();
    const other = { ...rss, service_type: 'Other' };
    encoder.all(inventoryOf({ 'service:9': rss })).commit();
    expect(encoder.changes(new Map())).toBeUndefined();
    expect(encoder.changes(inventoryOf({ 'service:9:Other': other }))).toBeUndefined();
    expect(text(encoder.changes(inventoryOf({ 'service:9': rss, 'service:9:Other': other }))!.pieces)).toBe(
      '{"service:9:Other":{"service_id":"9","service_type":"Other","status":"active","scopes":[],"channel_id":"C1","timeline":[["added",1]]}}',
    );
    // Written whole but not committed (a failed write): the file still has the apps written before.
    encoder.all(inventoryOf({ 'service:9:Other': other }));
    expect(encoder.changes(inventoryOf({ 'service:9:Other': other }))).toBeUndefined();
    encoder.all(inventoryOf({ 'service:9:Other': other })).commit();
    expect(text(encoder.changes(inventoryOf({ 'service:9:Other': other }))!.pieces)).toBe('{}');
  });

  it('changes not committed (a save line that failed) are in the next changes again', () => {
    const a0: AppState = { app_id: 'A1', status: 'active', scopes: [], last_change: c1, timeline: [c1] };
    const a1: AppState = { ...a0, last_change: c2, timeline: [c1, c2] };
    const c3: AppChange = { change_type: 'disabled', at: 3 };
    const a2: AppState = { ...a1, status: 'disabled', last_change: c3, timeline: [c1, c2, c3] };
    const b0: AppState = { app_id: 'B2', status: 'active', scopes: [], last_change: c1, timeline: [c1] };
    const b1: AppState = { ...b0, status: 'removed' };
    const encoder = new InventoryEncoder();
    encoder.all(inventoryOf({ 'app:A1': a0, 'app:B2': b0 })).commit();
    const failed = encoder.changes(inventoryOf({ 'app:A1': a1, 'app:B2': b1 }))!;
    expect(text(failed.pieces)).toBe(
      '{"app:A1":{"timeline_dropped":0,"timeline":[["updated",2,"U2"]]},"app:B2":{"status":"removed","timeline_dropped":0,"timeline":[]}}',
    );
    const next = encoder.changes(inventoryOf({ 'app:A1': a2, 'app:B2': b1 }))!;
    expect(text(next.pieces)).toBe(
      '{"app:A1":{"status":"disabled","timeline_dropped":0,"timeline":[["updated",2,"U2"],["disabled",3]]},' +
        '"app:B2":{"status":"removed","timeline_dropped":0,"timeline":[]}}',
    );
    next.commit();
    expect(text(encoder.changes(inventoryOf({ 'app:A1': a2, 'app:B2': b1 }))!.pieces)).toBe('{}');
  });

  it('an app whose id starts with a line break (the key is whatever Slack sent) reads back, on line 1 and in a save line', () => {
    const app: AppState = {
      app_id: '\n\u2028A1',
      status: 'active',
      scopes: [],
      last_change: { change_type: 'added', at: 1 },
      timeline: [],
    };
    const encoder = new InventoryEncoder();
    const first = inventoryOf({ 'app:\n\u2028A1': app });
    const all = encoder.all(first);
    let file = text(cursorPieces(stateWith(T0, first), NOW, all));
    all.commit();
    expect(file.split('\n')).toHaveLength(2);
    expect(parseCursor(file).inventory).toEqual(first);
    const changed = new Map([
      ['app:\n\u2028A1', { ...app, status: 'disabled' as const }],
      ['app:\n\u2028B2', { ...app, app_id: '\n\u2028B2' }],
    ]);
    file += text(savePieces(stateWith(T0 + 1, changed), NOW, encoder.changes(changed)));
    expect(file.split('\n')).toHaveLength(3);
    expect(parseCursor(file).inventory).toEqual(changed);
  });

  it('an app state keyed by another key gets that key', () => {
    const app: AppState = { status: 'active', scopes: [], last_change: { change_type: 'added', at: 1 }, timeline: [] };
    const encoder = new InventoryEncoder();
    encoder.all(inventoryOf({ 'app:A1': app })).commit();
    expect(text(encoder.all(inventoryOf({ 'app:B2': app })).pieces)).toBe(
      '{"apps":{"app:B2":{"status":"active","scopes":[],"last_change":["added",1],"timeline":[]}}}',
    );
    expect(text(encoder.changes(inventoryOf({ 'app:A1': app, 'app:B2': app }))!.pieces)).toBe(
      '{"app:B2":{"status":"active","scopes":[],"last_change":["added",1],"timeline":[]}}',
    );
  });

  it('without an inventory, and with an empty one', () => {
    const base = stateWith(T0);
    const head = `${HEAD}"position":{"date":1700000000,"delivered":{}},"backfillStart":1700000000,"updatedAt":"2026-12-01T10:00:00.000Z"`;
    expect(serializeCursor(base, NOW)).toBe(`${head}}\n`);
    expect(parseCursor(serializeCursor(base, NOW)).inventory).toBeUndefined();
    const empty = stateWith(T0, new Map());
    expect(serializeCursor(empty, NOW)).toBe(`${head},"inventory":{"apps":{}}}\n`);
    const encoder = new InventoryEncoder();
    encoder.all(new Map()).commit();
    const file = serializeCursor(empty, NOW) + text(savePieces(empty, NOW, encoder.changes(new Map())));
    expect(file.split('\n')[1]).toBe(
      '{"position":{"date":1700000000,"delivered":{}},"backfillStart":1700000000,"updatedAt":"2026-12-01T10:00:00.000Z","apps":{}}',
    );
    expect(parseCursor(file).inventory).toEqual(new Map());
  });
});

describe('CursorStore: appended or written whole', () => {
  let dir: string;
  const stores: CursorStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cursor-journal-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.unlock();
    await rm(dir, { recursive: true, force: true });
  });

  async function locked(path: string): Promise<CursorStore> {
    const store = new CursorStore(path, { lockWaitMs: 0 });
    stores.push(store);
    await store.lock();
    return store;
  }

  /** The file's lines; it always ends with a line break. */
  function linesOf(path: string): string[] {
    const content = readFileSync(path, 'utf8');
    expect(content.endsWith('\n')).toBe(true);
    return content.slice(0, -1).split('\n');
  }

  /** A fold of `apps` apps, changed a batch at a time: the states a pass saves. */
  class History {
    readonly fold = new InventoryFold();
    private at = T0;
    constructor(apps: number) {
      for (let app = 0; app < apps; app++)
        this.fold.apply({ app_id: `A${app}`, change_type: 'added', user_id: 'U1', scope: 'chat:write' }, this.at++);
      this.fold.takeChanges();
    }

    /** The inventory after changes to `apps`: their keys, and the inventory. */
    change(...apps: number[]): { keys: string[]; inventory: Inventory } {
      for (const app of apps)
        this.fold.apply({ app_id: `A${app}`, change_type: this.at % 2 ? 'disabled' : 'enabled', user_id: 'U2' }, this.at++);
      return { keys: [...this.fold.takeChanges().keys()], inventory: this.fold.inventory };
    }
  }

  it('the first save writes one line; each save after appends one line (the same inode) with the apps changed alone', async () => {
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    const history = new History(4);
    const first = stateWith(T0, history.fold.inventory);
    await store.save(first);
    expect(linesOf(file)).toHaveLength(1);
    expect(plainState(await store.load())).toEqual(plainState(first));
    const inode = statSync(file).ino;
    for (let i = 1; i <= 6; i++) {
      const { keys, inventory } = history.change(i % 4, (i * 3) % 4);
      const state = stateWith(
        T0 + i,
        inventory,
        i % 2 ? { hint: { order: 'oldest-first', offset: i, count: 100 } } : { undated: { [FP1]: i } },
      );
      await store.save(state);
      const lines = linesOf(file);
      expect(lines).toHaveLength(1 + i);
      expect(statSync(file).ino).toBe(inode);
      expect(Object.keys((JSON.parse(lines.at(-1)!) as { apps: object }).apps).sort()).toEqual(keys.sort());
      expect(plainState(await store.load())).toEqual(plainState(state));
    }
  });

  /** Saves `state(i)` for i = 0, 1, ...: where the file is written whole again, by the documented rule. */
  async function expectWrittenWholeAtTheLimit(
    file: string,
    state: (i: number) => CursorState,
  ): Promise<{ whole: number; lineBytes: number }> {
    const store = await locked(file);
    await store.save(state(0));
    const whole = statSync(file).size;
    const inode = statSync(file).ino;
    await store.save(state(1));
    const lineBytes = statSync(file).size - whole;
    const limit = Math.max(2 * whole, JOURNAL_BYTES);
    const appended = Math.min(Math.floor(limit / lineBytes), JOURNAL_LINES);
    for (let i = 2; i <= appended; i++) {
      await store.save(state(i));
      expect(statSync(file).ino).toBe(inode);
    }
    expect(linesOf(file)).toHaveLength(1 + appended);
    expect(statSync(file).size).toBe(whole + appended * lineBytes);
    // One more line would pass the limit.
    await store.save(state(appended + 1));
    expect(linesOf(file)).toHaveLength(1);
    expect(statSync(file).ino).not.toBe(inode);
    expect(plainState(await store.load())).toEqual(plainState(state(appended + 1)));
    // And the file goes on from there.
    await store.save(state(appended + 2));
    expect(linesOf(file)).toHaveLength(2);
    expect(plainState(await store.load())).toEqual(plainState(state(appended + 2)));
    return { whole, lineBytes };
  }

  // Lines of about a fifth of JOURNAL_BYTES each (a fingerprint delivered is 37 bytes): a few saves pass it.
  const fingerprints = delivered(Math.round(JOURNAL_BYTES / 5 / 37));

  it('past JOURNAL_BYTES of lines appended (for a file of less than half that), the file is written whole again', async () => {
    const { whole, lineBytes } = await expectWrittenWholeAtTheLimit(join(dir, 'cursor.json'), (i) => ({
      ...stateWith(T0 + i),
      position: { date: T0 + i, delivered: fingerprints },
    }));
    expect(2 * whole).toBeLessThan(JOURNAL_BYTES);
    expect(Math.floor(JOURNAL_BYTES / lineBytes)).toBeGreaterThan(Math.floor((2 * whole) / lineBytes));
  });

  it('past twice the whole file of lines appended (for a file of more than half JOURNAL_BYTES), the file is written whole again', async () => {
    // Apps of more than 150 bytes each, as many as make three quarters of JOURNAL_BYTES.
    const history = new History(Math.ceil((0.75 * JOURNAL_BYTES) / 150));
    const { whole, lineBytes } = await expectWrittenWholeAtTheLimit(join(dir, 'cursor.json'), (i) => ({
      ...stateWith(T0 + i, history.fold.inventory),
      position: { date: T0 + i, delivered: fingerprints },
    }));
    expect(2 * whole).toBeGreaterThan(JOURNAL_BYTES);
    expect(Math.floor((2 * whole) / lineBytes)).toBeGreaterThan(Math.floor(JOURNAL_BYTES / lineBytes));
  });

  it('past JOURNAL_LINES lines appended, the file is written whole again, however small they are', async () => {
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    await store.save(stateWith(T0));
    const inode = statSync(file).ino;
    for (let i = 1; i <= JOURNAL_LINES; i++) await store.save(stateWith(T0 + i));
    expect(linesOf(file)).toHaveLength(1 + JOURNAL_LINES);
    expect(statSync(file).ino).toBe(inode);
    const last = stateWith(T0 + JOURNAL_LINES + 1, undefined, { hint: { order: 'newest-first' } });
    await store.save(last);
    expect(linesOf(file)).toHaveLength(1);
    expect(plainState(await store.load())).toEqual(plainState(last));
  });

  it('every kind of save loads back as the state saved: appended, or written whole when a line cannot say it', async () => {
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    const history = new History(3);
    const scope = { teamId: 'T1', filters: {} };
    const saves: Array<[string, CursorState, 'whole' | 'appended']> = [
      ['the first', stateWith(T0, undefined, { scope }), 'whole'],
      ['a hint, undated', stateWith(T0 + 1, undefined, { scope, hint: { order: 'newest-first' }, undated: { [FP1]: 2 } }), 'appended'],
      ['no hint', stateWith(T0 + 2, undefined, { scope }), 'appended'],
      ['an inventory built', stateWith(T0 + 3, history.fold.inventory, { scope }), 'whole'],
      ['apps changed', stateWith(T0 + 4, history.change(0).inventory, { scope }), 'appended'],
      ['another scope', stateWith(T0 + 5, history.change(1).inventory, { scope: { teamId: 'T2', filters: {} } }), 'whole'],
      ['no scope', stateWith(T0 + 6, history.change(1).inventory), 'whole'],
      ['apps changed again', stateWith(T0 + 7, history.change(2, 0).inventory), 'appended'],
      ['an app gone (an inventory rebuilt)', stateWith(T0 + 8, new Map([...history.fold.inventory].slice(1))), 'whole'],
      ['an app added', stateWith(T0 + 9, history.fold.inventory), 'appended'],
      ['the inventory gone (--rebuild-inventory)', stateWith(T0 + 10), 'whole'],
      ['nothing', stateWith(T0 + 11), 'appended'],
    ];
    let lines = 0;
    let inode = 0;
    for (const [what, state, how] of saves) {
      await store.save(state);
      lines = how === 'whole' ? 1 : lines + 1;
      expect(linesOf(file), what).toHaveLength(lines);
      if (how === 'whole') expect(statSync(file).ino, what).not.toBe(inode);
      else expect(statSync(file).ino, what).toBe(inode);
      inode = statSync(file).ino;
      expect(plainState(await store.load()), what).toEqual(plainState(state));
    }
  });

  it('a new store writes an existing file whole at its first save', async () => {
    const file = join(dir, 'cursor.json');
    const history = new History(3);
    const before = await locked(file);
    await before.save(stateWith(T0, history.fold.inventory));
    await before.save(stateWith(T0 + 1, history.change(0).inventory));
    await before.unlock();
    expect(linesOf(file)).toHaveLength(2);
    const inode = statSync(file).ino;

    const store = await locked(file);
    const loaded = (await store.load())!;
    expect(plainState(loaded)).toEqual(plainState(stateWith(T0 + 1, history.fold.inventory)));
    // Saved as loaded (the parse's objects, not the fold's), then as folded on.
    await expectWholeThenAppended(
      store,
      file,
      { ...loaded, position: { date: T0 + 2, delivered: {} } },
      stateWith(T0 + 3, history.change(1).inventory),
    );
    expect(statSync(file).ino).not.toBe(inode);
  });

  it('a save still running when the lock is released leaves the next save (under the lock again) to write the file whole', async () => {
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    const history = new History(3);
    await store.save(stateWith(T0, history.fold.inventory));
    const running = store.save(stateWith(T0 + 1, history.change(0).inventory));
    await store.unlock();
    await running;
    const inode = statSync(file).ino;
    await store.lock();
    const state = stateWith(T0 + 2, history.change(1).inventory);
    await store.save(state);
    expect(linesOf(file)).toHaveLength(1);
    expect(statSync(file).ino).not.toBe(inode);
    expect(plainState(await store.load())).toEqual(plainState(state));
  });

  it('a file deleted while the store runs is written whole at the next save, not as a save line alone', async () => {
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    const history = new History(3);
    await store.save(stateWith(T0, history.fold.inventory));
    await store.save(stateWith(T0 + 1, history.change(0).inventory));
    rmSync(file);
    // Of the apps, only A1 changed since the line before: a save line alone would not have A0 and A2.
    await expectWholeThenAppended(
      store,
      file,
      stateWith(T0 + 2, history.change(1).inventory),
      stateWith(T0 + 3, history.change(2).inventory),
    );
  });

  /** Saving `state` writes the file whole, saving `next` after it appends to it; each loads back. */
  async function expectWholeThenAppended(store: CursorStore, file: string, state: CursorState, next: CursorState): Promise<void> {
    await store.save(state);
    expect(linesOf(file)).toHaveLength(1);
    expect(plainState(await store.load())).toEqual(plainState(state));
    await store.save(next);
    expect(linesOf(file)).toHaveLength(2);
    expect(plainState(await store.load())).toEqual(plainState(next));
  }

  it('a file put in its place while the store runs (a backup restored: renamed in, or copied over it) is written whole at the next save, not appended to', async () => {
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    const history = new History(3);
    await store.save(stateWith(T0, history.fold.inventory));
    const backup = readFileSync(file);
    await store.save(stateWith(T0 + 1, history.change(0).inventory));
    // Another inode; then the same inode, another size.
    const restores = [
      () => {
        writeFileSync(`${file}.restored`, backup);
        renameSync(`${file}.restored`, file);
      },
      () => writeFileSync(file, backup),
    ];
    for (const [i, restore] of restores.entries()) {
      restore();
      // Only one app changed since the line before: a line after the backup's would lose the others' changes.
      const state = stateWith(T0 + 2 + i, history.change(1 + i).inventory);
      await store.save(state);
      expect(linesOf(file)).toHaveLength(1);
      expect(plainState(await store.load())).toEqual(plainState(state));
    }
  });

  it('a torn last line (a save cut short by a crash) is not loaded, and the next store replaces the file with one whole line', async () => {
    for (const torn of ['half', 'zeros']) {
      const file = join(dir, `${torn}.json`);
      const history = new History(3);
      const before = await locked(file);
      await before.save(stateWith(T0, history.fold.inventory));
      const saved = stateWith(T0 + 1, history.change(0).inventory);
      await before.save(saved);
      await before.unlock();
      const line = linesOf(file)[1]!;
      appendFileSync(file, torn === 'half' ? line.slice(0, line.length / 2) : `${'\0'.repeat(line.length)}\n`);

      const store = await locked(file);
      expect(plainState(await store.load())).toEqual(plainState(saved));
      const next = stateWith(T0 + 2, history.change(1).inventory);
      await store.save(next);
      expect(linesOf(file)).toHaveLength(1);
      expect(plainState(await store.load())).toEqual(plainState(next));
    }
  });

  it('through a symlinked cursor path, the target is written whole in its directory and appended to, the link kept', async () => {
    mkdirSync(join(dir, 'volume'));
    mkdirSync(join(dir, 'config'));
    const target = join(dir, 'volume', 'cursor.json');
    const link = join(dir, 'config', 'cursor.json');
    // Dangling until the first save.
    symlinkSync('../volume/cursor.json', link);
    const store = await locked(link);
    const history = new History(2);
    await store.save(stateWith(T0, history.fold.inventory));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(linesOf(target)).toHaveLength(1);
    const inode = statSync(target).ino;
    const state = stateWith(T0 + 1, history.change(1).inventory);
    await store.save(state);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(linesOf(target)).toHaveLength(2);
    expect(statSync(target).ino).toBe(inode);
    expect(plainState(await store.load())).toEqual(plainState(state));
    expect(readdirSync(join(dir, 'volume'))).toEqual(['cursor.json']);
    expect(readdirSync(join(dir, 'config')).sort()).toEqual(['cursor.json', 'cursor.json.lock']);
  });

  it('a save that fails throws CursorFileError; once the fault is gone, the next save writes the file whole', async () => {
    // The file replaced by a directory: refused to root as well (unlike a file made read-only).
    const file = join(dir, 'cursor.json');
    const store = await locked(file);
    const history = new History(3);
    await store.save(stateWith(T0, history.fold.inventory));
    await store.save(stateWith(T0 + 1, history.change(0).inventory));
    renameSync(file, `${file}.moved`);
    mkdirSync(file);
    await expect(store.save(stateWith(T0 + 2, history.change(1).inventory))).rejects.toThrow(CursorFileError);
    await expect(store.save(stateWith(T0 + 3, history.change(2).inventory))).rejects.toThrow(/^cannot write cursor file .*cursor\.json: /);
    // Put back as it was: still, the store cannot know what a failed save left in it.
    rmdirSync(file);
    renameSync(`${file}.moved`, file);
    const inode = statSync(file).ino;
    const state = stateWith(T0 + 4, history.change(0).inventory);
    await store.save(state);
    expect(linesOf(file)).toHaveLength(1);
    expect(statSync(file).ino).not.toBe(inode);
    expect(plainState(await store.load())).toEqual(plainState(state));
    const next = stateWith(T0 + 5, history.change(1).inventory);
    await store.save(next);
    expect(linesOf(file)).toHaveLength(2);
    expect(plainState(await store.load())).toEqual(plainState(next));
  });

  it('a save line cut short throws CursorFileError and leaves a torn line; the next save writes the file whole, and it loads back', async () => {
    const file = join(dir, 'cursor.json');
    const output = await runUnderFileSizeLimit(
      `const fs = require('node:fs');
      const saved = (date, fingerprints) => ({ position: { date, delivered: Object.fromEntries(Array.from({ length: fingerprints }, (_, i) => [i.toString(16).padStart(32, '0'), 1])) }, backfillStart: 0, persisted: true });
      const store = new state.CursorStore(file, { lockWaitMs: 0 });
      await store.lock();
      await store.save(saved(1, 1));
      await store.save(saved(2, 1));
      const before = fs.readFileSync(file, 'utf8');
      // About 7 KB: past the limit.
      const error = await store.save(saved(3, 200)).then(() => 'saved', (e) => e.name + ' ' + e.cause?.code);
      const torn = fs.readFileSync(file, 'utf8');
      await store.save(saved(4, 2));
      await store.unlock();
      console.log(JSON.stringify({ before, error, torn }));`,
      file,
    );
    expect(output.startsWith('{'), output).toBe(true);
    const { before, error, torn } = JSON.parse(output) as { before: string; error: string; torn: string };
    expect(error).toBe('CursorFileError EFBIG');
    expect(before.split('\n')).toHaveLength(3);
    expect(torn.startsWith(before)).toBe(true);
    expect(torn.length).toBeGreaterThan(before.length);
    expect(torn.endsWith('\n')).toBe(false);
    // A line appended after the torn one would have joined it, and been read as cut short too.
    const content = readFileSync(file, 'utf8');
    expect(content.split('\n')).toHaveLength(2);
    const store = new CursorStore(file);
    expect(plainState(await store.load())).toEqual({
      position: { date: 4, delivered: { [fingerprint(0)]: 1, [fingerprint(1)]: 1 } },
      backfillStart: 0,
      persisted: true,
    });
  });
});

describe('writeFileAtomic with pieces', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-pieces-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the pieces in order, a piece used twice written twice', async () => {
    const file = join(dir, 'f.json');
    const comma = Buffer.from(',');
    await writeFileAtomic(file, `${file}.tmp`, [Buffer.from('[1'), comma, Buffer.from('2'), comma, new Uint8Array([0x33, 0x5d])]);
    expect(readFileSync(file, 'utf8')).toBe('[1,2,3]');
    expect(readdirSync(dir)).toEqual(['f.json']);
  });

  it('a write that stops between pieces (the file size limit) leaves the old file, and no temp file', async () => {
    const file = join(dir, 'cursor.json');
    const old = serializeCursor({ position: { date: 1, delivered: {} }, backfillStart: 0, persisted: true }, NOW);
    writeFileSync(file, old);
    // 20 pieces of 1 KB under a 4 KB limit: the first four go through, then EFBIG.
    const output = await runUnderFileSizeLimit(
      `const pieces = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1024, 97 + i));
      await state.writeFileAtomic(file, file + '.1.1.tmp', pieces).then(() => console.log('written'), (e) => console.log(e.code));`,
      file,
    );
    expect(output).toBe('EFBIG');
    expect(readFileSync(file, 'utf8')).toBe(old);
    expect(readdirSync(dir)).toEqual(['cursor.json']);
  });
});
