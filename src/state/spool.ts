import * as fs from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreEntry } from '../entry/normalize.js';
import type { TakenEntry } from '../paging/page-sequencer.js';
import { SpoolError } from '../core/errors.js';

// The callback forms: several times cheaper per call than node:fs/promises' FileHandle-based
// readFile and writeFile, and a backfill makes hundreds of these calls.
const readFile = promisify(fs.readFile);
const writeFile = promisify(fs.writeFile);

/**
 * Entries kept in memory before the spool spills to disk: a full page at the default page size, so
 * a usual poll never touches the disk, and a backfill keeps little alive (what stays alive is what
 * the GC must trace).
 */
export const SPOOL_MEMORY_ENTRIES = 1_000;

/**
 * Holds the entries of a pass until they can be exported oldest first.
 *
 * Newest-first paging meets the oldest new entry last, and the cursor may only move forward over
 * delivered entries, so nothing can be exported before paging ends. A usual poll fits in memory;
 * past `SPOOL_MEMORY_ENTRIES` every further page goes to files of `fileEntries` each, so memory
 * does not grow with the backlog. Chunks are read back in either order.
 */
export class Spool {
  private dir: string | undefined;
  /** In memory: the first chunks; the rest are files numbered from `memory.length`. */
  private readonly memory: TakenEntry[][] = [];
  private inMemory = 0;
  private chunks = 0;
  private entries = 0;
  private readonly memoryLimit: number;
  private readonly fileEntries: number;
  private readonly ownDir: string | undefined;

  /**
   * @param options.dir a directory the spool owns (its caller holds the lock that guards it):
   *   emptied before use and removed by `clear()`. Default: a new directory under the OS temp dir.
   * @param options.memoryLimit entries kept in memory before spilling. Default `SPOOL_MEMORY_ENTRIES`.
   * @param options.fileEntries entries per file. The pass gives one export batch: a file is then
   *   decoded just before its batch goes out, and its text (about 70 KB for 250 entries) stays
   *   under V8's large-object size (docs/performance.md, "Heap").
   */
  constructor(options: { dir?: string; memoryLimit?: number; fileEntries: number }) {
    this.memoryLimit = options.memoryLimit ?? SPOOL_MEMORY_ENTRIES;
    this.fileEntries = options.fileEntries;
    this.ownDir = options.dir;
  }

  private async makeDir(): Promise<string> {
    try {
      if (!this.ownDir) return await mkdtemp(join(tmpdir(), 'slack-integration-logs-spool-'));
      await rm(this.ownDir, { recursive: true, force: true });
      await mkdir(this.ownDir, { recursive: true, mode: 0o700 });
      return this.ownDir;
    } catch (e) {
      throw new SpoolError(
        `cannot use the spool directory ${this.ownDir ?? tmpdir()} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): let the receiver's user write beside the cursor file, or remove what is there`,
      );
    }
  }

  get size(): number {
    return this.entries;
  }

  async append(taken: TakenEntry[]): Promise<void> {
    if (taken.length === 0) return;
    if (this.chunks === this.memory.length && this.inMemory + taken.length <= this.memoryLimit) {
      this.memory.push(taken);
      this.inMemory += taken.length;
      this.chunks++;
    } else {
      this.dir ??= await this.makeDir();
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < taken.length; i += this.fileEntries) {
        writes.push(writeFile(this.fileOf(this.chunks++), encodeChunk(taken.slice(i, i + this.fileEntries)), { mode: 0o600 }));
      }
      await Promise.all(writes).catch((e: NodeJS.ErrnoException) => {
        throw new SpoolError(`cannot write to the spool at ${this.dir} (${e.code ?? e.message}): check free space and permissions`, {
          cause: e,
        });
      });
    }
    this.entries += taken.length;
  }

  private fileOf(index: number): string {
    return join(this.dir!, `${String(index).padStart(6, '0')}.json`);
  }

  /**
   * Yields the chunks in the order appended, or reversed (each chunk's entries reversed too), each
   * as a function that decodes it: the caller decodes a chunk when it is ready to use it, so
   * entries waiting for their turn are text, not objects the GC must trace and promote. The next
   * chunk's file is read while the caller works on this one.
   * @throws SpoolError when a file is missing (from the iteration) or corrupt (from its function).
   */
  async *read(reverse: boolean): AsyncGenerator<() => TakenEntry[]> {
    const load = (i: number): Promise<() => TakenEntry[]> => {
      const index = reverse ? this.chunks - 1 - i : i;
      if (index < this.memory.length) {
        const kept = this.memory[index]!;
        return Promise.resolve(() => (reverse ? [...kept].reverse() : kept));
      }
      const file = this.fileOf(index);
      return readFile(file, 'utf8').then(
        (read) => {
          let text: string | undefined = read;
          // Once decoded, the text goes: a caller's frame may hold the function a while longer.
          return () => {
            if (text === undefined) throw new Error(`spool chunk ${file} was decoded twice`);
            const chunk = decodeChunk(text, reverse, file);
            text = undefined;
            return chunk;
          };
        },
        (e: NodeJS.ErrnoException) => {
          throw new SpoolError(
            `cannot read the spool file ${file} (${e.code ?? e.message}): something else removed or changed it; the next pass reads Slack again`,
            { cause: e },
          );
        },
      );
    };
    let next = this.chunks > 0 ? load(0) : undefined;
    for (let i = 0; next; i++) {
      const decode = await next;
      next = i + 1 < this.chunks ? load(i + 1) : undefined;
      next?.catch(() => undefined); // awaited (and its error thrown) on the next turn
      yield decode;
    }
  }

  /** Empties the spool. Never throws: a leftover it cannot remove is only worth a warning. */
  async clear(onError?: (message: string) => void): Promise<void> {
    const dir = this.dir ?? this.ownDir;
    if (dir) {
      await rm(dir, { recursive: true, force: true }).catch((e: NodeJS.ErrnoException) =>
        onError?.(`could not remove the spool at ${dir} (${e.code ?? e.message}): remove it by hand`),
      );
    }
    this.dir = undefined;
    this.memory.length = 0;
    this.inMemory = 0;
    this.chunks = 0;
    this.entries = 0;
  }
}

/**
 * A chunk on disk: a JSON array with one array per entry, `[fields, offset, sortDate, date,
 * fetchedAtMs]` (`date` null when unusable). Arrays rather than objects: a third less text, and faster to parse.
 * Fingerprints are not kept: they follow from `fields`, and are computed again when needed. Only
 * this process reads it back, within the pass that wrote it.
 */
type EncodedEntry = [Record<string, unknown>, number, number, number | null, number];

function encodeChunk(taken: TakenEntry[]): string {
  return JSON.stringify(
    taken.map(({ entry, offset, sortDate, fetchedAtMs }): EncodedEntry => [
      entry.fields,
      offset,
      sortDate,
      entry.date ?? null,
      fetchedAtMs,
    ]),
  );
}

function decodeChunk(text: string, reverse: boolean, file: string): TakenEntry[] {
  let encoded: EncodedEntry[];
  try {
    encoded = JSON.parse(text) as EncodedEntry[];
  } catch (e) {
    throw new SpoolError(
      `the spool file ${file} is corrupt (${(e as Error).message}): something else changed it; the next pass reads Slack again`,
      { cause: e },
    );
  }
  if (reverse) encoded.reverse();
  return encoded.map(([fields, offset, sortDate, date, fetchedAtMs]) => ({
    entry: restoreEntry(date ?? undefined, fields),
    offset,
    sortDate,
    fetchedAtMs,
  }));
}
