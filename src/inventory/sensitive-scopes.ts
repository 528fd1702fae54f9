/**
 * The sensitive-scope list: detections/sensitive-scopes.json, the one copy the detection pack reads
 * too (docs/detections.md, "Sensitive scopes"), compiled in by scripts/build.mjs.
 */
import { SENSITIVE_SCOPES } from '../generated/sensitive-scopes.js';

const EXACT = new Set(SENSITIVE_SCOPES.filter((s) => s.match === 'exact').map((s) => s.scope));
const PREFIXES = SENSITIVE_SCOPES.filter((s) => s.match === 'prefix').map((s) => s.scope);

/** The scopes of `scopes` that are on the sensitive list, in their order. */
export function sensitiveScopesOf(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => EXACT.has(scope) || PREFIXES.some((prefix) => scope.startsWith(prefix)));
}
