/**
 * The questions Train Model and Run Sweep ask when their arguments and mlops.yaml leave something open: the data set,
 * the target column, the hyperparameters (the core's list, with its ranges and checks) and the sweep's grid.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick, showInputBox } from '../util/questions';
import { CONFIG_FILE, type WorkbenchConfig } from '../../core/config/config';
import { configuredTrainingData, dataLabel, type TrainingChoices } from '../../core/config/trainingOptions';
import { readTableHeader } from '../../core/data/table';
import { hyperparameterListProblem, hyperparameterSummary, parseHyperparameterList } from '../../core/training/params';
import { Combination, expandSpace, parseGridSpec } from '../../core/training/sweep';
import type { WorkspaceStore } from '../workspaceStores';

export interface TrainArgs {
  folder?: string;
  data?: string;
  target?: string;
  task?: 'regression' | 'classification';
  engine?: 'forest' | 'mljs';
  params?: Record<string, unknown>;
  experiment?: string;
  runName?: string;
  testSize?: number;
  split?: 'ordered' | 'random';
}

export interface SweepArgs extends TrainArgs {
  grid?: string;
  combinations?: Combination[];
  parallel?: number;
  /** Test-only (no user path sets it): press Cancel once this many runs finished, as a user would. */
  testCancelAfterRuns?: number;
}

/**
 * The choices of args, with questions for what they and mlops.yaml leave open (when `ask`): the data set (always asked
 * when args name none), its target column (mlops.yaml's target belongs to mlops.yaml's data) and the hyperparameters.
 * Undefined when a question is dismissed, or when something is open and `ask` is false.
 */
export async function askTrainingChoices(store: WorkspaceStore, cfg: WorkbenchConfig | undefined, args: TrainArgs | undefined, ask: boolean): Promise<TrainingChoices | undefined> {
  const configured = configuredTrainingData(cfg);
  let data = args?.data ? path.resolve(store.folder.uri.fsPath, args.data) : configured;
  if (!data || (ask && !args?.data)) {
    if (!ask) return undefined;
    data = await pickCsv(store, data);
    if (!data) return undefined;
  }
  const target = args?.target ?? (data === configured ? cfg?.training.target : undefined) ?? (ask ? await pickTarget(data) : undefined);
  if (!target) return undefined;
  const choices: TrainingChoices = { data, target, task: args?.task, engine: args?.engine, params: args?.params, testSize: args?.testSize, split: args?.split, experiment: args?.experiment, runName: args?.runName };
  if (!ask || args?.params) return choices;
  const params = await askHyperparameters(cfg?.training.params ?? {});
  return params && { ...choices, params, paramsComplete: true };
}

async function pickCsv(store: WorkspaceStore, suggested?: string): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles(new vscode.RelativePattern(store.folder, '**/*.{csv,parquet}'), '**/{node_modules,.mlops,.git}/**', 500);
  const items = files.map((u) => ({ label: dataLabel(store.folder.uri.fsPath, u.fsPath), file: u.fsPath })).sort((a, b) => a.label.localeCompare(b.label));
  if (suggested) items.sort((a, b) => (a.file === suggested ? -1 : b.file === suggested ? 1 : 0));
  const browse = { label: '$(folder-opened) Browse…', file: '' };
  const picked = await showQuickPick([...items, browse], { title: 'Train Model: data set', placeHolder: 'CSV file with a header row, or a Parquet file' });
  if (!picked) return undefined;
  if (picked === browse) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Data (CSV, Parquet)': ['csv', 'parquet'] }, defaultUri: store.folder.uri });
    return uris?.[0]?.fsPath;
  }
  return picked.file;
}

async function pickTarget(data: string): Promise<string | undefined> {
  const cols = readTableHeader(data);
  return showQuickPick(cols.slice().reverse(), { title: 'Train Model: target column', placeHolder: `Columns of ${path.basename(data)}` });
}

/** The hyperparameters as KEY=VALUE pairs, pre-filled with `current`; every pair is checked as training checks it. */
async function askHyperparameters(current: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const text = await showInputBox({
    title: 'Train Model: hyperparameters',
    prompt: hyperparameterSummary(),
    value: Object.entries(current).map(([k, v]) => `${k}=${v === null ? 'none' : v}`).join(', ') || 'n_estimators=100, max_depth=10, seed=42',
    validateInput: hyperparameterListProblem,
  });
  return text === undefined ? undefined : parseHyperparameterList(text);
}

/** The sweep's combinations: from args, else typed (or, left as offered, mlops.yaml's grid or space). */
export async function askCombinations(args: SweepArgs | undefined, cfg: WorkbenchConfig | undefined): Promise<Combination[] | undefined> {
  const given = args?.combinations ?? (args?.grid ? expandSpace(parseGridSpec(args.grid)) : undefined);
  if (given) return given;
  const fromConfig = cfg?.sweep?.grid ?? (cfg?.sweep?.space ? expandSpace(cfg.sweep.space) : undefined);
  const spec = await showInputBox({
    title: 'Run Sweep: hyperparameter grid',
    prompt: fromConfig ? `Leave as is to run the ${fromConfig.length} combinations of ${CONFIG_FILE}, or type a grid` : 'Every combination of these values is one run',
    value: fromConfig ? `(${CONFIG_FILE}: ${fromConfig.length} combinations)` : 'n_estimators=50,100,200;max_depth=5,10,none',
  });
  if (spec === undefined) return undefined;
  return spec.startsWith('(') && fromConfig ? fromConfig : expandSpace(parseGridSpec(spec));
}
