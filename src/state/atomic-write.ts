import * as fs from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const open = promisify(fs.open);
const writev = promisify(fs.writev);
const fsync = promisify(fs.fsync);
const fstat = promisify(fs.fstat);
const stat = promisify(fs.stat);
const close = promisify(fs.close);
const rename = promisify(fs.rename);

/** What a durable write takes: text, or bytes as pieces written one after the other (one `writev`). */
export type FileContent = string | readonly Uint8Array[];

/**
 * Replaces `file` atomically with `content`, mode 0600: a temp file `tmp` beside it, written,
 * fsynced, renamed over it. Five file-system calls, where write-file-atomic makes about twelve:
 * each waits for a turn of a busy event loop, and a backfill saves its cursor after every batch.
 */
export async function writeFileAtomic(file: string, tmp: string, content: FileContent): Promise<void> {
  try {
    await writeDurably(tmp, 'w', content);
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

/** Which file a path names, and how long it is: tells a file this process wrote from one put in its place. */
export interface FileMark {
  ino: number;
  size: number;
}

export async function markOf(file: string): Promise<FileMark> {
  const { ino, size } = await stat(file);
  return { ino, size };
}

/**
 * Appends `content` to `file` and returns once it is on disk, if `file` is still the file `mark`
 * describes (the same inode, the same size).
 * @returns its new mark; `undefined`, having written nothing, when it is not, or does not exist.
 */
export async function appendToMarked(file: string, content: readonly Uint8Array[], mark: FileMark): Promise<FileMark | undefined> {
  let fd: number;
  try {
    fd = await open(file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { ino, size } = await fstat(fd);
    if (ino !== mark.ino || size !== mark.size) return undefined;
    await writeAll(fd, content, null);
    await fsync(fd);
    return { ino, size: size + byteLength(content) };
  } finally {
    await close(fd);
  }
}

export function byteLength(pieces: readonly Uint8Array[]): number {
  let size = 0;
  for (const piece of pieces) size += piece.length;
  return size;
}

async function writeDurably(file: string, flags: 'w' | 'a', content: FileContent): Promise<void> {
  const fd = await open(file, flags, 0o600);
  try {
    await writeAll(fd, typeof content === 'string' ? [Buffer.from(content)] : content, null);
    await fsync(fd);
  } finally {
    await close(fd);
  }
}

/**
 * Writes every byte of `pieces` at `position` (`null`: where the file stands, or its end when
 * appending), going on after a short write.
 */
export async function writeAll(fd: number, pieces: readonly Uint8Array[], position: number | null): Promise<void> {
  let left = pieces;
  let at = position;
  while (left.length > 0) {
    let { bytesWritten } = await writev(fd, left, at ?? undefined);
    if (at !== null) at += bytesWritten;
    const rest: Uint8Array[] = [];
    for (const piece of left) {
      if (bytesWritten >= piece.length) bytesWritten -= piece.length;
      else {
        rest.push(bytesWritten > 0 ? piece.subarray(bytesWritten) : piece);
        bytesWritten = 0;
      }
    }
    left = rest;
  }
}
