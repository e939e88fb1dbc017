/**
 * Append-only JSON-lines logs (registry events, alerts, the batch log, metric points): one record per line, each
 * written with a single write() on an O_APPEND descriptor, never rewritten.
 *
 * What can go wrong with such a file, and what this module does about it:
 *  - A process killed in the middle of a write leaves a torn last line (no newline). The next append starts a new
 *    line first, so the fragment stays a damaged line of its own and never swallows the next record (it used to:
 *    the next record was glued onto the fragment and the joined line was skipped — issue 18 #1).
 *  - Bit rot, a stray editor or a copy gone wrong damages a line. With `checksum`, each line ends with
 *    `"sum":"<first 16 hex digits of the SHA-256 of the line before it>"`, so a changed byte is detected even when
 *    the line is still valid JSON. A damaged line is reported with its file and line number and skipped; records
 *    carry everything they mean (no meaning is derived from line positions), so other lines keep their meaning.
 *  - A writer that must not report success for a record that does not read back calls `verifyAppended`.
 *
 * Readers: `readJsonLog` returns the good records with their line numbers and one problem per damaged line; a torn
 * last line is an interrupted (or still running) write and is ignored, not reported.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { retarget } from './atomicFs';

export interface LogProblem {
  file: string;
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface LogRecord<T> {
  line: number;
  value: T;
}

const SUM_RE = /,"sum":"([0-9a-f]{16})"\}$/;
/** The shape of a checksum member whose name was changed by a flipped bit (`"sUm":"…"`): never a real field. */
const DAMAGED_SUM_RE = /,"[^"]{3}":"[^"]{16}"\}$/;

function lineSum(body: string): string {
  return crypto.createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 16);
}

/** The text of one record: JSON, with its checksum as the last member when asked. */
export function encodeRecord(record: object, checksum: boolean): string {
  const json = JSON.stringify(record);
  if (json.includes('\n')) throw new Error('a log record must not contain a newline'); // JSON.stringify escapes them
  if (!checksum) return json;
  if (!json.startsWith('{') || json === '{}') throw new Error('a checksummed log record must be a non-empty object');
  return `${json.slice(0, -1)},"sum":"${lineSum(json)}"}`;
}

/**
 * Decode one line. Throws with the reason when it is damaged. A line with a checksum is verified; a line without
 * one is accepted when `requireChecksum` is false (lines written before checksums existed).
 */
export function decodeRecord<T>(text: string, requireChecksum = false): T {
  if (text.includes('\0')) throw new Error('contains NUL bytes (damaged)');
  const m = SUM_RE.exec(text);
  if (m) {
    const body = `${text.slice(0, m.index)}}`;
    if (lineSum(body) !== m[1]) throw new Error('checksum mismatch (the line was changed after it was written)');
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch (e) {
      throw new Error(`not valid JSON (${(e as Error).message})`);
    }
    return v as T;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(looksTorn(text) ? 'incomplete record (an interrupted write)' : `not valid JSON (${(e as Error).message})`);
  }
  if (requireChecksum) throw new Error('no checksum');
  if ((v && typeof v === 'object' && 'sum' in v) || DAMAGED_SUM_RE.test(text)) throw new Error('checksum mismatch (the line was changed after it was written)');
  return v as T;
}

function looksTorn(text: string): boolean {
  const t = text.trimEnd();
  return t.startsWith('{') && !t.endsWith('}');
}

/**
 * Append one record with a single write. If the file ends in a torn line, a newline is written first (in the same
 * write), so the record starts a line of its own. Returns the line as written (without newline).
 */
export function appendRecord(file: string, record: object, options: { checksum?: boolean } = {}): string {
  return appendRecords(file, [record], options)[0];
}

/** Append several records in one write (each on its own line). */
export function appendRecords(file: string, records: object[], options: { checksum?: boolean } = {}): string[] {
  const lines = records.map((r) => encodeRecord(r, options.checksum ?? false));
  appendLines(file, lines);
  return lines;
}

/** Append already-encoded lines (no newline inside) in one write, ending a torn tail first. */
export function appendLines(file: string, lines: string[]): void {
  if (!lines.length) return;
  for (const l of lines) if (l.includes('\n')) throw new Error('a log record must not contain a newline');
  const fd = fs.openSync(file, 'a+', 0o644);
  try {
    let prefix = '';
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n'; // a torn tail: end it before writing ours
    }
    const buf = Buffer.from(prefix + lines.join('\n') + '\n', 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
  } catch (e) {
    throw retarget(e, file, file); // a failed write() carries no path: name the log
  } finally {
    fs.closeSync(fd);
  }
}

export interface ReadLogOptions<T> {
  /** Extra validation of a decoded record; return a reason to treat the line as damaged. */
  validate?: (value: T) => string | undefined;
  requireChecksum?: boolean;
}

/** Read a log: good records (with line numbers) and one problem per damaged line. A missing file is empty. */
export function readJsonLog<T>(file: string, options: ReadLogOptions<T> = {}): { records: LogRecord<T>[]; problems: LogProblem[]; torn: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], problems: [], torn: false };
    throw e;
  }
  return parseJsonLog(file, text, options);
}

export function parseJsonLog<T>(file: string, text: string, options: ReadLogOptions<T> = {}): { records: LogRecord<T>[]; problems: LogProblem[]; torn: boolean } {
  const last = text.lastIndexOf('\n');
  const body = last >= 0 ? text.slice(0, last) : '';
  const torn = text.length > last + 1; // a fragment after the last newline: an interrupted write, not a record
  const records: LogRecord<T>[] = [];
  const problems: LogProblem[] = [];
  if (!body.length && last < 0) return { records, problems, torn };
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim()) continue;
    try {
      const v = decodeRecord<T>(l, options.requireChecksum);
      const why = options.validate?.(v);
      if (why) throw new Error(why);
      records.push({ line: i + 1, value: v });
    } catch (e) {
      problems.push({ file, line: i + 1, message: `${(e as Error).message}; skipped` });
    }
  }
  return { records, problems, torn };
}

/**
 * Check that a record we appended reads back intact (a command must not report success otherwise). `match`
 * identifies our record among the decoded ones (by its id).
 */
export function verifyAppended<T>(file: string, match: (value: T) => boolean): void {
  const { records } = readJsonLog<T>(file);
  for (let i = records.length - 1; i >= 0; i--) if (match(records[i].value)) return;
  throw new Error(`${file}: the record just written does not read back; nothing was reported as done (run 'mlops store check')`);
}

/** `file:line: message` for a warning line. */
export function formatLogProblem(p: LogProblem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}
