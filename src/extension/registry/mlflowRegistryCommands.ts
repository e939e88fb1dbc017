/**
 * The registry commands on an MLflow source's models and versions (the MLflow roots of the Model Registry view, or an
 * argument `{ source: URI, model, version? }`): transition stage (into Production archiving the version there, as the
 * workspace registry does), set/remove alias, description, tags, Rollback, Show History, "which version at T", Open
 * Source Run, and Register Model on an MLflow run. Each goes through core/mlflowRegistry: the change is made with
 * MLflow's REST API on a tracking server (mlflow.db and mlruns/ are refused there with the reason, see
 * core/mlflowRegistry/writable.ts), recorded as an `mlops.audit.<time>` tag on the server and in the workspace store's
 * registry log (who, when, what, reason, the source's URI), and `registry.promoters` of the workspace's mlops.yaml
 * applies. Changes others made since this workspace last looked are recorded as observed events first.
 *
 * registryCommands.ts sends a command here when its argument is an MLflow node or names a source.
 */
import * as vscode from 'vscode';
import { mlflowRegistry, registryWriteRefusal, trailCompleteness, TrailIncompleteError, type MlflowChange, type MlflowRegistry, type Trail, type TrailEntry } from '../../core/mlflowRegistry';
import { parseHistoryTime } from '../../core/registry/history';
import { STAGES, type Stage } from '../../core/registry/registry';
import type { SourceModel, SourceModelVersion } from '../../core/sources/types';
import { errorMessage, UserInputError } from '../../core/util/errors';
import type { ExperimentsNode } from '../experiments/experimentsTree';
import { BuiltinCommand } from '../keys';
import type { Log } from '../log';
import { mdCell } from '../format';
import type { RunDetailsPanelManager } from '../runDetails/runDetailsPanel';
import { mlflowRunTarget } from '../runDetails/runTargets';
import type { MlflowSourceEntry, MlflowSources } from '../sources/mlflowSources';
import { showInputBox, showQuickPick } from '../util/questions';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { MlflowRegistryNode } from './mlflowRegistryNodes';

export type MlflowVersionNode = Extract<MlflowRegistryNode, { kind: 'mlflowVersion' }>;
export type MlflowModelNode = Extract<MlflowRegistryNode, { kind: 'mlflowModel' }>;
type MlflowRunNode = Extract<ExperimentsNode, { kind: 'mlflowRun' }>;

/** A model (and version) of an MLflow source named by a command argument: the source's URI as connected. */
export interface MlflowModelRef {
  source: string;
  model: string;
  version?: number;
}

export type MlflowArg = MlflowVersionNode | MlflowModelNode | MlflowModelRef;

export interface MlflowRegistryCommandContext {
  stores: WorkspaceStores;
  mlflow: MlflowSources;
  runDetails: RunDetailsPanelManager;
  history: MlflowHistoryDocuments;
  log: Log;
}

/** An argument that is about an MLflow source (a node of its registry or run tree, or a {source, model} object). */
export function isMlflowArg(arg: unknown): arg is MlflowArg | MlflowRunNode {
  if (typeof arg !== 'object' || arg === null) return false;
  const a = arg as { kind?: unknown; source?: unknown; model?: unknown };
  if (typeof a.kind === 'string') return a.kind === 'mlflowVersion' || a.kind === 'mlflowModel' || a.kind === 'mlflowRun';
  return typeof a.source === 'string' && typeof a.model === 'string';
}

interface Target {
  entry: MlflowSourceEntry;
  model: SourceModel;
  version?: SourceModelVersion;
}

/** The source, model and (when named) version an argument is about, as the tree last loaded them. */
async function targetOf(ctx: MlflowRegistryCommandContext, arg: MlflowArg): Promise<Target> {
  if ('kind' in arg) return { entry: arg.entry, model: arg.model, ...(arg.kind === 'mlflowVersion' ? { version: arg.version } : {}) };
  const entry = ctx.mlflow.get(arg.source);
  if (!entry) throw new UserInputError(`${arg.source} is not a connected MLflow source (connect it with MLOps: Connect to MLflow Tracking Server…).`);
  const model = (await ctx.mlflow.models(entry)).find((m) => m.name === arg.model);
  if (!model) throw new UserInputError(`No registered model named '${arg.model}' on ${entry.uri}.`);
  if (arg.version === undefined) return { entry, model };
  const version = model.versions.find((v) => v.version === arg.version);
  if (!version) throw new UserInputError(`Model '${arg.model}' has no version ${arg.version} on ${entry.uri}.`);
  return { entry, model, version };
}

async function versionTarget(ctx: MlflowRegistryCommandContext, arg: MlflowArg): Promise<Target & { version: SourceModelVersion }> {
  const t = await targetOf(ctx, arg);
  if (!t.version) throw new UserInputError(`Which version of ${t.model.name}? Give { source, model, version }.`);
  return t as Target & { version: SourceModelVersion };
}

/** A change on an mlflow.db or mlruns/ registry is refused before any question, with the reason and what to do. */
function requireWritable(entry: MlflowSourceEntry): void {
  const refusal = registryWriteRefusal({ kind: entry.kind, uri: entry.uri });
  if (refusal) throw new UserInputError(refusal);
}

/** The workspace store whose registry log audits the change (the first folder's that has one), if any. */
function auditStore(stores: WorkspaceStores): WorkspaceStore | undefined {
  return stores.all().find((s) => s.exists);
}

async function registryFor(ctx: MlflowRegistryCommandContext, entry: MlflowSourceEntry): Promise<{ reg: MlflowRegistry; store?: WorkspaceStore }> {
  const source = await ctx.mlflow.source(entry);
  const store = auditStore(ctx.stores);
  return { reg: mlflowRegistry(source, store?.registry()), store };
}

/**
 * Makes a change under a progress notification, then shows what happened: the model as the server answered is put
 * into the tree at once, the audit event into the workspace views, and what did not stop the change (the audit tag or
 * the log could not be written; others' changes seen first) is logged and shown as a warning.
 */
async function change(ctx: MlflowRegistryCommandContext, entry: MlflowSourceEntry, title: string, fn: (reg: MlflowRegistry) => Promise<MlflowChange>): Promise<MlflowChange> {
  const { reg, store } = await registryFor(ctx, entry);
  const c = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title} on ${entry.label}…` }, () => fn(reg));
  ctx.mlflow.updateModel(entry, c.after);
  store?.reload();
  const moves = [...c.stages.map((m) => `v${m.version} ${m.from ?? '—'} → ${m.to ?? '—'}`), ...c.aliases.map((a) => `@${a.alias} ${a.from !== null && a.from !== undefined ? `v${a.from}` : '—'} → ${a.to !== null && a.to !== undefined ? `v${a.to}` : '—'}`)];
  ctx.log.info(`MLflow ${entry.uri}: ${title}${moves.length ? ` (${moves.join(', ')})` : ''}${c.auditKey ? `; audit tag ${c.auditKey}` : ''}`);
  if (c.observed) {
    const msg = `${c.model}: changed outside the workbench since this workspace last looked (recorded as observed): ${c.observed.effect}`;
    ctx.log.warn(msg);
    void vscode.window.showWarningMessage(msg);
  }
  for (const w of c.warnings) {
    ctx.log.warn(`${c.model}: ${w}`);
    void vscode.window.showWarningMessage(`${c.model}: ${w}`);
  }
  return c;
}

const label = (t: Target & { version: SourceModelVersion }) => `${t.model.name} v${t.version.version}`;

/** Move a version to `to` (or a stage the user picks), asking for the reason when `askReason` and none was given. */
export async function transitionMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { reason?: string }, to: Stage | undefined, askReason: boolean): Promise<MlflowChange | undefined> {
  const t = await versionTarget(ctx, arg);
  requireWritable(t.entry);
  let stage = to;
  if (!stage) {
    const picked = await showQuickPick(STAGES.filter((s) => s !== t.version.stage), { title: `${label(t)} on ${t.entry.label}: move from ${t.version.stage} to…` });
    if (!picked) return undefined;
    stage = picked as Stage;
  }
  let reason = 'kind' in arg ? undefined : arg.reason;
  if (reason === undefined && askReason) {
    reason = await showInputBox({ title: `${label(t)} → ${stage} on ${t.entry.label}`, prompt: 'Reason (optional, recorded in the audit trail on the server and in the workspace history)' });
    if (reason === undefined) return undefined;
  }
  const s = stage;
  return change(ctx, t.entry, `${label(t)} → ${s}`, (reg) => reg.transition(t.model.name, t.version.version, s, { reason: reason || undefined }));
}

export async function setAliasMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { alias?: string; reason?: string }): Promise<MlflowChange | undefined> {
  const t = await versionTarget(ctx, arg);
  requireWritable(t.entry);
  const alias = ('kind' in arg ? undefined : arg.alias) ?? (await showInputBox({ title: `Alias for ${label(t)} on ${t.entry.label}`, value: 'champion', prompt: 'An alias points to one version; setting it here moves it' }));
  if (!alias) return undefined;
  return change(ctx, t.entry, `@${alias} → ${label(t)}`, (reg) => reg.setAlias(t.model.name, alias, t.version.version, { reason: ('kind' in arg ? undefined : arg.reason) || undefined }));
}

export async function removeAliasMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { alias?: string }): Promise<MlflowChange | undefined> {
  const t = await targetOf(ctx, arg);
  requireWritable(t.entry);
  const aliases = t.version ? t.version.aliases : Object.keys(t.model.aliases);
  if (!aliases.length && !('alias' in arg && arg.alias)) throw new UserInputError(`${t.model.name}${t.version ? ` v${t.version.version}` : ''} has no alias on ${t.entry.uri}.`);
  const alias = ('kind' in arg ? undefined : arg.alias) ?? (aliases.length === 1 ? aliases[0] : await showQuickPick(aliases, { title: 'Remove which alias?' }));
  if (!alias) return undefined;
  return change(ctx, t.entry, `remove @${alias} of ${t.model.name}`, (reg) => reg.setAlias(t.model.name, alias, null));
}

export async function editDescriptionMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { description?: string }): Promise<MlflowChange | undefined> {
  const t = await targetOf(ctx, arg);
  requireWritable(t.entry);
  const what = `${t.model.name}${t.version ? ` v${t.version.version}` : ''}`;
  const text = ('kind' in arg ? undefined : arg.description) ?? (await showInputBox({ title: `Description of ${what} on ${t.entry.label}`, value: t.version ? t.version.description : t.model.description }));
  if (text === undefined) return undefined;
  return change(ctx, t.entry, `description of ${what}`, (reg) => reg.describe(t.model.name, t.version?.version, text));
}

export async function setVersionTagMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { key?: string; value?: string }): Promise<MlflowChange | undefined> {
  const t = await versionTarget(ctx, arg);
  requireWritable(t.entry);
  let [key, value] = 'kind' in arg ? [undefined, undefined] : [arg.key, arg.value];
  if (key === undefined) {
    const kv = await showInputBox({ title: `Tag ${label(t)} on ${t.entry.label}`, prompt: 'KEY=VALUE', validateInput: (v) => (/^[^=\s]+=.*$/.test(v) ? undefined : 'Use KEY=VALUE') });
    if (!kv) return undefined;
    [key, value] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
  }
  const k = key;
  return change(ctx, t.entry, `tag ${k} on ${label(t)}`, (reg) => reg.setTags(t.model.name, t.version.version, { [k]: value ?? '' }));
}

/** One step back, from the audit trail: the version that held Production (or @champion) before. */
export async function rollbackMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { reason?: string; alias?: string }): Promise<MlflowChange | undefined> {
  const t = await targetOf(ctx, arg);
  requireWritable(t.entry);
  let reason = 'kind' in arg ? undefined : arg.reason;
  if (reason === undefined) {
    reason = await showInputBox({ title: `Rollback ${t.model.name} on ${t.entry.label}: put back the version that was in Production before`, prompt: 'Reason (recorded in the audit trail)' });
    if (reason === undefined) return undefined;
  }
  const alias = 'kind' in arg ? undefined : arg.alias;
  const c = await change(ctx, t.entry, `rollback ${t.model.name}`, (reg) => reg.rollback(t.model.name, { reason: reason || undefined, alias }));
  const restored = c.aliases.length ? `@${c.aliases[0].alias} points at v${c.version}` : `v${c.version} is in Production`;
  void vscode.window.showInformationMessage(`Rolled back ${c.model} on ${t.entry.label}: ${restored}.`);
  return c;
}

/** The trail of an MLflow model as a Markdown preview: when each version held Production, every change and from when it is complete. */
export async function showHistoryMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { at?: string }): Promise<vscode.Uri> {
  const t = await targetOf(ctx, arg);
  const uri = ctx.history.uriFor(t.entry, t.model.name, 'kind' in arg ? undefined : arg.at);
  await vscode.commands.executeCommand(BuiltinCommand.markdownPreview, uri);
  return uri;
}

export async function productionAtMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg & { time?: string }): Promise<number[] | undefined> {
  const t = await targetOf(ctx, arg);
  const time = ('kind' in arg ? undefined : arg.time) ?? (await showInputBox({ title: `Which version of ${t.model.name} on ${t.entry.label} was in Production at…`, value: new Date().toISOString().slice(0, 10), prompt: 'An ISO 8601 time (a bare date means the end of that day)', validateInput: (v) => (Number.isNaN(Date.parse(v)) ? 'Not an ISO 8601 time' : undefined) }));
  if (!time) return undefined;
  const when = parseHistoryTime(time);
  const { reg, store } = await registryFor(ctx, t.entry);
  const a = await reg.at(t.model.name, when, { stage: 'Production' }).catch((e: unknown) => {
    if (e instanceof TrailIncompleteError) throw new UserInputError(e.message.replace(/`models at` answers/, 'Production at… answers'));
    throw e;
  });
  store?.reload();
  const since = a.completeFrom !== undefined ? `the audit trail is complete from ${new Date(a.completeFrom).toISOString()}` : 'the current state; no audit trail yet';
  const msg = `At ${new Date(when).toISOString()}, ${t.model.name} on ${t.entry.label} had ${a.versions.length ? a.versions.map((v) => `v${v}`).join(', ') : 'no version'} in Production (${since}).`;
  void vscode.window.showInformationMessage(msg, 'Show History').then((c) => {
    if (c) void showHistoryMlflow(ctx, { source: t.entry.uri, model: t.model.name, at: new Date(when).toISOString() });
  });
  return a.versions;
}

export async function openSourceRunMlflow(ctx: MlflowRegistryCommandContext, arg: MlflowArg): Promise<void> {
  const t = await versionTarget(ctx, arg);
  if (!t.version.runId) throw new UserInputError(`${label(t)} on ${t.entry.uri} names no source run.`);
  await ctx.runDetails.show(mlflowRunTarget(ctx.mlflow, t.entry, t.version.runId), t.version.runId.slice(0, 8));
}

/** Register Model on an MLflow run: the model it logged (artifact folder, default `model`) as a new version. */
export async function registerMlflowRun(ctx: MlflowRegistryCommandContext, arg: MlflowRunNode | { source: string; runId: string; name?: string; artifactPath?: string }): Promise<MlflowChange | undefined> {
  const entry = 'kind' in arg ? arg.entry : ctx.mlflow.get(arg.source);
  if (!entry) throw new UserInputError(`${(arg as { source: string }).source} is not a connected MLflow source.`);
  requireWritable(entry);
  const runId = 'kind' in arg ? arg.run.id : arg.runId;
  const runName = 'kind' in arg ? arg.run.name : runId.slice(0, 8);
  let name = 'kind' in arg ? undefined : arg.name;
  if (name === undefined) {
    const existing = (await ctx.mlflow.models(entry)).map((m) => m.name);
    name = await showInputBox({ title: `Register ${runName} on ${entry.label} as…`, value: existing[0] ?? '', prompt: existing.length ? `A model name: an existing one (${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', …' : ''}) gets a new version` : 'A new registered model' });
    if (!name) return undefined;
  }
  const artifactPath = 'kind' in arg ? undefined : arg.artifactPath;
  const model = name;
  const c = await change(ctx, entry, `register ${runName} as ${model}`, (reg) => reg.register(runId, model, { artifactPath }));
  void vscode.window.showInformationMessage(`Registered ${runName} as ${c.model} v${c.version} on ${entry.label}.`);
  return c;
}

// ---------------------------------------------------------------------------------------------- Show History

export const MLFLOW_HISTORY_SCHEME = 'mlops-mlflow-history';

const iso = (t: number): string => new Date(t).toISOString();
const ORIGIN: Record<TrailEntry['origin'], string> = { workbench: 'this workspace', audit: 'audit tag on the server', observed: 'observed (made outside the workbench)', baseline: 'first look', refused: 'this workspace' };

/** The Markdown of an MLflow model's trail (what `mlops models history --store URI` prints, as a document). */
export function mlflowHistoryMarkdown(t: Trail, at?: { time: number; versions: number[]; note: string }): string {
  const lines = [`# ${mdCell(t.model)} — registry history on \`${t.uri.replace(/`/g, '')}\``, ''];
  if (at) lines.push(`**At ${iso(at.time)}**, Production held ${at.versions.length ? at.versions.map((v) => `v${v}`).join(', ') : 'no version'} (${mdCell(at.note)}).`, '');
  const now = Object.entries(t.current.stages).filter(([, s]) => s === 'Production').map(([v]) => `v${v}`);
  const aliases = Object.entries(t.current.aliases).map(([a, v]) => `@${mdCell(a)} → v${v}`);
  lines.push(`Now: Production ${now.join(', ') || 'none'}${aliases.length ? ` · ${aliases.join(', ')}` : ''}.`, '');
  // When each version entered and left Production, from the walk's states (never from the words of an effect).
  const intervals: { version: number; from?: number; to?: number }[] = Object.keys(t.earliest.stages).filter((v) => t.earliest.stages[v] === 'Production').map((v) => ({ version: Number(v) }));
  for (const s of t.steps) {
    const was = new Set(Object.keys(s.before.stages).filter((v) => s.before.stages[v] === 'Production'));
    const is = new Set(Object.keys(s.after.stages).filter((v) => s.after.stages[v] === 'Production'));
    for (const v of is) if (!was.has(v)) intervals.push({ version: Number(v), from: s.entry.time });
    for (const v of was) if (!is.has(v)) for (const i of intervals) if (i.version === Number(v) && i.to === undefined) i.to = s.entry.time;
  }
  if (intervals.length) {
    lines.push('## In Production', '', '| version | from | until |', '|---|---|---|');
    for (const i of intervals) lines.push(`| v${i.version} | ${i.from !== undefined ? iso(i.from) : t.steps.length ? `before ${iso(t.steps[0].entry.time)}` : 'before the trail'} | ${i.to !== undefined ? iso(i.to) : 'now'} |`);
    lines.push('');
  }
  lines.push('## Changes', '', '| time | user | action | effect | reason | origin |', '|---|---|---|---|---|---|');
  for (const e of [...t.entries].reverse()) {
    const when = e.after !== undefined ? `${iso(e.time)} (after ${iso(e.after)})` : iso(e.time);
    lines.push(`| ${when} | ${mdCell(e.user)} | ${mdCell(e.action)} | ${mdCell(e.effect)} | ${mdCell(e.reason ?? '')} | ${ORIGIN[e.origin]} |`);
  }
  if (!t.entries.length) lines.push('| | | | no change recorded yet | | |');
  lines.push('', `_${mdCell(trailCompleteness(t))}_`);
  return lines.join('\n') + '\n';
}

/** The read-only `mlops-mlflow-history:` documents, addressed by source URI, model and an optional time (epoch ms). */
export class MlflowHistoryDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly mlflow: MlflowSources,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(MLFLOW_HISTORY_SCHEME, this);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const name = q.get('model') ?? '';
    const entry = this.mlflow.get(q.get('source') ?? '');
    if (!entry) return `# ${mdCell(name)}\n\n${mdCell(`${q.get('source')} is not connected in this window.`)}\n`;
    try {
      const store = auditStore(this.stores);
      const reg = mlflowRegistry(await this.mlflow.source(entry), store?.registry());
      const trail = await reg.history(name);
      let at: { time: number; versions: number[]; note: string } | undefined;
      const time = q.get('at');
      if (time) {
        try {
          const a = await reg.at(name, Number(time), { stage: 'Production' });
          at = { time: Number(time), versions: a.versions, note: a.completeFrom !== undefined ? `the audit trail is complete from ${iso(a.completeFrom)}` : 'the current state' };
        } catch (e) {
          if (!(e instanceof TrailIncompleteError)) throw e;
        }
      }
      store?.reload();
      return mlflowHistoryMarkdown(trail, at);
    } catch (e) {
      return `# ${mdCell(name)}\n\n${mdCell(errorMessage(e))}\n`;
    }
  }

  uriFor(entry: MlflowSourceEntry, name: string, at?: string): vscode.Uri {
    const query = new URLSearchParams({ source: entry.uri, model: name, ...(at ? { at: String(Date.parse(at)) } : {}) });
    const uri = vscode.Uri.from({ scheme: MLFLOW_HISTORY_SCHEME, path: `/${name} history (MLflow).md`, query: query.toString() });
    this.emitter.fire(uri);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }
}
