/**
 * Which process owns a running run, and whether that process is still alive.
 *
 * A run records the writer's pid, host name and (on Linux) the process start time from /proc, so that a pid
 * reused by another program after a crash is not mistaken for the writer. Readers on the same host treat a
 * `running` run whose owner is gone as interrupted; runs written on another host are shown as recorded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface ProcessOwner {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (field 22 of /proc/PID/stat), or null where unknown. */
  procStart: number | null;
}

function procStartTime(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

let self: ProcessOwner | undefined;
export function currentOwner(): ProcessOwner {
  if (!self) self = { pid: process.pid, host: os.hostname(), procStart: procStartTime(process.pid) };
  return self;
}

/** true: alive; false: certainly gone; undefined: cannot tell (another host). */
export function isOwnerAlive(owner: ProcessOwner | undefined | null): boolean | undefined {
  if (!owner || typeof owner.pid !== 'number') return undefined;
  if (owner.host !== os.hostname()) return undefined;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a process with that pid exists but belongs to someone else.
  }
  if (owner.procStart !== null && owner.procStart !== undefined) {
    const now = procStartTime(owner.pid);
    if (now === null) return false;
    return now === owner.procStart;
  }
  return true;
}
