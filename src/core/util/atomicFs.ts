/**
 * Crash-safe file primitives used by every store writer.
 *
 * - Documents are replaced atomically: the new content is written to a temporary file in the same folder,
 *   flushed with fsync, then renamed over the target. A process killed at any instant leaves either the old
 *   or the new document, never a mix. Readers ignore the temporary files (they start with ".tmp-").
 * - Series (append-only JSON-lines logs) are in ./jsonLog.ts.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserInputError } from './errors';

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
  /** Permission bits of the new file (default 0o644 less the umask); set exactly when given. */
  mode?: number;
}

/**
 * A failure inside an atomic write names the file being written, not its temporary twin: the error's path becomes
 * `target` and its syscall `write` (or `copyfile` with the source), so the CLI can say "cannot write TARGET: ...".
 */
export function retarget(e: unknown, target: string, tmp: string, syscall = 'write'): unknown {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (err && typeof err === 'object' && typeof err.code === 'string' && (err.path === tmp || err.dest === tmp || err.path === undefined)) {
    err.path = target;
    err.syscall = syscall;
    delete err.dest;
  }
  return e;
}

/** `data` in a new temporary file next to `target` (fsync'd unless `durable: false`); its path. */
function writeTemp(target: string, data: string | Uint8Array, options: WriteOptions): string {
  const tmp = tempPathFor(target);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw retarget(e, target, tmp);
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    if (options.mode !== undefined) fs.fchmodSync(fd, options.mode);
    if (options.durable !== false) fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    safeUnlink(tmp);
    throw retarget(e, target, tmp);
  }
  fs.closeSync(fd);
  return tmp;
}

/** Atomically replace `target` with `data`. */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const tmp = writeTemp(target, data, options);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    safeUnlink(tmp);
    throw retarget(e, target, tmp);
  }
}

/**
 * Create `target` with `data` whole or not at all, never replacing it: the data goes to a temporary file, which is
 * then hard-linked to `target` (link fails with EEXIST when it exists). False when another writer created it first.
 * A plain `wx` write lets a reader that opens the file at the same moment read it empty. Where hard links are refused
 * (some network and FUSE file systems) the fallback is that `wx` write.
 */
export function createFileAtomic(target: string, data: string | Uint8Array, options: WriteOptions = {}): boolean {
  const tmp = writeTemp(target, data, options);
  try {
    fs.linkSync(tmp, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw retarget(e, target, tmp);
    try {
      fs.writeFileSync(target, data, { flag: 'wx' });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    safeUnlink(tmp);
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
    // A source that cannot be read keeps its own path (syscall `read`); a failure to write names the target.
    const err = e as NodeJS.ErrnoException & { dest?: string };
    if (err?.syscall === 'copyfile' && err.path === source && !isReadableFile(source)) {
      err.syscall = 'read';
      delete err.dest;
      throw err;
    }
    throw retarget(e, target, tmp);
  }
}

function isReadableFile(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.R_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------ output files

/** A file system object's kind in words, for messages ("a folder", "a character device", ...). */
export function describeKind(st: fs.Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Control characters of a path shown escaped (a path is never shortened: it must stay findable). */
export function showPath(p: string): string {
  // eslint-disable-next-line no-control-regex -- making control characters visible is the point
  return p.replace(/[\0-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** The nearest existing ancestor of `p` (the first one that lstat can see) with its stats. */
function nearestExisting(p: string): { at: string; st: fs.Stats } | undefined {
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    try {
      return { at: dir, st: fs.statSync(dir) };
    } catch (e) {
      if (!['ENOENT', 'ENOTDIR'].includes(String(errnoCode(e)))) throw e;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Where a file that a user named for output really is, checked before anything is written:
 *   - symbolic links are followed (dangling ones too: the file they name is created), so a link is never replaced;
 *   - an existing target must be a regular file: a folder, device, FIFO or socket is refused (a FIFO is never opened);
 *   - the folder it goes into must exist and be a folder (it is not created).
 * Refusals are UserInputErrors naming `label` and the path. Returns the real path and, when it exists, its stats.
 */
export function resolveOutputFile(target: string, label = 'Output file'): { real: string; existing?: fs.Stats } {
  const given = path.resolve(target);
  const shown = `${label} ${showPath(target)}`;
  let p = given;
  for (let hops = 0; ; hops++) {
    if (hops > 40) throw new UserInputError(`${shown}: too many levels of symbolic links.`);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(p);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
    }
    if (st?.isSymbolicLink()) {
      p = path.resolve(path.dirname(p), fs.readlinkSync(p));
      continue;
    }
    const via = p === given ? '' : ` (it resolves to ${showPath(p)})`;
    if (st) {
      if (!st.isFile()) throw new UserInputError(`${shown} is ${describeKind(st)}${via}, not a regular file; give a file path.`);
      return { real: p, existing: st };
    }
    const up = nearestExisting(p);
    const dir = path.dirname(p);
    if (up && up.at === dir && up.st.isDirectory()) return { real: p };
    if (up && !up.st.isDirectory()) throw new UserInputError(`${shown}${via}: ${showPath(up.at)} is ${describeKind(up.st)}, not a folder.`);
    throw new UserInputError(`${shown}${via}: the folder ${showPath(dir)} does not exist.`);
  }
}

/**
 * Write a user-named output file (`predict --out`, exports): checked and resolved by resolveOutputFile, then
 * replaced atomically beside the real target (temporary file + rename in its folder), keeping an existing file's
 * permission bits. Returns the path written.
 */
export function writeOutputFileAtomic(target: string, data: string | Uint8Array, label?: string): string {
  const { real, existing } = resolveOutputFile(target, label);
  writeFileAtomic(real, data, { mode: existing ? existing.mode & 0o7777 : undefined });
  return real;
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
