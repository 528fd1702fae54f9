import * as crypto from 'node:crypto';

/**
 * An entry's fingerprint: SHA-256 over its canonical JSON, so equal content gives an equal
 * fingerprint in every run and process (see `NormalizedEntry.fingerprint`).
 */

export function fingerprintOf(fields: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(fields)).slice(0, 32);
}

// One-shot `crypto.hash` (Node >= 20.12) is several times cheaper per call than a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 of UTF-8 text, as 64 hex chars. */
export function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every depth, so equal content gives equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  return flatJson(obj) ?? objectJson(obj);
}

/** An object's keys in sorted order, with their JSON text, for objects whose keys come in `order`. */
interface Shape {
  order: string[];
  sorted: string[];
  /** `"key":` for each sorted key. */
  prefixes: string[];
}

/** Shapes by their keys in order, built once per key set (bounded: field names come from Slack). */
const shapes = new Map<string, Shape>();

function shapeOf(keys: string[]): Shape {
  const id = keys.join('\u0000');
  const known = shapes.get(id);
  // Keys holding the separator could give two key lists one id: the list itself decides.
  if (known && known.order.length === keys.length && known.order.every((k, i) => k === keys[i])) return known;
  const sorted = [...keys].sort();
  const shape = { order: keys, sorted, prefixes: sorted.map((k) => `${JSON.stringify(k)}:`) };
  if (!known && shapes.size < 1_000) shapes.set(id, shape);
  return shape;
}

/** Whether JSON.stringify escapes a character of `text`: a quote, a backslash, a control, a (lone) surrogate. */
function needsEscapes(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/**
 * An object whose values are all strings, numbers, booleans, null or undefined (nearly every Slack
 * entry) as canonical JSON, built in one pass with its key order worked out once per key set; or
 * `undefined` for any other object. The text is the one `JSON.stringify` gives for a copy with its
 * keys in order: a string needing no escapes is quoted as it is, a number not finite is `null`.
 */
function flatJson(obj: Record<string, unknown>): string | undefined {
  const { sorted, prefixes } = shapeOf(Object.keys(obj));
  let text = '';
  for (let i = 0; i < sorted.length; i++) {
    const v = obj[sorted[i]!];
    let json: string;
    if (typeof v === 'string') json = needsEscapes(v) ? JSON.stringify(v) : `"${v}"`;
    else if (typeof v === 'number') json = Number.isFinite(v) ? String(v) : 'null';
    else if (typeof v === 'boolean') json = v ? 'true' : 'false';
    else if (v === null) json = 'null';
    else if (v === undefined) continue;
    else return undefined;
    text += `${text ? ',' : '{'}${prefixes[i]!}${json}`;
  }
  return text ? `${text}}` : '{}';
}

/** Any other object: keys sorted, values canonical, undefined values left out. */
function objectJson(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort();
  let keepOrder = false;
  for (const k of keys) {
    const v = obj[k];
    if (v !== null && typeof v === 'object') {
      return `{${keys
        .filter((key) => obj[key] !== undefined)
        .map((key) => `${JSON.stringify(key)}:${canonicalJson(obj[key])}`)
        .join(',')}}`;
    }
    const first = k.charCodeAt(0);
    if ((first >= 48 && first <= 57) || k === '__proto__') keepOrder = true;
  }
  // No nested object, but a value flatJson does not take (a function, a symbol): what
  // JSON.stringify does with them, through a copy with the keys in order. Not with keys like "3"
  // (objects list those first, whatever the order they were added in) or "__proto__" (assigning
  // it sets the prototype): the key-list form keeps them.
  if (keepOrder) return JSON.stringify(obj, keys);
  const sorted: Record<string, unknown> = {};
  for (const k of keys) sorted[k] = obj[k];
  return JSON.stringify(sorted);
}
