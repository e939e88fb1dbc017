/**
 * Node system errors (ENOENT, EROFS, ENOSPC, ...) in one line: what failed on which path, e.g.
 * "cannot write /x/y: read-only file system (EROFS)". Used by the CLI's error mapping (src/cli/main.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTempFile, showPath } from './atomicFs';

export type SystemError = NodeJS.ErrnoException & { code: string; dest?: string };

/** An error raised by the operating system through Node (it carries a string `code` like 'EROFS' and a syscall). */
export function isSystemError(e: unknown): e is SystemError {
  const err = e as NodeJS.ErrnoException;
  return !!err && typeof err === 'object' && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) && (typeof err.syscall === 'string' || typeof err.errno === 'number');
}

/**
 * Codes that mean the path itself is wrong (it does not exist, or is of the wrong kind): bad input, exit 2. Every other
 * code is the machine refusing (read-only, full, not permitted, I/O error, ...): an environment failure, exit 1.
 */
export const PATH_ERROR_CODES: readonly string[] = ['ENOENT', 'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'EEXIST', 'ENOTEMPTY'];

export function isPathError(e: SystemError): boolean {
  return PATH_ERROR_CODES.includes(e.code);
}

/**
 * The real reason behind a misleading code. Node's recursive mkdir reports ENOENT when it could not create a missing
 * parent on a read-only or immutable file system; the nearest existing ancestor then refuses writing (access(2) gives
 * EROFS / EPERM / EACCES), and that is what the user needs to hear. Any other error is returned unchanged.
 */
export function refineSystemError(e: SystemError): SystemError {
  if (e.code !== 'ENOENT' || e.syscall !== 'mkdir' || typeof e.path !== 'string') return e;
  for (let dir = path.dirname(e.path); ; dir = path.dirname(dir)) {
    if (fs.existsSync(dir)) {
      try {
        fs.accessSync(dir, fs.constants.W_OK);
        return e;
      } catch (x) {
        const r = x as NodeJS.ErrnoException;
        if (typeof r.code !== 'string' || r.code === 'ENOENT') return e;
        const refined = new Error(`${r.code}: ${/^[A-Z0-9_]+: ([^,]+)/.exec(r.message)?.[1] ?? r.code.toLowerCase()}, mkdir '${e.path}'`) as SystemError;
        return Object.assign(refined, { code: r.code, errno: r.errno, syscall: 'mkdir', path: e.path });
      }
    }
    if (path.dirname(dir) === dir) return e;
  }
}

/** The machine refused (read-only, full, not permitted, I/O error): no point in going on writing the same store. */
export function isEnvironmentFailure(e: unknown): boolean {
  return isSystemError(e) && !isPathError(refineSystemError(e));
}

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  fsync: 'write',
  ftruncate: 'write',
  close: 'write',
  mkdir: 'create the folder',
  mkdtemp: 'create a folder in',
  rmdir: 'remove',
  rm: 'remove',
  unlink: 'remove',
  scandir: 'list the folder',
  opendir: 'list the folder',
  stat: 'access',
  lstat: 'access',
  access: 'access',
  realpath: 'resolve',
  readlink: 'resolve',
  chmod: 'change the permissions of',
  fchmod: 'change the permissions of',
  utime: 'change the time of',
  symlink: 'create the link',
  'write in': 'write in',
  link: 'create the link',
};

/** libuv's words for the code ("read-only file system"), from the message Node built ("EROFS: read-only file system, open '/x'"). */
function describeCode(e: SystemError): string {
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message ?? '');
  return m ? m[1] : e.code.toLowerCase();
}

/** "cannot write /x/y: read-only file system (EROFS)" */
export function systemErrorLine(e: SystemError): string {
  const what = describeCode(e);
  let p = e.path !== undefined ? showPath(String(e.path)) : undefined;
  const dest = e.dest !== undefined ? showPath(String(e.dest)) : undefined;
  let sys = e.syscall ?? '';
  if (p && isTempFile(path.basename(p)) && !dest) {
    // A writer's temporary name means nothing to the user: name the folder it was being written in.
    p = path.dirname(p);
    sys = sys === 'mkdir' ? 'mkdtemp' : 'write in';
  }
  if (!p) return `${sys ? `${sys} failed` : 'I/O failed'}: ${what} (${e.code})`;
  if (sys === 'rename') return `cannot move ${p}${dest ? ` to ${dest}` : ''}: ${what} (${e.code})`;
  if (sys === 'copyfile') return `cannot copy ${p}${dest ? ` to ${dest}` : ''}: ${what} (${e.code})`;
  return `cannot ${VERBS[sys] ?? sys ?? 'use'} ${p}: ${what} (${e.code})`;
}
