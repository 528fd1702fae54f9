import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { TakenEntry } from '../src/paging/page-sequencer.js';
import { Spool } from '../src/state/spool.js';
import { SpoolError } from '../src/core/errors.js';

/** The spool: what goes in comes back, in either order, from memory and from disk. */

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function spoolDir(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'slack-integration-logs-spool-test-'));
  dirs.push(base);
  return join(base, 'cursor.json.spool');
}

/** Entry i: dated 1_700_000_000 + i, except every fourth has an unusable date. */
function taken(from: number, count: number): TakenEntry[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const raw = {
      user_id: `U${i}`,
      change_type: 'added',
      app_id: `A${i % 3}`,
      date: i % 4 === 3 ? 'soon' : String(1_700_000_000 + i),
      extra: { n: i },
    };
    return { entry: normalizeEntry(raw), offset: i, sortDate: 1_700_000_000 + i, fetchedAtMs: 1_700_000_000_000 + i };
  });
}

/** What a caller can see of a taken entry, as plain data. */
const view = (t: TakenEntry) => ({
  date: t.entry.date,
  fields: t.entry.fields,
  fingerprint: t.entry.fingerprint,
  offset: t.offset,
  sortDate: t.sortDate,
  fetchedAtMs: t.fetchedAtMs,
});

async function readAll(spool: Spool, reverse: boolean): Promise<TakenEntry[]> {
  const out: TakenEntry[] = [];
  for await (const decode of spool.read(reverse)) out.push(...decode());
  return out;
}

describe('spool', () => {
  it('gives back every entry with its date, fields, fingerprint and place, in either order', async () => {
    const dir = await spoolDir();
    const spool = new Spool({ dir, memoryLimit: 2, fileEntries: 2 });
    const appended = [taken(0, 2), taken(2, 5), taken(7, 1)];
    for (const chunk of appended) await spool.append(chunk);
    expect(spool.size).toBe(8);
    // 2 in memory; 5 entries in files of 2, 2 and 1; 1 in a file of its own
    expect((await readdir(dir)).sort()).toEqual(['000001.json', '000002.json', '000003.json', '000004.json']);

    const expected = appended.flat().map(view);
    expect(expected.filter((e) => e.date === undefined)).toHaveLength(2); // entries 3 and 7
    expect((await readAll(spool, false)).map(view)).toEqual(expected);
    expect((await readAll(spool, true)).map(view)).toEqual([...expected].reverse());
  });

  it('files are private (0600 in a 0700 directory), and clear() removes them all', async () => {
    const dir = await spoolDir();
    const spool = new Spool({ dir, memoryLimit: 0, fileEntries: 10 });
    await spool.append(taken(0, 3));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, '000000.json'))).mode & 0o777).toBe(0o600);
    await spool.clear();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(spool.size).toBe(0);
  });

  it('a spool file removed or damaged during the pass is a SpoolError naming it, never a silent gap', async () => {
    const dir = await spoolDir();
    const spool = new Spool({ dir, memoryLimit: 0, fileEntries: 2 });
    await spool.append(taken(0, 4));
    await rm(join(dir, '000001.json'));
    await expect(readAll(spool, false)).rejects.toThrow(SpoolError);
    await expect(readAll(spool, false)).rejects.toThrow(join(dir, '000001.json'));

    await writeFile(join(dir, '000001.json'), '[[{"user_id":"U2"},2,');
    await expect(readAll(spool, false)).rejects.toThrow(/000001\.json is corrupt/);
  });

  it('an unusable spool directory is a SpoolError naming it and the fix', async () => {
    const base = await spoolDir();
    await writeFile(join(base, '..', 'blocker'), 'a file, not a directory');
    const spool = new Spool({ dir: join(base, '..', 'blocker', 'spool'), memoryLimit: 0, fileEntries: 10 });
    await expect(spool.append(taken(0, 1))).rejects.toThrow(/cannot use the spool directory .*blocker.*let the receiver's user write/);
  });
});
