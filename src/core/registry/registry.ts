/**
 * The model registry: versions, stages, aliases, rollback, and an append-only audit history.
 *
 * Storage (inside the store): registry/events.jsonl — one JSON event per line with its checksum, appended with a
 * single write and never rewritten (src/core/util/jsonLog.ts) — registry/artifacts/<artifact-id>/ — an immutable
 * copy of each registered model — and registry/claims/<model-hash>/<n>: the version numbers taken.
 * The registry state is *derived* by replaying the log: a promotion to Production archives the previous Production
 * version as it is replayed, rollback pops the Production history. Every event names its version explicitly: a
 * registration claims its number first (a file created with O_EXCL, so two concurrent registrations get different
 * numbers), and a damaged or missing line never shifts the meaning of another one (issue 18 #2). Only logs written
 * before that change have register events without a number; those are numbered in log order, as they were.
 * Consequences:
 *  - a killed process never leaves a half-applied transition (an event is one line; a torn line is skipped and the
 *    next append starts a new line); a registration killed after its claim leaves a gap in the numbers, never a
 *    reused number;
 *  - two processes writing at the same instant never corrupt each other: both events land, in one order, and the
 *    replay of that order is the state (two concurrent promotions end with exactly one version in Production, the
 *    later one);
 *  - a damaged line is reported (file and line) and skipped; a command verifies its event reads back before it
 *    reports success;
 *  - "what was in Production at T" is the replay of the events up to T.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../store/store';
import type { Tracker } from '../tracking/tracker';
import { checkArtifactPath } from '../store/names';
import { copyFileAtomic, sha256File, writeFileAtomic } from '../util/atomicFs';
import { appendRecord, LogProblem, readJsonLog, verifyAppended } from '../util/jsonLog';
import { UserInputError } from '../util/errors';
import { currentIdentity, Identity } from './identity';
import type { SourceRegistryChange } from './sourceChange';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export class RefusedError extends UserInputError {
  readonly exitCode = 4;
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** `mlflow`: about an MLflow source's registry (./sourceChange.ts); never part of the workspace's own state. */
export type RegistryAction = 'register' | 'transition' | 'alias' | 'rollback' | 'describe' | 'tag' | 'refused' | 'mlflow';

export interface RegistryEvent {
  id: string;
  time: number;
  user: string;
  action: RegistryAction;
  model: string;
  version?: number;
  /** Line in events.jsonl (set when read; never written). */
  line?: number;
  /** register: the artifact folder id */
  artifact?: string;
  to?: Stage | string | null;
  from?: Stage | string | null;
  alias?: string;
  reason?: string;
  archiveExisting?: boolean;
  /** register: snapshot of the source run */
  run?: { id: string; name: string; experiment: string; params: Record<string, unknown>; metrics: Record<string, number>; datasetSha256?: string; dataset?: string };
  modelSha256?: string;
  /** register: 'mlflow' for a model pulled from MLflow (its MLmodel files, copied as they are; not served here). */
  format?: 'mlflow';
  description?: string;
  tags?: Record<string, string>;
  /** tag: keys removed */
  deletedTags?: string[];
  /** refused: what was attempted, and the reason the user gave for it */
  attempted?: string;
  requestedReason?: string;
  /** pipeline / automatic actions */
  source?: string;
  /** action `mlflow`: the MLflow source and what happened to its registry */
  mlflow?: SourceRegistryChange;
}

export interface ModelVersion {
  model: string;
  version: number;
  stage: Stage;
  aliases: string[];
  artifact: string;
  modelSha256: string;
  /** 'workbench': model.json + model.bin, served by `predict`; 'mlflow': an MLflow model's files (MLmodel), pulled. */
  format: 'workbench' | 'mlflow';
  run: NonNullable<RegistryEvent['run']>;
  description: string;
  tags: Record<string, string>;
  createdAt: number;
  createdBy: string;
  stageSince: number;
}

export interface RegisteredModel {
  name: string;
  versions: ModelVersion[];
  aliases: Record<string, number>;
  description: string;
  /** Versions that entered Production, oldest first (rollback walks back along it). */
  productionHistory: number[];
}

/** One version's move between stages, as replaying an event made it. */
export interface StageTransition {
  version: number;
  from: Stage;
  to: Stage;
}

/** An alias pointed at a version (`to`) or removed (`to` null); `from` is the version it held before, if any. */
export interface AliasMove {
  alias: string;
  from: number | null;
  to: number | null;
}

export interface HistoryEntry {
  event: RegistryEvent;
  /** What replaying the event did, in words (e.g. "v2: Staging → Production; v1: Production → Archived"). */
  effect: string;
  /** The same stage changes, structured and in order (a promotion lists the version it archived after the promoted one). */
  transitions: StageTransition[];
  /** The alias the event moved or removed. */
  aliasMoves: AliasMove[];
}

export interface RegistryState {
  models: Map<string, RegisteredModel>;
  history: Map<string, HistoryEntry[]>;
  problems: LogProblem[];
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$/;
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function checkModelName(name: string): string {
  const n = (name ?? '').trim().normalize('NFC'); // "café" typed either way is one model (as checkName does)
  if (!MODEL_NAME.test(n)) throw new UserInputError(`Invalid model name '${name}': use letters, digits, '_', '-', '.', spaces (up to 100 characters, starting with a letter or digit).`);
  return n;
}

export function parseStage(s: string): Stage {
  const m = STAGES.find((x) => x.toLowerCase() === String(s).trim().toLowerCase());
  if (!m) throw new UserInputError(`Unknown stage '${s}': use ${STAGES.join(', ')}.`);
  return m;
}

export interface RegistryOptions {
  /** Who may move versions into Production and roll back (emails, names or OS users); empty/undefined = everyone. */
  promoters?: string[];
  /** Promoting to Production archives the current Production version (default true, as the seed does). */
  archiveOnPromote?: boolean;
  identity?: Identity;
  /** Told of every damaged line (file, line, reason) each time the log is read (the CLI prints each once). */
  onProblem?: (p: LogProblem) => void;
}

export class Registry {
  readonly dir: string;
  readonly eventsFile: string;
  readonly artifactsDir: string;

  constructor(
    readonly store: Store,
    readonly options: RegistryOptions = {},
  ) {
    this.dir = path.join(store.root, 'registry');
    this.eventsFile = path.join(this.dir, 'events.jsonl');
    this.artifactsDir = path.join(this.dir, 'artifacts');
  }

  /** Who is acting: the configured identity, else git's user, else the OS user (./identity.ts). */
  identity(): Identity {
    return this.options.identity ?? currentIdentity(path.dirname(this.store.root));
  }

  // ------------------------------------------------------------ reading

  readEvents(): { events: RegistryEvent[]; problems: LogProblem[] } {
    const { records, problems } = readJsonLog<RegistryEvent>(this.eventsFile, { validate: validateEvent });
    return { events: records.map((r) => Object.assign(r.value, { line: r.line })), problems };
  }

  /** Replay the log (optionally only events up to time `until`, inclusive). */
  state(until?: number): RegistryState {
    const { events, problems } = this.readEvents();
    const st = replay(until === undefined ? events : events.filter((e) => e.time <= until), problems, this.options.archiveOnPromote ?? true, this.eventsFile);
    if (problems.length && events.some((e) => e.action === 'register' && e.version === undefined)) {
      // Legacy registrations (no explicit number) after a damaged line may be numbered one too low.
      const first = Math.min(...problems.map((p) => p.line));
      const after = events.filter((e) => e.action === 'register' && e.version === undefined && (e.line ?? 0) > first);
      if (after.length) st.problems.push({ file: this.eventsFile, line: first, message: `${after.length} registration(s) written before version numbers were recorded follow this damaged line; their version numbers may be shifted` });
    }
    for (const p of st.problems) this.options.onProblem?.(p);
    return st;
  }

  listModels(): RegisteredModel[] {
    return [...this.state().models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getModel(name: string): RegisteredModel {
    const m = this.state().models.get(checkModelName(name));
    if (!m) throw new UserInputError(`No registered model named '${name}'.${this.knownModels()}`);
    return m;
  }

  private knownModels(): string {
    const names = [...this.state().models.keys()];
    return names.length ? ` Registered models: ${names.join(', ')}.` : ' No model is registered yet.';
  }

  history(name: string): HistoryEntry[] {
    const st = this.state();
    const n = checkModelName(name);
    if (!st.models.has(n) && !st.history.has(n)) throw new UserInputError(`No registered model named '${name}'.${this.knownModels()}`);
    return st.history.get(n) ?? [];
  }

  /** Which version(s) were in a stage, or held an alias, at time T. */
  at(name: string, time: number, query: { stage?: Stage; alias?: string }): { versions: number[]; state: RegisteredModel | undefined } {
    const m = this.state(time).models.get(checkModelName(name));
    if (!m) return { versions: [], state: undefined };
    if (query.alias) return { versions: m.aliases[query.alias] ? [m.aliases[query.alias]] : [], state: m };
    const stage = query.stage ?? 'Production';
    return { versions: m.versions.filter((v) => v.stage === stage).map((v) => v.version), state: m };
  }

  artifactDir(v: ModelVersion): string {
    return path.join(this.artifactsDir, v.artifact);
  }

  // ------------------------------------------------------------ writing

  private append(e: Omit<RegistryEvent, 'id' | 'time' | 'user'> & { user?: string; id?: string; time?: number }): RegistryEvent {
    fs.mkdirSync(this.dir, { recursive: true });
    const { id, time, user, ...rest } = e;
    const event: RegistryEvent = { id: id ?? crypto.randomBytes(12).toString('hex'), time: time ?? Date.now(), user: user ?? this.identity().display, ...rest } as RegistryEvent;
    appendRecord(this.eventsFile, event, { checksum: true });
    this.store.touch();
    // Report success only for an event that reads back (issue 18 #1: a torn tail once swallowed the next event).
    verifyAppended<RegistryEvent>(this.eventsFile, (x) => x.id === event.id);
    return event;
  }

  private checkPromoter(action: string, model: string, detail: Partial<RegistryEvent>): void {
    const id = this.identity();
    const rule = promoterRefusal(this.options.promoters, id);
    if (!rule) return;
    const { reason: requested, ...rest } = detail;
    this.append({ action: 'refused', model, attempted: action, ...rest, reason: `${id.display} is not allowed: ${rule}`, ...(requested ? { requestedReason: requested } : {}), user: id.display });
    throw new RefusedError(`Refused: ${id.display} may not ${action} (${rule}). The refusal is recorded in the model's history.`);
  }

  /** Register a run's model as a new version (an immutable copy of its model artifact); `version`: a number to take when free (see importVersion). */
  register(tracker: Tracker, runId: string, name: string, opts: { description?: string; tags?: Record<string, string>; source?: string; version?: number } = {}): ModelVersion {
    const model = checkModelName(name);
    const run = tracker.getRun(runId);
    const meta = tracker.artifactPath(run.id, 'model/model.json');
    const bin = tracker.artifactPath(run.id, 'model/model.bin');
    if (!fs.existsSync(meta) || !fs.existsSync(bin)) throw new UserInputError(`Run ${run.name} (${run.id}) has no model artifact (model/model.json and model/model.bin); only runs that saved a model can be registered.`);
    if (run.effectiveStatus !== 'completed') throw new UserInputError(`Run ${run.name} is ${run.effectiveStatus}; only completed runs can be registered.`);
    // Copy the artifact first, under a fresh id, built in a temporary folder and renamed into place.
    const artifact = crypto.randomBytes(12).toString('hex');
    const tmp = path.join(this.artifactsDir, `.tmp-${artifact}`);
    const final = path.join(this.artifactsDir, artifact);
    let modelSha256: string;
    try {
      fs.mkdirSync(tmp, { recursive: true });
      copyFileAtomic(meta, path.join(tmp, 'model.json'));
      copyFileAtomic(bin, path.join(tmp, 'model.bin'));
      modelSha256 = sha256File(path.join(tmp, 'model.bin'));
      // The copy must be the model that was trained (issue 18 #6): its SHA-256 against model.json and the run's record.
      checkModelDigest(run, path.join(tmp, 'model.json'), bin, modelSha256);
      fs.renameSync(tmp, final);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true }); // nothing half-made (a failed copy, a full disk)
      throw e;
    }
    let ev: RegistryEvent;
    try {
      const version = this.claimVersion(model, opts.version);
      ev = this.append({
        action: 'register',
        model,
        version,
        artifact,
        modelSha256,
        description: opts.description ?? '',
        tags: opts.tags ?? {},
        source: opts.source,
        run: { id: run.id, name: run.name, experiment: run.experimentName, params: run.params, metrics: run.metrics, datasetSha256: run.environment.dataset?.sha256, dataset: run.environment.dataset?.path },
      });
    } catch (e) {
      // No readable event refers to the copy (append and verification failed): it is garbage, remove it. A claimed
      // number stays taken (a gap), never reused.
      fs.rmSync(final, { recursive: true, force: true });
      throw e;
    }
    return this.versionOfEvent(model, ev.id);
  }

  /**
   * Register a model that is not the workbench's — an MLflow model version pulled with its files (MLmodel and the
   * rest), copied as they are under a fresh artifact id (like a registration's copy) — from a workspace run. Such a
   * version has stages, aliases and a history like any other; `predict` refuses it (it cannot run MLflow flavours).
   * `version`: the number to take when it is free (above every number used so far), else the next one.
   */
  importVersion(tracker: Tracker, runId: string, name: string, files: readonly { path: string; data: Uint8Array }[], opts: { description?: string; tags?: Record<string, string>; source?: string; version?: number } = {}): ModelVersion {
    const model = checkModelName(name);
    const run = tracker.getRun(runId);
    const artifact = crypto.randomBytes(12).toString('hex');
    const tmp = path.join(this.artifactsDir, `.tmp-${artifact}`);
    const final = path.join(this.artifactsDir, artifact);
    const manifest = crypto.createHash('sha256');
    try {
      for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
        const target = path.join(tmp, ...checkArtifactPath(f.path).split('/'));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        writeFileAtomic(target, f.data);
        manifest.update(`${f.path}\0${crypto.createHash('sha256').update(f.data).digest('hex')}\n`);
      }
      fs.mkdirSync(tmp, { recursive: true });
      fs.renameSync(tmp, final);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    let ev: RegistryEvent;
    try {
      const version = this.claimVersion(model, opts.version);
      ev = this.append({
        action: 'register', model, version, artifact, modelSha256: manifest.digest('hex'), format: 'mlflow', description: opts.description ?? '', tags: opts.tags ?? {}, source: opts.source,
        run: { id: run.id, name: run.name, experiment: run.experimentName, params: run.params, metrics: run.metrics, datasetSha256: run.environment.dataset?.sha256, dataset: run.environment.dataset?.path },
      });
    } catch (e) {
      fs.rmSync(final, { recursive: true, force: true });
      throw e;
    }
    return this.versionOfEvent(model, ev.id);
  }

  /** Folder of the version numbers taken for a model (one empty file per number, created with O_EXCL). */
  claimsDir(model: string): string {
    return path.join(this.dir, 'claims', crypto.createHash('sha256').update(model, 'utf8').digest('hex').slice(0, 16));
  }

  /**
   * Take the next free version number of a model: one above every number in the log and every number claimed
   * (a claim is an empty file created with O_EXCL, so of two concurrent registrations exactly one gets each number).
   */
  private claimVersion(model: string, preferred?: number): number {
    const dir = this.claimsDir(model);
    fs.mkdirSync(dir, { recursive: true });
    const logged = this.state().models.get(model)?.versions.map((v) => v.version) ?? [];
    const claimed = fs.readdirSync(dir).filter((n) => /^[1-9][0-9]*$/.test(n)).map(Number);
    let n = Math.max(0, ...logged, ...claimed) + 1;
    // A number asked for (an MLflow version's, when pulling) is taken when it is above every number used so far.
    if (preferred !== undefined && Number.isInteger(preferred) && preferred > n) n = preferred;
    for (;;) {
      try {
        fs.writeFileSync(path.join(dir, String(n)), '', { flag: 'wx' });
        return n;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        n++;
      }
    }
  }

  private versionOfEvent(model: string, eventId: string): ModelVersion {
    const st = this.state();
    const entry = st.history.get(model)?.find((h) => h.event.id === eventId);
    const found = entry?.event.version !== undefined ? st.models.get(model)?.versions.find((x) => x.version === entry.event.version) : undefined;
    if (!found) throw new Error(`registry: the registration ${eventId} of ${model} does not read back from ${this.eventsFile} (run 'mlops store check')`);
    return found;
  }

  private requireVersion(model: string, version: number): { m: RegisteredModel; v: ModelVersion } {
    const m = this.getModel(model);
    const v = m.versions.find((x) => x.version === version);
    if (!v) throw new UserInputError(`Model '${model}' has no version ${version} (versions: ${m.versions.map((x) => x.version).join(', ') || 'none'}).`);
    return { m, v };
  }

  transition(name: string, version: number, stage: Stage, opts: { reason?: string; archiveExisting?: boolean; source?: string } = {}): ModelVersion {
    const model = checkModelName(name);
    const to = parseStage(stage);
    const { v } = this.requireVersion(model, version);
    if (to === 'Production') this.checkPromoter('move versions into Production', model, { version, to, from: v.stage, reason: opts.reason });
    if (v.stage === to) throw new UserInputError(`${model} v${version} is already in ${to}.`);
    this.append({ action: 'transition', model, version, from: v.stage, to, reason: opts.reason, archiveExisting: opts.archiveExisting ?? this.options.archiveOnPromote ?? true, source: opts.source });
    return this.requireVersion(model, version).v;
  }

  /** Put back the version that was in Production before the current one; archive the current one. */
  rollback(name: string, opts: { reason?: string; source?: string } = {}): { restored: ModelVersion; archived: number[] } {
    const model = checkModelName(name);
    const m = this.getModel(model);
    this.checkPromoter('roll back Production', model, { reason: opts.reason });
    const target = rollbackTarget(m);
    if (target === undefined) {
      const current = m.versions.filter((v) => v.stage === 'Production').map((v) => v.version);
      this.append({ action: 'refused', model, attempted: 'rollback', reason: `no earlier Production version to roll back to (current: ${current.map((x) => `v${x}`).join(', ') || 'none'})` });
      throw new UserInputError(`Cannot roll back ${model}: no earlier Production version to return to.`);
    }
    const current = m.versions.filter((v) => v.stage === 'Production').map((v) => v.version);
    this.append({ action: 'rollback', model, version: target, from: current.length ? `v${current.join(', v')}` : null, to: 'Production', reason: opts.reason, source: opts.source });
    return { restored: this.requireVersion(model, target).v, archived: current };
  }

  setAlias(name: string, alias: string, version: number | null, opts: { reason?: string } = {}): void {
    const model = checkModelName(name);
    if (!ALIAS_NAME.test(alias)) throw new UserInputError(`Invalid alias '${alias}': a letter, then letters, digits, '_' or '-'.`);
    const m = this.getModel(model);
    if (version !== null) this.requireVersion(model, version);
    else if (m.aliases[alias] === undefined) throw new UserInputError(`Model '${model}' has no alias '${alias}'.`);
    this.append({ action: 'alias', model, alias, version: version ?? undefined, from: m.aliases[alias] !== undefined ? `v${m.aliases[alias]}` : null, to: version === null ? null : `v${version}`, reason: opts.reason });
  }

  describe(name: string, version: number | undefined, description: string, opts: { reason?: string } = {}): void {
    const model = checkModelName(name);
    if (version !== undefined) this.requireVersion(model, version);
    else this.getModel(model);
    this.append({ action: 'describe', model, version, description, ...(opts.reason ? { reason: opts.reason } : {}) });
  }

  setTags(name: string, version: number, tags: Record<string, string>, deleted: string[] = [], opts: { reason?: string } = {}): void {
    const model = checkModelName(name);
    const { v } = this.requireVersion(model, version);
    const missing = deleted.filter((k) => !(k in v.tags));
    if (missing.length) throw new UserInputError(`${model} v${version} has no tag ${missing.map((k) => `'${k}'`).join(', ')}.`);
    this.append({ action: 'tag', model, version, tags, ...(deleted.length ? { deletedTags: deleted } : {}), ...(opts.reason ? { reason: opts.reason } : {}) });
  }

  /** Append an event about an MLflow source's registry (action `mlflow`), checked to read back; by the current user unless `user` says. */
  recordSourceChange(e: { model: string; mlflow: SourceRegistryChange; user?: string } & Partial<Omit<RegistryEvent, 'action' | 'line'>>): RegistryEvent {
    return this.append({ ...e, action: 'mlflow' });
  }

  /** The events about one model of an MLflow source (by its canonical URI), in log order. */
  sourceChanges(uri: string, model: string): RegistryEvent[] {
    return this.readEvents().events.filter((e) => e.action === 'mlflow' && e.model === model && e.mlflow?.uri === uri);
  }

  /** Record an automatic action (e.g. a pipeline's smoke-test rollback) without the promoter rule. */
  recordAutomatic(e: Omit<RegistryEvent, 'id' | 'time' | 'user'>): RegistryEvent {
    return this.append({ ...e, user: `automatic (${this.identity().display})` });
  }
}

const ACTIONS: RegistryAction[] = ['register', 'transition', 'alias', 'rollback', 'describe', 'tag', 'refused', 'mlflow'];

/**
 * The rule that refuses `id` a promotion (`registry.promoters in mlops.yaml allows only …`), or undefined when the list
 * is empty or names the user (by email, git name or OS user, case-insensitive).
 */
export function promoterRefusal(promoters: readonly string[] | undefined, id: Identity): string | undefined {
  if (!promoters || !promoters.length) return undefined;
  const candidates = [id.email, id.name, id.osUser].filter(Boolean).map((s) => s!.toLowerCase());
  if (promoters.some((a) => candidates.includes(a.toLowerCase()))) return undefined;
  return `registry.promoters in mlops.yaml allows only ${promoters.join(', ')}`;
}

function validateEvent(e: RegistryEvent): string | undefined {
  if (!e || typeof e !== 'object') return 'not a registry event';
  if (typeof e.id !== 'string' || typeof e.model !== 'string' || typeof e.time !== 'number' || !Number.isFinite(e.time)) return 'not a registry event (id, model and time are needed)';
  if (!ACTIONS.includes(e.action)) return `unknown registry action ${JSON.stringify(e.action)}`;
  if (e.version !== undefined && e.version !== null && (!Number.isInteger(e.version) || e.version < 1)) return `invalid version ${JSON.stringify(e.version)}`;
  return undefined;
}

/** The model copied for registration must be the one the run trained: same SHA-256 as model.json and the run's record. */
function checkModelDigest(run: { id: string; name: string; artifacts?: { path: string; sha256?: string }[] }, metaFile: string, binFile: string, actual: string): void {
  let expected: string | undefined;
  try {
    expected = (JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { binSha256?: string }).binSha256;
  } catch (e) {
    throw new UserInputError(`Run ${run.name} (${run.id}): its model description ${metaFile} cannot be read (${(e as Error).message}); not registered.`);
  }
  const recorded = run.artifacts?.find((a) => a.path === 'model/model.bin')?.sha256;
  for (const [what, sha] of [['model.json', expected], ['the run record', recorded]] as const) {
    if (sha !== undefined && sha !== actual) {
      throw new UserInputError(`Run ${run.name} (${run.id}): ${binFile} has SHA-256 ${actual.slice(0, 12)}…, but ${what} says ${sha.slice(0, 12)}…; the model file changed after training. Not registered.`);
    }
  }
  if (expected === undefined) throw new UserInputError(`Run ${run.name} (${run.id}): ${metaFile} records no SHA-256 of model.bin (binSha256); not registered.`);
}

/** The version rollback returns to: the one below the current top of the Production history. */
function rollbackTarget(m: RegisteredModel): number | undefined {
  const h = m.productionHistory;
  return h.length >= 2 ? h[h.length - 2] : undefined;
}

/** What replaying one event did: in words (the CLI's history) and as structured stage and alias changes. */
type Effect = Omit<HistoryEntry, 'event'>;

/** The state a replay builds up, and what it reports. */
interface ReplayState {
  models: Map<string, RegisteredModel>;
  problems: LogProblem[];
  archiveOnPromote: boolean;
  file: string;
}

const effect = (text: string, transitions: StageTransition[] = [], aliasMoves: AliasMove[] = []): Effect => ({ effect: text, transitions, aliasMoves });

/** An effect in words from its stage changes ("v2: Staging → Production; v1: Production → Archived"). */
const stageEffect = (prefix: string, transitions: StageTransition[]): Effect => effect(prefix + transitions.map((t) => `v${t.version}: ${t.from} → ${t.to}`).join('; '), transitions);

export function replay(events: RegistryEvent[], problems: LogProblem[], archiveOnPromote: boolean, file = 'events.jsonl'): RegistryState {
  const st: ReplayState = { models: new Map(), problems, archiveOnPromote, file };
  const history = new Map<string, HistoryEntry[]>();
  for (const e of events) {
    const done = applyEvent(st, e);
    if (!done) continue;
    const list = history.get(e.model) ?? [];
    list.push({ event: e, ...done });
    history.set(e.model, list);
  }
  for (const m of st.models.values()) m.versions.sort((a, b) => a.version - b.version); // concurrent registrations may land out of order
  return { models: st.models, history, problems };
}

/** Apply one event to the state; its effect, or undefined for an event that leaves no history entry. */
function applyEvent(st: ReplayState, e: RegistryEvent): Effect | undefined {
  const m = st.models.get(e.model);
  switch (e.action) {
    case 'register':
      return applyRegister(st, e);
    case 'transition':
      return applyTransition(st, m, e);
    case 'rollback':
      return applyRollback(m, e);
    case 'alias':
      return applyAlias(m, e);
    case 'describe':
      return m ? applyDescribe(m, e) : undefined;
    case 'tag':
      return applyTag(m, e);
    case 'refused':
      return effect(`refused ${e.attempted ?? 'action'}: ${e.reason ?? ''}`);
    case 'mlflow':
      return undefined; // an MLflow source's registry, not the workspace's (core/mlflowRegistry/ reads these)
    default:
      st.problems.push({ file: st.file, line: (e as RegistryEvent).line ?? 0, message: `unknown registry action '${(e as RegistryEvent).action}'; skipped` });
      return undefined;
  }
}

const findVersion = (m: RegisteredModel | undefined, version: number | undefined): ModelVersion | undefined => m?.versions.find((x) => x.version === version);

function applyRegister(st: ReplayState, e: RegistryEvent): Effect {
  let m = st.models.get(e.model);
  if (!m) {
    m = { name: e.model, versions: [], aliases: {}, description: '', productionHistory: [] };
    st.models.set(e.model, m);
  }
  // Registrations name their version; only logs from before that change are numbered in log order.
  const version = typeof e.version === 'number' ? e.version : m.versions.length ? Math.max(...m.versions.map((v) => v.version)) + 1 : 1;
  if (m.versions.some((v) => v.version === version)) {
    st.problems.push({ file: st.file, line: e.line ?? 0, message: `${e.model} v${version} is registered twice (event ${e.id}); this later registration is ignored` });
    return effect(`ignored: v${version} is already registered`);
  }
  e.version = version;
  m.versions.push({
    model: e.model, version, stage: 'None', aliases: [], artifact: e.artifact ?? '', modelSha256: e.modelSha256 ?? '', format: e.format ?? 'workbench',
    run: e.run ?? { id: '', name: '', experiment: '', params: {}, metrics: {} }, description: e.description ?? '', tags: { ...e.tags },
    createdAt: e.time, createdBy: e.user, stageSince: e.time,
  });
  return effect(`registered v${version} from run ${e.run?.name ?? '?'}`);
}

function setStage(m: RegisteredModel, v: ModelVersion, to: Stage, time: number): StageTransition {
  const from = v.stage;
  v.stage = to;
  v.stageSince = time;
  // The Production history records each entry into Production (a version moved there again moves to the top);
  // leaving Production does not erase it: rollback walks back along it.
  if (to === 'Production') {
    m.productionHistory = m.productionHistory.filter((x) => x !== v.version);
    m.productionHistory.push(v.version);
  }
  return { version: v.version, from, to };
}

/** Archive every version in Production except `keep`. */
function archiveProduction(m: RegisteredModel, keep: ModelVersion, time: number): StageTransition[] {
  return m.versions.filter((other) => other !== keep && other.stage === 'Production').map((other) => setStage(m, other, 'Archived', time));
}

function applyTransition(st: ReplayState, m: RegisteredModel | undefined, e: RegistryEvent): Effect {
  const v = findVersion(m, e.version);
  if (!m || !v) return effect(`ignored: ${e.model} v${e.version} does not exist`);
  const moves = [setStage(m, v, e.to as Stage, e.time)];
  if (e.to === 'Production' && (e.archiveExisting ?? st.archiveOnPromote)) moves.push(...archiveProduction(m, v, e.time));
  return stageEffect('', moves);
}

function applyRollback(m: RegisteredModel | undefined, e: RegistryEvent): Effect {
  const v = findVersion(m, e.version);
  if (!m || !v) return effect(`ignored: ${e.model} v${e.version} does not exist`);
  // The rolled-back version leaves the Production history for good, so repeated rollbacks walk further back.
  const top = m.productionHistory.pop();
  if (top === v.version) m.productionHistory.push(top);
  const archived = archiveProduction(m, v, e.time);
  return stageEffect('rollback: ', [setStage(m, v, 'Production', e.time), ...archived]);
}

function applyAlias(m: RegisteredModel | undefined, e: RegistryEvent): Effect {
  if (!m || !e.alias) return effect('ignored: unknown model');
  const alias = e.alias;
  const prev = m.aliases[alias];
  const was = prev !== undefined ? ` (was v${prev})` : '';
  const removing = e.version === undefined || e.version === null;
  const v = removing ? undefined : findVersion(m, e.version);
  // An event naming a version that does not exist changes nothing (the alias stays where it was, in both places).
  if (!removing && !v) return effect(`ignored: v${e.version} does not exist`);
  const pv = findVersion(m, prev);
  if (pv) pv.aliases = pv.aliases.filter((a) => a !== alias);
  if (!v) {
    delete m.aliases[alias];
    return effect(`alias @${alias} removed${was}`, [], [{ alias, from: prev ?? null, to: null }]);
  }
  m.aliases[alias] = v.version;
  v.aliases.push(alias);
  return effect(`alias @${alias} → v${v.version}${was}`, [], [{ alias, from: prev ?? null, to: v.version }]);
}

function applyDescribe(m: RegisteredModel, e: RegistryEvent): Effect {
  if (e.version === undefined) m.description = e.description ?? '';
  else {
    const v = findVersion(m, e.version);
    if (v) v.description = e.description ?? '';
  }
  return effect(`description of ${e.version === undefined ? 'the model' : `v${e.version}`} changed`);
}

function applyTag(m: RegisteredModel | undefined, e: RegistryEvent): Effect {
  const v = findVersion(m, e.version);
  if (v) for (const [k, val] of Object.entries(e.tags ?? {})) v.tags[k] = val;
  if (v) for (const k of e.deletedTags ?? []) delete v.tags[k];
  const set = Object.entries(e.tags ?? {}).map(([k, val]) => `${k}=${val}`).join(', ');
  const removed = (e.deletedTags ?? []).join(', ');
  return effect(`tags of v${e.version}${set ? ` set: ${set}` : ''}${set && removed ? ';' : ''}${removed ? ` removed: ${removed}` : ''}`);
}
