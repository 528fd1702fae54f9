import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, fingerprintOf } from '../src/entry/fingerprint.js';

/**
 * The canonical JSON under every fingerprint (and so every `log.record.uid`): its text may never
 * change. The reference here is the definition, written plainly: keys sorted at every depth, each
 * value as JSON.stringify writes it, undefined object values left out.
 */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

const key = fc.oneof(
  fc.constantFrom('date', 'user_id', 'app_id', 'scope', '__proto__', '3', '10', 'a\u0000b', 'a', 'b', 'é', 'a"b'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', 'a\u0010', '\u007f', '\ud800', '\udc00x', '😀', '\u2028'),
);
const flatValue = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, Infinity, -Infinity, NaN, 1e21, true, false, null, undefined),
);
const flatObject = fc.dictionary(key, flatValue, { maxKeys: 14 });

describe('canonicalJson', () => {
  it('a flat entry: keys sorted, strings escaped as JSON.stringify does, undefined values left out', () => {
    expect(canonicalJson({ b: 1, a: 'x"y\n', d: undefined, c: null, e: true, f: NaN })).toBe(
      '{"a":"x\\"y\\n","b":1,"c":null,"e":true,"f":null}',
    );
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson({ z: undefined })).toBe('{}');
  });

  it('keys like "3" and "__proto__" sort as text, whatever order the object lists them in', () => {
    const obj = JSON.parse('{"b":1,"__proto__":"p","10":"ten","3":"three"}') as Record<string, unknown>;
    expect(canonicalJson(obj)).toBe('{"10":"ten","3":"three","__proto__":"p","b":1}');
  });

  it('two key lists that read the same once joined are told apart', () => {
    expect(canonicalJson({ 'a\u0000b': 1 })).toBe('{"a\\u0000b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe('{"a":1,"b":2}');
    expect(canonicalJson({ 'a\u0000b': 3 })).toBe('{"a\\u0000b":3}');
  });

  it('equals the definition for any flat object, the same object seen again included', () => {
    fc.assert(
      fc.property(flatObject, (obj) => {
        const want = reference(obj);
        expect(canonicalJson(obj)).toBe(want);
        expect(canonicalJson({ ...obj })).toBe(want);
      }),
      { numRuns: 2_000 },
    );
  });

  it('equals the definition for any JSON value, nested ones included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(key, fc.oneof(flatValue, fc.jsonValue()), { maxKeys: 8 })), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 1_000 },
    );
  });

  it('the fingerprint: the first 32 hex chars of SHA-256 over that text', () => {
    const fields = { user_id: 'U1', date: 1_700_000_000, change_type: 'added', app_id: 'A1', scope: 'chat:write,commands' };
    const want = sha('{"app_id":"A1","change_type":"added","date":1700000000,"scope":"chat:write,commands","user_id":"U1"}').slice(0, 32);
    expect(fingerprintOf(fields)).toBe(want);
  });
});
