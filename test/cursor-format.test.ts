/**
 * The cursor file format (version 1): serializeCursor / parseCursor. Expected file contents are
 * written by hand from the documented format.
 */
import { describe, expect, it } from 'vitest';
import { CURSOR_FORMAT, CURSOR_VERSION, parseCursor, serializeCursor, type CursorState } from '../src/state/cursor.js';

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
      version: 1,
      position: { date: 1392163202, delivered: { [FP1]: 1, [FP2]: 3 } },
      hint: { order: 'newest-first' },
      backfillStart: 1392163200,
      updatedAt: '2026-12-01T10:00:00.000Z',
    });
    expect(CURSOR_FORMAT).toBe('slack-integration-logs-receiver/cursor');
    expect(CURSOR_VERSION).toBe(1);
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

  it('a future version, naming both versions', () => {
    expect(() => parseCursor(file({ version: 2 }))).toThrow('format version 2 is not one this release reads (it reads 1)');
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
