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
  // Flat objects (nearly every Slack entry): a copy with the keys in order, through the native
  // stringifier's fast path, gives the same text several times faster. Not with keys like "3"
  // (objects list those first, whatever the order they were added in) or "__proto__" (assigning
  // it sets the prototype): the slower key-list form keeps them.
  if (keepOrder) return JSON.stringify(obj, keys);
  const sorted: Record<string, unknown> = {};
  for (const k of keys) sorted[k] = obj[k];
  return JSON.stringify(sorted);
}
