/**
 * The cursor file format (version 3, a journal of JSON lines; versions 1 and 2, one JSON document,
 * read for the upgrade): serializeCursor / parseCursor. Expected file contents are written by hand
 * from the documented format (src/state/cursor.ts, src/state/inventory-encoder.ts).
 */
import { describe, expect, it } from 'vitest';
import { CURSOR_FORMAT, CURSOR_VERSION, InventoryStateError, parseCursor, serializeCursor, type CursorState } from '../src/state/cursor.js';
import type { AppState, Inventory } from '../src/inventory/fold.js';

const FP1 = '0123456789abcdef0123456789abcdef';
const FP2 = 'fedcba9876543210fedcba9876543210';
const NOW = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));

/** A version 1 document (one JSON object, no line break): the rejection cases change one field. */
function file(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: 'slack-integration-logs-receiver/cursor',
    version: 1,
    position: { date: 1392163202, delivered: { [FP1]: 1 } },
    hint: { order: 'newest-first' },
    backfillStart: 1392163200,
    updatedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  });
}

/** A version 3 first line, with its line break. */
function firstLine(overrides: Record<string, unknown> = {}): string {
  return `${file({ version: 3, ...overrides })}\n`;
}

/** A save line, with its line break. */
function saveLine(fields: Record<string, unknown>): string {
  return `${JSON.stringify({ position: { date: 1392163300, delivered: {} }, backfillStart: 1392163200, ...fields })}\n`;
}

/** The inventory as plain JSON, apps by key: what a state's `Map` holds, whatever its objects' classes and key order. */
function plain(inventory: Inventory | undefined): unknown {
  return inventory && (JSON.parse(JSON.stringify(Object.fromEntries(inventory))) as unknown);
}

describe('serializeCursor / parseCursor', () => {
  it('writes the documented format: one line, version 3', () => {
    const state: CursorState = {
      position: { date: 1392163202, delivered: { [FP1]: 1, [FP2]: 3 } },
      hint: { order: 'newest-first' },
      backfillStart: 1392163200,
      undated: { [FP2]: 2 },
      scope: { teamId: 'T0123ABCD', filters: { user: 'U1', change_type: 'added' } },
      persisted: false,
    };
    expect(serializeCursor(state, NOW)).toBe(
      '{"format":"slack-integration-logs-receiver/cursor","version":3,' +
        `"position":{"date":1392163202,"delivered":{"${FP1}":1,"${FP2}":3}},"hint":{"order":"newest-first"},"backfillStart":1392163200,` +
        `"undated":{"${FP2}":2},"scope":{"teamId":"T0123ABCD","filters":{"change_type":"added","user":"U1"}},` +
        '"updatedAt":"2026-12-01T10:00:00.000Z"}\n',
    );
    expect(CURSOR_FORMAT).toBe('slack-integration-logs-receiver/cursor');
    expect(CURSOR_VERSION).toBe(3);
  });

  it.each<[string, CursorState['hint']]>([
    ['newest-first hint', { order: 'newest-first' }],
    ['oldest-first hint', { order: 'oldest-first', offset: 2500, count: 1000 }],
    ['no hint', undefined],
  ])('roundtrips (%s)', (_name, hint) => {
    const state: CursorState = {
      position: { date: 1796108117, delivered: { [FP1]: 2, [FP2]: 1 } },
      ...(hint ? { hint } : {}),
      backfillStart: 0,
      persisted: false,
    };
    const back = parseCursor(serializeCursor(state, NOW));
    expect(back).toEqual({
      position: { date: 1796108117, delivered: { [FP1]: 2, [FP2]: 1 } },
      hint,
      backfillStart: 0,
      persisted: true,
    });
    if (!hint) expect(JSON.parse(serializeCursor(state, NOW))).not.toHaveProperty('hint');
  });

  it('roundtrips an empty delivered map (first run, nothing delivered yet)', () => {
    const state: CursorState = { position: { date: 1392163200, delivered: {} }, backfillStart: 1392163200, persisted: false };
    expect(parseCursor(serializeCursor(state, NOW)).position).toEqual({ date: 1392163200, delivered: {} });
  });

  it('reads a hand-written file, updatedAt optional', () => {
    expect(parseCursor(file({ updatedAt: undefined }))).toEqual({
      position: { date: 1392163202, delivered: { [FP1]: 1 } },
      hint: { order: 'newest-first' },
      backfillStart: 1392163200,
      persisted: true,
    });
  });

  it('reads a version 3 first line without its line break (one JSON document)', () => {
    expect(parseCursor(file({ version: 3, hint: undefined })).position).toEqual({ date: 1392163202, delivered: { [FP1]: 1 } });
  });
});

describe('parseCursor rejects', () => {
  it('corrupt JSON', () => {
    expect(() => parseCursor('{"format": "slack-integration-logs-receiver/cursor", ')).toThrow(/^not valid JSON \(/);
    expect(() => parseCursor('')).toThrow(/not valid JSON/);
  });

  it('a truncated file (a crash while writing would leave this without atomic writes)', () => {
    const text = file();
    expect(() => parseCursor(text.slice(0, text.length / 2))).toThrow(/not valid JSON/);
    // A first line cut short is no journal: it is read, and refused, as one document.
    const first = firstLine();
    expect(() => parseCursor(first.slice(0, first.length / 2))).toThrow(/^not valid JSON \(/);
    expect(() => parseCursor(`${first.slice(0, first.length / 2)}\n${saveLine({})}`)).toThrow(/^not valid JSON \(/);
  });

  it('another format', () => {
    expect(() => parseCursor(file({ format: 'something-else/cursor' }))).toThrow(/not a cursor file of this receiver \(format: /);
    expect(() => parseCursor(firstLine({ format: 'something-else/cursor' }))).toThrow(/not a cursor file of this receiver \(format: /);
    expect(() => parseCursor('{}')).toThrow(/not a cursor file of this receiver/);
    expect(() => parseCursor('null')).toThrow(/not a cursor file of this receiver \(top level: /);
    expect(() => parseCursor('[1,2]')).toThrow(/not a cursor file of this receiver/);
  });

  it('a future version, naming the versions', () => {
    expect(() => parseCursor(file({ version: 4 }))).toThrow('format version 4 is not one this release reads (it reads 1, 2, 3)');
    expect(() => parseCursor(`${file({ version: 4 })}\n`)).toThrow('format version 4 is not one this release reads (it reads 1, 2, 3)');
    // A later release's journal: its version named, not a damaged file.
    expect(() => parseCursor(`${file({ version: 4 })}\n{"position":{"date":1,"delivered":{}}}\n`)).toThrow(
      'format version 4 is not one this release reads (it reads 1, 2, 3)',
    );
  });

  it('a version that is not a number', () => {
    expect(() => parseCursor(file({ version: '1' }))).toThrow(/not a cursor file of this receiver \(version: /);
    expect(() => parseCursor(file({ version: '3' }))).toThrow(/not a cursor file of this receiver \(version: /);
  });

  it('a negative delivered count', () => {
    expect(() => parseCursor(file({ position: { date: 1392163202, delivered: { [FP1]: -1 } } }))).toThrow(
      /not a cursor file of this receiver \(position\.delivered\./,
    );
  });

  it('a zero or fractional delivered count', () => {
    expect(() => parseCursor(file({ position: { date: 1392163202, delivered: { [FP1]: 0 } } }))).toThrow(/position\.delivered/);
    expect(() => parseCursor(file({ position: { date: 1392163202, delivered: { [FP1]: 1.5 } } }))).toThrow(/position\.delivered/);
  });

  it('a negative or fractional date', () => {
    expect(() => parseCursor(file({ position: { date: -5, delivered: {} } }))).toThrow(/position\.date/);
    expect(() => parseCursor(file({ position: { date: 1392163202.5, delivered: {} } }))).toThrow(/position\.date/);
  });

  it('a negative backfillStart', () => {
    expect(() => parseCursor(file({ backfillStart: -1 }))).toThrow(/backfillStart/);
  });

  it('a delivered key that is not a fingerprint', () => {
    expect(() => parseCursor(file({ position: { date: 1392163202, delivered: { 'not-a-fingerprint': 1 } } }))).toThrow(
      /position\.delivered/,
    );
  });

  it('a bad oldest-first hint (negative offset, zero count, unknown order)', () => {
    expect(() => parseCursor(file({ hint: { order: 'oldest-first', offset: -1, count: 1000 } }))).toThrow(/hint/);
    expect(() => parseCursor(file({ hint: { order: 'oldest-first', offset: 0, count: 0 } }))).toThrow(/hint/);
    expect(() => parseCursor(file({ hint: { order: 'sideways' } }))).toThrow(/hint/);
  });

  it('each of those in a save line, naming the line', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ position: { date: 1392163300, delivered: { [FP1]: -1 } } }, /^damaged at line 3 \(position\.delivered\./],
      [{ position: { date: 1392163300, delivered: { [FP1]: 1.5 } } }, /^damaged at line 3 \(position\.delivered\./],
      [{ position: { date: -5, delivered: {} } }, /^damaged at line 3 \(position\.date: /],
      [{ position: { date: 1392163300, delivered: { 'not-a-fingerprint': 1 } } }, /^damaged at line 3 \(position\.delivered/],
      [{ backfillStart: -1 }, /^damaged at line 3 \(backfillStart: /],
      [{ hint: { order: 'oldest-first', offset: 0, count: 0 } }, /^damaged at line 3 \(hint/],
      [{ undated: { [FP2]: 0 } }, /^damaged at line 3 \(undated/],
      [{ position: undefined }, /^damaged at line 3 \(position: /],
      // A save line holds neither the scope nor the format: what it must share with line 1 is not repeated.
      [{ scope: { filters: {} } }, /^damaged at line 3 \(top level: .*"scope"/],
      [{ version: 3 }, /^damaged at line 3 \(top level: .*"version"/],
    ];
    for (const [fields, message] of bad) {
      expect(() => parseCursor(firstLine() + saveLine({}) + saveLine(fields) + saveLine({}))).toThrow(message);
    }
    expect(() => parseCursor(firstLine() + saveLine({}) + 'null\n' + saveLine({}))).toThrow(/^damaged at line 3 \(top level: /);
  });
});

describe('the journal: save lines after the first', () => {
  it('each replaces the position, the hint and undated: a later line without hint or undated has none', () => {
    const text =
      firstLine({ undated: { [FP2]: 1 } }) +
      saveLine({
        position: { date: 1392163300, delivered: { [FP2]: 2 } },
        hint: { order: 'oldest-first', offset: 2000, count: 1000 },
        undated: { [FP1]: 3 },
        updatedAt: '2026-12-01T10:05:00.000Z',
      }) +
      saveLine({ position: { date: 1392163400, delivered: {} }, backfillStart: 1392163100, updatedAt: '2026-12-01T10:06:00.000Z' });
    expect(parseCursor(firstLine({ undated: { [FP2]: 1 } }))).toEqual({
      position: { date: 1392163202, delivered: { [FP1]: 1 } },
      hint: { order: 'newest-first' },
      backfillStart: 1392163200,
      undated: { [FP2]: 1 },
      persisted: true,
    });
    const lines = text.split('\n');
    expect(parseCursor(`${lines[0]}\n${lines[1]}\n`)).toEqual({
      position: { date: 1392163300, delivered: { [FP2]: 2 } },
      hint: { order: 'oldest-first', offset: 2000, count: 1000 },
      backfillStart: 1392163200,
      undated: { [FP1]: 3 },
      persisted: true,
    });
    const last = parseCursor(text);
    expect(last).toEqual({ position: { date: 1392163400, delivered: {} }, backfillStart: 1392163100, persisted: true });
    expect(last.hint).toBeUndefined();
    expect(last).not.toHaveProperty('undated');
  });

  it("the scope is line 1's, checked against the one expected", () => {
    const text = firstLine({ scope: { teamId: 'T1', filters: {} } }) + saveLine({});
    expect(parseCursor(text).scope).toEqual({ teamId: 'T1', filters: {} });
    expect(parseCursor(text, { teamId: 'T1', filters: {} }).position.date).toBe(1392163300);
    expect(() => parseCursor(text, { teamId: 'T2', filters: {} })).toThrow(/^the cursor of another team or filter set/);
  });

  it('a last line cut short (a save that never returned) is not read, with or without its line break', () => {
    const first = firstLine();
    const save = saveLine({ position: { date: 1392163300, delivered: { [FP2]: 1 } } });
    const saved = saveLine({ position: { date: 1392163250, delivered: {} } });
    const before = { position: { date: 1392163250, delivered: {} }, backfillStart: 1392163200, persisted: true };
    // Every cut of the line: any of its bytes may be the last one on disk.
    for (let at = 0; at < save.length - 1; at++) {
      expect(parseCursor(first + saved + save.slice(0, at))).toEqual(before);
      expect(parseCursor(first + saved + save.slice(0, at) + '\n')).toEqual(before);
    }
    // Its text whole but not its line break: the save had not returned either.
    expect(parseCursor(first + saved + save.slice(0, -1))).toEqual(before);
    expect(parseCursor(first + saved + save).position).toEqual({ date: 1392163300, delivered: { [FP2]: 1 } });
    // A file system that kept the line's length but not its bytes (zeros), and one that kept the
    // line's break but lost the text before it.
    expect(parseCursor(first + saved + '\0'.repeat(save.length))).toEqual(before);
    expect(parseCursor(first + saved + '\0'.repeat(save.length - 1) + '\n')).toEqual(before);
    expect(parseCursor(first + '\0'.repeat(20))).toEqual({
      ...before,
      position: { date: 1392163202, delivered: { [FP1]: 1 } },
      hint: { order: 'newest-first' },
    });
  });

  it('a damaged line followed by another is refused, naming its line', () => {
    const save = saveLine({});
    expect(() => parseCursor(firstLine() + save.slice(0, 20) + '\n' + save)).toThrow(/^damaged at line 2: not valid JSON \(/);
    expect(() => parseCursor(firstLine() + save + save.slice(0, 20) + '\n' + save)).toThrow(/^damaged at line 3: not valid JSON \(/);
    expect(() => parseCursor(firstLine() + save + '\0\0\0\n' + save + save)).toThrow(/^damaged at line 3: not valid JSON \(/);
    // A blank line is no save either.
    expect(() => parseCursor(firstLine() + '\n' + save)).toThrow(/^damaged at line 2: not valid JSON \(/);
  });
});

describe('the inventory in the cursor file (version 3)', () => {
  const added = { change_type: 'added', user_id: 'U1', user_name: 'ann', at: 1392163200, scopes_added: ['calls:write'] };
  const expanded = { change_type: 'expanded', user_id: 'U2', at: 1392163300, scopes_added: ['channels:history'] };
  const zoom: AppState = {
    app_id: 'A0654ZOOM',
    app_type: 'Zoom',
    status: 'active',
    scopes: ['calls:write', 'channels:history'],
    added_by: { id: 'U1', name: 'ann' },
    added_at: 1392163200,
    // The very object of the timeline's newest change: not written.
    last_change: expanded,
    timeline: [added, expanded],
  };
  const hook: AppState = {
    service_id: '1234567890',
    service_type: 'Incoming WebHooks',
    status: 'removed',
    scopes: [],
    channel_id: 'C1',
    // An object of its own, though equal to the newest change: written.
    last_change: { change_type: 'removed', at: 1392163400, reason: 'user_removed', scopes_removed: ['incoming-webhook'] },
    timeline: [{ change_type: 'removed', at: 1392163400, reason: 'user_removed', scopes_removed: ['incoming-webhook'] }],
  };
  const state: CursorState = {
    position: { date: 1392163400, delivered: { [FP1]: 1 } },
    backfillStart: 0,
    persisted: true,
    inventory: new Map([
      ['app:A0654ZOOM', zoom],
      ['service:1234567890:Incoming WebHooks', hook],
    ]),
  };
  const ZOOM =
    '"app:A0654ZOOM":{"app_id":"A0654ZOOM","app_type":"Zoom","status":"active","scopes":["calls:write","channels:history"],' +
    '"added_by":{"id":"U1","name":"ann"},"added_at":1392163200,' +
    '"timeline":[["added",1392163200,"U1","ann",null,["calls:write"]],["expanded",1392163300,"U2",null,null,["channels:history"]]]}';
  const HOOK =
    '"service:1234567890:Incoming WebHooks":{"service_id":"1234567890","service_type":"Incoming WebHooks","status":"removed","scopes":[],' +
    '"last_change":["removed",1392163400,null,null,"user_removed",null,["incoming-webhook"]],"channel_id":"C1",' +
    '"timeline":[["removed",1392163400,null,null,"user_removed",null,["incoming-webhook"]]]}';

  it('is saved on the first line, its apps by key, changes as lists, last_change left out when it is the newest, and read back', () => {
    const text = serializeCursor(state, NOW);
    expect(text).toBe(
      '{"format":"slack-integration-logs-receiver/cursor","version":3,' +
        `"position":{"date":1392163400,"delivered":{"${FP1}":1}},"backfillStart":0,"updatedAt":"2026-12-01T10:00:00.000Z",` +
        `"inventory":{"apps":{${ZOOM},${HOOK}}}}\n`,
    );
    const back = parseCursor(text);
    expect([...back.inventory!.entries()]).toEqual([
      ['app:A0654ZOOM', zoom],
      ['service:1234567890:Incoming WebHooks', hook],
    ]);
  });

  it('an empty inventory (a log with no apps) is one, not a missing one', () => {
    const text = serializeCursor({ ...state, inventory: new Map() }, NOW);
    expect(text.endsWith(',"inventory":{"apps":{}}}\n')).toBe(true);
    expect(parseCursor(text).inventory).toEqual(new Map());
  });

  it('a change without user, name or reason has nulls in their places, and none after its last field', () => {
    const text = firstLine({
      inventory: {
        apps: {
          'app:A1': {
            status: 'removed',
            scopes: [],
            timeline: [
              ['enabled', 1700000177, 'U1', 'joey'],
              ['removed', 1700000174, 'U2', null, 'slack', null, ['chat:write']],
              ['updated', 1700000178, null, null, null, []],
              ['disabled', 1700000179],
            ],
          },
        },
      },
    });
    const timeline = [
      { change_type: 'enabled', at: 1700000177, user_id: 'U1', user_name: 'joey' },
      { change_type: 'removed', at: 1700000174, user_id: 'U2', reason: 'slack', scopes_removed: ['chat:write'] },
      { change_type: 'updated', at: 1700000178, scopes_added: [] },
      { change_type: 'disabled', at: 1700000179 },
    ];
    expect(plain(parseCursor(text).inventory)).toEqual({
      'app:A1': { status: 'removed', scopes: [], last_change: timeline[3], timeline },
    });
  });

  it('a version 2 document written by hand is read: indented, changes as objects, last_change required', () => {
    const text = `{
  "format": "slack-integration-logs-receiver/cursor",
  "version": 2,
  "position": {
    "date": 1392163400,
    "delivered": {
      "${FP1}": 1
    }
  },
  "hint": {
    "order": "newest-first"
  },
  "backfillStart": 0,
  "updatedAt": "2026-12-01T10:00:00.000Z",
  "inventory": {"apps":{"app:A0654ZOOM":{"app_id":"A0654ZOOM","app_type":"Zoom","status":"active","scopes":["calls:write","channels:history"],"added_by":{"id":"U1","name":"ann"},"added_at":1392163200,"last_change":{"change_type":"expanded","at":1392163300,"user_id":"U2","scopes_added":["channels:history"]},"timeline":[{"change_type":"added","at":1392163200,"user_id":"U1","user_name":"ann","scopes_added":["calls:write"]},{"change_type":"expanded","at":1392163300,"user_id":"U2","scopes_added":["channels:history"]}]},"service:1234567890:Incoming WebHooks":{"service_id":"1234567890","service_type":"Incoming WebHooks","status":"removed","scopes":[],"last_change":{"change_type":"removed","at":1392163400,"reason":"user_removed","scopes_removed":["incoming-webhook"]},"channel_id":"C1","timeline":[{"change_type":"removed","at":1392163400,"reason":"user_removed","scopes_removed":["incoming-webhook"]}]}}}
}
`;
    const back = parseCursor(text);
    expect(back.position).toEqual({ date: 1392163400, delivered: { [FP1]: 1 } });
    expect(back.hint).toEqual({ order: 'newest-first' });
    expect([...back.inventory!.entries()]).toEqual([
      ['app:A0654ZOOM', zoom],
      ['service:1234567890:Incoming WebHooks', hook],
    ]);
    // Version 2 has no lists for changes, and always a last_change.
    const { last_change: _, ...withoutLastChange } = { ...hook, timeline: hook.timeline };
    expect(() => parseCursor(file({ version: 2, inventory: { apps: { 'app:A1': withoutLastChange } } }))).toThrow(
      /^its inventory is damaged \(inventory\.apps\.app:A1\.last_change: /,
    );
    expect(() =>
      parseCursor(file({ version: 2, inventory: { apps: { 'app:A1': { ...hook, timeline: [['removed', 1392163400]] } } } })),
    ).toThrow(/^its inventory is damaged \(inventory\.apps\.app:A1\.timeline\.0: /);
  });

  it('a version 1 file is read, without an inventory: the next pass builds it (an upgrade, not a reset)', () => {
    const back = parseCursor(file());
    expect(back.position).toEqual({ date: 1392163202, delivered: { [FP1]: 1 } });
    expect(back.inventory).toBeUndefined();
  });

  it('a damaged inventory is refused, naming what is wrong; --rebuild-inventory reads the cursor without it', () => {
    const damaged = file({ version: 2, inventory: { apps: { 'app:A1': { ...zoom, status: 'installed' } } } });
    expect(() => parseCursor(damaged)).toThrow(InventoryStateError);
    expect(() => parseCursor(damaged)).toThrow(/^its inventory is damaged \(inventory\.apps\.app:A1\.status: /);
    expect(() => parseCursor(file({ version: 2, inventory: { apps: { 'not-a-key': zoom } } }))).toThrow(InventoryStateError);
    expect(() => parseCursor(file({ version: 2, inventory: [] }))).toThrow(InventoryStateError);
    const rebuilt = parseCursor(damaged, undefined, { rebuildInventory: true });
    expect(rebuilt.inventory).toBeUndefined();
    expect(rebuilt.position.date).toBe(1392163202);
  });

  it('a damaged version 3 inventory is refused the same way: a bad field, a change that is not a list, no last_change and no timeline', () => {
    const app = { status: 'active', scopes: [], timeline: [['added', 1]] };
    const refused: Array<[unknown, RegExp]> = [
      [{ apps: { 'app:A1': { ...app, status: 'installed' } } }, /^its inventory is damaged \(inventory\.apps\.app:A1\.status: /],
      [
        { apps: { 'app:A1': { ...app, timeline: [{ change_type: 'added', at: 1 }] } } },
        /^its inventory is damaged \(inventory\.apps\.app:A1\.timeline\.0: /,
      ],
      [
        { apps: { 'app:A1': { ...app, timeline: [['added', 1, 'U1', null, null, null, null]] } } },
        /\(inventory\.apps\.app:A1\.timeline\.0\.6: /,
      ],
      [
        { apps: { 'app:A1': { ...app, timeline: [] } } },
        /^its inventory is damaged \(inventory\.apps\.app:A1: no last_change, and no timeline\)/,
      ],
      [{ apps: { 'app:A1': { ...app, timeline_dropped: 0 } } }, /^its inventory is damaged \(inventory\.apps\.app:A1: /],
      [{ apps: { 'not-a-key': app } }, /^its inventory is damaged \(inventory\.apps\.not-a-key: /],
    ];
    for (const [inventory, message] of refused) {
      expect(() => parseCursor(firstLine({ inventory }))).toThrow(InventoryStateError);
      expect(() => parseCursor(firstLine({ inventory }))).toThrow(message);
      expect(parseCursor(firstLine({ inventory }), undefined, { rebuildInventory: true }).inventory).toBeUndefined();
    }
  });
});

describe('the inventory in save lines', () => {
  // Line 1: an app whose last_change is its newest change (left out), and a service whose
  // last_change is written, though equal to its newest.
  const first = firstLine({
    hint: undefined,
    inventory: {
      apps: {
        'app:A1': {
          app_id: 'A1',
          app_type: 'Zoom',
          status: 'active',
          scopes: ['calls:write'],
          added_by: { id: 'U1', name: 'ann' },
          added_at: 1700000001,
          timeline: [
            ['added', 1700000001, 'U1', 'ann', null, ['calls:write']],
            ['updated', 1700000050, 'U2'],
          ],
        },
        'service:99:RSS': {
          service_id: '99',
          service_type: 'RSS',
          status: 'active',
          scopes: [],
          last_change: ['added', 1700000002, 'U3'],
          channel_id: 'C1',
          timeline: [['added', 1700000002, 'U3']],
        },
      },
    },
  });
  const A1 = {
    app_id: 'A1',
    app_type: 'Zoom',
    status: 'active',
    scopes: ['calls:write'],
    added_by: { id: 'U1', name: 'ann' },
    added_at: 1700000001,
    last_change: { change_type: 'updated', at: 1700000050, user_id: 'U2' },
    timeline: [
      { change_type: 'added', at: 1700000001, user_id: 'U1', user_name: 'ann', scopes_added: ['calls:write'] },
      { change_type: 'updated', at: 1700000050, user_id: 'U2' },
    ],
  };
  const RSS = {
    service_id: '99',
    service_type: 'RSS',
    status: 'active',
    scopes: [],
    last_change: { change_type: 'added', at: 1700000002, user_id: 'U3' },
    channel_id: 'C1',
    timeline: [{ change_type: 'added', at: 1700000002, user_id: 'U3' }],
  };

  it("line 1 alone: last_change absent is the timeline's newest", () => {
    expect(plain(parseCursor(first).inventory)).toEqual({ 'app:A1': A1, 'service:99:RSS': RSS });
  });

  it('a patch keeps the fields it does not name, replaces those it names, drops the oldest changes and appends its own', () => {
    const disabled = ['disabled', 1700000177, 'U1', 'joey'];
    const text =
      first +
      saveLine({ apps: { 'app:A1': { status: 'disabled', timeline_dropped: 1, timeline: [disabled] } } }) +
      saveLine({
        apps: { 'service:99:RSS': { scopes: ['rss:read'], channel_id: 'C2', timeline_dropped: 0, timeline: [['updated', 1700000180]] } },
      });
    const back = parseCursor(text);
    expect(plain(back.inventory)).toEqual({
      'app:A1': {
        ...A1,
        status: 'disabled',
        last_change: { change_type: 'disabled', at: 1700000177, user_id: 'U1', user_name: 'joey' },
        timeline: [A1.timeline[1], { change_type: 'disabled', at: 1700000177, user_id: 'U1', user_name: 'joey' }],
      },
      'service:99:RSS': {
        ...RSS,
        scopes: ['rss:read'],
        channel_id: 'C2',
        // Not named: the newest change, not line 1's last_change.
        last_change: { change_type: 'updated', at: 1700000180 },
        timeline: [RSS.timeline[0], { change_type: 'updated', at: 1700000180 }],
      },
    });
    // The apps of the line before: the inventory read is the last line's, line after line.
    const lines = text.split('\n');
    expect(plain(parseCursor(`${lines[0]}\n${lines[1]}\n`).inventory)).toMatchObject({ 'service:99:RSS': RSS });
  });

  it('a patch that drops its whole timeline, appends nothing, or names its last_change', () => {
    const text =
      first +
      saveLine({ apps: { 'app:A1': { timeline_dropped: 2, timeline: [['expanded', 1700000060, null, null, null, ['chat:write']]] } } }) +
      saveLine({ apps: { 'app:A1': { added_at: 1700000061, timeline_dropped: 0, timeline: [] } } }) +
      saveLine({ apps: { 'app:A1': { last_change: ['removed', 1700000070], timeline_dropped: 1, timeline: [] } } });
    const lines = text.split('\n');
    const expanded = { change_type: 'expanded', at: 1700000060, scopes_added: ['chat:write'] };
    expect(plain(parseCursor(`${lines.slice(0, 2).join('\n')}\n`).inventory)).toMatchObject({
      'app:A1': { ...A1, last_change: expanded, timeline: [expanded] },
    });
    expect(plain(parseCursor(`${lines.slice(0, 3).join('\n')}\n`).inventory)).toMatchObject({
      'app:A1': { ...A1, added_at: 1700000061, last_change: expanded, timeline: [expanded] },
    });
    expect(plain(parseCursor(text).inventory)).toEqual({
      'app:A1': { ...A1, added_at: 1700000061, last_change: { change_type: 'removed', at: 1700000070 }, timeline: [] },
      'service:99:RSS': RSS,
    });
  });

  it('an app without timeline_dropped is whole: new, or replacing the one before with none of its fields', () => {
    const text =
      first +
      saveLine({
        apps: {
          'app:B2': {
            app_id: 'B2',
            status: 'removed',
            scopes: [],
            timeline: [['removed', 1700000174, 'U2', null, 'slack', null, ['chat:write']]],
          },
          'app:A1': { status: 'disabled', scopes: [], timeline: [['disabled', 1700000175]] },
        },
      });
    const removed = { change_type: 'removed', at: 1700000174, user_id: 'U2', reason: 'slack', scopes_removed: ['chat:write'] };
    const back = parseCursor(text);
    expect(plain(back.inventory)).toEqual({
      'app:A1': {
        status: 'disabled',
        scopes: [],
        last_change: { change_type: 'disabled', at: 1700000175 },
        timeline: [{ change_type: 'disabled', at: 1700000175 }],
      },
      'service:99:RSS': RSS,
      'app:B2': { app_id: 'B2', status: 'removed', scopes: [], last_change: removed, timeline: [removed] },
    });
  });

  it('an inventory part of a save line cut short is not read either', () => {
    const save = saveLine({ apps: { 'app:A1': { status: 'disabled', timeline_dropped: 0, timeline: [['disabled', 1700000177]] } } });
    const at = save.indexOf('"disabled"');
    expect(plain(parseCursor(first + save.slice(0, at)).inventory)).toEqual({ 'app:A1': A1, 'service:99:RSS': RSS });
    expect(plain(parseCursor(first + save.slice(0, -2) + '\n').inventory)).toEqual({ 'app:A1': A1, 'service:99:RSS': RSS });
  });

  it('a save line with apps when line 1 has no inventory, or without when it has one, is a damaged inventory', () => {
    expect(() => parseCursor(firstLine() + saveLine({ apps: {} }))).toThrow(InventoryStateError);
    expect(() => parseCursor(firstLine() + saveLine({ apps: {} }))).toThrow(
      /^its inventory is damaged \(line 2: apps without an inventory\)/,
    );
    expect(() => parseCursor(first + saveLine({ apps: {} }) + saveLine({}))).toThrow(InventoryStateError);
    expect(() => parseCursor(first + saveLine({ apps: {} }) + saveLine({}))).toThrow(/^its inventory is damaged \(line 3: no apps\)/);
  });

  it('a damaged app of a save line is a damaged inventory, naming the line and the app', () => {
    const refused: Array<[unknown, RegExp]> = [
      [{ 'app:A1': { status: 'installed', timeline_dropped: 0, timeline: [] } }, /^its inventory is damaged \(line 2, apps\.app:A1[.:]/],
      [{ 'app:A1': { timeline_dropped: -1, timeline: [] } }, /^its inventory is damaged \(line 2, apps\.app:A1[.:]/],
      [{ 'app:A1': { timeline_dropped: 0 } }, /^its inventory is damaged \(line 2, apps\.app:A1[.:]/],
      [
        { 'app:A1': { timeline_dropped: 0, timeline: [{ change_type: 'added', at: 1 }] } },
        /^its inventory is damaged \(line 2, apps\.app:A1[.:]/,
      ],
      [
        { 'app:A1': { status: 'active', scopes: [], timeline: [] } },
        /^its inventory is damaged \(line 2, apps\.app:A1: no last_change, and no timeline\)/,
      ],
      [{ 'not-a-key': { timeline_dropped: 0, timeline: [] } }, /^its inventory is damaged \(line 2, apps\.not-a-key: /],
      [[], /^its inventory is damaged \(line 2, apps: /],
      // More than the timeline holds: the line is not of this file.
      [
        { 'app:A1': { timeline_dropped: 3, timeline: [] } },
        /^its inventory is damaged \(line 2, apps\.app:A1: drops 3 changes of a timeline of 2\)/,
      ],
      // A patch of an app the file does not hold.
      [
        { 'app:Z9': { timeline_dropped: 0, timeline: [['added', 1]] } },
        /^its inventory is damaged \(line 2, apps\.app:Z9: drops 0 changes of a timeline of 0\)/,
      ],
    ];
    for (const [apps, message] of refused) {
      expect(() => parseCursor(first + saveLine({ apps }) + saveLine({ apps: {} }))).toThrow(InventoryStateError);
      expect(() => parseCursor(first + saveLine({ apps }) + saveLine({ apps: {} }))).toThrow(message);
    }
    // Two changes, the whole timeline, may be dropped.
    expect(
      parseCursor(first + saveLine({ apps: { 'app:A1': { timeline_dropped: 2, timeline: [['added', 1]] } } })).inventory?.get('app:A1')
        ?.timeline,
    ).toEqual([{ change_type: 'added', at: 1 }]);
  });

  it('--rebuild-inventory reads a journal whose inventory parts are damaged: the position of its last line, no inventory', () => {
    const text =
      firstLine({ inventory: { apps: { 'app:A1': { status: 'installed', scopes: [], timeline: [] } } } }) +
      saveLine({ apps: { 'app:A1': { timeline_dropped: 9, timeline: [] } } }) +
      saveLine({ position: { date: 1392163500, delivered: { [FP2]: 1 } }, hint: { order: 'newest-first' }, apps: [] }) +
      saveLine({ position: { date: 1392163600, delivered: { [FP1]: 2 } }, undated: { [FP2]: 1 } }) +
      saveLine({ position: { date: 1392163700, delivered: {} } }).slice(0, 30);
    expect(() => parseCursor(text)).toThrow(InventoryStateError);
    expect(parseCursor(text, undefined, { rebuildInventory: true })).toEqual({
      position: { date: 1392163600, delivered: { [FP1]: 2 } },
      backfillStart: 1392163200,
      undated: { [FP2]: 1 },
      persisted: true,
    });
    // What is not the inventory is still checked.
    expect(() =>
      parseCursor(text.slice(0, text.lastIndexOf('\n') + 1) + saveLine({ backfillStart: -1 }), undefined, { rebuildInventory: true }),
    ).toThrow(/^damaged at line 5 \(backfillStart: /);
  });
});
