/**
 * Commands that open a comparison — Compare Runs (the tree's multi-selection, run ids, or a multi-select quick
 * pick), Compare All Runs in Experiment, Compare Sweep — and the serializer that restores comparison panels after
 * a window reload.
 */
import * as vscode from 'vscode';
import { primaryMetric } from '../../core/tracking/metricDirection';
import type { Experiment, Run } from '../../core/store/types';
import type { ExperimentsNode } from '../experiments/experimentsTree';
import { fmtValue } from '../format';
import type { Log } from '../log';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { ComparePanel, type CompareOpenOptions } from './comparePanel';
import { commandRegistrar } from '../commandRegistrar';
import { CommandId } from '../keys';

export interface CompareDeps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  view: vscode.TreeView<ExperimentsNode>;
  log: Log;
}

/** What registerCompare gives the extension's API (used by the integration tests). */
export interface CompareApi {
  panels(): ComparePanel[];
  /** The open panel comparing exactly these runs (any order). */
  panelFor(runIds: string[]): ComparePanel | undefined;
  /** Open (or reveal) a comparison of these run ids. */
  open(runIds: string[], options?: CompareOpenOptions): ComparePanel;
  serializer: vscode.WebviewPanelSerializer;
}

export const SWEEP_TAG = 'sweep_id';

interface Located {
  run: Run;
  store: WorkspaceStore;
}

function allRuns(stores: WorkspaceStores): Located[] {
  return stores.all().flatMap((store) => store.snapshot.runs.map((run) => ({ run, store })));
}

/** Run ids (or unique prefixes) to runs, across every workspace folder's store. Unknown ids are reported. */
function resolveIds(stores: WorkspaceStores, ids: string[]): { ids: string[]; unknown: string[] } {
  const out: string[] = [];
  const unknown: string[] = [];
  for (const raw of ids) {
    try {
      out.push(stores.locateRun(raw).runId);
    } catch {
      unknown.push(raw);
    }
  }
  return { ids: [...new Set(out)], unknown };
}

function byStart(a: Run, b: Run): number {
  return a.startTime - b.startTime || a.id.localeCompare(b.id);
}

function describeRun(run: Run, metric: { key: string } | undefined): string {
  const parts = [run.interrupted ? 'interrupted' : run.effectiveStatus];
  if (metric && typeof run.metrics[metric.key] === 'number') parts.push(`${metric.key} ${fmtValue(run.metrics[metric.key])}`);
  if (run.tags[SWEEP_TAG]) parts.push(`sweep ${run.tags[SWEEP_TAG]}`);
  return parts.join(' · ');
}

type RunPickItem = vscode.QuickPickItem & { runId?: string };

/** A multi-select quick pick of every run, grouped by experiment, with the given runs ticked. */
async function pickRuns(stores: WorkspaceStores, preselected: Set<string>): Promise<string[] | undefined> {
  const items: RunPickItem[] = [];
  const multiRoot = stores.all().length > 1;
  for (const store of stores.all()) {
    const snap = store.snapshot;
    const byExp = new Map<string, Run[]>();
    for (const r of snap.runs) {
      const list = byExp.get(r.experimentId) ?? [];
      list.push(r);
      byExp.set(r.experimentId, list);
    }
    const exps = [...byExp.entries()].sort((a, b) => Math.max(...b[1].map((r) => r.startTime)) - Math.max(...a[1].map((r) => r.startTime)));
    for (const [expId, runs] of exps) {
      const exp = snap.experiments.find((e) => e.id === expId);
      const metric = primaryMetric(exp, runs);
      items.push({ label: `${runs[0].experimentName}${multiRoot ? ` (${store.folder.name})` : ''}`, kind: vscode.QuickPickItemKind.Separator });
      for (const r of runs.sort((a, b) => b.startTime - a.startTime)) {
        items.push({ label: r.name, description: describeRun(r, metric), detail: undefined, picked: preselected.has(r.id), runId: r.id });
      }
    }
  }
  if (!items.some((i) => i.runId)) {
    void vscode.window.showInformationMessage('There are no runs in this workspace yet.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Compare Runs',
    placeHolder: 'Pick the runs to compare (two or more; type to filter, Space to tick)',
    canPickMany: true,
    matchOnDescription: true,
  });
  return picked?.map((i) => i.runId).filter((x): x is string => !!x);
}

interface ExperimentChoice {
  store: WorkspaceStore;
  experiment: Experiment;
  runs: Run[];
}

function experimentChoices(stores: WorkspaceStores): ExperimentChoice[] {
  return stores.all().flatMap((store) =>
    store.snapshot.experiments
      .map((experiment) => ({ store, experiment, runs: store.snapshot.runs.filter((r) => r.experimentId === experiment.id).sort(byStart) }))
      .filter((c) => c.runs.length > 0),
  );
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
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({
      label: c.id,
      description: `${c.runs[0].experimentName} · ${c.runs.length} run${c.runs.length === 1 ? '' : 's'} · ${new Date(c.runs[0].startTime).toLocaleString()}`,
      choice: c,
    })),
    { title: 'Compare Sweep', placeHolder },
  );
  return picked?.choice;
}

export function registerCompare(deps: CompareDeps): CompareApi {
  const { context, stores, view, log } = deps;
  const panelDeps = { extensionUri: context.extensionUri, stores, log };

  const open = (runIds: string[], options: CompareOpenOptions = {}): ComparePanel => {
    log.info(`Compare ${runIds.length} runs${options.title ? ` (${options.title})` : ''}`);
    return ComparePanel.open(panelDeps, runIds, { requestedAt: Date.now(), ...options });
  };

  const tooFew = (n: number, what: string): undefined => {
    void vscode.window.showInformationMessage(n === 0 ? `${what} has no runs to compare.` : `${what} has only one run: there is nothing to compare it with.`);
    return undefined;
  };

  const reg = commandRegistrar(context, log);

  /** Runs named by tree nodes (a run, or every run of an experiment) or by id strings. */
  const runIdsFrom = (args: unknown[]): string[] => {
    const ids: string[] = [];
    const strings: string[] = [];
    for (const a of args) {
      if (typeof a === 'string') strings.push(a);
      else if (Array.isArray(a)) ids.push(...runIdsFrom(a));
      else if (a && typeof a === 'object' && 'kind' in a) {
        const node = a as ExperimentsNode;
        if (node.kind === 'run') ids.push(node.run.id);
        else if (node.kind === 'experiment') ids.push(...[...node.runs].sort(byStart).map((r) => r.id));
      }
    }
    if (strings.length) {
      const r = resolveIds(stores, strings);
      if (r.unknown.length) throw new Error(`No run (or more than one) matches ${r.unknown.map((u) => `'${u}'`).join(', ')}.`);
      ids.push(...r.ids);
    }
    return [...new Set(ids)];
  };

  // Compare Runs: the tree's multi-selection (VS Code passes the clicked node and the selected nodes), run ids,
  // or — from the palette or with fewer than two runs — a multi-select quick pick.
  reg(CommandId.compareRuns, async (arg?: unknown, selected?: unknown) => {
    let ids = runIdsFrom(Array.isArray(selected) && selected.length ? [selected] : arg !== undefined ? [arg] : []);
    if (arg === undefined && ids.length < 2) ids = runIdsFrom([...view.selection]);
    if (ids.length < 2) {
      const picked = await pickRuns(stores, new Set(ids));
      if (!picked) return undefined;
      ids = picked;
      if (ids.length < 2) {
        void vscode.window.showInformationMessage('Pick at least two runs to compare.');
        return undefined;
      }
    }
    const runs = new Map(allRuns(stores).map((l) => [l.run.id, l.run]));
    ids.sort((a, b) => byStart(runs.get(a)!, runs.get(b)!));
    const exps = [...new Set(ids.map((id) => runs.get(id)!.experimentName))];
    return open(ids, { title: `Compare: ${ids.length} runs${exps.length === 1 ? ` of ${exps[0]}` : ''}` });
  });

  reg(CommandId.compareExperiment, async (arg?: unknown) => {
    const choices = experimentChoices(stores);
    let choice: ExperimentChoice | undefined;
    if (arg && typeof arg === 'object' && (arg as ExperimentsNode).kind === 'experiment') {
      const node = arg as Extract<ExperimentsNode, { kind: 'experiment' }>;
      choice = choices.find((c) => c.store === node.store && c.experiment.id === node.experiment.id) ?? { store: node.store, experiment: node.experiment, runs: [] };
    } else if (arg && typeof arg === 'object' && (arg as ExperimentsNode).kind === 'run') {
      const node = arg as Extract<ExperimentsNode, { kind: 'run' }>;
      choice = choices.find((c) => c.store === node.store && c.experiment.id === node.run.experimentId);
    } else if (typeof arg === 'string') {
      choice = choices.find((c) => c.experiment.name === arg || c.experiment.id === arg);
      if (!choice) throw new Error(`No experiment named '${arg}' has runs.`);
    } else {
      if (!choices.length) {
        void vscode.window.showInformationMessage('There are no runs in this workspace yet.');
        return undefined;
      }
      const multiRoot = stores.all().length > 1;
      const picked = await vscode.window.showQuickPick(
        choices.map((c) => ({ label: c.experiment.name, description: `${c.runs.length} run${c.runs.length === 1 ? '' : 's'}${multiRoot ? ` · ${c.store.folder.name}` : ''}`, choice: c })),
        { title: 'Compare All Runs in Experiment', placeHolder: 'Which experiment?', matchOnDescription: true },
      );
      choice = picked?.choice;
    }
    if (!choice) return undefined;
    if (choice.runs.length < 2) return tooFew(choice.runs.length, `Experiment '${choice.experiment.name}'`);
    return open(choice.runs.map((r) => r.id), { title: `Compare: ${choice.experiment.name}` });
  });

  reg(CommandId.compareSweep, async (arg?: unknown) => {
    const everything = allRuns(stores).map((l) => l.run);
    let choice: SweepChoice | undefined;
    if (arg && typeof arg === 'object' && (arg as ExperimentsNode).kind === 'run') {
      const run = (arg as Extract<ExperimentsNode, { kind: 'run' }>).run;
      const id = run.tags[SWEEP_TAG];
      if (!id) {
        void vscode.window.showInformationMessage(`Run '${run.name}' is not part of a sweep (it has no ${SWEEP_TAG} tag).`);
        return undefined;
      }
      choice = sweeps(everything).find((s) => s.id === id);
    } else if (arg && typeof arg === 'object' && (arg as ExperimentsNode).kind === 'experiment') {
      const node = arg as Extract<ExperimentsNode, { kind: 'experiment' }>;
      const list = sweeps(node.store.snapshot.runs.filter((r) => r.experimentId === node.experiment.id));
      if (!list.length) {
        void vscode.window.showInformationMessage(`Experiment '${node.experiment.name}' has no sweeps (runs tagged ${SWEEP_TAG}).`);
        return undefined;
      }
      choice = await pickSweep(list, `Which sweep of ${node.experiment.name}?`);
    } else if (typeof arg === 'string') {
      choice = sweeps(everything).find((s) => s.id === arg);
      if (!choice) throw new Error(`No runs are tagged ${SWEEP_TAG}=${arg}.`);
    } else {
      const list = sweeps(everything);
      if (!list.length) {
        void vscode.window.showInformationMessage(`No sweeps yet: run one with MLOps: Run Sweep (its runs are tagged ${SWEEP_TAG}).`);
        return undefined;
      }
      choice = await pickSweep(list, 'Which sweep?');
    }
    if (!choice) return undefined;
    if (choice.runs.length < 2) return tooFew(choice.runs.length, `Sweep ${choice.id}`);
    return open(choice.runs.map((r) => r.id), { title: `Compare: sweep ${choice.id}` });
  });

  // Lock / Unlock the active Compare tab (editor title actions, the palette and the panel's own toolbar button).
  const lockCommand = (locked: boolean) => () => {
    const p = ComparePanel.active() ?? ComparePanel.all()[0]; // else the one used last
    if (!p) {
      void vscode.window.showInformationMessage('No Compare Runs tab is open.');
      return undefined;
    }
    p.setLocked(locked);
    return p;
  };
  reg(CommandId.lockCompareTab, lockCommand(true));
  reg(CommandId.unlockCompareTab, lockCommand(false));

  const serializer: vscode.WebviewPanelSerializer = {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      ComparePanel.revive(panelDeps, panel, state);
    },
  };
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(ComparePanel.viewType, serializer), { dispose: () => ComparePanel.disposeAll() });

  return {
    panels: () => ComparePanel.all(),
    panelFor: (runIds) => {
      const key = [...new Set(runIds)].sort().join(',');
      return ComparePanel.all().find((p) => [...p.runIds].sort().join(',') === key);
    },
    open,
    serializer,
  };
}
