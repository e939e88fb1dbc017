/**
 * Crash-safe file primitives used by every store writer.
 *
 * - Documents are replaced atomically: the new content is written to a temporary file in the same folder,
 *   flushed with fsync, then renamed over the target. A process killed at any instant leaves either the old
 *   or the new document, never a mix. Readers ignore the temporary files (they start with ".tmp-").
 * - Series are append-only: each record is one line written with a single write() on an O_APPEND descriptor.
 *   A process killed in the middle of a write can leave at most one incomplete last line, which readers skip
 *   (it was never a completed write).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TEMP_PREFIX = '.tmp-';

export function isTempFile(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

function tempPathFor(target: string): string {
  const rand = crypto.randomBytes(6).toString('hex');
  return path.join(path.dirname(target), `${TEMP_PREFIX}${process.pid}-${rand}-${path.basename(target)}`);
}

export interface WriteOptions {
  /** fsync the file before the rename (default true). Only the benchmark's bulk loader turns it off. */
  durable?: boolean;
}

/** Atomically replace `target` with `data`. */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const tmp = tempPathFor(target);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    if (options.durable !== false) fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    safeUnlink(tmp);
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    safeUnlink(tmp);
    throw e;
  }
}

export function writeJsonAtomic(target: string, value: unknown, options?: WriteOptions): void {
  writeFileAtomic(target, JSON.stringify(value, null, 1) + '\n', options);
}

/** Copy a file into place atomically (copy to a temporary name, then rename). */
export function copyFileAtomic(source: string, target: string): void {
  const tmp = tempPathFor(target);
  try {
    fs.copyFileSync(source, tmp, fs.constants.COPYFILE_EXCL);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    safeUnlink(tmp);
    throw e;
  }
}

/** Append one record (a line without its newline) to an append-only log with a single write. */
export function appendLine(target: string, line: string): void {
  if (line.includes('\n')) throw new Error('appendLine: a record must not contain a newline');
  const buf = Buffer.from(line + '\n', 'utf8');
  const fd = fs.openSync(target, 'a', 0o644);
  try {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
  } finally {
    fs.closeSync(fd);
  }
}

function safeUnlink(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    /* the temporary file may not exist */
  }
}

/** SHA-256 of a file, streamed so large files are never held in memory whole. */
export function sha256File(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export async function sha256FileAsync(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Split an append-only log into its complete lines. A trailing fragment without a newline is an
 * interrupted write and is returned separately so callers can ignore it.
 */
export function splitCompleteLines(text: string): { lines: string[]; partial: string } {
  const last = text.lastIndexOf('\n');
  if (last < 0) return { lines: [], partial: text };
  const body = text.slice(0, last);
  return { lines: body.length ? body.split('\n') : [''], partial: text.slice(last + 1) };
}
