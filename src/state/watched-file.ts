import { readFile, stat } from 'node:fs/promises';

/** A secret setting's current value, and whether it changed since the last read. */
export interface SecretValue {
  read(force?: boolean): Promise<{ value: string; changed: boolean }>;
}

/** A value given directly (`SLACK_TOKEN`, `SLACK_CLIENT_SECRET`...): it never changes. */
export function fixedValue(value: string): SecretValue {
  return { read: async () => ({ value, changed: false }) };
}

/**
 * A `*_FILE` setting, re-read when the file changes: a Kubernetes secret update (a symlink swap)
 * or a Vault agent rotating a token then needs no restart. A `stat` per read; the content is read
 * again when inode, size or times moved (or when `force`d), and counts as changed when it
 * differs. A file that is missing, unreadable or empty for a moment (being rewritten) keeps the
 * last value.
 */
export class WatchedFile implements SecretValue {
  private stamp = '';

  constructor(
    readonly path: string,
    private value: string,
  ) {}

  async read(force = false): Promise<{ value: string; changed: boolean }> {
    const now = await stat(this.path).catch(() => undefined);
    const stamp = now ? `${now.ino}:${now.size}:${now.mtimeMs}:${now.ctimeMs}` : '';
    if (!now || (stamp === this.stamp && !force)) return { value: this.value, changed: false };
    const text = (await readFile(this.path, 'utf8').catch(() => '')).trim();
    if (!text) return { value: this.value, changed: false };
    this.stamp = stamp;
    if (text === this.value) return { value: text, changed: false };
    this.value = text;
    return { value: text, changed: true };
  }
}
