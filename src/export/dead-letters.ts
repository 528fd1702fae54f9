import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { CursorFileError } from '../cursor/store.js';
import { appendDurably, writeFileAtomic } from '../files/atomic-write.js';

/**
 * One record the collector refused even alone: one JSON line of the dead-letter file. It holds
 * what is needed to send the same record again (`--replay-dead-letters`) with the same
 * `log.record.uid`, and why it was refused. Never the token: nothing here comes from the config.
 */
export interface DeadLetter {
  /** When it was dead-lettered, ISO 8601. */
  time: string;
  'log.record.uid': string;
  /** `HTTP 400 Bad Request`, `gRPC 3 INVALID_ARGUMENT`... */
  status: string;
  /** The collector's own message, when it gave one. */
  message?: string;
  /** The Slack entry, as normalized (`date` a number, `service_id` a string). */
  entry: Record<string, unknown>;
  /** Its occurrence among identical entries of its second (part of the uid). */
  occurrence: number;
  /** When it was fetched from Slack, ISO 8601 (the record's observed time). */
  fetchedAt: string;
}

/** `cursor.json` -> `cursor.dead-letters.jsonl`, beside it (one per team and filter set, like the cursor). */
export function deadLetterFileFor(cursorFile: string): string {
  return join(dirname(cursorFile), `${basename(cursorFile, extname(cursorFile))}.dead-letters.jsonl`);
}

/**
 * The dead-letter file: JSON lines, mode 0600, appended and fsynced before the cursor moves past
 * what it holds, rewritten atomically by a replay. Only the holder of the cursor lock writes it.
 */
export class DeadLetterFile {
  private replaces = 0;

  constructor(readonly path: string) {}

  async append(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    try {
      await appendDurably(this.path, letters.map((l) => `${JSON.stringify(l)}\n`).join(''));
    } catch (e) {
      throw new CursorFileError(`cannot write dead-letter file ${this.path}: ${(e as Error).message}; nothing past these records was counted as delivered`, { cause: e });
    }
  }

  /** @returns the letters in file order; none when the file does not exist. */
  async read(): Promise<DeadLetter[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CursorFileError(`cannot read dead-letter file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          const letter = JSON.parse(line) as DeadLetter;
          if (typeof letter?.entry !== 'object' || letter.entry === null || typeof letter['log.record.uid'] !== 'string') throw new Error('not a dead letter');
          return letter;
        } catch {
          throw new CursorFileError(`dead-letter file ${this.path} line ${i + 1} is not a dead letter written by this receiver: fix or remove that line`);
        }
      });
  }

  /** Keeps only `letters` (removes the file when none are left). */
  async replace(letters: DeadLetter[]): Promise<void> {
    try {
      if (letters.length === 0) {
        await rm(this.path, { force: true });
        return;
      }
      await writeFileAtomic(this.path, `${this.path}.${process.pid}.${++this.replaces}.tmp`, letters.map((l) => `${JSON.stringify(l)}\n`).join(''));
    } catch (e) {
      throw new CursorFileError(`cannot rewrite dead-letter file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }
}
