/**
 * Commands that open a comparison — Compare Runs (the tree's multi-selection, run ids or unique prefixes, or a
 * multi-select quick pick), Compare All Runs in Experiment, Compare Sweep — and Lock / Unlock Compare Tab. The tabs
 * themselves (and their restore after a window reload) are the ComparePanelManager's.
 *
 * Runs of MLflow sources take part like workspace runs: tree nodes of kind 'mlflowRun' (mixed in one selection with
 * workspace runs and runs of other sources), an 'mlflowExperiment' node (its runs as loaded in the tree, else its
 * newest page), `{ source, runId }` objects and `<source URI>#<run id>` keys (core/compare/runRefs.ts).
 */
import * as vscode from 'vscode';
import { showQuickPick } from '../util/questions';
import { keyOfRefLike, parseRefKey, refKey } from '../../core/compare/runRefs';
import type { SourceExperiment, SourceRun } from '../../core/sources/types';
import { quoteFilterString } from '../../core/tracking/filter';
import { primaryMetric } from '../../core/tracking/metricDirection';
import type { Experiment, Run } from '../../core/store/types';
import { errorMessage } from '../../core/util/errors';
import type { ExperimentsNode } from '../experiments/experimentsTree';
import { fmtValue } from '../format';
import type { Log } from '../log';
import type { MlflowSourceEntry, MlflowSources } from '../sources/mlflowSources';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { ComparePanel } from './comparePanel';
import type { CompareOpenOptions, ComparePanelManager } from './comparePanelManager';
import { commandRegistrar } from '../commandRegistrar';
import { CommandId } from '../keys';

export interface CompareDeps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  view: vscode.TreeView<ExperimentsNode>;
  log: Log;
  panels: ComparePanelManager;
  /** The connected MLflow sources (absent: workspace runs only). */
  mlflow?: MlflowSources;
}

/** What registerCompare gives the extension's API (used by the integration tests). */
export interface CompareApi {
  panels(): ComparePanel[];
  /** The open panel comparing exactly these runs (any order): run ids or keys (`<MLflow source URI>#<run id>`). */
  panelFor(runIds: string[]): ComparePanel | undefined;
  /** Open (or reveal) a comparison of these run ids or keys. */
  open(runIds: string[], options?: CompareOpenOptions): ComparePanel;
  serializer: vscode.WebviewPanelSerializer;
}

export const SWEEP_TAG = 'sweep_id';

/**
 * Most runs one command puts in a comparison from an experiment or a sweep (the newest; Compare Runs is built for 500
 * and says so), and most runs a picker lists per experiment. Every list is read through the stores' RunSource (the
 * index in the worker answers), never by loading a whole store on the extension host.
 */
const MAX_COMPARED = 500;
const PICK_PER_EXPERIMENT = 500;
/** Most tagged runs read to list the sweeps (the newest; a sweep further back is named by its id). */
const SWEEP_SCAN = 5000;

/** Runs of one store matching `filter` (in `experimentId`), newest first, at most `limit`, and how many match in all. */
async function storeRuns(store: WorkspaceStore, query: { experimentId?: string; filter?: string }, limit: number): Promise<{ runs: Run[]; total: number }> {
  await store.whenLoaded();
  const source = store.source();
  if (!source) return { runs: [], total: 0 };
  const page = await source.searchRuns({ ...(query.experimentId ? { experimentIds: [query.experimentId] } : {}), ...(query.filter ? { filter: query.filter } : {}), maxResults: limit });
  return { runs: page.runs, total: page.total };
}

function sayCapped(what: string, shown: number, total: number): void {
  if (total > shown) void vscode.window.showInformationMessage(`${what} has ${total} runs: comparing the newest ${shown}.`);
}

/** Run ids or unique prefixes to run ids, across every workspace folder's store (WorkspaceStores.locateRun). */
function resolveIds(stores: WorkspaceStores, ids: string[]): { store: WorkspaceStore; runId: string }[] {
  const out: { store: WorkspaceStore; runId: string }[] = [];
  const unknown: string[] = [];
  for (const raw of ids) {
    try {
      out.push(stores.locateRun(raw));
    } catch {
      unknown.push(raw);
    }
  }
  if (unknown.length) throw new Error(`No run (or more than one) matches ${unknown.map((u) => `'${u}'`).join(', ')}.`);
  return out;
}

function byStart(a: Run, b: Run): number {
  return a.startTime - b.startTime || a.id.localeCompare(b.id);
}

function describeRun(run: Run | SourceRun, metric: { key: string } | undefined): string {
  const parts = [run.interrupted ? 'interrupted' : run.effectiveStatus];
  if (metric && typeof run.metrics[metric.key] === 'number') parts.push(`${metric.key} ${fmtValue(run.metrics[metric.key])}`);
  if (run.tags[SWEEP_TAG]) parts.push(`sweep ${run.tags[SWEEP_TAG]}`);
  return parts.join(' · ');
}

type RunPickItem = vscode.QuickPickItem & { runKey?: string };

/** An MLflow run as the commands see it: its comparison key, and what the titles and the order need. */
interface Picked {
  key: string;
  startTime?: number;
  experiment?: string;
}

function mlflowPicked(entry: MlflowSourceEntry, run: SourceRun): Picked {
  return { key: refKey({ source: entry.uri, runId: run.id }), startTime: run.startTime, experiment: run.experimentName };
}

/**
 * A multi-select quick pick of every workspace run and every MLflow run loaded in the Experiments tree, grouped by
 * experiment (and source), with the given runs ticked.
 */
async function pickRuns(deps: CompareDeps, preselected: Set<string>): Promise<Picked[] | undefined> {
  const { stores } = deps;
  const items: (RunPickItem & { picked_?: Picked })[] = [];
  const entries = deps.mlflow?.all() ?? [];
  const multiRoot = stores.all().length > 1 || entries.length > 0;
  for (const store of stores.all()) {
    await store.whenLoaded();
    const source = store.source();
    if (!source) continue;
    const exps = (await source.listExperiments()).filter((e) => (e.runCount ?? 1) > 0).sort((a, b) => (b.lastRunStart ?? 0) - (a.lastRunStart ?? 0));
    for (const exp of exps) {
      const { runs, total } = await storeRuns(store, { experimentId: exp.id }, PICK_PER_EXPERIMENT);
      if (!runs.length) continue;
      const metric = primaryMetric(exp, runs);
      const more = total > runs.length ? ` — the newest ${runs.length} of ${total}` : '';
      items.push({ label: `${exp.name}${multiRoot ? ` (${stores.all().length > 1 ? store.folder.name : 'workspace'})` : ''}${more}`, kind: vscode.QuickPickItemKind.Separator });
      for (const r of runs) {
        items.push({ label: r.name, description: describeRun(r, metric), picked: preselected.has(r.id), runKey: r.id, picked_: { key: r.id, startTime: r.startTime, experiment: r.experimentName } });
      }
    }
  }
  for (const entry of entries) {
    for (const [expId, page] of entry.pages) {
      const runs = page.runs.filter((r) => r.lifecycle !== 'deleted');
      if (!runs.length) continue;
      const exp = entry.experiments?.find((e) => e.id === expId);
      const metric = primaryMetric(exp, runs);
      items.push({ label: `${exp?.name ?? runs[0].experimentName} (MLflow · ${entry.label})`, kind: vscode.QuickPickItemKind.Separator });
      for (const r of [...runs].sort((a, b) => b.startTime - a.startTime)) {
        const p = mlflowPicked(entry, r);
        items.push({ label: r.name || r.id.slice(0, 8), description: describeRun(r, metric), picked: preselected.has(p.key), runKey: p.key, picked_: p });
      }
    }
  }
  if (!items.some((i) => i.runKey)) {
    void vscode.window.showInformationMessage('There are no runs in this workspace yet.');
    return undefined;
  }
  const picked = await showQuickPick(items, {
    title: 'Compare Runs',
    placeHolder: 'Pick the runs to compare (two or more; type to filter, Space to tick)',
    canPickMany: true,
    matchOnDescription: true,
  });
  return picked?.map((i) => i.picked_).filter((x): x is Picked => !!x);
}

interface ExperimentChoice {
  store: WorkspaceStore;
  experiment: Pick<Experiment, 'id' | 'name'>;
  runCount: number;
}

/** Every workspace experiment with runs, newest first, from the stores' RunSource. */
async function experimentChoices(stores: WorkspaceStores): Promise<ExperimentChoice[]> {
  const out: ExperimentChoice[] = [];
  for (const store of stores.all()) {
    await store.whenLoaded();
    for (const e of (await store.source()?.listExperiments()) ?? []) {
      if ((e.runCount ?? 0) > 0) out.push({ store, experiment: { id: e.id, name: e.name }, runCount: e.runCount ?? 0 });
    }
  }
  return out;
}

interface SweepChoice {
  id: string;
  runs: Run[];
}

function sweeps(runs: Run[]): SweepChoice[] {
  const by = new Map<string, Run[]>();
  for (const r of runs) {
    const id = r.tags[SWEEP_TAG];
    if (!id) continue;
    const list = by.get(id) ?? [];
    list.push(r);
    by.set(id, list);
  }
  return [...by.entries()]
    .map(([id, list]) => ({ id, runs: list.sort(byStart) }))
    .sort((a, b) => b.runs[0].startTime - a.runs[0].startTime);
}

async function pickSweep(choices: SweepChoice[], placeHolder: string): Promise<SweepChoice | undefined> {
  if (choices.length === 1) return choices[0];
  const picked = await showQuickPick(
    choices.map((c) => ({
      label: c.id,
      description: `${c.runs[0].experimentName} · ${c.runs.length} run${c.runs.length === 1 ? '' : 's'} · ${new Date(c.runs[0].startTime).toLocaleString()}`,
      choice: c,
    })),
    { title: 'Compare Sweep', placeHolder },
  );
  return picked?.choice;
}

/** Most runs of an MLflow experiment a comparison takes when they are not loaded in the tree (its newest). */
const MLFLOW_EXPERIMENT_RUNS = 200;

/**
 * The runs of an MLflow experiment for a comparison: those loaded in the Experiments tree (what the user sees, under
 * the tree's filter), else its newest page, read without touching the tree's pages. Deleted runs are left out.
 */
async function mlflowExperimentRuns(deps: CompareDeps, entry: MlflowSourceEntry, experiment: SourceExperiment): Promise<{ runs: SourceRun[]; more: boolean }> {
  const loaded = entry.pages.get(experiment.id);
  if (loaded) return { runs: loaded.runs.filter((r) => r.lifecycle !== 'deleted'), more: loaded.nextPageToken !== undefined };
  if (!deps.mlflow) return { runs: [], more: false };
  const page = await (await deps.mlflow.source(entry)).searchRuns({ experimentIds: [experiment.id], maxResults: MLFLOW_EXPERIMENT_RUNS });
  return { runs: page.runs.filter((r) => r.lifecycle !== 'deleted'), more: page.nextPageToken !== undefined };
}

/**
 * Runs named by tree nodes (a workspace run or experiment, an MLflow run or experiment), `{ source, runId }` objects,
 * keys (`<source URI>#<run id>`) or workspace ids and unique prefixes; without duplicates, in the order given.
 */
async function refsFrom(deps: CompareDeps, args: unknown[]): Promise<Picked[]> {
  const out: Picked[] = [];
  const prefixes: string[] = [];
  const walk = async (a: unknown): Promise<void> => {
    if (typeof a === 'string') {
      if (a.includes('#') && parseRefKey(a)) out.push({ key: a });
      else prefixes.push(a);
    } else if (Array.isArray(a)) {
      for (const x of a) await walk(x);
    } else if (a && typeof a === 'object' && 'kind' in a) {
      const node = a as ExperimentsNode;
      if (node.kind === 'run') out.push({ key: node.run.id, startTime: node.run.startTime, experiment: node.run.experimentName });
      else if (node.kind === 'experiment') out.push(...[...node.runs].sort(byStart).map((r) => ({ key: r.id, startTime: r.startTime, experiment: r.experimentName })));
      else if (node.kind === 'mlflowRun') out.push(mlflowPicked(node.entry, node.run));
      else if (node.kind === 'mlflowExperiment') {
        const { runs } = await mlflowExperimentRuns(deps, node.entry, node.experiment);
        out.push(...[...runs].sort((x, y) => x.startTime - y.startTime).map((r) => mlflowPicked(node.entry, r)));
      }
    } else {
      const key = keyOfRefLike(a);
      if (key) out.push({ key });
    }
  };
  for (const a of args) await walk(a);
  if (prefixes.length) {
    for (const { store, runId } of resolveIds(deps.stores, prefixes)) {
      const run = await store.source()?.getRun(runId).catch(() => undefined);
      out.push({ key: runId, startTime: run?.startTime, experiment: run?.experimentName });
    }
  }
  const seen = new Set<string>();
  return out.filter((p) => !seen.has(p.key) && (seen.add(p.key), true));
}

/** What is known of an MLflow run named only by its key: from the pages the tree loaded. */
function fillFromTree(deps: CompareDeps, p: Picked): Picked {
  if (p.startTime !== undefined) return p;
  const ref = parseRefKey(p.key);
  const entry = ref?.source ? deps.mlflow?.get(ref.source) : undefined;
  if (!entry || !ref) return p;
  for (const page of entry.pages.values()) {
    const run = page.runs.find((r) => r.id === ref.runId);
    if (run) return mlflowPicked(entry, run);
  }
  return p;
}

function isNode<K extends ExperimentsNode['kind']>(arg: unknown, kind: K): arg is Extract<ExperimentsNode, { kind: K }> {
  return !!arg && typeof arg === 'object' && (arg as ExperimentsNode).kind === kind;
}

function tooFew(n: number, what: string): undefined {
  void vscode.window.showInformationMessage(n === 0 ? `${what} has no runs to compare.` : `${what} has only one run: there is nothing to compare it with.`);
  return undefined;
}

/** Open (or reveal) a comparison, timed from now (the webview reports how long after this it was drawn). */
function openComparison(deps: CompareDeps, runIds: string[], options: CompareOpenOptions = {}): ComparePanel {
  deps.log.info(`Compare ${runIds.length} runs${options.title ? ` (${options.title})` : ''}`);
  return deps.panels.open(runIds, { requestedAt: Date.now(), ...options });
}

/**
 * Compare Runs: the tree's multi-selection (VS Code passes the clicked node and the selected nodes — workspace and
 * MLflow runs alike), run ids or keys, or — from the palette or with fewer than two runs — a multi-select quick pick.
 * The runs are compared oldest first (runs whose start time is not known yet keep their place at the end).
 */
async function compareRuns(deps: CompareDeps, arg?: unknown, selected?: unknown): Promise<ComparePanel | undefined> {
  const { view } = deps;
  let picked = await refsFrom(deps, Array.isArray(selected) && selected.length ? [selected] : arg !== undefined ? [arg] : []);
  if (arg === undefined && picked.length < 2) picked = await refsFrom(deps, [...view.selection]);
  if (picked.length < 2) {
    const chosen = await pickRuns(deps, new Set(picked.map((p) => p.key)));
    if (!chosen) return undefined;
    picked = chosen;
    if (picked.length < 2) {
      void vscode.window.showInformationMessage('Pick at least two runs to compare.');
      return undefined;
    }
  }
  picked = picked.map((p) => fillFromTree(deps, p));
  const order = picked.map((p, i) => ({ p, i })).sort((a, b) => (a.p.startTime ?? Infinity) - (b.p.startTime ?? Infinity) || (a.p.startTime === undefined ? a.i - b.i : a.p.key.localeCompare(b.p.key)));
  const keys = order.map((o) => o.p.key);
  const exps = new Set(picked.map((p) => p.experiment));
  const one = exps.size === 1 ? [...exps][0] : undefined;
  return openComparison(deps, keys, { title: `Compare: ${keys.length} runs${one ? ` of ${one}` : ''}` });
}

/** The experiment a Compare All Runs in Experiment argument names (a tree node, a name or id), else the user's pick. */
async function experimentFrom(stores: WorkspaceStores, arg: unknown): Promise<ExperimentChoice | undefined> {
  if (isNode(arg, 'experiment')) return { store: arg.store, experiment: arg.experiment, runCount: arg.total };
  const choices = await experimentChoices(stores);
  if (isNode(arg, 'run')) return choices.find((c) => c.store === arg.store && c.experiment.id === arg.run.experimentId);
  if (typeof arg === 'string') {
    const choice = choices.find((c) => c.experiment.name === arg || c.experiment.id === arg);
    if (!choice) throw new Error(`No experiment named '${arg}' has runs.`);
    return choice;
  }
  if (!choices.length) {
    void vscode.window.showInformationMessage('There are no runs in this workspace yet.');
    return undefined;
  }
  const multiRoot = stores.all().length > 1;
  const picked = await showQuickPick(
    choices.map((c) => ({ label: c.experiment.name, description: `${c.runCount} run${c.runCount === 1 ? '' : 's'}${multiRoot ? ` · ${c.store.folder.name}` : ''}`, choice: c })),
    { title: 'Compare All Runs in Experiment', placeHolder: 'Which experiment?', matchOnDescription: true },
  );
  return picked?.choice;
}

/** Compare All Runs in Experiment on an MLflow experiment: its runs as loaded in the tree (else its newest page). */
async function compareMlflowExperiment(deps: CompareDeps, node: Extract<ExperimentsNode, { kind: 'mlflowExperiment' }>): Promise<ComparePanel | undefined> {
  let found: { runs: SourceRun[]; more: boolean };
  try {
    found = await mlflowExperimentRuns(deps, node.entry, node.experiment);
  } catch (e) {
    void vscode.window.showWarningMessage(`The runs of ${node.experiment.name} (MLflow · ${node.entry.label}) cannot be read: ${errorMessage(e)}`);
    return undefined;
  }
  const what = `Experiment '${node.experiment.name}'`;
  if (found.runs.length < 2) return tooFew(found.runs.length, what);
  if (found.more) void vscode.window.showInformationMessage(`${what} has more runs than the ${found.runs.length} loaded: comparing those (Load more in the tree to add more).`);
  const runs = [...found.runs].sort((a, b) => a.startTime - b.startTime);
  return openComparison(deps, runs.map((r) => refKey({ source: node.entry.uri, runId: r.id })), { title: `Compare: ${node.experiment.name} (MLflow · ${node.entry.label})` });
}

async function compareExperiment(deps: CompareDeps, arg?: unknown): Promise<ComparePanel | undefined> {
  if (isNode(arg, 'mlflowExperiment')) return compareMlflowExperiment(deps, arg);
  const choice = await experimentFrom(deps.stores, arg);
  if (!choice) return undefined;
  const { runs, total } = await storeRuns(choice.store, { experimentId: choice.experiment.id }, MAX_COMPARED);
  const what = `Experiment '${choice.experiment.name}'`;
  if (runs.length < 2) return tooFew(runs.length, what);
  sayCapped(what, runs.length, total);
  return openComparison(deps, [...runs].sort(byStart).map((r) => r.id), { title: `Compare: ${choice.experiment.name}` });
}

/** The runs of sweep `id` (newest MAX_COMPARED), over every store or the one given. */
async function sweepRuns(stores: WorkspaceStores, id: string, only?: WorkspaceStore): Promise<SweepChoice & { total: number }> {
  const filter = `tags.${SWEEP_TAG} = ${quoteFilterString(id)}`;
  const found = await Promise.all((only ? [only] : stores.all()).map((s) => storeRuns(s, { filter }, MAX_COMPARED)));
  const runs = found.flatMap((f) => f.runs).sort((a, b) => b.startTime - a.startTime).slice(0, MAX_COMPARED).sort(byStart);
  return { id, runs, total: found.reduce((n, f) => n + f.total, 0) };
}

/** The sweeps of the newest SWEEP_SCAN tagged runs (of one experiment when given), newest first. */
async function sweepList(stores: WorkspaceStores, experiment?: { store: WorkspaceStore; id: string }): Promise<SweepChoice[]> {
  const filter = `tags.${SWEEP_TAG} like '%'`;
  const found = experiment ? [await storeRuns(experiment.store, { experimentId: experiment.id, filter }, SWEEP_SCAN)] : await Promise.all(stores.all().map((s) => storeRuns(s, { filter }, SWEEP_SCAN)));
  return sweeps(found.flatMap((f) => f.runs));
}

/** The sweep a Compare Sweep argument names (a run of it, an experiment with sweeps, a sweep id), else the user's pick. */
async function sweepFrom(stores: WorkspaceStores, arg: unknown): Promise<(SweepChoice & { total?: number }) | undefined> {
  if (isNode(arg, 'run')) {
    const id = arg.run.tags[SWEEP_TAG];
    if (id) return sweepRuns(stores, id, arg.store);
    void vscode.window.showInformationMessage(`Run '${arg.run.name}' is not part of a sweep (it has no ${SWEEP_TAG} tag).`);
    return undefined;
  }
  if (isNode(arg, 'experiment')) {
    const list = await sweepList(stores, { store: arg.store, id: arg.experiment.id });
    const picked = list.length ? await pickSweep(list, `Which sweep of ${arg.experiment.name}?`) : undefined;
    if (picked) return sweepRuns(stores, picked.id, arg.store);
    if (!list.length) void vscode.window.showInformationMessage(`Experiment '${arg.experiment.name}' has no sweeps (runs tagged ${SWEEP_TAG}).`);
    return undefined;
  }
  if (typeof arg === 'string') {
    const choice = await sweepRuns(stores, arg);
    if (!choice.runs.length) throw new Error(`No runs are tagged ${SWEEP_TAG}=${arg}.`);
    return choice;
  }
  const list = await sweepList(stores);
  const picked = list.length ? await pickSweep(list, 'Which sweep?') : undefined;
  if (picked) return sweepRuns(stores, picked.id);
  if (!list.length) void vscode.window.showInformationMessage(`No sweeps yet: run one with MLOps: Run Sweep (its runs are tagged ${SWEEP_TAG}).`);
  return undefined;
}

async function compareSweep(deps: CompareDeps, arg?: unknown): Promise<ComparePanel | undefined> {
  // An MLflow parent run (a sweep logged by hyperopt, optuna or a grid loop as nested runs): its nested runs.
  const node = arg as ExperimentsNode | undefined;
  if (node && typeof node === 'object' && 'kind' in node && node.kind === 'mlflowRun') {
    const runs = [...node.childRuns].sort((x, y) => x.startTime - y.startTime);
    if (runs.length < 2) return tooFew(runs.length, `${node.run.name}'s nested runs`);
    return openComparison(deps, runs.map((r) => mlflowPicked(node.entry, r).key), { title: `Compare: ${node.run.name} (nested runs, MLflow · ${node.entry.label})` });
  }
  const choice = await sweepFrom(deps.stores, arg);
  if (!choice) return undefined;
  if (choice.runs.length < 2) return tooFew(choice.runs.length, `Sweep ${choice.id}`);
  if (choice.total !== undefined) sayCapped(`Sweep ${choice.id}`, choice.runs.length, choice.total);
  return openComparison(deps, choice.runs.map((r) => r.id), { title: `Compare: sweep ${choice.id}` });
}

/** Lock / Unlock Compare Tab (editor title actions, the palette, the panel's toolbar): the active tab, else the one used last. */
function lockTab(panels: ComparePanelManager, locked: boolean): ComparePanel | undefined {
  const p = panels.active() ?? panels.all()[0];
  if (!p) {
    void vscode.window.showInformationMessage('No Compare Runs tab is open.');
    return undefined;
  }
  p.setLocked(locked);
  return p;
}

export function registerCompare(deps: CompareDeps): CompareApi {
  const reg = commandRegistrar(deps.context, deps.log);
  reg(CommandId.compareRuns, (arg?: unknown, selected?: unknown) => compareRuns(deps, arg, selected));
  reg(CommandId.compareExperiment, (arg?: unknown) => compareExperiment(deps, arg));
  reg(CommandId.compareSweep, (arg?: unknown) => compareSweep(deps, arg));
  reg(CommandId.lockCompareTab, () => lockTab(deps.panels, true));
  reg(CommandId.unlockCompareTab, () => lockTab(deps.panels, false));
  return {
    panels: () => deps.panels.all(),
    panelFor: (runIds) => deps.panels.panelFor(runIds),
    open: (runIds, options) => openComparison(deps, runIds, options),
    serializer: deps.panels,
  };
}
