/**
 * Slack entry -> LogRecord, against hand-written golden files, one per case, named for it:
 * test/golden/mapping/<case>.json holds `entry` as Slack sends it (date as string and number,
 * service_id as number and string, apps, custom integrations, RSS, undocumented fields, identical
 * entries), the `occurrence` the entry has in its second, and the `record` expected for it, written
 * by hand from the mapping contract (docs/mapping.md). `held`, when present, lists the
 * scopes the app held just before the entry (absent: the app is not in the inventory yet): the
 * record's `scopes.added` and `scopes.removed` come from the inventory's fold as of the entry.
 * `log.record.uid` is computed here with node:crypto and a canonical JSON of our own.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeEntry } from '../src/entry/normalize.js';
import { toLogRecord, type MappingContext } from '../src/record/mapping.js';
import { foldEntry, type AppState } from '../src/inventory/fold.js';

interface GoldenCase {
  entry: Record<string, unknown>;
  occurrence: number;
  held?: string[];
  record: {
    eventName: string;
    /** HrTime: `[seconds, nanoseconds]`. */
    timestamp: [number, number];
    observedTimestamp: [number, number];
    severityNumber: number;
    severityText: string;
    /** Absent: the body is checked by a test of its own. */
    body?: string;
    attributes: Record<string, unknown>;
  };
}

const GOLDEN_DIR = new URL('./golden/mapping/', import.meta.url);
/** Every golden case, by name (its file name without `.json`). */
const CASES: Record<string, GoldenCase> = Object.fromEntries(
  readdirSync(GOLDEN_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [file.slice(0, -'.json'.length), JSON.parse(readFileSync(new URL(file, GOLDEN_DIR), 'utf8')) as GoldenCase]),
);
const NAMES = Object.keys(CASES);
/** The entry of a named case; throws on a name with no file, so a renamed case cannot go unnoticed. */
function entryOf(name: string): Record<string, unknown> {
  const golden = CASES[name];
  if (!golden) throw new Error(`no golden case ${name}.json`);
  return golden.entry;
}

/** The observed time every golden record was written with, and the same as HrTime. */
const OBSERVED_AT_MS = 1_700_000_000_500;
const OBSERVED_HR = [1_700_000_000, 500_000_000];

// ---------------------------------------------------------------------------------------------
// Independent uid computation

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeysDeep(obj[k])]),
    );
  }
  return value;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** The normalized fields, per the notes: `date` a number of seconds, `service_id` a string. */
function normalizedFields(raw: Record<string, unknown>): Record<string, unknown> {
  const fields = { ...raw };
  if (typeof fields.date === 'string' && /^\d+$/.test(fields.date)) fields.date = Number(fields.date);
  if (typeof fields.service_id === 'number') fields.service_id = String(fields.service_id);
  return fields;
}

function expectedFingerprint(raw: Record<string, unknown>): string {
  return sha256Hex(JSON.stringify(sortKeysDeep(normalizedFields(raw)))).slice(0, 32);
}

function expectedUid(raw: Record<string, unknown>, occurrence: number, team?: string): string {
  return sha256Hex(`${team ? `${team}:` : ''}${expectedFingerprint(raw)}:${occurrence}`).slice(0, 32);
}

function ctx(occurrence: number, policy: MappingContext['timestampPolicy'] = 'entry', observedAtMs = OBSERVED_AT_MS): MappingContext {
  return { occurrence, observedAtMs, timestampPolicy: policy };
}

/** A golden case's context: its occurrence, and what the inventory's fold says its entry changed. */
function inventoryCtx(name: string): MappingContext {
  const { entry: raw, occurrence, held } = CASES[name]!;
  const entry = normalizeEntry(raw);
  const before: AppState | undefined = held && {
    status: 'active',
    scopes: held,
    last_change: { change_type: 'added', at: 0 },
    timeline: [],
  };
  const { effect } = foldEntry(before, entry.fields, entry.date ?? 0);
  return { ...ctx(occurrence), ...effect };
}

// ---------------------------------------------------------------------------------------------

describe('golden files', () => {
  it('hold an entry, its occurrence, the scopes held before it, and its expected record in each of the 15 cases', () => {
    expect(NAMES).toHaveLength(15);
    for (const name of NAMES) {
      expect(
        Object.keys(CASES[name]!)
          .filter((key) => key !== 'held')
          .sort(),
        name,
      ).toEqual(['entry', 'occurrence', 'record']);
    }
    expect(NAMES.filter((name) => CASES[name]!.held)).toEqual([
      'app-expanded-delta-only',
      'app-expanded-nothing-new',
      'app-expanded',
      'app-removed-spaced-scopes',
    ]);
  });

  it('expansions: a full list and a delta-only list of the same grant say the same scopes are new', () => {
    const added = (name: string) =>
      toLogRecord(normalizeEntry(entryOf(name)), inventoryCtx(name)).attributes!['slack.integration.scopes.added'];
    expect(added('app-expanded')).toEqual(['channels:history', 'users:read.email']);
    expect(added('app-expanded-delta-only')).toEqual(added('app-expanded'));
    expect(added('app-expanded-nothing-new')).toEqual([]);
  });

  it('the identical entries are really identical (same content, same second)', () => {
    expect(entryOf('identical-first')).toEqual(entryOf('identical-again'));
    expect(normalizeEntry(entryOf('identical-first')).fingerprint).toBe(normalizeEntry(entryOf('identical-again')).fingerprint);
    expect([CASES['identical-first']!.occurrence, CASES['identical-again']!.occurrence]).toEqual([0, 1]);
  });

  it.each(NAMES)('%s maps to its golden record', (name) => {
    const { entry: raw, occurrence, record } = CASES[name]!;
    const entry = normalizeEntry(raw);
    expect(entry.fingerprint).toBe(expectedFingerprint(raw));

    const actual = toLogRecord(entry, inventoryCtx(name));
    const { body, ...rest } = record;
    const expected = {
      ...rest,
      attributes: { ...record.attributes, 'log.record.uid': expectedUid(raw, occurrence) },
    };
    const { body: actualBody, ...actualRest } = actual;
    expect(actualRest).toEqual(expected);
    if (body !== undefined) expect(actualBody).toBe(body);
    // No attribute is ever an empty string.
    for (const [k, v] of Object.entries(actual.attributes ?? {})) {
      expect(v, k).not.toBe('');
    }
  });

  it('identical entries in one second get distinct uids, stable across calls', () => {
    const a = toLogRecord(normalizeEntry(entryOf('identical-first')), ctx(0));
    const b = toLogRecord(normalizeEntry(entryOf('identical-again')), ctx(1));
    const again = toLogRecord(normalizeEntry(structuredClone(entryOf('identical-first'))), ctx(0, 'entry', 1));
    expect(a.attributes!['log.record.uid']).not.toBe(b.attributes!['log.record.uid']);
    expect(again.attributes!['log.record.uid']).toBe(a.attributes!['log.record.uid']);
    expect(a.attributes!['log.record.uid']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('every uid in the golden set is distinct', () => {
    const uids = NAMES.map(
      (name) => toLogRecord(normalizeEntry(entryOf(name)), ctx(CASES[name]!.occurrence)).attributes!['log.record.uid'],
    );
    expect(new Set(uids).size).toBe(NAMES.length);
  });

  it('date as a string and as a number of the same second give the same fingerprint', () => {
    const asString = normalizeEntry({ ...entryOf('app-added'), date: '1392163200' });
    const asNumber = normalizeEntry({ ...entryOf('app-added'), date: 1392163200 });
    expect(asString.date).toBe(1392163200);
    expect(asNumber.fingerprint).toBe(asString.fingerprint);
  });

  it('service_id as a number and as a string of the same digits give the same fingerprint', () => {
    const asNumber = normalizeEntry({ ...entryOf('service-enabled-numeric-ids'), service_id: 1234567890 });
    const asString = normalizeEntry({ ...entryOf('service-enabled-numeric-ids'), service_id: '1234567890' });
    expect(asNumber.fields.service_id).toBe('1234567890');
    expect(asNumber.fingerprint).toBe(asString.fingerprint);
  });
});

describe('fingerprints', () => {
  // The expected texts are written out by hand: keys sorted by code unit at every depth.
  const fp = (text: string) => sha256Hex(text).slice(0, 32);

  it('do not depend on the order Slack lists the fields in', () => {
    const a = normalizeEntry({ user_id: 'U1', date: '1392163200', change_type: 'added', app_id: 'A1' });
    const b = normalizeEntry({ app_id: 'A1', change_type: 'added', date: 1392163200, user_id: 'U1' });
    const text = '{"app_id":"A1","change_type":"added","date":1392163200,"user_id":"U1"}';
    expect(a.fingerprint).toBe(fp(text));
    expect(b.fingerprint).toBe(fp(text));
  });

  it('sort nested keys, and keys that look like array indexes, like any other key', () => {
    const entry = normalizeEntry({ date: 1, extra: { z: 1, a: [{ y: 2, b: 3 }] }, '10': 'x', '9': 'y', b: 'z' });
    expect(entry.fingerprint).toBe(fp('{"10":"x","9":"y","b":"z","date":1,"extra":{"a":[{"b":3,"y":2}],"z":1}}'));
    const flat = normalizeEntry({ date: 1, '10': 'x', '9': 'y', b: 'z' });
    expect(flat.fingerprint).toBe(fp('{"10":"x","9":"y","b":"z","date":1}'));
  });

  it('see fields named like built-in object properties', () => {
    const raw = JSON.parse('{"date":1,"__proto__":"p","constructor":"c","toString":"t"}') as Record<string, unknown>;
    const entry = normalizeEntry(raw);
    expect(entry.fingerprint).toBe(fp('{"__proto__":"p","constructor":"c","date":1,"toString":"t"}'));
    const attributes = toLogRecord(entry, ctx(0)).attributes!;
    expect(attributes['slack.integration.__proto__']).toBe('p');
    expect(attributes['slack.integration.constructor']).toBe('c');
    expect(attributes['slack.integration.toString']).toBe('t');
  });
});

describe('bodies', () => {
  it('an RSS feed without a service is named once', () => {
    const body = toLogRecord(normalizeEntry(entryOf('rss-feed-removed-without-service')), ctx(0)).body as string;
    expect(body).toBe('Roy removed RSS feed "Status Updates" https://status.example.com/rss in channel C5678901234');
  });

  it('line breaks in Slack text do not break the one-line summary', () => {
    const body = toLogRecord(normalizeEntry({ ...entryOf('app-added'), user_name: 'Bil\nly', app_type: 'Johnny\r\nApp' }), ctx(0)).body;
    expect(body).toBe('Bil ly added app "Johnny App" (app_id 2345678901) with scopes chat:write:user, channels:read');
  });

  it('an entry with nothing to name still gets a sentence', () => {
    expect(toLogRecord(normalizeEntry({ date: '1392163200' }), ctx(0)).body).toBe('someone changed an integration');
  });
});

describe('timestamp policy', () => {
  it.each(NAMES)("'observed': %s has the fetch time and its date in slack.integration.date", (name) => {
    const { entry: raw, occurrence, record } = CASES[name]!;
    const observedAtMs = 1_800_000_000_123;
    const actual = toLogRecord(normalizeEntry(raw), { ...inventoryCtx(name), ...ctx(occurrence, 'observed', observedAtMs) });
    expect(actual.timestamp).toEqual([1_800_000_000, 123_000_000]);
    expect(actual.observedTimestamp).toEqual([1_800_000_000, 123_000_000]);
    expect(actual.attributes).toEqual({
      ...record.attributes,
      'slack.integration.date': Number(raw.date),
      'log.record.uid': expectedUid(raw, occurrence),
    });
    expect(typeof actual.attributes!['slack.integration.date']).toBe('number');
  });

  it("'entry': no slack.integration.date attribute when the date is usable", () => {
    const actual = toLogRecord(normalizeEntry(entryOf('app-added')), ctx(0, 'entry'));
    expect(actual.attributes).not.toHaveProperty('slack.integration.date');
    expect(actual.timestamp).toEqual([1392163200, 0]);
  });
});

describe('unusable dates and odd entries', () => {
  const yesterday = {
    user_id: 'U1234ABCD',
    user_name: 'Billy',
    date: 'yesterday',
    change_type: 'removed',
    app_id: 'A0123POLLY',
    app_type: 'Polly',
  };

  it.each(['entry', 'observed'] as const)('"date": "yesterday" (%s): observed time, raw date kept', (policy) => {
    const entry = normalizeEntry(yesterday);
    expect(entry.date).toBeUndefined();
    const actual = toLogRecord(entry, ctx(0, policy));
    expect(actual).toEqual({
      eventName: 'slack.integration.change',
      timestamp: OBSERVED_HR,
      observedTimestamp: OBSERVED_HR,
      severityNumber: 13,
      severityText: 'WARN',
      body: 'Billy removed app "Polly" (app_id A0123POLLY)',
      attributes: {
        'user.id': 'U1234ABCD',
        'user.name': 'Billy',
        'slack.integration.change_type': 'removed',
        'slack.integration.app_id': 'A0123POLLY',
        'slack.integration.app_type': 'Polly',
        'slack.integration.date': 'yesterday',
        'log.record.uid': expectedUid(yesterday, 0),
      },
    });
  });

  it.each([
    [-5, '-5'],
    [1.5, '1.5'],
    ['', ''],
  ])('other unusable dates (%j) are kept as text', (date, text) => {
    const actual = toLogRecord(normalizeEntry({ ...yesterday, date }), ctx(0));
    expect(actual.timestamp).toEqual(OBSERVED_HR);
    expect(actual.attributes!['slack.integration.date']).toBe(text);
  });

  it.each([
    ['entry', [1_392_163_100, 0]],
    ['observed', OBSERVED_HR],
  ] as const)("an unusable date with its neighbour's date given (%s policy): that date, or the observed time", (policy, time) => {
    const actual = toLogRecord(normalizeEntry(yesterday), { ...ctx(0, policy), neighbourDate: 1_392_163_100 });
    expect(actual.timestamp).toEqual(time);
    expect(actual.attributes!['slack.integration.date']).toBe('yesterday');
  });

  it('an entry without a date field has the observed time and no date attribute', () => {
    const { date: _omit, ...noDate } = yesterday;
    const actual = toLogRecord(normalizeEntry(noDate), ctx(0));
    expect(actual.timestamp).toEqual(OBSERVED_HR);
    expect(actual.attributes).not.toHaveProperty('slack.integration.date');
  });

  it.each([
    [42, { 'slack.integration.raw': 42 }],
    ['just text', { 'slack.integration.raw': 'just text' }],
    [null, {}],
    [[1, 2], { 'slack.integration.raw': '[1,2]' }],
    [true, { 'slack.integration.raw': true }],
  ])('non-object entry %j does not throw and is still mapped', (raw, attrs) => {
    const entry = normalizeEntry(raw);
    expect(entry.date).toBeUndefined();
    expect(entry.fields).toEqual({ raw });
    const actual = toLogRecord(entry, ctx(0));
    expect(actual.eventName).toBe('slack.integration.change');
    expect(actual.timestamp).toEqual(OBSERVED_HR);
    expect(actual.severityNumber).toBe(9);
    expect(actual.body).toBe('someone changed an integration');
    expect(actual.attributes).toEqual({ ...attrs, 'log.record.uid': expectedUid({ raw }, 0) });
  });

  it('nested unknown values travel as JSON text', () => {
    const raw = { ...entryOf('app-added-approved'), approval: { by: 'U1', ok: true } };
    const actual = toLogRecord(normalizeEntry(raw), ctx(0));
    expect(actual.attributes!['slack.integration.approval']).toBe('{"by":"U1","ok":true}');
  });

  it('with a team, the uid folds the team in (two teams, one identical entry: two uids); without, it is unchanged', () => {
    const raw = entryOf('app-added');
    const uid = (teamId?: string) => toLogRecord(normalizeEntry(raw), { ...ctx(0), teamId }).attributes!['log.record.uid'];
    expect(uid('T0001')).toBe(expectedUid(raw, 0, 'T0001'));
    expect(uid('T0002')).toBe(expectedUid(raw, 0, 'T0002'));
    expect(uid('T0001')).not.toBe(uid('T0002'));
    // A single-workspace cursor's records keep the uid they always had: an upgrade re-sends nothing new.
    expect(uid()).toBe(expectedUid(raw, 0));
    expect(toLogRecord(normalizeEntry(raw), { ...ctx(0), teamId: 'T0001' }).attributes).not.toHaveProperty('slack.team.id');
  });

  it.each([
    ['86400', [86_400, 0]],
    [0, [0, 0]],
    ['1392163200', [1_392_163_200, 0]],
  ])('date %j maps exactly to timeUnixNano = date × 1e9 (HrTime, never read as time since process start)', (date, hr) => {
    expect(toLogRecord(normalizeEntry({ ...yesterday, date }), ctx(0)).timestamp).toEqual(hr);
  });

  it('empty strings and nulls are absent, never empty attributes', () => {
    const raw = { date: 1392163200, change_type: 'added', app_id: 'A1', app_type: '', reason: null, channel: '', scope: ' , ' };
    const actual = toLogRecord(normalizeEntry(raw), ctx(0));
    expect(actual.attributes).toEqual({
      'slack.integration.change_type': 'added',
      'slack.integration.app_id': 'A1',
      'log.record.uid': expectedUid(raw, 0),
    });
  });

  it('rss_feed is always a boolean', () => {
    const t = toLogRecord(normalizeEntry({ date: 1, rss_feed: true }), ctx(0)).attributes!['slack.integration.rss_feed'];
    const f = toLogRecord(normalizeEntry({ date: 1, rss_feed: false }), ctx(0)).attributes!['slack.integration.rss_feed'];
    expect(t).toBe(true);
    expect(f).toBe(false);
  });
});
