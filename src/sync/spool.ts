import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TakenEntry } from './page-sequencer.js';

/**
 * Holds the entries of a pass on disk until they can be exported oldest first.
 *
 * Newest-first paging meets the oldest new entry last, and the cursor may only move forward over
 * delivered entries, so nothing can be exported before paging ends. Memory stays at one page:
 * each page is one file, read back in either order.
 */
export class Spool {
  private dir: string | undefined;
  private chunks = 0;
  private entries = 0;

  get size(): number {
    return this.entries;
  }

  async append(taken: TakenEntry[]): Promise<void> {
    if (taken.length === 0) return;
    this.dir ??= await mkdtemp(join(tmpdir(), 'slack-integration-logs-spool-'));
    const name = join(this.dir, `${String(this.chunks).padStart(6, '0')}.ndjson`);
    await writeFile(name, taken.map((t) => JSON.stringify(t)).join('\n'), { mode: 0o600 });
    this.chunks++;
    this.entries += taken.length;
  }

  /** Yields chunks in the order appended, or reversed (each chunk's entries reversed too). */
  async *read(reverse: boolean): AsyncGenerator<TakenEntry[]> {
    if (!this.dir) return;
    for (let i = 0; i < this.chunks; i++) {
      const index = reverse ? this.chunks - 1 - i : i;
      const text = await readFile(join(this.dir, `${String(index).padStart(6, '0')}.ndjson`), 'utf8');
      const chunk = text.split('\n').map((line) => JSON.parse(line) as TakenEntry);
      yield reverse ? chunk.reverse() : chunk;
    }
  }

  async clear(): Promise<void> {
    if (this.dir) {
      await rm(this.dir, { recursive: true, force: true });
    }
    this.dir = undefined;
    this.chunks = 0;
    this.entries = 0;
  }
}
