import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { TakenEntry } from '../src/paging/page-sequencer.js';
import { Spool, SPOOL_FILE } from '../src/state/spool.js';
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
    // Fetched with their page, except every fifth (the spool's short form is the usual case, not the only one).
    return { entry: normalizeEntry(raw), offset: i, sortDate: 1_700_000_000 + i, fetchedAtMs: 1_700_000_000_000 + (i % 5 === 4 ? i : 0) };
  });
}

/** The spool file's text, split where one chunk ends and the next begins (`][` before a chunk's fetch time). */
const chunksOf = (text: string) => text.split(/\](?=\[\d)/);

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
    // 2 in memory; 5 entries in chunks of 2, 2 and 1, then 1 in a chunk of its own, all in one file
    expect(await readdir(dir)).toEqual([SPOOL_FILE]);
    const text = await readFile(join(dir, SPOOL_FILE), 'utf8');
    expect(chunksOf(text)).toHaveLength(4);
    for (const i of [2, 3, 4, 5, 6, 7]) expect(text).toContain(`"user_id":"U${i}"`);

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
    expect((await stat(join(dir, SPOOL_FILE))).mode & 0o777).toBe(0o600);
    await spool.clear();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(spool.size).toBe(0);
  });

  it('a spool file cut short or damaged during the pass is a SpoolError naming it, never a silent gap', async () => {
    const dir = await spoolDir();
    const file = join(dir, SPOOL_FILE);
    const spool = new Spool({ dir, memoryLimit: 0, fileEntries: 2 });
    await spool.append(taken(0, 4));
    const whole = await readFile(file, 'utf8');
    const second = chunksOf(whole)[0]!.length + 1; // where chunk 1 starts

    // Damaged in place: chunk 1's first bytes overwritten.
    const handle = await open(file, 'r+');
    await handle.write('{{{{', second);
    await handle.close();
    await expect(readAll(spool, false)).rejects.toThrow(SpoolError);
    await expect(readAll(spool, false)).rejects.toThrow(`chunk 1 of the spool file ${file} is corrupt`);

    // Cut short: chunk 1 ends early.
    await truncate(file, second + 5);
    await expect(readAll(spool, false)).rejects.toThrow(SpoolError);
    await expect(readAll(spool, false)).rejects.toThrow(`cannot read chunk 1 of the spool file ${file} (ETRUNCATED)`);
  });

  it('keeps its chunks while its file is removed from the directory (it reads the file it opened)', async () => {
    const dir = await spoolDir();
    const spool = new Spool({ dir, memoryLimit: 0, fileEntries: 2 });
    await spool.append(taken(0, 3));
    await rm(join(dir, SPOOL_FILE));
    expect((await readAll(spool, false)).map((t) => t.entry.fields.user_id)).toEqual(['U0', 'U1', 'U2']);
    await spool.append(taken(3, 1));
    expect((await readAll(spool, true)).map((t) => t.entry.fields.user_id)).toEqual(['U3', 'U2', 'U1', 'U0']);
  });

  it('appends after a spill go to the file, in order, whatever their size', async () => {
    const dir = await spoolDir();
    const spool = new Spool({ dir, memoryLimit: 3, fileEntries: 2 });
    const appended = [taken(0, 3), taken(3, 1), taken(4, 2), taken(6, 1)];
    for (const chunk of appended) await spool.append(chunk);
    const ids = appended.flat().map((t) => t.entry.fields.user_id);
    expect(ids).toEqual(['U0', 'U1', 'U2', 'U3', 'U4', 'U5', 'U6']);
    expect((await readAll(spool, false)).map((t) => t.entry.fields.user_id)).toEqual(ids);
    expect((await readAll(spool, true)).map((t) => t.entry.fields.user_id)).toEqual([...ids].reverse());
    await spool.clear();
    await spool.append(taken(10, 4));
    expect((await readAll(spool, false)).map((t) => t.entry.fields.user_id)).toEqual(['U10', 'U11', 'U12', 'U13']);
  });

  it('an unusable spool directory is a SpoolError naming it and the fix', async () => {
    const base = await spoolDir();
    await writeFile(join(base, '..', 'blocker'), 'a file, not a directory');
    const spool = new Spool({ dir: join(base, '..', 'blocker', 'spool'), memoryLimit: 0, fileEntries: 10 });
    await expect(spool.append(taken(0, 1))).rejects.toThrow(/cannot use the spool directory .*blocker.*let the receiver's user write/);
  });
});
