/**
 * The workspace store: a folder (default `<workspace>/.mlops`) of small JSON documents and append-only logs.
 *
 *   store.json                      format marker {format, createdAt}
 *   generation                      rewritten (atomically) after every change: readers poll its inode/mtime
 *   experiments/<id>.json           one document per experiment; id = hash of the name, so two processes that
 *                                   create the same experiment at once write the same file
 *   runs/<runId>/run.json           the run document (atomic replace; only the owning process writes it)
 *   runs/<runId>/metrics.jsonl      every logged metric value, one JSON line each (append-only)
 *   runs/<runId>/artifacts/...      files copied in atomically
 *   trash/<runId>/                  deleted runs (moved with one rename; restore moves them back)
 *   index/journal.jsonl             append-only: a line {r: runId, t} is appended *before* a run folder changes, so
 *                                   a reader's persistent index (tracking/storeIndex.ts) re-checks only what changed
 *   index/snapshot.bin              that index, columnar (tracking/storeIndex.ts; a cache, always validated)
 *
 * Run ids are random 128-bit hex strings, so concurrent writers never share a run folder. Corrupt files are
 * reported as problems with their path and left untouched.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileAtomic, isTempFile, TEMP_PREFIX, writeFileAtomic, writeJsonAtomic } from '../util/atomicFs';
import { CorruptFileError, UserInputError } from '../util/errors';
import { appendLines } from '../util/jsonLog';
import type { Experiment, MetricPoint, RunDocument, StoreProblem } from './types';
import { checkName, checkRunIdOrPrefix, isRunId, printable } from './names';

export const STORE_DIRNAME = '.mlops';
export const STORE_FORMAT = 1;

export interface StoreMarker {
  format: number;
  createdAt: number;
}

export class Store {
  readonly runsDir: string;
  readonly experimentsDir: string;
  readonly trashDir: string;
  private lastGenerationWrite = 0;
  private generationTimer: NodeJS.Timeout | undefined;

  private constructor(readonly root: string) {
    this.runsDir = path.join(root, 'runs');
    this.experimentsDir = path.join(root, 'experiments');
    this.trashDir = path.join(root, 'trash');
  }

  /** Open an existing store; with `create`, make it (and its folders) when missing. */
  static open(root: string, options: { create?: boolean } = {}): Store {
    const abs = path.resolve(root);
    const marker = path.join(abs, 'store.json');
    if (!fs.existsSync(marker)) {
      if (!options.create) {
        throw new UserInputError(`No MLOps store at ${abs} (create one with 'mlops init' or by logging a run).`);
      }
      fs.mkdirSync(abs, { recursive: true });
      // Whole or not at all, keeping another process's if it won the race: a second process opening the new store at the
      // same moment read a `wx`-written marker empty (found by the two-writer crash test).
      createFileAtomic(marker, JSON.stringify({ format: STORE_FORMAT, createdAt: Date.now() }) + '\n');
    } else {
      let parsed: StoreMarker | undefined;
      try {
        parsed = JSON.parse(fs.readFileSync(marker, 'utf8')) as StoreMarker;
      } catch (e) {
        throw new CorruptFileError(marker, `cannot read the store marker (${(e as Error).message})`);
      }
      if (typeof parsed?.format !== 'number' || parsed.format > STORE_FORMAT) {
        throw new UserInputError(`${marker}: store format ${String(parsed?.format)} is newer than this version understands (${STORE_FORMAT}).`);
      }
    }
    const store = new Store(abs);
    for (const d of [store.runsDir, store.experimentsDir, store.trashDir]) fs.mkdirSync(d, { recursive: true });
    return store;
  }

  /** Find `.mlops/store.json` from `start` upward, as git finds `.git`. */
  static findUp(start: string): string | undefined {
    let dir = path.resolve(start);
    for (;;) {
      const candidate = path.join(dir, STORE_DIRNAME);
      if (fs.existsSync(path.join(candidate, 'store.json'))) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }

  // ---------------------------------------------------------------- change notification

  get indexDir(): string {
    return path.join(this.root, 'index');
  }

  get journalFile(): string {
    return path.join(this.indexDir, 'journal.jsonl');
  }

  /**
   * Name a run in the index journal *before* changing its folder: a reader re-checks the runs named by recent lines,
   * so a writer killed between this line and its change, or after the change and before `touch()`, still leaves the
   * reader's index right. One append on an O_APPEND descriptor; a failure only costs the readers a fuller check.
   */
  noteRunChange(id: string): void {
    const line = JSON.stringify({ r: id, t: Date.now() });
    try {
      appendLines(this.journalFile, [line]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
      try {
        fs.mkdirSync(this.indexDir); // not recursive: a store folder that is gone is not made again
        appendLines(this.journalFile, [line]);
      } catch {
        /* the folders stay the truth: readers validate against them */
      }
    }
  }

  /**
   * Replace a journal bigger than `maxBytes` by one holding only its lines of the last `keepMs` (the readers' recheck
   * window, with margin): without this it grows by every run change for the life of the store (about 30 MB for
   * 100,000 runs). Safe with other writers and readers:
   *  - the new journal is written to a temporary file and renamed over the old one; a reader that sees the journal
   *    replaced reads the new one from its start (its recent lines) and validates every run folder, the ground truth;
   *  - lines a writer appends to the old journal meanwhile (it opens the journal by name for each append) are read
   *    from the old file after the rename, after a pause longer than an open-to-write, and appended to the new one;
   *  - one compaction at a time: `index/journal.compacting`, created exclusively, taken over when older than a minute.
   * False when there was nothing to do or another process is compacting. Never throws for a lock or a missing journal.
   */
  compactJournal(maxBytes: number, keepMs: number): boolean {
    const file = this.journalFile;
    const lock = path.join(this.indexDir, 'journal.compacting');
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st || st.size <= maxBytes) return false;
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const held = fs.statSync(lock, { throwIfNoEntry: false });
      if (!held || Date.now() - held.mtimeMs < 60_000) return false;
      fs.rmSync(lock, { force: true }); // left by a killed compactor
      return false; // the next save compacts
    }
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const size = fs.fstatSync(fd).size;
      // The tail is enough: recent lines are at the end (a few hundred KB at most within the window).
      const tailStart = Math.max(0, size - 4 * 1024 * 1024);
      const tail = readRange(fd, tailStart, size);
      const copied = tailStart + tail.lastIndexOf(0x0a) + 1; // a torn last line is read again below, whole
      const since = Date.now() - keepMs;
      const kept = tail
        .toString('utf8', 0, copied - tailStart)
        .split('\n')
        .slice(tailStart > 0 ? 1 : 0) // the tail starts mid-line
        .filter((l) => {
          try {
            const o = JSON.parse(l) as { t?: unknown };
            return typeof o.t === 'number' && o.t >= since;
          } catch {
            return false;
          }
        });
      writeFileAtomic(file, kept.length ? kept.join('\n') + '\n' : '', { durable: false });
      // A writer that opened the old journal by name before the rename ends its write within this pause.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      const late = readRange(fd, copied, fs.fstatSync(fd).size).toString('utf8').split('\n').filter((l) => l.trim());
      if (late.length) appendLines(file, late);
      return true;
    } catch {
      return false; // the readers validate against the folders whatever the journal holds
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(lock, { force: true });
    }
  }

  get generationFile(): string {
    return path.join(this.root, 'generation');
  }

  /**
   * Record that the store changed. Watchers (the extension's tree) poll this file; writes are throttled to one
   * per 250 ms per process, with a trailing write so the last change is always signalled.
   */
  touch(): void {
    const now = Date.now();
    const write = () => {
      this.lastGenerationWrite = Date.now();
      this.generationTimer = undefined;
      try {
        writeFileAtomic(this.generationFile, `${this.lastGenerationWrite} ${process.pid} ${crypto.randomBytes(4).toString('hex')}\n`, { durable: false });
      } catch {
        /* a missing signal only delays a refresh */
      }
    };
    if (now - this.lastGenerationWrite >= 250) {
      write();
    } else if (!this.generationTimer) {
      this.generationTimer = setTimeout(write, 250 - (now - this.lastGenerationWrite));
      this.generationTimer.unref?.();
    }
  }

  /** Flush a pending throttled generation write (call before a short-lived process exits). */
  flush(): void {
    if (this.generationTimer) {
      clearTimeout(this.generationTimer);
      this.generationTimer = undefined;
      this.lastGenerationWrite = 0;
      this.touch();
    }
  }

  generationStamp(): string | undefined {
    try {
      const st = fs.statSync(this.generationFile);
      return `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- experiments

  static experimentId(name: string): string {
    return crypto.createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
  }

  experimentFile(id: string): string {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new UserInputError(`Invalid experiment id '${printable(id)}'.`);
    return path.join(this.experimentsDir, `${id}.json`);
  }

  /** Get or create the experiment with this name. Safe when several processes do it at once. */
  ensureExperiment(rawName: string, init: Partial<Omit<Experiment, 'id' | 'name'>> = {}): Experiment {
    const name = checkName('Experiment name', rawName);
    const id = Store.experimentId(name);
    const file = this.experimentFile(id);
    const existing = this.readExperimentFile(file);
    if (existing) {
      if (existing.name !== name) throw new CorruptFileError(file, `holds experiment '${printable(existing.name)}', expected '${printable(name)}'`);
      return existing;
    }
    const exp: Experiment = { id, name, createdAt: Date.now(), ...init };
    writeJsonAtomic(file, exp);
    this.touch();
    return exp;
  }

  updateExperiment(exp: Experiment): void {
    writeJsonAtomic(this.experimentFile(exp.id), exp);
    this.touch();
  }

  private readExperimentFile(file: string): Experiment | undefined {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CorruptFileError(file, (e as Error).message);
    }
    let v: Experiment;
    try {
      v = JSON.parse(text) as Experiment;
    } catch (e) {
      throw new CorruptFileError(file, `invalid JSON (${(e as Error).message})`);
    }
    if (!v || typeof v.id !== 'string' || typeof v.name !== 'string') throw new CorruptFileError(file, 'not an experiment document');
    return v;
  }

  listExperiments(): { experiments: Experiment[]; problems: StoreProblem[] } {
    const experiments: Experiment[] = [];
    const problems: StoreProblem[] = [];
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.experimentsDir);
    } catch (e) {
      problems.push({ file: this.experimentsDir, message: (e as Error).message });
    }
    for (const n of names) {
      if (!n.endsWith('.json') || isTempFile(n) || n.startsWith('.')) continue;
      const file = path.join(this.experimentsDir, n);
      try {
        const e = this.readExperimentFile(file);
        if (e) experiments.push(e);
      } catch (e) {
        problems.push({ file, message: e instanceof CorruptFileError ? e.detail : (e as Error).message });
      }
    }
    experiments.sort((a, b) => a.name.localeCompare(b.name));
    return { experiments, problems };
  }

  // ---------------------------------------------------------------- runs

  runDir(id: string): string {
    if (!isRunId(id)) throw new UserInputError(`Invalid run id '${printable(id)}'.`);
    return path.join(this.runsDir, id);
  }
  runFile(id: string): string {
    return path.join(this.runDir(id), 'run.json');
  }
  metricsFile(id: string): string {
    return path.join(this.runDir(id), 'metrics.jsonl');
  }
  artifactsDir(id: string): string {
    return path.join(this.runDir(id), 'artifacts');
  }

  static newRunId(): string {
    return crypto.randomBytes(16).toString('hex');
  }

  /**
   * Create a run's folder with its first run.json in one step: the folder is built under a temporary name
   * and renamed into runs/, so a reader never sees a run folder without its document.
   */
  createRunFolder(doc: RunDocument, options: { durable?: boolean } = {}): void {
    const dir = this.runDir(doc.id);
    const tmp = path.join(this.runsDir, `${TEMP_PREFIX}${process.pid}-${doc.id}`);
    fs.mkdirSync(tmp);
    writeJsonAtomic(path.join(tmp, 'run.json'), doc, options);
    this.noteRunChange(doc.id);
    fs.renameSync(tmp, dir); // fails if the target exists: ids are random, a clash is a bug
    this.touch();
  }

  writeRunDocument(doc: RunDocument): void {
    this.noteRunChange(doc.id);
    writeJsonAtomic(this.runFile(doc.id), doc);
    this.touch();
  }

  appendMetricPoints(runId: string, points: MetricPoint[]): void {
    if (!points.length) return;
    const file = this.metricsFile(runId);
    appendLines(file, points.map(encodeMetricPoint)); // one write; a torn tail of a killed writer is ended first
    this.touch();
  }

  readRunDocument(id: string): RunDocument {
    const file = this.runFile(id);
    const doc = readRunDocumentFile(file);
    // A folder copied or renamed by hand (`cp -a runs/<id> runs/<other>`) holds another run's document (issue 18 #7).
    if (doc.id !== id) throw new CorruptFileError(file, folderIdMismatch(id, doc.id));
    return doc;
  }

  /** Run folders (names that are run ids). Files and other names in runs/ are not runs: see `listRunEntries`. */
  listRunIds(): string[] {
    return this.listRunEntries().ids;
  }

  /** Run folders, and the entries of runs/ named like a run that are not folders (reported, skipped: issue 18 #12). */
  listRunEntries(): { ids: string[]; strays: string[] } {
    const ids: string[] = [];
    const strays: string[] = [];
    for (const e of fs.readdirSync(this.runsDir, { withFileTypes: true })) {
      if (!isRunId(e.name)) continue;
      if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(path.join(this.runsDir, e.name)))) ids.push(e.name);
      else strays.push(e.name);
    }
    return { ids, strays };
  }

  /** Resolve a full id or a unique prefix (like git) to a run id. */
  resolveRunId(idOrPrefix: string, where: 'runs' | 'trash' = 'runs'): string {
    const s = checkRunIdOrPrefix(idOrPrefix.trim().toLowerCase());
    const dir = where === 'runs' ? this.runsDir : this.trashDir;
    if (isRunId(s)) {
      if (isDirectory(path.join(dir, s))) return s;
      throw new UserInputError(where === 'runs' ? `No run with id ${s} in ${this.root}.` : `No deleted run with id ${s} in the trash of ${this.root}.`);
    }
    const matches = fs.readdirSync(dir).filter((n) => isRunId(n) && n.startsWith(s) && isDirectory(path.join(dir, n)));
    if (matches.length === 1) return matches[0];
    if (!matches.length) throw new UserInputError(where === 'runs' ? `No run id starts with '${s}' in ${this.root}.` : `No deleted run id starts with '${s}'.`);
    throw new UserInputError(`Run id prefix '${s}' is ambiguous: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', ...' : ''}.`);
  }

  // ---------------------------------------------------------------- trash

  trashRunDir(id: string): string {
    if (!isRunId(id)) throw new UserInputError(`Invalid run id '${printable(id)}'.`);
    return path.join(this.trashDir, id);
  }

  /** Move a run to the trash with a single rename. */
  moveToTrash(id: string): void {
    const from = this.runDir(id);
    const to = this.trashRunDir(id);
    if (fs.existsSync(to)) throw new UserInputError(`A deleted run with id ${id} is already in the trash; purge or restore it first.`);
    this.noteRunChange(id);
    fs.renameSync(from, to);
    this.touch();
  }

  restoreFromTrash(id: string): void {
    const from = this.trashRunDir(id);
    const to = this.runDir(id);
    if (!fs.existsSync(from)) throw new UserInputError(`No deleted run with id ${id} in the trash.`);
    if (fs.existsSync(to)) throw new UserInputError(`A run with id ${id} already exists; it cannot be restored over.`);
    this.noteRunChange(id);
    fs.renameSync(from, to);
    this.touch();
  }

  purgeFromTrash(id: string): void {
    const dir = this.trashRunDir(id);
    if (!fs.existsSync(dir)) throw new UserInputError(`No deleted run with id ${id} in the trash.`);
    fs.rmSync(dir, { recursive: true, force: true });
    this.touch();
  }

  listTrashIds(): string[] {
    try {
      return fs.readdirSync(this.trashDir).filter((n) => isRunId(n) && isDirectory(path.join(this.trashDir, n)));
    } catch {
      return [];
    }
  }

  readTrashedRunDocument(id: string): RunDocument {
    return readRunDocumentFile(path.join(this.trashRunDir(id), 'run.json'));
  }
}

function isDirectory(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

export function folderIdMismatch(folder: string, recorded: string): string {
  return `records run id ${printable(recorded)}, but its folder is named ${folder} (a copied or renamed run folder?); skipped — rename the folder back or move it out of runs/`;
}

// ---------------------------------------------------------------- encoding helpers

export function encodeMetricPoint(p: MetricPoint): string {
  const v = Number.isFinite(p.value) ? p.value : String(p.value); // NaN/Infinity are not JSON numbers
  return JSON.stringify({ k: p.key, v, s: p.step, t: p.timestamp });
}

/** JSON has no NaN/Infinity: store them as strings in number maps (metric summaries). */
export function encodeNumberMap(m: Record<string, number>): Record<string, number | string> {
  const o: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(m)) o[k] = Number.isFinite(v) ? v : String(v);
  return o;
}

export function decodeNumberMap(m: Record<string, number | string>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) o[k] = typeof v === 'number' ? v : Number(v);
  return o;
}

export function decodeMetricPoint(line: string): MetricPoint {
  const o = JSON.parse(line) as { k?: unknown; v?: unknown; s?: unknown; t?: unknown };
  if (!o || typeof o.k !== 'string') throw new Error('missing metric key');
  let v: number;
  if (typeof o.v === 'number') v = o.v;
  else if (o.v === 'NaN' || o.v === 'Infinity' || o.v === '-Infinity') v = Number(o.v);
  else throw new Error(`metric '${o.k}' has no numeric value`);
  const s = typeof o.s === 'number' ? o.s : 0;
  const t = typeof o.t === 'number' ? o.t : 0;
  return { key: o.k, value: v, step: s, timestamp: t };
}

export function readRunDocumentFile(file: string): RunDocument {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CorruptFileError(file, code === 'ENOENT' ? 'run.json is missing' : (e as Error).message);
  }
  return parseRunDocument(file, text);
}

export function parseRunDocument(file: string, text: string): RunDocument {
  let doc: RunDocument;
  try {
    doc = JSON.parse(text) as RunDocument;
  } catch (e) {
    throw new CorruptFileError(file, `invalid JSON (${(e as Error).message})`);
  }
  const problem = validateRunDocument(doc);
  if (problem) throw new CorruptFileError(file, problem);
  return doc;
}

function validateRunDocument(d: RunDocument): string | undefined {
  if (!d || typeof d !== 'object') return 'not a run document';
  if (typeof d.id !== 'string' || !isRunId(d.id)) return 'missing or invalid "id"';
  if (typeof d.experimentId !== 'string') return 'missing "experimentId"';
  if (typeof d.name !== 'string') return 'missing "name"';
  if (!['running', 'completed', 'failed', 'cancelled'].includes(d.status)) return `unknown status ${JSON.stringify(d.status)}`;
  if (typeof d.startTime !== 'number') return 'missing "startTime"';
  if (!d.params || typeof d.params !== 'object') return 'missing "params"';
  if (!d.tags || typeof d.tags !== 'object') return 'missing "tags"';
  if (!Array.isArray(d.artifacts)) d.artifacts = [];
  if (typeof d.notes !== 'string') d.notes = '';
  return undefined;
}


/** Bytes [from, to) of an open file. */
function readRange(fd: number, from: number, to: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, to - from));
  let got = 0;
  while (got < buf.length) {
    const k = fs.readSync(fd, buf, got, buf.length - got, from + got);
    if (k === 0) break;
    got += k;
  }
  return buf.subarray(0, got);
}
