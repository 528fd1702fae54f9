/**
 * The sensitive-scope list (docs/detections.md, "Sensitive scopes"): exact names, and the `admin.`
 * prefix. Placeholder until the one data file shared with the detection pack replaces it.
 */
const EXACT = new Set([
  'admin',
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
  'files:read',
  'users:read.email',
  'chat:write.customize',
  'search:read',
  'search:read.public',
  'search:read.private',
  'search:read.im',
  'search:read.mpim',
]);
const PREFIXES = ['admin.'];

/** The scopes of `scopes` that are on the sensitive list, in their order. */
export function sensitiveScopesOf(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => EXACT.has(scope) || PREFIXES.some((prefix) => scope.startsWith(prefix)));
}
