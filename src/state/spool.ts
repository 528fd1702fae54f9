import * as fs from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreEntry, type NormalizedEntry } from '../entry/normalize.js';
import type { TakenEntry } from '../paging/page-sequencer.js';
import { SpoolError } from '../core/errors.js';
import { writeAll } from './atomic-write.js';

const open = promisify(fs.open);
const close = promisify(fs.close);
const read = promisify(fs.read);

/**
 * Entries kept in memory before the spool spills to disk: a full page at the default page size, so
 * a usual poll never touches the disk, and a backfill keeps little alive (what stays alive is what
 * the GC must trace).
 */
export const SPOOL_MEMORY_ENTRIES = 1_000;

/** The one file a spilling spool writes, in its directory: its chunks one after the other. */
export const SPOOL_FILE = 'chunks';

/** Where one chunk stands in the spool file. */
interface Extent {
  position: number;
  length: number;
}

/**
 * Holds the entries of a pass until they can be exported oldest first.
 *
 * Newest-first paging meets the oldest new entry last, and the cursor may only move forward over
 * delivered entries, so nothing can be exported before paging ends. A usual poll fits in memory;
 * past `SPOOL_MEMORY_ENTRIES` every further page goes to the spool file, as chunks of
 * `fileEntries` each, so memory does not grow with the backlog. Chunks are read back in either
 * order. One file, opened once, written a page at a time and read a chunk at a time by position:
 * a file per chunk cost an open, a stat and a close per chunk and direction, each a turn of the
 * event loop.
 */
export class Spool {
  private dir: string | undefined;
  private fd: number | undefined;
  /** Bytes of the spool file taken, written or being written. */
  private end = 0;
  /** In memory: the first chunks; the rest are in the file, chunk `memory.length + i` at `extents[i]`. */
  private readonly memory: TakenEntry[][] = [];
  private readonly extents: Extent[] = [];
  private inMemory = 0;
  private entries = 0;
  private readonly memoryLimit: number;
  private readonly fileEntries: number;
  private readonly ownDir: string | undefined;

  /**
   * @param options.dir a directory the spool owns (its caller holds the lock that guards it):
   *   emptied before use and removed by `clear()`. Default: a new directory under the OS temp dir.
   * @param options.memoryLimit entries kept in memory before spilling. Default `SPOOL_MEMORY_ENTRIES`.
   * @param options.fileEntries entries per chunk in the file. The pass gives one export batch: a
   *   chunk is then decoded just before its batch goes out, and its text (about 70 KB for 250
   *   entries) stays under V8's large-object size (docs/performance.md, "Heap").
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

  private async openFile(): Promise<number> {
    this.dir ??= await this.makeDir();
    try {
      return await open(this.file, 'w+', 0o600);
    } catch (e) {
      throw this.writeError(e as NodeJS.ErrnoException);
    }
  }

  private get file(): string {
    return join(this.dir!, SPOOL_FILE);
  }

  private writeError(e: NodeJS.ErrnoException): SpoolError {
    return new SpoolError(`cannot write to the spool at ${this.dir} (${e.code ?? e.message}): check free space and permissions`, {
      cause: e,
    });
  }

  get size(): number {
    return this.entries;
  }

  async append(taken: TakenEntry[]): Promise<void> {
    if (taken.length === 0) return;
    if (this.extents.length === 0 && this.inMemory + taken.length <= this.memoryLimit) {
      this.memory.push(taken);
      this.inMemory += taken.length;
    } else {
      this.fd ??= await this.openFile();
      // Its own turn of the event loop: the page that brought these entries was parsed, copied for
      // the Slack client's debug line and normalized in the turn before, and together they would
      // hold the loop too long.
      await new Promise(setImmediate);
      const buffers: Buffer[] = [];
      const position = this.end;
      for (let i = 0; i < taken.length; i += this.fileEntries) {
        const bytes = Buffer.from(encodeChunk(taken.slice(i, i + this.fileEntries)));
        this.extents.push({ position: this.end, length: bytes.length });
        this.end += bytes.length;
        buffers.push(bytes);
      }
      await writeAll(this.fd, buffers, position).catch((e: NodeJS.ErrnoException) => {
        throw this.writeError(e);
      });
    }
    this.entries += taken.length;
  }

  /**
   * Yields the chunks in the order appended, or reversed (each chunk's entries reversed too), each
   * as a function that decodes it: the caller decodes a chunk when it is ready to use it, so
   * entries waiting for their turn are bytes, not objects the GC must trace and promote. The next
   * chunk is read while the caller works on this one.
   * @throws SpoolError when the file is cut short (from the iteration) or corrupt (from its function).
   */
  async *read(reverse: boolean): AsyncGenerator<() => TakenEntry[]> {
    const chunks = this.memory.length + this.extents.length;
    const load = (i: number): Promise<() => TakenEntry[]> => {
      const index = reverse ? chunks - 1 - i : i;
      if (index < this.memory.length) {
        const kept = this.memory[index]!;
        return Promise.resolve(() => (reverse ? [...kept].reverse() : kept));
      }
      const file = this.file;
      const where = `chunk ${index} of the spool file ${file}`;
      return readExtent(this.fd!, this.extents[index - this.memory.length]!).then(
        (read) => {
          let bytes: Buffer | undefined = read;
          // Once decoded, the bytes go: a caller's frame may hold the function a while longer.
          return () => {
            if (bytes === undefined) throw new Error(`${where} was decoded twice`);
            const chunk = decodeChunk(bytes.toString('utf8'), reverse, where);
            bytes = undefined;
            return chunk;
          };
        },
        (e: NodeJS.ErrnoException) => {
          throw new SpoolError(
            `cannot read ${where} (${e.code ?? e.message}): something else removed or changed it; the next pass reads Slack again`,
            { cause: e },
          );
        },
      );
    };
    let next = chunks > 0 ? load(0) : undefined;
    for (let i = 0; next; i++) {
      const decode = await next;
      next = i + 1 < chunks ? load(i + 1) : undefined;
      next?.catch(() => undefined); // awaited (and its error thrown) on the next turn
      yield decode;
    }
  }

  /** Empties the spool. Never throws: a leftover it cannot remove is only worth a warning. */
  async clear(onError?: (message: string) => void): Promise<void> {
    const dir = this.dir ?? this.ownDir;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await close(fd).catch(() => undefined);
    if (dir) {
      await rm(dir, { recursive: true, force: true }).catch((e: NodeJS.ErrnoException) =>
        onError?.(`could not remove the spool at ${dir} (${e.code ?? e.message}): remove it by hand`),
      );
    }
    this.dir = undefined;
    this.end = 0;
    this.memory.length = 0;
    this.extents.length = 0;
    this.inMemory = 0;
    this.entries = 0;
  }
}

/** Reads one chunk's bytes; fails when the file ends before them. */
async function readExtent(fd: number, { position, length }: Extent): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  for (let done = 0; done < length;) {
    const { bytesRead } = await read(fd, bytes, done, length - done, position + done);
    if (bytesRead === 0) throw Object.assign(new Error(`the file ends ${length - done} bytes early`), { code: 'ETRUNCATED' });
    done += bytesRead;
  }
  return bytes;
}

/**
 * A chunk in the file: a JSON array, `[fetchedAtMs, ...entries]`, one array per entry. Usually
 * `[fields, offset]`: its `date` is `fields.date`, its `sortDate` the same, and it was fetched with
 * the chunk (a chunk is part of one page). Otherwise `[fields, offset, date, sortDate, fetchedAtMs]`
 * (`date` null when unusable). Arrays rather than objects, and the usual case short: less text to
 * write, read and parse. Fingerprints are not kept: they follow from `fields`, and are computed
 * again when needed. Only this process reads it back, within the pass that wrote it.
 */
type EncodedEntry = [Record<string, unknown>, number] | [Record<string, unknown>, number, number | null, number, number];

function encodeChunk(taken: TakenEntry[]): string {
  const fetchedAtMs = taken[0]!.fetchedAtMs;
  const encoded: Array<number | EncodedEntry> = [fetchedAtMs];
  for (const { entry, offset, sortDate, fetchedAtMs: fetched } of taken) {
    const usual = entry.date !== undefined && entry.date === entry.fields.date && sortDate === entry.date && fetched === fetchedAtMs;
    encoded.push(usual ? [entry.fields, offset] : [entry.fields, offset, entry.date ?? null, sortDate, fetched]);
  }
  return JSON.stringify(encoded);
}

function decodeChunk(text: string, reverse: boolean, where: string): TakenEntry[] {
  let chunk: [number, ...EncodedEntry[]];
  try {
    chunk = JSON.parse(text) as [number, ...EncodedEntry[]];
  } catch (e) {
    throw new SpoolError(`${where} is corrupt (${(e as Error).message}): something else changed it; the next pass reads Slack again`, {
      cause: e,
    });
  }
  // One pass, in the order asked for, into an array of its own length.
  const fetchedAtMs = chunk[0];
  const count = chunk.length - 1;
  const taken = new Array<TakenEntry>(count);
  for (let i = 0; i < count; i++) {
    const e = chunk[reverse ? count - i : i + 1] as EncodedEntry;
    if (e.length === 2) {
      const date = e[0].date as number;
      taken[i] = new Taken(restoreEntry(date, e[0]), e[1], date, fetchedAtMs);
    } else {
      taken[i] = new Taken(restoreEntry(e[2] ?? undefined, e[0]), e[1], e[3], e[4]);
    }
  }
  return taken;
}

/**
 * A decoded entry. A class, not an object literal: V8 may decide, from how many objects of a
 * literal survived one collection, to allocate every later object of that literal directly in the
 * old generation ("allocation-site pretenuring"), and these hold their entry's whole object graph,
 * which would then stay until a full collection.
 */
class Taken implements TakenEntry {
  constructor(
    readonly entry: NormalizedEntry,
    readonly offset: number,
    readonly sortDate: number,
    readonly fetchedAtMs: number,
  ) {}
}
