import * as fs from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { appendToMarked, byteLength, markOf, writeFileAtomic, type FileMark } from './atomic-write.js';
import { InventoryEncoder } from './inventory-encoder.js';
import {
  canFollow,
  cursorPieces,
  firstLineOf,
  InventoryStateError,
  parseCursor,
  savePieces,
  type CursorScope,
  type CursorState,
  type FirstLine,
  type ParseOptions,
} from './cursor.js';
import { CursorFileError, CursorLockedError } from '../core/errors.js';

/** `path` with symlinks followed, also to a target that does not exist yet; `path` when it is none. */
async function followLinks(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < 32; hops++) {
    try {
      return await fs.promises.realpath(current);
    } catch {
      // A dangling link (its target not written yet) or no file at all.
      const link = await fs.promises.readlink(current).catch(() => undefined);
      if (link === undefined) return current;
      current = resolve(dirname(current), link);
    }
  }
  return current;
}

export interface CursorStoreOptions {
  /** How long to wait for a lock held by another process, milliseconds; longer than `staleMs`, so a killed holder's lock is taken over. */
  lockWaitMs?: number;
  /** Milliseconds without a refresh after which a lock counts as abandoned (its holder was killed). */
  staleMs?: number;
  /** Told, once, when the lock is held and `lock()` starts waiting for it. */
  onWait?: (message: string) => void;
}

/**
 * Persists the cursor: a file of JSON lines (`cursor.ts`), mode 0600, guarded by a lock
 * (`proper-lockfile`, a `<file>.lock` directory) so two processes never export from the same cursor.
 * A save appends one line and fsyncs it. The first save, and one that would make the lines after
 * the first more than `JOURNAL_LINES`, or more bytes than twice the first (at least
 * `JOURNAL_BYTES`), write the file whole instead, atomically: a temp file beside it, written,
 * fsynced, renamed over it. So reading a cursor file costs at most a few times reading its state.
 */
export class CursorStore {
  readonly path: string;
  private release: (() => Promise<void>) | undefined;
  private compromised: Error | undefined;
  private readonly options: CursorStoreOptions & { lockWaitMs: number; staleMs: number };

  constructor(path: string, options: CursorStoreOptions = {}) {
    this.path = resolve(path);
    this.options = { lockWaitMs: 7_000, staleMs: 5_000, ...options };
  }

  /** @throws CursorLockedError when another live process holds the lock after `lockWaitMs`. */
  async lock(): Promise<void> {
    if (this.release) return;
    const { lockWaitMs, staleMs, onWait } = this.options;
    const take = (retries: number) =>
      lockfile.lock(this.path, {
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 2)),
        retries: retries > 0 ? { retries, minTimeout: 500, maxTimeout: 500, factor: 1 } : 0,
        onCompromised: (err) => {
          // Another process may have taken the lock over: saving now could double-export.
          this.compromised = new CursorLockedError(
            `lost the lock on ${this.path}.lock (${err.message}); stopping to avoid a double export`,
            {
              cause: err,
            },
          );
        },
      });
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      // A first try alone, so that a wait is said before it starts.
      this.release = await take(0).catch(async (e: unknown) => {
        if ((e as { code?: string }).code !== 'ELOCKED' || lockWaitMs <= 0) throw e;
        onWait?.(
          `cursor file ${this.path} is locked (${this.path}.lock): waiting up to ${Math.round(lockWaitMs / 1000)}s, for a receiver that holds it, or for the lock of a run that was killed to go stale (${Math.round(staleMs / 1000)}s after its last refresh)`,
        );
        return take(Math.ceil(lockWaitMs / 500));
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'ELOCKED') {
        throw new CursorLockedError(
          `cursor file ${this.path} is locked by another running receiver (${this.path}.lock); run one receiver per cursor file, or give this one its own SLACK_CURSOR_FILE`,
          { cause: e },
        );
      }
      throw new CursorFileError(`cannot lock cursor file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    this.target = await followLinks(this.path);
    await this.removeLeftovers();
  }

  async unlock(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    // Another process may write the file before this one locks it again: lines must then follow
    // the file as that one left it, which only a whole write knows (a save still running too).
    this.journal = undefined;
    this.locks++;
    await release?.().catch(() => undefined);
  }

  /**
   * @returns the saved state, or `undefined` when the file does not exist.
   * @throws CursorFileError when it exists but cannot be read or is not a valid cursor; the file is left as it is.
   */
  async load(scope?: CursorScope, options?: ParseOptions): Promise<CursorState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw new CursorFileError(
        `cannot read cursor file ${this.path}: ${(e as Error).message}; fix its permissions or set SLACK_CURSOR_FILE`,
        { cause: e },
      );
    }
    try {
      return parseCursor(text, scope, options);
    } catch (e) {
      if (e instanceof InventoryStateError) {
        throw new CursorFileError(
          `cursor file ${this.path}: ${e.message}; it was left untouched: run once with --rebuild-inventory to read the whole log again and rebuild it (the cursor is kept)`,
          { cause: e },
        );
      }
      throw new CursorFileError(
        `cursor file ${this.path} is ${(e as Error).message}; it was left untouched: restore it from a backup, or move it away to start again from SLACK_BACKFILL_START_TIME`,
        { cause: e },
      );
    }
  }

  private saves = 0;
  /** What the file holds since this store last wrote it whole; none before that, or while a save is unfinished or failed. */
  private journal: Journal | undefined;
  /** Knows which apps the file holds: a save line has those that changed since. */
  private readonly encoder = new InventoryEncoder();
  /** Times the lock was released: a save asked for before one neither uses nor leaves a journal. */
  private locks = 0;
  /** Saves one at a time: each line follows the one before. */
  private saving: Promise<void> = Promise.resolve();
  /** The file the cursor path stands for: a symlink is followed, as a mounted volume's often is. */
  private target: string | undefined;

  private async file(): Promise<string> {
    return this.target ?? (this.target = await followLinks(this.path));
  }

  /** Temp files a killed process left between writing and renaming: never the cursor itself. */
  private async removeLeftovers(): Promise<void> {
    const file = this.target ?? this.path;
    const dir = dirname(file);
    const prefix = `${basename(file)}.`;
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => name.startsWith(prefix) && /^\d+\.\d+\.tmp$/.test(name.slice(prefix.length)))
        .map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)),
    );
  }

  /** @throws CursorFileError when the file cannot be written. */
  save(state: CursorState): Promise<void> {
    const locks = this.locks;
    const saved = this.saving.then(() => this.write(state, locks));
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  /** Only this process writes the file, under the lock. */
  private async write(state: CursorState, locks: number): Promise<void> {
    if (this.compromised) throw this.compromised;
    const now = new Date();
    const journal = locks === this.locks ? this.journal : undefined;
    // Until this save is done: a line cut short can only be followed by the file written whole.
    this.journal = undefined;
    try {
      const file = await this.file();
      if (journal && journal.lines < JOURNAL_LINES && canFollow(journal.first, state)) {
        const changes = state.inventory && this.encoder.changes(state.inventory);
        if (changes || !state.inventory) {
          const pieces = savePieces(state, now, changes);
          // Not to a file put in this one's place (a backup restored): its lines would follow another state.
          const fits = journal.mark.size + byteLength(pieces) <= journal.limit;
          const mark = fits ? await appendToMarked(file, pieces, journal.mark) : undefined;
          if (mark) {
            changes?.commit();
            if (locks === this.locks) this.journal = { ...journal, lines: journal.lines + 1, mark };
            return;
          }
        }
      }
      const all = state.inventory && this.encoder.all(state.inventory);
      const pieces = cursorPieces(state, now, all);
      // Renamed over the link's target, in its directory: renaming over the link would replace it.
      await writeFileAtomic(file, `${file}.${process.pid}.${++this.saves}.tmp`, pieces);
      all?.commit();
      const mark = await markOf(file);
      const limit = mark.size + Math.max(2 * mark.size, JOURNAL_BYTES);
      if (locks === this.locks) this.journal = { first: firstLineOf(state), lines: 0, limit, mark };
    } catch (e) {
      throw new CursorFileError(`cannot write cursor file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** The file since it was last written whole: for whom, and the lines appended since. */
interface Journal {
  first: FirstLine;
  lines: number;
  /** The most bytes the file may grow to (its first line and those after): reading it stays at most a few times the state's size. */
  limit: number;
  /** The file as this store left it. */
  mark: FileMark;
}

/** The most lines a file has after its first: each costs a parse when the file is read (500 teams read 500 files). */
export const JOURNAL_LINES = 200;
/** The bytes they may have at least: a backfill appends tens of kilobytes a save. */
export const JOURNAL_BYTES = 4 * 1024 * 1024;
