/**
 * SQL on an `mlflow.db` through the `sqlite3` command-line program, for writes. Our reader loads the whole file
 * into sql.js (WebAssembly); writing through it and replacing the file would lose what a concurrent MLflow process
 * commits meanwhile. `sqlite3` takes SQLite's own file locks, as MLflow does, and waits for them (`.timeout`), so a
 * push and a Python client logging to the same database never lose each other's commits.
 *
 * Values are written as SQL literals: text quoted (''), integers as digits, and doubles through `ieee754_from_blob`
 * so no decimal rounding touches them; doubles are read back through `ieee754_to_blob` for the same reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import { SourceError } from '../types';

/** How long a statement waits for another process's lock before it fails (ms). */
const BUSY_TIMEOUT_MS = 30_000;

let available: boolean | undefined;

/** Whether `sqlite3` (3.33 or later: -json, upserts, ieee754 functions) can be run here. */
export function sqliteCliAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(process.env.MLOPS_SQLITE3 ?? 'sqlite3', ['-version'], { encoding: 'utf8', timeout: 10_000 });
    const m = r.status === 0 ? /^(\d+)\.(\d+)/.exec(r.stdout) : null;
    available = !!m && (Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 33));
  }
  return available;
}

export function sqlText(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function sqlInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return 'NULL';
  if (!Number.isSafeInteger(n)) throw new SourceError('invalid', `${n} is not an integer MLflow can store`);
  return String(n);
}

/** An exact double: its 8 bytes, big-endian. */
export function sqlDouble(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return `ieee754_from_blob(x'${b.toString('hex')}')`;
}

/** `hex(ieee754_to_blob(x))` back to the double. */
export function doubleFromHex(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

/**
 * Runs `sql` in one `sqlite3` process (stops at the first error: a transaction not committed is rolled back) and
 * returns the rows of its one result-producing statement (none: []).
 */
export function runSql(file: string, sql: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.MLOPS_SQLITE3 ?? 'sqlite3', ['-bail', '-batch', '-json', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) => reject(new SourceError('read-only', `${file}: cannot run sqlite3 (${e.message})`, file)));
    child.on('close', (code) => {
      if (code !== 0 || err.trim()) return reject(sqlError(file, err.trim() || `sqlite3 exited ${code}`));
      const text = out.trim();
      try {
        resolve(text ? (JSON.parse(text) as Record<string, unknown>[]) : []);
      } catch {
        reject(new SourceError('server', `${file}: sqlite3 printed something that is not JSON: ${text.slice(0, 200)}`, file));
      }
    });
    child.stdin.on('error', () => undefined); // an early exit is reported by 'close'
    child.stdin.end(`.timeout ${BUSY_TIMEOUT_MS}\n${sql}\n`);
  });
}

function sqlError(file: string, message: string): SourceError {
  const line = message.split('\n').find((l) => l.trim()) ?? message;
  const detail = line.replace(/^(Error|Parse error|Runtime error)( near line \d+)?:\s*/i, '');
  if (/database is locked|database table is locked/i.test(detail)) return new SourceError('busy', `${file}: still locked by another process after ${BUSY_TIMEOUT_MS / 1000} s (${detail})`, file);
  if (/no such (table|column)/i.test(detail)) return new SourceError('schema', `${file}: ${detail}`, file);
  if (/readonly database|read-only|unable to open|permission denied/i.test(detail)) return new SourceError('read-only', `${file}: cannot write (${detail})`, file);
  if (/not a database|malformed|corrupt/i.test(detail)) return new SourceError('corrupt', `${file}: ${detail}`, file);
  return new SourceError('server', `${file}: sqlite3: ${detail}`, file);
}
