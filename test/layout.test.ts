import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md's layer table against the code: every folder and file of src/ is in it,
 * and every import points up the table (or stays in its own folder).
 */
const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** `core/` for a file in a folder, `stream.ts` for a file at the top. */
const unitOf = (file: string) => {
  const rel = relative(src, file);
  return rel.includes('/') ? `${rel.split('/')[0]}/` : rel;
};

const layers = new Map<string, number>();
for (const line of readFileSync(join(root, 'docs/architecture.md'), 'utf8').split('\n')) {
  const row = /^\| (\d+) \| (.+?) \|/.exec(line);
  if (!row) continue;
  for (const [, path] of row[2]!.matchAll(/`([^`]+)`/g)) layers.set(path!, Number(row[1]));
}

const files = sourceFiles(src);
const imports = files.flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => ({
    from: unitOf(file),
    to: unitOf(normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts')),
    file: relative(root, file),
  })),
);

describe('the code layout (docs/architecture.md)', () => {
  it('lists every folder and top-level file of src/, and nothing else', () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect([...layers.keys()].sort()).toEqual(units);
  });

  it('has no import from a lower row of the table, so no folder cycle', () => {
    const upward = imports
      .filter(({ from, to }) => from !== to && to !== 'generated/')
      .filter(({ from, to }) => !(layers.get(to)! < layers.get(from)!))
      .map(({ from, to, file }) => `${file}: ${from} -> ${to}`);
    expect(upward).toEqual([]);
  });
});
