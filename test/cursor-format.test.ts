/**
 * The cursor file format (version 2; version 1 read for the upgrade): serializeCursor / parseCursor. Expected file contents are
 * written by hand from the documented format.
 */
import { describe, expect, it } from 'vitest';
import { CURSOR_FORMAT, CURSOR_VERSION, InventoryStateError, parseCursor, serializeCursor, type CursorState } from '../src/state/cursor.js';
import type { AppState } from '../src/inventory/fold.js';

const FP1 = '0123456789abcdef0123456789abcdef';
const FP2 = 'fedcba9876543210fedcba9876543210';
const NOW = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));

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

describe('serializeCursor / parseCursor', () => {
  it('writes the documented format', () => {
    const state: CursorState = {
      position: { date: 1392163202, delivered: { [FP1]: 1, [FP2]: 3 } },
      hint: { order: 'newest-first' },
      backfillStart: 1392163200,
      persisted: false,
    };
    const text = serializeCursor(state, NOW);
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      format: 'slack-integration-logs-receiver/cursor',
      version: 2,
      position: { date: 1392163202, delivered: { [FP1]: 1, [FP2]: 3 } },
      hint: { order: 'newest-first' },
      backfillStart: 1392163200,
      updatedAt: '2026-12-01T10:00:00.000Z',
    });
    expect(CURSOR_FORMAT).toBe('slack-integration-logs-receiver/cursor');
    expect(CURSOR_VERSION).toBe(2);
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
});

describe('parseCursor rejects', () => {
  it('corrupt JSON', () => {
    expect(() => parseCursor('{"format": "slack-integration-logs-receiver/cursor", ')).toThrow(/^not valid JSON \(/);
    expect(() => parseCursor('')).toThrow(/not valid JSON/);
  });

  it('a truncated file (a crash while writing would leave this without atomic writes)', () => {
    const text = file();
    expect(() => parseCursor(text.slice(0, text.length / 2))).toThrow(/not valid JSON/);
  });

  it('another format', () => {
    expect(() => parseCursor(file({ format: 'something-else/cursor' }))).toThrow(/not a cursor file of this receiver \(format: /);
    expect(() => parseCursor('{}')).toThrow(/not a cursor file of this receiver/);
    expect(() => parseCursor('null')).toThrow(/not a cursor file of this receiver \(top level: /);
    expect(() => parseCursor('[1,2]')).toThrow(/not a cursor file of this receiver/);
  });

  it('a future version, naming the versions', () => {
    expect(() => parseCursor(file({ version: 3 }))).toThrow('format version 3 is not one this release reads (it reads 1 and 2)');
  });

  it('a version that is not a number', () => {
    expect(() => parseCursor(file({ version: '1' }))).toThrow(/not a cursor file of this receiver \(version: /);
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
});

describe('the inventory in the cursor file (version 2)', () => {
  const zoom: AppState = {
    app_id: 'A0654ZOOM',
    app_type: 'Zoom',
    status: 'active',
    scopes: ['calls:write', 'channels:history'],
    added_by: { id: 'U1', name: 'ann' },
    added_at: 1392163200,
    last_change: { change_type: 'expanded', user_id: 'U2', at: 1392163300, scopes_added: ['channels:history'] },
    timeline: [
      { change_type: 'added', user_id: 'U1', user_name: 'ann', at: 1392163200, scopes_added: ['calls:write'] },
      { change_type: 'expanded', user_id: 'U2', at: 1392163300, scopes_added: ['channels:history'] },
    ],
  };
  const hook: AppState = {
    service_id: '1234567890',
    service_type: 'Incoming WebHooks',
    status: 'removed',
    scopes: [],
    channel_id: 'C1',
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

  it('is saved in the same file, its apps by key, and read back', () => {
    const text = serializeCursor(state, NOW);
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json.version).toBe(2);
    expect(json.inventory).toEqual({ apps: { 'app:A0654ZOOM': zoom, 'service:1234567890:Incoming WebHooks': hook } });
    // The inventory on one line, after the cursor, which stays readable.
    expect(text.split('\n').filter((line) => line.includes('A0654ZOOM'))).toHaveLength(1);
    expect(text.startsWith('{\n  "format": "slack-integration-logs-receiver/cursor",\n  "version": 2,\n')).toBe(true);
    const back = parseCursor(text);
    expect([...back.inventory!.entries()]).toEqual([
      ['app:A0654ZOOM', zoom],
      ['service:1234567890:Incoming WebHooks', hook],
    ]);
  });

  it('an empty inventory (a log with no apps) is one, not a missing one', () => {
    const back = parseCursor(serializeCursor({ ...state, inventory: new Map() }, NOW));
    expect(back.inventory).toEqual(new Map());
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
});
