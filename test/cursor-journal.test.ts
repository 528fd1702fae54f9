/**
 * The cursor file written from pieces (`cursorPieces`, `writeFileAtomic` with a piece list): the
 * same bytes as the whole file encoded at once, with the app and change texts made once and reused
 * across saves, and atomic when a write stops between pieces.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cursorPieces, parseCursor, serializeCursor, type CursorState } from '../src/state/cursor.js';
import { writeFileAtomic } from '../src/state/atomic-write.js';
import { InventoryEncoder } from '../src/state/inventory-encoder.js';
import { InventoryFold, type AppState, type Inventory } from '../src/inventory/fold.js';
import { ROOT } from './process-helpers.js';

const FP1 = '0123456789abcdef0123456789abcdef';
const NOW = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));

/** The fields of an app in the order docs/cursor.md gives, the timeline last. */
const APP_ORDER = [
  'app_id',
  'service_id',
  'app_type',
  'service_type',
  'status',
  'scopes',
  'added_by',
  'added_at',
  'last_change',
  'channel_id',
  'timeline',
];

const CHANGE_ORDER = ['change_type', 'at', 'user_id', 'user_name', 'reason', 'scopes_added', 'scopes_removed'];

function ordered<T extends object>(value: T, order: string[]): T {
  const fields = value as Record<string, unknown>;
  return Object.fromEntries(order.filter((name) => name in fields).map((name) => [name, fields[name]])) as T;
}

/** `app` with its fields, and its changes' fields, in the file's order, whatever the order of its objects. */
function inFileOrder(app: AppState): AppState {
  return ordered(
    { ...app, last_change: ordered(app.last_change, CHANGE_ORDER), timeline: app.timeline.map((change) => ordered(change, CHANGE_ORDER)) },
    APP_ORDER,
  );
}

/** The file as the format documents it, encoded in one go: the cursor indented, the inventory on one line. */
function expectedText(state: CursorState): string {
  const head = JSON.stringify(
    {
      format: 'slack-integration-logs-receiver/cursor',
      version: 2,
      position: state.position,
      ...(state.hint ? { hint: state.hint } : {}),
      backfillStart: state.backfillStart,
      updatedAt: NOW.toISOString(),
    },
    null,
    2,
  );
  if (!state.inventory) return `${head}\n`;
  const apps = JSON.stringify({ apps: Object.fromEntries([...state.inventory].map(([key, app]) => [key, inFileOrder(app)])) });
  return `${head.slice(0, -2)},\n  "inventory": ${apps}\n}\n`;
}

const CHANGES = ['added', 'expanded', 'updated', 'disabled', 'enabled', 'removed'];

/** Folds `n` entries over `apps` apps (every app gets more than a full timeline), taking the changes every `batch` entries. */
function foldedInventories(n: number, apps: number, batch: number): Inventory[] {
  const fold = new InventoryFold();
  const saved: Inventory[] = [];
  let acknowledged = new Map<string, AppState>();
  for (let i = 0; i < n; i++) {
    const app = i % apps;
    fold.apply(
      {
        ...(app % 3 === 2
          ? { service_id: `${1000 + app}`, service_type: 'RSS', channel: `C${app}` }
          : { app_id: `A${app}`, app_type: 'App "ü"' }),
        change_type: CHANGES[(i * 7) % CHANGES.length],
        user_id: `U${i % 5}`,
        ...(i % 4 === 0 ? { user_name: 'ann' } : {}),
        ...(i % 6 === 5 ? { reason: 'user' } : {}),
        scope: ['chat:write', 'commands', 'im:history'].slice(0, i % 4).join(','),
      },
      1_700_000_000 + i,
    );
    if ((i + 1) % batch === 0) {
      acknowledged = new Map([...acknowledged, ...fold.takeChanges()]);
      saved.push(acknowledged);
    }
  }
  return saved;
}

describe('cursorPieces', () => {
  const base: CursorState = {
    position: { date: 1_700_000_500, delivered: { [FP1]: 2 } },
    hint: { order: 'newest-first' },
    backfillStart: 0,
    persisted: true,
  };

  it('joined, are byte for byte the whole file encoded at once, save after save of one file (apps and timelines reused)', () => {
    const inventories = foldedInventories(2_000, 7, 25);
    expect(inventories).toHaveLength(80);
    expect(inventories.at(-1)!.get('app:A0')!.timeline).toHaveLength(50);
    const encoder = new InventoryEncoder();
    let before: Uint8Array[] = [];
    for (const inventory of inventories) {
      const state = { ...base, inventory };
      const pieces = cursorPieces(state, NOW, encoder);
      expect(Buffer.concat(pieces).toString('utf8')).toBe(expectedText(state));
      // An app whose timeline is in several runs of changes (at most 4) is written in a piece for
      // its head, one per run and one for its new changes and `]}`: at most 6, beside the file's
      // head, `{"apps":{`, `}}` and its end.
      expect(pieces.length).toBeLessThanOrEqual(2 + 7 * 6 + 2);
      // A second save of the same states writes the same bytes, each app in one piece (joined,
      // as it did not change), and a third the same buffers of every app but the first (a view
      // without its leading comma).
      const again = cursorPieces(state, NOW, encoder);
      expect(Buffer.concat(again).equals(Buffer.concat(pieces))).toBe(true);
      expect(again).toHaveLength(2 + 7 + 2);
      const third = cursorPieces(state, NOW, encoder);
      expect(Buffer.concat(third).equals(Buffer.concat(pieces))).toBe(true);
      third.slice(3, -2).forEach((piece, i) => expect(piece).toBe(again[i + 3]));
      before = pieces;
    }
    // The last save after a batch, with every app changed in it, took the earlier changes of the
    // timelines from earlier saves: more pieces than apps.
    expect(before.length).toBeGreaterThan(2 + 7 + 2);
  });

  it('save after save of apps that change in every one, are the whole file encoded at once (runs joined, changes dropped from joined runs)', () => {
    for (const [apps, batch] of [
      [7, 25],
      [3, 13],
      [5, 97],
    ] as const) {
      const encoder = new InventoryEncoder();
      for (const inventory of foldedInventories(3_000, apps, batch)) {
        const state = { ...base, inventory };
        const pieces = cursorPieces(state, NOW, encoder);
        expect(Buffer.concat(pieces).toString('utf8')).toBe(expectedText(state));
        expect(pieces.length).toBeLessThanOrEqual(2 + apps * 6 + 2);
      }
    }
  });

  it('an app that stopped changing is one buffer of its own: none of a save it shared with other apps is kept alive by it', () => {
    const encoder = new InventoryEncoder();
    const [first, second] = foldedInventories(400, 6, 200);
    cursorPieces({ ...base, inventory: first! }, NOW, encoder);
    // Saved once more unchanged: each app (but the first, a view without its leading comma) is a
    // buffer whose memory is its text alone.
    const pieces = cursorPieces({ ...base, inventory: first! }, NOW, encoder);
    const apps = pieces.slice(3, -2);
    expect(apps).toHaveLength(5);
    for (const piece of apps) expect([piece.byteOffset, piece.buffer.byteLength]).toEqual([0, piece.length]);
    // Changed, then unchanged again: the same.
    cursorPieces({ ...base, inventory: second! }, NOW, encoder);
    const again = cursorPieces({ ...base, inventory: second! }, NOW, encoder).slice(3, -2);
    for (const piece of again) expect([piece.byteOffset, piece.buffer.byteLength]).toEqual([0, piece.length]);
  });

  it('a save that throws half way leaves the encoder as the save before left it', () => {
    const encoder = new InventoryEncoder();
    const [first, second] = foldedInventories(300, 3, 150);
    cursorPieces({ ...base, inventory: first! }, NOW, encoder);
    const broken = new Map(second!);
    const [lastKey, lastApp] = [...broken].at(-1)!;
    broken.set(lastKey, {
      ...lastApp,
      get last_change(): AppState['last_change'] {
        throw new Error('unreadable');
      },
    });
    expect(() => cursorPieces({ ...base, inventory: broken }, NOW, encoder)).toThrow('unreadable');
    const state = { ...base, inventory: second! };
    expect(Buffer.concat(cursorPieces(state, NOW, encoder)).toString('utf8')).toBe(expectedText(state));
  });

  it('one encoder for unrelated inventories (other change objects, fewer apps, other orders) still writes each as it is', () => {
    const encoder = new InventoryEncoder();
    const a = foldedInventories(900, 6, 300);
    const b = foldedInventories(700, 4, 350);
    for (const inventory of [a[0]!, b[1]!, a[2]!, new Map([...a[1]!].reverse()), b[0]!, new Map()]) {
      const state = { ...base, inventory };
      expect(Buffer.concat(cursorPieces(state, NOW, encoder)).toString('utf8')).toBe(expectedText(state));
    }
  });

  it('read back, are the inventory saved; apps read from a file are saved as they read (their own key order)', () => {
    const state = { ...base, inventory: foldedInventories(600, 5, 100).at(-1)! };
    const back = parseCursor(serializeCursor(state, NOW));
    expect(back.inventory).toEqual(state.inventory);
    const again = { ...back, hint: base.hint };
    expect(serializeCursor(again, NOW)).toBe(expectedText(again));
  });

  it('an app whose id starts with a line break (the key is whatever Slack sent) reads back', () => {
    const app: AppState = {
      app_id: '\n\u2028A1',
      status: 'active',
      scopes: [],
      last_change: { change_type: 'added', at: 1 },
      timeline: [],
    };
    const state = { ...base, inventory: new Map([['app:\n\u2028A1', app]]) };
    expect(parseCursor(serializeCursor(state, NOW)).inventory).toEqual(state.inventory);
  });

  it('an app state keyed by another key gets that key', () => {
    const app: AppState = { status: 'active', scopes: [], last_change: { change_type: 'added', at: 1 }, timeline: [] };
    serializeCursor({ ...base, inventory: new Map([['app:A1', app]]) }, NOW);
    const state = { ...base, inventory: new Map([['app:B2', app]]) };
    expect(serializeCursor(state, NOW)).toBe(expectedText(state));
  });

  it('without an inventory, and with an empty one', () => {
    expect(serializeCursor(base, NOW)).toBe(expectedText(base));
    const empty = { ...base, inventory: new Map() };
    expect(serializeCursor(empty, NOW)).toBe(expectedText(empty));
    expect(parseCursor(serializeCursor(empty, NOW)).inventory).toEqual(new Map());
  });
});

describe('writeFileAtomic with pieces', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the pieces in order, a piece used twice written twice', async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-pieces-'));
    const file = join(dir, 'f.json');
    const comma = Buffer.from(',');
    await writeFileAtomic(file, `${file}.tmp`, [Buffer.from('[1'), comma, Buffer.from('2'), comma, new Uint8Array([0x33, 0x5d])]);
    expect(await readFile(file, 'utf8')).toBe('[1,2,3]');
    expect(await readdir(dir)).toEqual(['f.json']);
  });

  it('a write that stops between pieces (the file size limit) leaves the old file, and no temp file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-pieces-'));
    const file = join(dir, 'cursor.json');
    const old = serializeCursor({ position: { date: 1, delivered: {} }, backfillStart: 0, persisted: true }, NOW);
    await writeFile(file, old);
    // 20 pieces of 1 KB under a 4 KB limit (`ulimit -f` counts KB): the first four go through, then
    // EFBIG (Node ignores SIGXFSZ). Built code: a child process runs it (`npm test` builds first).
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(join(ROOT, 'dist/state/atomic-write.js'))};
      const pieces = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1024, 97 + i));
      await writeFileAtomic(process.argv[1], process.argv[1] + '.1.1.tmp', pieces).then(
        () => console.log('written'),
        (e) => console.log(e.code),
      );`;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('bash', ['-c', 'ulimit -f 4 && exec "$0" "$@"', process.execPath, '--input-type=module', '-e', script, file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim()));
    });
    expect(output).toBe('EFBIG');
    expect(await readFile(file, 'utf8')).toBe(old);
    expect(await readdir(dir)).toEqual(['cursor.json']);
  });
});
