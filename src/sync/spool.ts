import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TakenEntry } from './page-sequencer.js';

/** The spool's directory cannot be used. The message names it and the fix. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
}

/** Entries kept in memory before the spool spills to disk (a few MB). */
export const SPOOL_MEMORY_ENTRIES = 5_000;

/**
 * Holds the entries of a pass until they can be exported oldest first.
 *
 * Newest-first paging meets the oldest new entry last, and the cursor may only move forward over
 * delivered entries, so nothing can be exported before paging ends. A usual poll fits in memory;
 * past `SPOOL_MEMORY_ENTRIES` every further page is one file, so memory does not grow with the
 * backlog. Chunks are read back in either order.
 */
export class Spool {
  private dir: string | undefined;
  /** In memory: the first chunks; the rest are files numbered from `memory.length`. */
  private readonly memory: TakenEntry[][] = [];
  private inMemory = 0;
  private chunks = 0;
  private entries = 0;
  private readonly memoryLimit: number;
  private readonly ownDir: string | undefined;

  /**
   * @param options.dir a directory the spool owns (its caller holds the lock that guards it):
   *   emptied before use and removed by `clear()`. Default: a new directory under the OS temp dir.
   * @param options.memoryLimit entries kept in memory before spilling. Default `SPOOL_MEMORY_ENTRIES`.
   */
  constructor(options: { dir?: string; memoryLimit?: number } = {}) {
    this.memoryLimit = options.memoryLimit ?? SPOOL_MEMORY_ENTRIES;
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
    } else {
      this.dir ??= await this.makeDir();
      await writeFile(this.fileOf(this.chunks), JSON.stringify(taken), { mode: 0o600 }).catch((e: NodeJS.ErrnoException) => {
        throw new SpoolError(`cannot write to the spool at ${this.dir} (${e.code ?? e.message}): check free space and permissions`);
      });
    }
    this.chunks++;
    this.entries += taken.length;
  }

  private fileOf(index: number): string {
    return join(this.dir!, `${String(index).padStart(6, '0')}.json`);
  }

  /** Yields chunks in the order appended, or reversed (each chunk's entries reversed too). */
  async *read(reverse: boolean): AsyncGenerator<TakenEntry[]> {
    for (let i = 0; i < this.chunks; i++) {
      const index = reverse ? this.chunks - 1 - i : i;
      const chunk =
        index < this.memory.length
          ? [...this.memory[index]!]
          : (JSON.parse(await readFile(this.fileOf(index), 'utf8')) as TakenEntry[]);
      yield reverse ? chunk.reverse() : chunk;
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
