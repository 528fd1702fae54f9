import { readFile, rm, truncate } from 'node:fs/promises';
import { appendDurably, writeFileAtomic } from './atomic-write.js';
import { DeadLetterFileError } from '../core/errors.js';
import type { AppState } from '../inventory/fold.js';

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
  /**
   * What the entry changed in the inventory, as of the entry (its record's attributes of these
   * names): the replay cannot fold the log again. Absent in letters written before they were kept,
   * and for entries whose record has none.
   */
  'slack.integration.scopes.added'?: string[];
  'slack.integration.scopes.removed'?: string[];
  /** For an entry without a usable date, Unix seconds: the date its record took from its neighbour in the log. */
  neighbourDate?: number;
  /**
   * An inventory snapshot record instead of a change record: the app as the snapshot held it, and
   * the snapshot's time (ISO 8601). `entry` is then empty.
   */
  snapshot?: { app: AppState; at: string };
}

/** `<cursor>.dead-letters.jsonl`, beside the cursor like its `.lock` and `.spool` (one per team and filter set). */
export function deadLetterFileFor(cursorFile: string): string {
  return `${cursorFile}.dead-letters.jsonl`;
}

/**
 * The dead-letter file: JSON lines, mode 0600, appended and fsynced before the cursor moves past
 * what it holds, rewritten atomically by a replay. Only the holder of the cursor lock writes it.
 */
export class DeadLetterFile {
  private replaces = 0;

  constructor(readonly path: string) {}

  /**
   * Appends the letters not in the file yet (by uid: a pass whose cursor save failed meets the same
   * records again). A failed append is cut back to where the file ended, so no torn line stays.
   */
  async append(letters: DeadLetter[]): Promise<void> {
    const { lines, complete, size } = await this.load();
    const known = new Set(lines.map(uidOf));
    const fresh = letters.filter((l) => !known.has(l['log.record.uid']));
    if (fresh.length === 0) return;
    try {
      // A line an earlier append left unfinished (a crash, a full disk) is cut off first.
      if (complete < size) await truncate(this.path, complete);
      await appendDurably(this.path, fresh.map((l) => `${JSON.stringify(l)}\n`).join(''));
    } catch (e) {
      await truncate(this.path, complete).catch(() => undefined);
      throw new DeadLetterFileError(
        `cannot write dead-letter file ${this.path}: ${(e as Error).message}; nothing past these records was counted as delivered`,
        { cause: e },
      );
    }
  }

  /** Letters waiting (lines), without reading them as letters: a damaged line must not stop delivery. */
  async count(): Promise<number> {
    return (await this.lines()).length;
  }

  /** @returns the letters in file order; none when the file does not exist. */
  async read(): Promise<DeadLetter[]> {
    return (await this.lines()).map((line, i) => {
      let letter: DeadLetter;
      try {
        letter = JSON.parse(line) as DeadLetter;
      } catch {
        throw new DeadLetterFileError(`dead-letter file ${this.path} line ${i + 1} is not JSON: fix or remove that line`);
      }
      const missing = [
        typeof letter?.entry === 'object' && letter.entry !== null ? undefined : 'entry',
        typeof letter?.['log.record.uid'] === 'string' ? undefined : 'log.record.uid',
        Number.isSafeInteger(letter?.occurrence) ? undefined : 'occurrence',
        typeof letter?.fetchedAt === 'string' ? undefined : 'fetchedAt',
        optionalStrings(letter?.['slack.integration.scopes.added']) ? undefined : 'slack.integration.scopes.added',
        optionalStrings(letter?.['slack.integration.scopes.removed']) ? undefined : 'slack.integration.scopes.removed',
        letter?.neighbourDate === undefined || Number.isSafeInteger(letter.neighbourDate) ? undefined : 'neighbourDate',
      ].filter(Boolean);
      if (missing.length > 0) {
        throw new DeadLetterFileError(
          `dead-letter file ${this.path} line ${i + 1} has no valid ${missing.join(', ')}: fix or remove that line`,
        );
      }
      return letter;
    });
  }

  /** Keeps only `letters` (removes the file when none are left). */
  async replace(letters: DeadLetter[]): Promise<void> {
    try {
      if (letters.length === 0) {
        await rm(this.path, { force: true });
        return;
      }
      await writeFileAtomic(
        this.path,
        `${this.path}.${process.pid}.${++this.replaces}.tmp`,
        letters.map((l) => `${JSON.stringify(l)}\n`).join(''),
      );
    } catch (e) {
      throw new DeadLetterFileError(`cannot rewrite dead-letter file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async lines(): Promise<string[]> {
    return (await this.load()).lines;
  }

  /**
   * The complete lines, and where they end (`complete`) against the file's `size`: a last line
   * without its newline is an append that never finished, and the cursor never moved past its
   * records, so the next pass meets them again.
   */
  private async load(): Promise<{ lines: string[]; complete: number; size: number }> {
    let text: Buffer;
    try {
      text = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], complete: 0, size: 0 };
      throw new DeadLetterFileError(`cannot read dead-letter file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    const complete = text.lastIndexOf(10) + 1;
    const lines = text
      .subarray(0, complete)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return { lines, complete, size: text.length };
  }
}

function optionalStrings(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.every((s) => typeof s === 'string'));
}

function uidOf(line: string): string | undefined {
  try {
    return (JSON.parse(line) as Partial<DeadLetter>)['log.record.uid'];
  } catch {
    return undefined;
  }
}
