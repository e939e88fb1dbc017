/**
 * The registry of an MLflow source, changed from the workbench with an audit trail — one function per action, for the
 * CLI and the editor's commands alike:
 *
 *   const reg = mlflowRegistry(source, workspaceRegistry);          // workspaceRegistry: the audit store, or undefined
 *   await reg.transition('YieldPredictor', 3, 'Production', { reason: 'better rmse' });
 *   await reg.setAlias(model, 'champion', 3) / reg.setAlias(model, 'champion', null)
 *   await reg.describe(model, version | undefined, text) / reg.setTags(model, version, { k: 'v' }, ['old'])
 *   await reg.register(runId, model, { artifactPath: 'model' }) / reg.rollback(model)
 *   await reg.observe(model) / reg.history(model) / reg.at(model, time, { stage: 'Production' })
 *
 * Writes go through the tracking server's REST API only (registryWriteRefusal says why mlflow.db and mlruns/ are
 * refused). Each change: reads the model and records changes others made since the last look (observe.ts); checks
 * the promotion rule (a refusal changes nothing on the server and is logged in the workspace); makes the change; reads
 * the model back; writes an audit tag on the server (audit.ts) and an `mlflow` event in the workspace registry log;
 * remembers the state as seen. A failure after the change (the audit tag, the log) is a warning in the result, never a
 * silent loss: the next look records the change as observed.
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { currentIdentity, type Identity } from '../registry/identity';
import { parseStage, promoterRefusal, RefusedError, type AliasMove, type Registry, type RegistryEvent, type Stage } from '../registry/registry';
import type { SourceChangeOp, SourceStageMove } from '../registry/sourceChange';
import type { MlflowRegistryClient } from '../sources/mlflowServer/registryWrites';
import { SourceError, type RunSource, type SourceModel, type SourceModelVersion } from '../sources/types';
import { AbortError, errorMessage, UserInputError } from '../util/errors';
import { AUDIT_PREFIX, encodeAudit, freeAuditKey, readAuditEntries, type AuditRecord } from './audit';
import { observeModel, type ObserveResult } from './observe';
import { SeenCache } from './seen';
import { diffStates, stateOf, type SourceRegistryState } from './state';
import { mergeTrail, rollbackTarget, stateAt, walkTrail, type Slot, type Trail, type TrailEntry } from './trail';
import { registryWriteRefusal } from './writable';

export interface MlflowRegistryOptions {
  /** Who may move versions into Production, move @champion and roll back; default: the audit store's (mlops.yaml). */
  promoters?: string[];
  /** Promoting to Production archives the version there (MLflow's archive_existing_versions); default the audit store's, else true. */
  archiveOnPromote?: boolean;
  identity?: Identity;
}

export interface ChangeOptions {
  reason?: string;
  /** Who acts (default: the audit store's identity, else git's user, else the OS user). */
  user?: Identity;
  signal?: AbortSignal;
}

export interface MlflowChange {
  model: string;
  version?: number;
  /** The model as the server shows it after the change. */
  after: SourceModel;
  stages: SourceStageMove[];
  aliases: AliasMove[];
  /** The audit tag written on the server (absent when it could not be written: see warnings). */
  auditKey?: string;
  /** The workspace registry log event (absent without a workspace store). */
  event?: RegistryEvent;
  /** Changes made outside the workbench, seen (and recorded) just before this one. */
  observed?: TrailEntry;
  /** What did not stop the change: the audit tag or the workspace log could not be written. */
  warnings: string[];
}

export interface AtAnswer {
  versions: number[];
  state: SourceRegistryState;
  completeFrom?: number;
  /** T falls between an observed change's previous observation and its sighting: the answer may be either side. */
  uncertain?: { from: number; to: number };
}

/** What a change records: its kind, version and before/after in the event's and audit tag's terms. */
interface ChangeSpec {
  op: SourceChangeOp;
  version?: number;
  alias?: string;
  from?: string | number | null;
  to?: string | number | null;
  description?: string;
  tags?: Record<string, string>;
  removed?: string[];
  run?: string;
}

const CHAMPION = 'champion';

/** `at` asked about a time before the audit trail is complete (`completeFrom` undefined: nothing is known before now). */
export class TrailIncompleteError extends UserInputError {
  constructor(
    readonly completeFrom: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'TrailIncompleteError';
  }
}

export function mlflowRegistry(source: RunSource, auditStore?: Registry, options: MlflowRegistryOptions = {}): MlflowRegistry {
  return new MlflowRegistry(source, auditStore, options);
}

export class MlflowRegistry {
  constructor(
    readonly source: RunSource,
    readonly audit: Registry | undefined,
    private readonly options: MlflowRegistryOptions = {},
  ) {}

  private get uri(): string {
    return this.source.uri;
  }

  identity(user?: Identity): Identity {
    return user ?? this.options.identity ?? this.audit?.identity() ?? currentIdentity(process.cwd());
  }

  private get promoters(): string[] | undefined {
    return this.options.promoters ?? this.audit?.options.promoters;
  }

  private seen(): SeenCache | undefined {
    return this.audit ? new SeenCache(this.audit.store.root, this.uri) : undefined;
  }

  private client(): MlflowRegistryClient {
    const refusal = registryWriteRefusal(this.source);
    if (refusal) throw new SourceError('read-only', refusal, this.uri);
    return (this.source as RunSource & { registryClient(): MlflowRegistryClient }).registryClient();
  }

  // ------------------------------------------------------------------ reading

  /** The model now, with versions, aliases and tags; undefined when the source has none of that name. */
  async find(model: string, signal?: AbortSignal): Promise<SourceModel | undefined> {
    if (this.source.kind === 'mlflow-server') return this.client().getModel(model, { signal });
    return (await this.source.listModels()).find((m) => m.name === model);
  }

  async load(model: string, signal?: AbortSignal): Promise<SourceModel> {
    const m = await this.find(model, signal);
    if (!m) throw new UserInputError(`No registered model named '${model}' on ${this.uri}.`);
    return m;
  }

  /** Records changes others made since this workspace last looked (nothing without a workspace store). */
  async observe(model: string, signal?: AbortSignal): Promise<ObserveResult> {
    return this.observeLoaded(await this.load(model, signal));
  }

  private observeLoaded(m: SourceModel): ObserveResult {
    const cache = this.seen();
    return this.audit && cache ? observeModel(this.audit, cache, m, this.identity().display) : {};
  }

  /** The trail: server audit tags of every workbench user and this workspace's events, after an observation. */
  async history(model: string, signal?: AbortSignal): Promise<Trail> {
    const m = await this.load(model, signal);
    this.observeLoaded(m);
    return this.trailOf(m);
  }

  trailOf(m: SourceModel): Trail {
    const local = this.audit?.sourceChanges(this.uri, m.name) ?? [];
    return walkTrail(m.name, this.uri, stateOf(m), mergeTrail(local, readAuditEntries(m).entries));
  }

  /** The versions in a stage (default Production) or holding an alias at a time; a time before the trail is complete is refused. */
  async at(model: string, time: number, query: { stage?: string; alias?: string }, signal?: AbortSignal): Promise<AtAnswer & { trail: Trail; model: SourceModel }> {
    const m = await this.load(model, signal);
    this.observeLoaded(m);
    const trail = this.trailOf(m);
    const r = stateAt(trail, time);
    if (!r) {
      const since = trail.completeFrom !== undefined ? `is complete from ${new Date(trail.completeFrom).toISOString()}` : 'has no audit entry or observation yet';
      throw new TrailIncompleteError(trail.completeFrom, `MLflow keeps no registry history (mlflow/mlflow#2169), and the workbench's audit trail of ${model} on ${this.uri} ${since}: \`models at\` answers ${trail.completeFrom !== undefined ? 'from then on' : 'only for now (--time now)'}, not for ${new Date(time).toISOString()}.`);
    }
    const { stages, aliases } = r.state;
    const versions = query.alias ? (aliases[query.alias] !== undefined ? [aliases[query.alias]] : []) : Object.keys(stages).filter((v) => stages[v] === (query.stage ?? 'Production')).map(Number).sort((a, b) => a - b);
    return { versions, state: r.state, trail, model: m, ...(trail.completeFrom !== undefined ? { completeFrom: trail.completeFrom } : {}), ...(r.uncertain ? { uncertain: r.uncertain } : {}) };
  }

  // ------------------------------------------------------------------ writing

  /** Moves a version to a stage; into Production it archives the version(s) there unless archiveExisting is false. */
  async transition(model: string, version: number, stage: Stage | string, opts: ChangeOptions & { archiveExisting?: boolean } = {}): Promise<MlflowChange> {
    const to = parseStage(stage);
    const client = this.client();
    const before = await this.prepare(model, opts);
    const v = requireVersion(before.model, version, this.uri);
    if (to === 'Production') this.checkPromoter('move versions into Production', before.model.name, opts, { version, from: v.stage, to });
    if (v.stage === to) throw new UserInputError(`${model} v${version} is already in ${to} on ${this.uri}.`);
    const archive = to === 'Production' && (opts.archiveExisting ?? this.options.archiveOnPromote ?? this.audit?.options.archiveOnPromote ?? true);
    await client.transitionStage(before.model.name, version, to, archive, opts);
    return this.finish(client, before, { op: 'transition', version, from: v.stage, to }, opts);
  }

  /** Points an alias at a version, or removes it (version null). Moving @champion is a promotion (registry.promoters). */
  async setAlias(model: string, alias: string, version: number | null, opts: ChangeOptions = {}): Promise<MlflowChange> {
    const client = this.client();
    const before = await this.prepare(model, opts);
    const name = before.model.name;
    const current = before.model.aliases[alias];
    if (version === null && current === undefined) throw new UserInputError(`Model '${name}' has no alias '${alias}' on ${this.uri}.`);
    if (version !== null) requireVersion(before.model, version, this.uri);
    if (version !== null && current === version) throw new UserInputError(`${name}@${alias} already points at v${version} on ${this.uri}.`);
    if (alias === CHAMPION) this.checkPromoter(`move the @${CHAMPION} alias`, name, opts, { version: version ?? current, alias, from: current ?? null, to: version });
    if (version === null) await client.deleteAlias(name, alias, opts);
    else await client.setAlias(name, alias, version, opts);
    return this.finish(client, before, { op: 'alias', version: version ?? current, alias, from: current ?? null, to: version }, opts);
  }

  /** The description of the model (version undefined) or of one version. */
  async describe(model: string, version: number | undefined, description: string, opts: ChangeOptions = {}): Promise<MlflowChange> {
    const client = this.client();
    const before = await this.prepare(model, opts);
    const name = before.model.name;
    const old = version === undefined ? before.model.description : requireVersion(before.model, version, this.uri).description;
    if (version === undefined) await client.updateModelDescription(name, description, opts);
    else await client.updateVersionDescription(name, version, description, opts);
    return this.finish(client, before, { op: 'describe', version, from: old, to: description, description }, opts);
  }

  /** Sets tags of a version and removes others (`mlops.audit.*` keys are the audit trail's and cannot be changed). */
  async setTags(model: string, version: number, tags: Record<string, string>, removed: string[] = [], opts: ChangeOptions = {}): Promise<MlflowChange> {
    const reserved = [...Object.keys(tags), ...removed].filter((k) => k.startsWith(AUDIT_PREFIX));
    if (reserved.length) throw new UserInputError(`Tag ${reserved.map((k) => `'${k}'`).join(', ')}: keys starting with '${AUDIT_PREFIX}' hold the workbench's audit trail and are not changed by hand.`);
    if (!Object.keys(tags).length && !removed.length) throw new UserInputError('No tag to set or remove: give KEY=VALUE and/or --delete KEY.');
    const client = this.client();
    const before = await this.prepare(model, opts);
    const name = before.model.name;
    const v = requireVersion(before.model, version, this.uri);
    const missing = removed.filter((k) => !(k in v.tags));
    if (missing.length) throw new UserInputError(`${name} v${version} has no tag ${missing.map((k) => `'${k}'`).join(', ')} on ${this.uri}.`);
    for (const [k, value] of Object.entries(tags)) await client.setVersionTag(name, version, k, value, opts);
    for (const k of removed) await client.deleteVersionTag(name, version, k, opts);
    return this.finish(client, before, { op: 'tag', version, tags, removed }, opts);
  }

  /**
   * Registers the model a run logged (its artifact folder `artifactPath`, default `model`) as a new version: creates
   * the registered model when needed, the version with the run's artifact location as its source (as MLflow's
   * `register_model("runs:/…")` does), and waits until the server says READY.
   */
  async register(runId: string, model: string, opts: ChangeOptions & { artifactPath?: string; description?: string; waitTimeoutMs?: number } = {}): Promise<MlflowChange> {
    const name = model.trim();
    if (!name) throw new UserInputError('A model name is needed.');
    const client = this.client();
    const run = await this.source.getRun(runId);
    const artifactPath = (opts.artifactPath ?? 'model').replace(/^\/+|\/+$/g, '');
    await this.checkArtifact(run.id, artifactPath);
    const source = run.artifactUri ? `${run.artifactUri.replace(/\/+$/, '')}/${artifactPath}` : `runs:/${run.id}/${artifactPath}`;
    const existing = await this.find(name, opts.signal);
    const observed = existing ? this.observeLoaded(existing).observed : undefined;
    if (!existing) await client.createModel(name, opts);
    const created = await client.createVersion(name, source, run.id, opts.description, opts);
    await client.waitReady(name, created.version, { timeoutMs: opts.waitTimeoutMs, signal: opts.signal });
    const before = { model: existing ?? { name, description: '', tags: {}, aliases: {}, versions: [] }, observed };
    return this.finish(client, before, { op: 'register', version: created.version, from: null, to: 'None', run: run.id }, opts);
  }

  /**
   * One step back: the version that was in Production before the current one (or, for a model without a Production
   * version or with `alias`, the version @champion pointed at before), as the audit trail knows it; the current one is
   * archived (MLflow's archive_existing_versions). Refused, and logged, when the trail does not know.
   */
  async rollback(model: string, opts: ChangeOptions & { alias?: string } = {}): Promise<MlflowChange> {
    const client = this.client();
    const before = await this.prepare(model, opts);
    const m = before.model;
    this.checkPromoter('roll back Production', m.name, opts, {});
    const slot: Slot = opts.alias ? { alias: opts.alias } : !m.versions.some((v) => v.stage === 'Production') && m.aliases[CHAMPION] !== undefined ? { alias: CHAMPION } : { stage: 'Production' };
    const trail = this.trailOf(m);
    const target = rollbackTarget(trail, slot);
    if (target === undefined) this.refuseRollback(m, slot, trail, opts);
    if ('alias' in slot) {
      const from = m.aliases[slot.alias] ?? null;
      await client.setAlias(m.name, slot.alias, target!, opts);
      return this.finish(client, before, { op: 'rollback', version: target, alias: slot.alias, from, to: target }, opts);
    }
    const from = requireVersion(m, target!, this.uri).stage;
    await client.transitionStage(m.name, target!, 'Production', true, opts);
    return this.finish(client, before, { op: 'rollback', version: target, from, to: 'Production' }, opts);
  }

  private refuseRollback(m: SourceModel, slot: Slot, trail: Trail, opts: ChangeOptions): never {
    const what = 'alias' in slot ? `@${slot.alias}` : 'Production';
    const current = 'alias' in slot ? (m.aliases[slot.alias] !== undefined ? [m.aliases[slot.alias]] : []) : m.versions.filter((v) => v.stage === 'Production').map((v) => v.version);
    const known = trail.completeFrom !== undefined ? `it is complete from ${new Date(trail.completeFrom).toISOString()}` : 'it has no entry yet';
    const why = `the audit trail does not know which version held ${what} before ${current.map((v) => `v${v}`).join(', ') || 'now'} (${known})`;
    this.audit?.recordSourceChange({ model: m.name, user: this.identity(opts.user).display, attempted: 'rollback', reason: `no earlier ${what} version known: ${why}`, ...(opts.reason ? { requestedReason: opts.reason } : {}), mlflow: { uri: this.uri, op: 'refused' } });
    throw new UserInputError(`Cannot roll back ${m.name} on ${this.uri}: ${why}. Nothing was changed; choose the version with \`mlops models ${'alias' in slot ? `alias ${m.name} ${slot.alias} VERSION` : `transition ${m.name} VERSION Production`}\`.`);
  }

  // ------------------------------------------------------------------ plumbing

  /** The model before a change, after recording what others changed since the last look. */
  private async prepare(model: string, opts: ChangeOptions): Promise<{ model: SourceModel; observed?: TrailEntry }> {
    const m = await this.load(model, opts.signal);
    return { model: m, observed: this.observeLoaded(m).observed };
  }

  private checkPromoter(action: string, model: string, opts: ChangeOptions, detail: { version?: number; alias?: string; from?: string | number | null; to?: string | number | null }): void {
    const id = this.identity(opts.user);
    const rule = promoterRefusal(this.promoters, id);
    if (!rule) return;
    const fields = Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined));
    this.audit?.recordSourceChange({ model, user: id.display, attempted: action, ...fields, reason: `${id.display} is not allowed: ${rule}`, ...(opts.reason ? { requestedReason: opts.reason } : {}), mlflow: { uri: this.uri, op: 'refused' } });
    throw new RefusedError(`Refused: ${id.display} may not ${action} of ${model} on ${this.uri} (${rule}). Nothing was changed on the server${this.audit ? "; the refusal is recorded in the workspace's registry history" : ''}.`);
  }

  /** After the server made the change: read back, audit tag, workspace event, seen state. */
  private async finish(client: MlflowRegistryClient, before: { model: SourceModel; observed?: TrailEntry }, spec: ChangeSpec, opts: ChangeOptions): Promise<MlflowChange> {
    const name = before.model.name;
    const after = await this.load(name, opts.signal);
    const time = Date.now();
    const { stages, aliases } = diffStates(stateOf(before.model), stateOf(after));
    stages.sort((a, b) => Number(b.version === spec.version) - Number(a.version === spec.version) || a.version - b.version); // the version acted on first
    const who = this.identity(opts.user).display;
    const id = crypto.randomBytes(12).toString('hex');
    const archived = stages.filter((m) => m.version !== spec.version && m.to === 'Archived').map((m) => m.version);
    const record: AuditRecord = { who, when: new Date(time).toISOString(), action: spec.op, from: spec.from, to: spec.to, reason: opts.reason, ...(spec.alias ? { alias: spec.alias } : {}), ...(archived.length && !spec.alias ? { archived } : {}), ...(spec.tags && Object.keys(spec.tags).length ? { tags: spec.tags } : {}), ...(spec.removed?.length ? { removed: spec.removed } : {}), ...(spec.run ? { run: spec.run } : {}), id };
    const warnings: string[] = [];
    let auditKey: string | undefined;
    let auditError: string | undefined;
    try {
      auditKey = await this.writeAuditTag(client, after, spec.version, time, record, opts.signal);
    } catch (e) {
      if (e instanceof AbortError) throw e;
      auditError = errorMessage(e);
      warnings.push(`the change was made, but its audit tag could not be written on the server: ${auditError}`);
    }
    const event = this.logChange(name, spec, { id, time, who, reason: opts.reason, stages, aliases, auditKey, auditError }, warnings);
    this.markSeen(after, auditKey ? `${spec.version ?? 'model'}:${auditKey}` : undefined, warnings);
    return { model: name, ...(spec.version !== undefined ? { version: spec.version } : {}), after, stages, aliases, ...(auditKey ? { auditKey } : {}), ...(event ? { event } : {}), ...(before.observed ? { observed: before.observed } : {}), warnings };
  }

  private async writeAuditTag(client: MlflowRegistryClient, after: SourceModel, version: number | undefined, time: number, record: AuditRecord, signal?: AbortSignal): Promise<string> {
    const v = version === undefined ? undefined : after.versions.find((x) => x.version === version);
    const key = freeAuditKey(time, v ? v.tags : after.tags);
    if (v) await client.setVersionTag(after.name, v.version, key, encodeAudit(record), { signal });
    else await client.setModelTag(after.name, key, encodeAudit(record), { signal });
    return key;
  }

  private logChange(model: string, spec: ChangeSpec, c: { id: string; time: number; who: string; reason?: string; stages: SourceStageMove[]; aliases: AliasMove[]; auditKey?: string; auditError?: string }, warnings: string[]): RegistryEvent | undefined {
    if (!this.audit) return undefined;
    try {
      return this.audit.recordSourceChange({
        id: c.id, time: c.time, user: c.who, model,
        ...(spec.version !== undefined ? { version: spec.version } : {}),
        ...(spec.alias ? { alias: spec.alias } : {}),
        ...(spec.from !== undefined && spec.op !== 'describe' ? { from: versionWord(spec.from) } : {}),
        ...(spec.to !== undefined && spec.op !== 'describe' ? { to: versionWord(spec.to) } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        ...(spec.tags && Object.keys(spec.tags).length ? { tags: spec.tags } : {}),
        ...(spec.removed?.length ? { deletedTags: spec.removed } : {}),
        mlflow: { uri: this.uri, op: spec.op, stages: c.stages, aliases: c.aliases, ...(c.auditKey ? { auditKey: c.auditKey } : {}), ...(c.auditError ? { auditError: c.auditError } : {}) },
      });
    } catch (e) {
      warnings.push(`the change was made, but the workspace registry log ${this.audit.eventsFile} could not record it: ${errorMessage(e)}`);
      return undefined;
    }
  }

  private markSeen(after: SourceModel, ownRef: string | undefined, warnings: string[]): void {
    const cache = this.seen();
    if (!cache) return;
    try {
      const refs = readAuditEntries(after).entries.map((e) => e.ref);
      cache.set(after.name, { seenAt: Date.now(), state: stateOf(after), audit: ownRef ? [...refs, ownRef] : refs });
    } catch (e) {
      warnings.push(`could not remember the state seen (${cache.file}): ${errorMessage(e)}`);
    }
  }

  private async checkArtifact(runId: string, artifactPath: string): Promise<void> {
    const dir = artifactPath.includes('/') ? path.posix.dirname(artifactPath) : '';
    const entries = await this.source.listArtifacts(runId, dir);
    if (entries.some((a) => a.path === artifactPath || a.path.replace(/\/+$/, '') === artifactPath)) return;
    const names = entries.map((a) => a.path).slice(0, 10);
    throw new UserInputError(`Run ${runId} has no artifact '${artifactPath}' on ${this.uri}${names.length ? ` (there: ${names.join(', ')})` : dir ? '' : ' (it has no artifacts)'}; give the folder its model was logged to with --path.`);
  }
}

/** An alias's version as the workspace log writes it ('v2'); stages and null as they are. */
const versionWord = (x: string | number | null): string | null => (typeof x === 'number' ? `v${x}` : x);

function requireVersion(m: SourceModel, version: number, uri: string): SourceModelVersion {
  const v = m.versions.find((x) => x.version === version);
  if (!v) throw new UserInputError(`Model '${m.name}' has no version ${version} on ${uri} (versions: ${m.versions.map((x) => x.version).join(', ') || 'none'}).`);
  return v;
}
