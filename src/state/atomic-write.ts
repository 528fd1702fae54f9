import * as fs from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const open = promisify(fs.open);
/** `fs.writeFile` on a descriptor writes all of it, looping over short writes. */
const writeAll = promisify(fs.writeFile) as (fd: number, text: string) => Promise<void>;
const fsync = promisify(fs.fsync);
const close = promisify(fs.close);
const rename = promisify(fs.rename);

/**
 * Replaces `file` atomically with `text`, mode 0600: a temp file `tmp` beside it, written,
 * fsynced, renamed over it. Five file-system calls, where write-file-atomic makes about twelve:
 * each waits for a turn of a busy event loop, and a backfill saves its cursor after every batch.
 */
export async function writeFileAtomic(file: string, tmp: string, text: string): Promise<void> {
  try {
    await writeDurably(tmp, 'w', text);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Appends `text` to `file` (created with mode 0600) and returns once it is on disk. */
export function appendDurably(file: string, text: string): Promise<void> {
  return writeDurably(file, 'a', text);
}

async function writeDurably(file: string, flags: 'w' | 'a', text: string): Promise<void> {
  const fd = await open(file, flags, 0o600);
  try {
    await writeAll(fd, text);
    await fsync(fd);
  } finally {
    await close(fd);
  }
}
