/**
 * `mlops store check` / **MLOps: Check Store**: the fsck of a workspace store. Reads everything and reports, with
 * file and line, each damaged line, stray file, duplicate or mismatched id, dangling reference, SHA-256 that does
 * not verify and leftover temporary file. It changes nothing unless asked to repair, and then it removes only what
 * is provably garbage:
 *  - temporary files and folders (`.tmp-<pid>-…`, written by atomic writes) whose writer process is gone (same host)
 *    and that are older than a minute;
 *  - temporary registry copies (`registry/artifacts/.tmp-<id>`) and registry artifact folders that no event refers
 *    to, older than an hour (a registration in progress copies first and appends its event within milliseconds).
 * A damaged line or a corrupt document is never rewritten or deleted: it is reported, with what to do.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reportsDir } from '../monitoring/monitor';
import { batchLogFile } from '../monitoring/batchLog';
import { Registry, RegistryEvent } from '../registry/registry';
import { isOwnerAlive } from '../store/owner';
import { decodeMetricPoint, readRunDocumentFile, Store } from '../store/store';
import { isRunId } from '../store/names';
import { sha256File, TEMP_PREFIX } from '../util/atomicFs';
import { readJsonLog } from '../util/jsonLog';

export type FindingKind =
  | 'damaged-line'
  | 'corrupt-file'
  | 'stray-file'
  | 'id-mismatch'
  | 'duplicate-id'
  | 'dangling-reference'
  | 'sha-mismatch'
  | 'unverifiable-sha'
  | 'temp-file'
  | 'orphan-artifact'
  | 'unreadable';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  file: string;
  /** 1-based line in `file`, for log files. */
  line?: number;
  message: string;
  /** Provably garbage: `repair` removes it. */
  removable?: boolean;
  /** Set by repair: it was removed. */
  repaired?: boolean;
}

export interface CheckResult {
  store: string;
  checked: { runs: number; experiments: number; registryEvents: number; artifacts: number; logLines: number };
  findings: Finding[];
}

export interface CheckOptions {
  repair?: boolean;
  /** Verify every run artifact's SHA-256 (default true; large stores may skip it). */
  hashArtifacts?: boolean;
  now?: number;
  /** Called between steps; throw to cancel (the VS Code command's Cancel). */
  onProgress?: (message: string) => void;
}

const TEMP_MIN_AGE_MS = 60_000;
const ORPHAN_MIN_AGE_MS = 60 * 60_000;

export function checkStore(store: Store, options: CheckOptions = {}): CheckResult {
  const findings: Finding[] = [];
  const c = checkContext(options.now ?? Date.now(), findings);
  const progress = options.onProgress ?? (() => {});
  progress('reading experiments');
  const experimentIds = checkExperiments(store, c);
  const runIds = checkRunFolders(store, { ...c, experimentIds, hash: options.hashArtifacts !== false }, progress);
  progress('reading the registry');
  checkRegistry(store, c, runIds);
  progress('reading monitoring logs and pipeline records');
  checkMonitoringAndPipelines(store, c);
  // Repair: only what is provably garbage.
  if (options.repair) {
    progress('removing leftovers');
    removeGarbage(findings);
  }
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  findings.sort((a, b) => order[a.severity] - order[b.severity] || a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  return { store: store.root, checked: c.checked, findings };
}

/** What every step of the check shares: where findings go, the counts, and listing a folder or a temporary file. */
interface CheckContext {
  add: (f: Finding) => void;
  /** A folder's entries; [] when it is missing, a finding when it cannot be listed. */
  list: (dir: string) => fs.Dirent[];
  /** Report a leftover temporary file or folder of an atomic write (removable when its writer is gone and it is old). */
  temp: (dir: string, e: fs.Dirent) => void;
  checked: CheckResult['checked'];
  now: number;
}

function checkContext(now: number, findings: Finding[]): CheckContext {
  const add = (f: Finding) => findings.push(f);
  const list = (dir: string): fs.Dirent[] => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') add({ kind: 'unreadable', severity: 'error', file: dir, message: `cannot list: ${(e as Error).message}` });
      return [];
    }
  };
  const temp = (dir: string, e: fs.Dirent) => {
    const file = path.join(dir, e.name);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    const pid = Number(/^\.tmp-(\d+)-/.exec(e.name)?.[1]);
    const writerGone = Number.isFinite(pid) && pid > 0 ? isOwnerAlive({ pid, host: os.hostname(), procStart: null }) === false : false;
    const old = st ? now - st.mtimeMs > TEMP_MIN_AGE_MS : false;
    add({ kind: 'temp-file', severity: 'warning', file, message: `leftover temporary ${e.isDirectory() ? 'folder' : 'file'} of an interrupted write${writerGone && old ? ' (its writer is gone: removable)' : ' (its writer may still be running: left alone)'}`, removable: writerGone && old });
  };
  return { add, list, temp, checked: { runs: 0, experiments: 0, registryEvents: 0, artifacts: 0, logLines: 0 }, now };
}

/** The experiment documents; returns the ids they record. */
function checkExperiments(store: Store, c: CheckContext): Set<string> {
  const experimentIds = new Set<string>();
  for (const e of c.list(store.experimentsDir)) {
    const file = path.join(store.experimentsDir, e.name);
    if (e.name.startsWith(TEMP_PREFIX)) {
      c.temp(store.experimentsDir, e);
      continue;
    }
    if (!e.name.endsWith('.json') || !e.isFile()) {
      c.add({ kind: 'stray-file', severity: 'warning', file, message: 'not an experiment document (experiments/<id>.json); ignored' });
      continue;
    }
    c.checked.experiments++;
    try {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { id?: unknown; name?: unknown };
      if (typeof doc?.id !== 'string' || typeof doc.name !== 'string') throw new Error('not an experiment document (id and name are needed)');
      const id = e.name.slice(0, -5);
      if (doc.id !== id) c.add({ kind: 'id-mismatch', severity: 'error', file, message: `records experiment id ${doc.id}, but the file is named ${id}` });
      else if (Store.experimentId(doc.name) !== id) c.add({ kind: 'id-mismatch', severity: 'warning', file, message: `id ${id} is not the hash of its name '${doc.name}' (renamed by hand?)` });
      experimentIds.add(doc.id);
    } catch (err) {
      c.add({ kind: 'corrupt-file', severity: 'error', file, message: (err as Error).message });
    }
  }
  return experimentIds;
}

/** The run folders of runs/ and of the trash; returns the ids in runs/. */
function checkRunFolders(store: Store, c: RunCheckContext, progress: (message: string) => void): Set<string> {
  const runIds = new Set<string>();
  for (const [where, dir] of [['runs', store.runsDir], ['trash', store.trashDir]] as const) {
    progress(where === 'runs' ? 'reading runs' : 'reading the trash');
    for (const e of c.list(dir)) {
      const folder = path.join(dir, e.name);
      if (e.name.startsWith(TEMP_PREFIX)) {
        c.temp(dir, e);
        continue;
      }
      if (!isRunId(e.name)) {
        c.add({ kind: 'stray-file', severity: 'warning', file: folder, message: `not a run (${where}/ holds folders named by 32-hex-digit run ids); ignored` });
        continue;
      }
      if (!e.isDirectory()) {
        c.add({ kind: 'stray-file', severity: 'warning', file: folder, message: 'a file where a run folder is expected; ignored by every command' });
        continue;
      }
      if (where === 'runs') c.checked.runs++;
      checkRunFolder(folder, e.name, where, c);
      if (where === 'runs') runIds.add(e.name);
      else if (runIds.has(e.name)) c.add({ kind: 'duplicate-id', severity: 'error', file: folder, message: `run ${e.name} is both in runs/ and in the trash; restore and purge refuse it until one is moved away` });
    }
  }
  return runIds;
}

/** The registry: its event log, each version's model copy, and the artifact folder's leftovers and orphans. */
function checkRegistry(store: Store, c: CheckContext, runIds: Set<string>): void {
  const registry = new Registry(store);
  const { records, problems } = readJsonLog<RegistryEvent>(registry.eventsFile);
  c.checked.registryEvents = records.length;
  c.checked.logLines += records.length + problems.length;
  for (const p of problems) c.add({ kind: 'damaged-line', severity: 'error', file: p.file, line: p.line, message: `${p.message} — the line is kept; every other line keeps its meaning (versions are numbered in the events)` });
  const state = registry.state();
  for (const p of state.problems) if (!problems.some((q) => q.line === p.line && q.message === p.message)) c.add({ kind: 'damaged-line', severity: p.line ? 'error' : 'warning', file: p.file, line: p.line || undefined, message: p.message });
  for (const entries of state.history.values()) {
    for (const h of entries) {
      if (h.effect.startsWith('ignored:')) c.add({ kind: 'dangling-reference', severity: 'warning', file: registry.eventsFile, line: h.event.line, message: `${h.event.action} of ${h.event.model}${h.event.version !== undefined ? ` v${h.event.version}` : ''} has no effect: ${h.effect.slice(9)} (its registration line may be damaged)` });
    }
  }
  const referenced = new Set<string>();
  for (const { value: ev, line } of records) {
    if (ev.action !== 'register') continue;
    if (ev.artifact) referenced.add(ev.artifact);
    if (ev.run?.id && isRunId(ev.run.id) && !runIds.has(ev.run.id) && !fs.existsSync(path.join(store.trashDir, ev.run.id))) {
      c.add({ kind: 'dangling-reference', severity: 'info', file: registry.eventsFile, line, message: `${ev.model} v${ev.version ?? '?'} was registered from run ${ev.run.id}, which is no longer in the store (purged); the registered copy is self-contained` });
    }
  }
  checkModelCopies(registry, state, c);
  checkRegistryArtifactsDir(registry, referenced, problems.length > 0, c);
}

/** Each registered version's model copy: present, and its SHA-256 the one recorded at registration. */
function checkModelCopies(registry: Registry, state: ReturnType<Registry['state']>, c: CheckContext): void {
  for (const m of state.models.values()) {
    for (const v of m.versions) {
      c.checked.artifacts++;
      const dir = registry.artifactDir(v);
      const bin = path.join(dir, 'model.bin');
      const where = state.history.get(m.name)?.find((h) => h.event.action === 'register' && h.event.version === v.version)?.event.line;
      if (v.format === 'mlflow') {
        // Pulled from MLflow: its files as MLflow wrote them (no model.bin); present is all that can be checked.
        if (!v.artifact || !fs.existsSync(dir)) c.add({ kind: 'dangling-reference', severity: 'error', file: registry.eventsFile, line: where, message: `${m.name} v${v.version}: its copy of the MLflow model ${dir} is missing` });
        continue;
      }
      if (!v.artifact || !fs.existsSync(bin)) {
        c.add({ kind: 'dangling-reference', severity: 'error', file: registry.eventsFile, line: where, message: `${m.name} v${v.version}: its model copy ${bin} is missing; it cannot be served` });
        continue;
      }
      if (!v.modelSha256) {
        c.add({ kind: 'unverifiable-sha', severity: 'warning', file: bin, message: `${m.name} v${v.version}: no SHA-256 recorded at registration; cannot be verified` });
        continue;
      }
      const got = sha256File(bin);
      if (got !== v.modelSha256) c.add({ kind: 'sha-mismatch', severity: 'error', file: bin, message: `${m.name} v${v.version}: SHA-256 ${got.slice(0, 12)}… differs from the ${v.modelSha256.slice(0, 12)}… recorded at registration; the model changed and is refused when served` });
    }
  }
}

/** Temporary model copies and copies no event refers to (removable only when old, and when no event line is damaged). */
function checkRegistryArtifactsDir(registry: Registry, referenced: Set<string>, damagedLog: boolean, c: CheckContext): void {
  for (const e of c.list(registry.artifactsDir)) {
    const file = path.join(registry.artifactsDir, e.name);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    const old = st ? c.now - st.mtimeMs > ORPHAN_MIN_AGE_MS : false;
    if (e.name.startsWith(TEMP_PREFIX)) {
      c.add({ kind: 'temp-file', severity: 'warning', file, message: `temporary model copy of an interrupted registration${old ? ' (older than an hour: removable)' : ' (recent: a registration may be in progress; left alone)'}`, removable: old });
    } else if (!referenced.has(e.name)) {
      c.add({ kind: 'orphan-artifact', severity: 'warning', file, message: `model copy that no registry event refers to (a registration killed before its event, or a damaged line)${old ? '' : '; recent: left alone'}${old && !damagedLog ? ': removable' : ''}`, removable: old && !damagedLog });
    }
  }
}

/** The alert and batch logs, drift reports, pipeline records, and leftovers at the store's top level. */
function checkMonitoringAndPipelines(store: Store, c: CheckContext): void {
  for (const file of [path.join(store.root, 'monitoring', 'alerts.jsonl'), batchLogFile(store.root)]) {
    try {
      const r = readJsonLog(file);
      c.checked.logLines += r.records.length + r.problems.length;
      for (const p of r.problems) c.add({ kind: 'damaged-line', severity: 'error', file: p.file, line: p.line, message: `${p.message} — the line is kept` });
    } catch (e) {
      c.add({ kind: 'unreadable', severity: 'error', file, message: (e as Error).message });
    }
  }
  const reports = reportsDir(store.root);
  for (const e of c.list(reports)) {
    if (e.name.startsWith(TEMP_PREFIX)) c.temp(reports, e);
    else if (e.name.endsWith('.json')) jsonDocument(path.join(reports, e.name), c.add);
  }
  const pipelines = path.join(store.root, 'pipelines');
  for (const d of c.list(pipelines)) {
    if (d.name.startsWith(TEMP_PREFIX)) {
      c.temp(pipelines, d);
      continue;
    }
    if (!d.isDirectory()) continue;
    const dir = path.join(pipelines, d.name);
    for (const e of c.list(dir)) {
      if (e.name.startsWith(TEMP_PREFIX)) c.temp(dir, e);
      else if (e.name.endsWith('.json')) jsonDocument(path.join(dir, e.name), c.add);
    }
  }
  for (const e of c.list(store.root)) if (e.name.startsWith(TEMP_PREFIX)) c.temp(store.root, e);
}

/** Repair: remove the findings marked removable (provably garbage), noting what could not be removed. */
function removeGarbage(findings: Finding[]): void {
  for (const f of findings) {
    if (!f.removable) continue;
    try {
      fs.rmSync(f.file, { recursive: true, force: true });
      f.repaired = true;
    } catch (e) {
      f.message += ` (could not remove: ${(e as Error).message})`;
    }
  }
}

function jsonDocument(file: string, add: (f: Finding) => void): void {
  try {
    JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    add({ kind: 'corrupt-file', severity: 'error', file, message: `unreadable JSON (${(e as Error).message}); left in place` });
  }
}

interface RunCheckContext extends CheckContext {
  experimentIds: Set<string>;
  hash: boolean;
}

function checkRunFolder(folder: string, id: string, where: 'runs' | 'trash', c: RunCheckContext): void {
  const runFile = path.join(folder, 'run.json');
  for (const e of c.list(folder)) if (e.name.startsWith(TEMP_PREFIX)) c.temp(folder, e);
  let doc;
  try {
    doc = readRunDocumentFile(runFile);
  } catch (e) {
    c.add({ kind: 'corrupt-file', severity: 'error', file: runFile, message: `${(e as Error).message.replace(`${runFile}: `, '')}; the run is not shown (the file is left as it is)` });
    return;
  }
  if (doc.id !== id) {
    c.add({ kind: 'id-mismatch', severity: 'error', file: runFile, message: `records run id ${doc.id}, but its folder is named ${id} (a copied or renamed run folder); not shown — rename it back or move it out of ${where}/` });
    return;
  }
  if (where === 'runs' && !c.experimentIds.has(doc.experimentId)) {
    c.add({ kind: 'dangling-reference', severity: 'warning', file: runFile, message: `refers to experiment ${doc.experimentId}, which has no document; shown under its id` });
  }
  const metrics = path.join(folder, 'metrics.jsonl');
  if (fs.existsSync(metrics)) {
    const text = fs.readFileSync(metrics, 'utf8');
    const last = text.lastIndexOf('\n');
    const lines = last >= 0 ? text.slice(0, last).split('\n') : [];
    c.checked.logLines += lines.length;
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      try {
        decodeMetricPoint(l);
      } catch (e) {
        c.add({ kind: 'damaged-line', severity: 'error', file: metrics, line: i + 1, message: `${(e as Error).message}; skipped when read — the line is kept` });
      }
    });
  }
  const artifacts = path.join(folder, 'artifacts');
  for (const a of doc.artifacts ?? []) {
    const file = path.join(artifacts, ...a.path.split('/'));
    if (!path.resolve(file).startsWith(path.resolve(artifacts) + path.sep)) {
      c.add({ kind: 'corrupt-file', severity: 'error', file: runFile, message: `artifact path '${a.path}' leaves the run's artifacts folder; ignored` });
      continue;
    }
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) {
      c.add({ kind: 'dangling-reference', severity: 'error', file: runFile, message: `artifact ${a.path} is recorded but missing` });
      continue;
    }
    if (!st.isFile() || !c.hash) continue;
    if (!a.sha256) c.add({ kind: 'unverifiable-sha', severity: 'info', file, message: `artifact ${a.path} has no recorded SHA-256` });
    else if (sha256File(file) !== a.sha256) c.add({ kind: 'sha-mismatch', severity: 'error', file, message: `artifact ${a.path}: its SHA-256 differs from the one recorded when it was logged (changed afterwards)` });
  }
}

/** One line per finding, `file:line: severity: message`. */
export function formatFinding(f: Finding): string {
  return `${f.file}${f.line ? `:${f.line}` : ''}: ${f.severity}: ${f.message}${f.repaired ? ' — removed' : ''}`;
}
