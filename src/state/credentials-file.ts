import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';
import { CursorFileError, CursorLockedError } from '../core/errors.js';
import type { RotatingCredentials } from '../slack/credentials.js';

/**
 * The credentials file of token rotation, beside the cursor: `<SLACK_CURSOR_FILE>.credentials.json`,
 * mode 0600, replaced atomically and fsynced. It holds the chain's live refresh token, so it is
 * written before a refreshed token is used: a crash then leaves the refresh token Slack expects.
 *
 * ```json
 * {
 *   "format": "slack-integration-logs-receiver/credentials",
 *   "version": 1,
 *   "chain": "3fa9c1d2e4b5a6f7",
 *   "refresh_token": "xoxe-1-...",
 *   "access_token": "xoxe.xoxp-1-...",
 *   "expires_at": "2026-12-07T22:00:00.000Z",
 *   "expires_in": 43200,
 *   "updated_at": "2026-12-07T10:00:00.000Z"
 * }
 * ```
 */
export const CREDENTIALS_FORMAT = 'slack-integration-logs-receiver/credentials';

const FileSchema = z.object({
  format: z.literal(CREDENTIALS_FORMAT),
  version: z.literal(1),
  chain: z.string().regex(/^[0-9a-f]{16}$/),
  refresh_token: z.string().min(1),
  access_token: z.string().min(1).optional(),
  expires_at: z.iso.datetime().optional(),
  expires_in: z.number().positive().optional(),
  updated_at: z.string(),
});

/** The credentials file of a cursor file (the base one, before team or filter parts). */
export function credentialsFileFor(cursorFile: string): string {
  return `${resolve(cursorFile)}.credentials.json`;
}

export class CredentialsFile {
  readonly path: string;
  private writes = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * @returns the chain kept, or `undefined` when there is no file.
   * @throws CursorFileError when it exists but cannot be read or parsed; the message holds no value of it.
   */
  async read(): Promise<RotatingCredentials | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CursorFileError(
        `cannot read credentials file ${this.path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions`,
      );
    }
    let parsed: z.infer<typeof FileSchema>;
    try {
      parsed = FileSchema.parse(JSON.parse(text));
    } catch {
      // zod's and JSON's messages may quote the file's content: tokens.
      throw new CursorFileError(
        `credentials file ${this.path} is not a credentials file of this receiver: move it away and set SLACK_REFRESH_TOKEN to a new refresh token (docs/credentials.md, "Lost credentials file")`,
      );
    }
    return {
      chain: parsed.chain,
      refresh_token: parsed.refresh_token,
      ...(parsed.access_token ? { access_token: parsed.access_token } : {}),
      ...(parsed.expires_at ? { expires_at: Date.parse(parsed.expires_at) } : {}),
      ...(parsed.expires_in ? { expires_in: parsed.expires_in } : {}),
    };
  }

  /** Replaces the file (0600, atomic, fsynced). Call under {@link withLock}. */
  async write(credentials: RotatingCredentials): Promise<void> {
    const text = `${JSON.stringify(
      {
        format: CREDENTIALS_FORMAT,
        version: 1,
        chain: credentials.chain,
        refresh_token: credentials.refresh_token,
        ...(credentials.access_token ? { access_token: credentials.access_token } : {}),
        ...(credentials.expires_at !== undefined ? { expires_at: new Date(credentials.expires_at).toISOString() } : {}),
        ...(credentials.expires_in !== undefined ? { expires_in: credentials.expires_in } : {}),
        updated_at: new Date().toISOString(),
      },
      null,
      2,
    )}\n`;
    try {
      await writeFileAtomic(this.path, `${this.path}.${process.pid}.${++this.writes}.tmp`, text);
    } catch (e) {
      throw new CursorFileError(
        `cannot write credentials file ${this.path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): the refreshed token is not used; fix the directory's permissions`,
      );
    }
  }

  /**
   * Runs `work` holding the file's lock (`<file>.lock`, as the cursor's): receivers sharing the
   * file (other filter sets of the same SLACK_CURSOR_FILE) refresh one at a time, each reading
   * what the one before wrote.
   * @throws CursorLockedError when another live process holds it for longer than `waitMs`.
   */
  async withLock<T>(work: () => Promise<T>, waitMs = 7_000): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.path, {
        realpath: false,
        stale: 5_000,
        update: 2_500,
        retries: { retries: Math.ceil(waitMs / 250), minTimeout: 250, maxTimeout: 250, factor: 1 },
        // Held for one refresh, seconds: the library's default here throws from a timer, ending the process.
        onCompromised: () => undefined,
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'ELOCKED') {
        throw new CursorLockedError(`credentials file ${this.path} is locked by another receiver refreshing the token; try again later`);
      }
      throw new CursorFileError(`cannot lock credentials file ${this.path}: ${(e as Error).message}`);
    }
    try {
      return await work();
    } finally {
      await release().catch(() => undefined);
    }
  }
}
