/** Register Model (a run's model as a new version) and Register Best Run (the run the Experiments tree stars). */
import * as vscode from 'vscode';
import { showQuickPick, showInputBox } from '../util/questions';
import type { ModelVersion, Registry } from '../../core/registry/registry';
import type { Experiment, Run } from '../../core/store/types';
import { UserInputError } from '../../core/util/errors';
import type { ExperimentsNode } from '../experiments/experimentsTree';
import { CommandId } from '../keys';
import type { WorkspaceStore } from '../workspaceStores';
import { registryOf, RegistryCommandContext } from './registryArgs';

type RunNode = Extract<ExperimentsNode, { kind: 'run' }>;
type ExperimentNode = Extract<ExperimentsNode, { kind: 'experiment' }>;
/** A run named by its id or a unique prefix of it, and the model to register it as. */
export interface RunRef {
  runId: string;
  name: string;
  folder?: string;
}
export interface ExperimentRef {
  experiment: string;
  name: string;
  folder?: string;
}

const hasModel = (r: Run): boolean => r.artifacts.some((a) => a.path === 'model/model.bin');

/** Runs a picker lists: the newest with a model (a run further back is named by its id or prefix). */
const PICK_LIMIT = 1000;

/** The run to register: a run node, a {runId} argument (an id or a unique prefix), or the user's pick of runs with a model. */
async function runToRegister({ stores }: RegistryCommandContext, arg: RunNode | RunRef | undefined): Promise<{ store: WorkspaceStore; run: Run; name?: string } | undefined> {
  if (arg && 'kind' in arg) return { store: arg.store, run: arg.run };
  if (arg && 'runId' in arg) {
    const at = stores.locateRun(arg.runId);
    const run = await at.store.source()?.getRun(at.runId);
    if (!run) throw new Error('Run not found.');
    return { store: at.store, run, name: arg.name };
  }
  const { runs } = await stores.newestRuns(PICK_LIMIT);
  const items = runs.filter(({ run }) => hasModel(run)).map(({ store, run: r }) => ({ label: r.name, description: r.experimentName, store, run: r }));
  return showQuickPick(items, { title: 'Register which run?' });
}

/** An existing model's name, or a new one the user types. */
async function askModelName(registry: Registry, run: Run): Promise<string | undefined> {
  const existing = registry.listModels().map((m) => m.name);
  const NEW = '$(add) New model…';
  const choice = existing.length ? await showQuickPick([...existing, NEW], { title: `Register ${run.name} as a version of…` }) : NEW;
  if (choice !== NEW) return choice;
  return showInputBox({ title: 'Model name', value: 'YieldPredictor', validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$/.test(v.trim()) ? undefined : "Letters, digits, '_', '-', '.', spaces") });
}

export async function registerModel(ctx: RegistryCommandContext, arg?: RunNode | RunRef): Promise<ModelVersion | undefined> {
  const target = await runToRegister(ctx, arg);
  if (!target) return undefined;
  const { store, run } = target;
  const name = target.name || (await askModelName(registryOf(store, true), run));
  if (!name) return undefined;
  const v = registryOf(store, true).register(store.tracker()!, run.id, name, { source: 'extension' });
  ctx.log.info(`Registered ${v.model} v${v.version} from run ${run.name}`);
  store.reload();
  void vscode.window.showInformationMessage(`Registered ${v.model} v${v.version} from run ${run.name}.`, 'Promote to Staging').then((c) => {
    if (c) void vscode.commands.executeCommand(CommandId.promoteToStaging, { model: v.model, version: v.version, folder: store.folder.uri.fsPath });
  });
  return v;
}

/** The experiment whose best run to register: an experiment node, an {experiment, name, folder?} argument, or the user's pick. */
async function experimentToRegister({ stores }: RegistryCommandContext, arg: ExperimentNode | ExperimentRef | undefined): Promise<{ store: WorkspaceStore; experiment: Pick<Experiment, 'id' | 'name'>; name?: string } | undefined> {
  if (arg && 'kind' in arg) return { store: arg.store, experiment: arg.experiment };
  const items: { label: string; store: WorkspaceStore; experiment: Pick<Experiment, 'id' | 'name'> }[] = [];
  for (const s of stores.all()) {
    await s.whenLoaded();
    for (const e of (await s.source()?.listExperiments()) ?? []) items.push({ label: e.name, store: s, experiment: { id: e.id, name: e.name } });
  }
  if (!arg) return showQuickPick(items, { title: 'Register the best run of which experiment?' });
  const store = arg.folder !== undefined ? await stores.resolve(arg.folder) : undefined;
  const picked = items.find((i) => i.label === arg.experiment && (!store || i.store === store));
  return picked && { ...picked, name: arg.name };
}

export async function registerBestRun(ctx: RegistryCommandContext, arg?: ExperimentNode | ExperimentRef): Promise<unknown> {
  const target = await experimentToRegister(ctx, arg);
  if (!target) return undefined;
  const { store, experiment, name } = target;
  // The run the Experiments tree stars: the same question to the same source (its bestRuns: core's one ranking over
  // all of the experiment's runs, in the index).
  const source = store.source();
  const ranked = source ? ((await source.bestRuns([experiment.id]))[experiment.id] ?? {}) : {};
  const best = ranked.bestId ? await source?.getRun(ranked.bestId) : undefined;
  const metric = ranked.metric;
  if (!best || !metric) throw new UserInputError(`No completed run with a metric in experiment ${experiment.name}.`);
  if (!hasModel(best)) throw new UserInputError(`The best run of ${experiment.name} by ${metric.key} is ${best.name}, which saved no model to register. Register another run with Register Model.`);
  return vscode.commands.executeCommand(CommandId.registerModel, name ? { runId: best.id, name, folder: store.folder.uri.fsPath } : { kind: 'run', store, run: best, isBest: true });
}
