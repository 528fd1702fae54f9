import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sensitiveScopesOf } from '../src/inventory/sensitive-scopes.js';

/** The receiver's sensitive-scope list is detections/sensitive-scopes.json, the file the detection pack reads. */
const file: { scopes: { scope: string; match: 'exact' | 'prefix' }[] } = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'detections', 'sensitive-scopes.json'), 'utf8'),
);
const exact = file.scopes.filter((s) => s.match === 'exact').map((s) => s.scope);
const prefixes = file.scopes.filter((s) => s.match === 'prefix').map((s) => s.scope);

describe('sensitiveScopesOf', () => {
  it.each(exact)('finds the exact name %s, and not a longer name that merely starts with it', (scope) => {
    expect(sensitiveScopesOf([scope])).toEqual([scope]);
    expect(sensitiveScopesOf([`${scope}x`, `x${scope}`])).toEqual([]);
  });

  it.each(prefixes)('finds every scope under the prefix %s, and not one that only contains it', (prefix) => {
    expect(sensitiveScopesOf([`${prefix}apps:write`, `${prefix}users:read`])).toEqual([`${prefix}apps:write`, `${prefix}users:read`]);
    expect(sensitiveScopesOf([`super${prefix}apps:write`])).toEqual([]);
  });

  it("keeps the entry's order and drops the harmless scopes next to a sensitive one", () => {
    expect(sensitiveScopesOf(['chat:write', 'files:read', 'files:write', 'admin.users:write', 'search:read.users', 'users:read'])).toEqual([
      'files:read',
      'admin.users:write',
    ]);
  });

  it('reads the list the detection pack reads: every entry of the file is matched, one extra name is not', () => {
    expect(file.scopes.length).toBeGreaterThan(10);
    const names = file.scopes.map((s) => (s.match === 'prefix' ? `${s.scope}conversations:read` : s.scope));
    expect(sensitiveScopesOf([...names, 'chat:write'])).toEqual(names);
  });
});
