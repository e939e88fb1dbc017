/**
 * Training from the editor: Create Sample Workspace, Train Model, Run Sweep, Reproduce Run, Run Training Command.
 * Each long task shows a progress notification with a working Cancel; the heavy work runs in worker threads, so
 * the extension host stays responsive. Commands accept an options object as their argument (for keybindings,
 * tasks and the tests); without it they ask with quick picks and input boxes.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE, resolveConfigPath, WorkbenchConfig } from '../../core/config/config';
import { createSampleWorkspace, SAMPLE_EXPERIMENT } from '../../core/sample/sampleWorkspace';
import type { Run } from '../../core/store/types';
import { runCommandTrainer } from '../../core/training/commandTrainer';
import { compareMetrics, planReproduction } from '../../core/training/reproduce';
import { Combination, expandSpace, parseGridSpec, runSweep, SweepResult } from '../../core/training/sweep';
import { trainRun, TrainOptions } from '../../core/training/train';
import type { Log } from '../log';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { commandRegistrar } from '../commandRegistrar';
import { CommandId } from '../keys';
import { readCsvHeader } from '../../core/data/csv';

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

interface Deps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  log: Log;
}

/** Results of the last commands (for the integration tests and the summary view). */

function rel(folder: string, file: string): string {
  const r = path.relative(folder, file);
  return r.startsWith('..') || path.isAbsolute(r) ? file : r.split(path.sep).join('/');
}

/** The folder's mlops.yaml (WorkspaceStore.config: cached; a broken file is this command's error, shown once). */
function readConfig(store: WorkspaceStore): WorkbenchConfig | undefined {
  return store.config();
}

async function pickCsv(store: WorkspaceStore, suggested?: string): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles(new vscode.RelativePattern(store.folder, '**/*.csv'), '**/{node_modules,.mlops,.git}/**', 500);
  const items = files.map((u) => ({ label: rel(store.folder.uri.fsPath, u.fsPath), file: u.fsPath })).sort((a, b) => a.label.localeCompare(b.label));
  if (suggested) items.sort((a, b) => (a.file === suggested ? -1 : b.file === suggested ? 1 : 0));
  const browse = { label: '$(folder-opened) Browse…', file: '' };
  const picked = await vscode.window.showQuickPick([...items, browse], { title: 'Train Model: data set', placeHolder: 'CSV file with a header row' });
  if (!picked) return undefined;
  if (picked === browse) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { CSV: ['csv'] }, defaultUri: store.folder.uri });
    return uris?.[0]?.fsPath;
  }
  return picked.file;
}


async function withCancellableProgress<T>(title: string, work: (signal: AbortSignal, report: (message: string, fraction?: number) => void) => Promise<T>, cancelAfter?: (ac: AbortController) => void): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    cancelAfter?.(ac);
    let last = 0;
    return work(ac.signal, (message, fraction) => {
      const inc = fraction === undefined ? undefined : Math.max(0, fraction * 100 - last);
      if (fraction !== undefined) last = Math.max(last, fraction * 100);
      progress.report({ message, increment: inc });
    });
  });
}

export function registerTrainingCommands({ context, stores, log }: Deps): void {
  const reg = commandRegistrar(context, log);

  const storeFor = (args?: { folder?: string }): Promise<WorkspaceStore | undefined> => stores.resolve(args?.folder, 'Train in which workspace folder?');

  reg(CommandId.createSampleWorkspace, async (args?: { folder?: string; open?: boolean }) => {
    let dir = args?.folder;
    if (!dir) {
      const current = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      const choice = await vscode.window.showQuickPick(
        [
          ...(current ? [{ label: 'Into this workspace folder', description: current, dir: current }] : []),
          { label: 'Into a new folder…', description: 'and open it', dir: '' },
        ],
        { title: 'Create Sample Workspace (wafer yield)' },
      );
      if (!choice) return undefined;
      dir = choice.dir;
      if (!dir) {
        const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create Sample Here' });
        if (!uris?.[0]) return undefined;
        dir = uris[0].fsPath;
      }
    }
    const res = createSampleWorkspace(dir);
    log.info(`Sample workspace in ${dir}: wrote ${res.written.join(', ') || 'nothing'}; kept ${res.kept.join(', ') || 'nothing'}`);
    stores.reloadAll();
    const inWorkspace = vscode.workspace.workspaceFolders?.some((f) => f.uri.fsPath === dir);
    if (!inWorkspace && args?.open !== false) {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(dir), { forceNewWindow: false });
    } else {
      void vscode.window.showInformationMessage(`Sample workspace ready: data/wafer_yield.csv and ${CONFIG_FILE} with the seed's grid.`, 'Run Sweep', 'Train Model').then((c) => {
        if (c === 'Run Sweep') void vscode.commands.executeCommand(CommandId.runSweep);
        if (c === 'Train Model') void vscode.commands.executeCommand(CommandId.train);
      });
    }
    return res;
  });

  /** Fill TrainOptions from args, then the config, then questions. */
  async function resolveTrainOptions(store: WorkspaceStore, args: TrainArgs | undefined, ask: boolean): Promise<TrainOptions | undefined> {
    const cfg = readConfig(store);
    const t = cfg?.training ?? {};
    const folder = store.folder.uri.fsPath;
    let data = args?.data ? path.resolve(folder, args.data) : t.data ? resolveConfigPath(cfg!, t.data) : undefined;
    if (!data || (ask && !args?.data)) {
      if (!ask) return undefined;
      data = await pickCsv(store, data);
      if (!data) return undefined;
    }
    let target = args?.target ?? (data && t.data && resolveConfigPath(cfg!, t.data) === data ? t.target : undefined);
    if (!target) {
      if (!ask) return undefined;
      const cols = readCsvHeader(data);
      const picked = await vscode.window.showQuickPick(cols.slice().reverse(), { title: 'Train Model: target column', placeHolder: `Columns of ${path.basename(data)}` });
      if (!picked) return undefined;
      target = picked;
    }
    let params: Record<string, unknown> = { ...(t.params ?? {}), ...(args?.params ?? {}) };
    if (ask && !args?.params) {
      const current = Object.entries(params).map(([k, v]) => `${k}=${v === null ? 'none' : v}`).join(', ');
      const text = await vscode.window.showInputBox({
        title: 'Train Model: hyperparameters',
        prompt: 'n_estimators, max_depth (none), max_features (sqrt, log2, all, fraction, count), min_samples_split, min_samples_leaf, bootstrap, seed',
        value: current || 'n_estimators=100, max_depth=10, seed=42',
        validateInput: (v) => (v.split(',').map((s) => s.trim()).filter(Boolean).every((s) => /^[a-z_]+=\S+$/.test(s)) ? undefined : 'Use KEY=VALUE pairs separated by commas'),
      });
      if (text === undefined) return undefined;
      params = {};
      for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
        const [k, v] = part.split('=');
        params[k] = /^(none|null)$/i.test(v) ? null : v;
      }
    }
    return {
      data,
      dataLabel: rel(folder, data),
      target,
      task: args?.task ?? t.task,
      engine: (args?.engine ?? t.engine) as TrainOptions['engine'],
      params,
      testSize: args?.testSize ?? t.test_size,
      split: args?.split ?? t.split,
      missing: t.missing,
      categorical: t.categorical,
      experiment: args?.experiment ?? t.experiment,
      runName: args?.runName,
      source: 'extension',
    };
  }

  reg(CommandId.train, async (args?: TrainArgs) => {
    const store = await storeFor(args);
    if (!store) return undefined;
    const opts = await resolveTrainOptions(store, args, !args);
    if (!opts) return undefined;
    const tracker = store.tracker(true)!;
    log.info(`Train: ${opts.dataLabel} → ${opts.target} (${JSON.stringify(opts.params)})`);
    const res = await withCancellableProgress(`Training on ${path.basename(opts.data)}`, (signal, report) =>
      trainRun(tracker, opts, { signal, onProgress: (m, f) => report(m, f), onRunStarted: (r) => { log.info(`Run ${r.name} (${r.id}) started`); store.reload(); } }),
    );
    store.reload();
    const m = res.metrics;
    const summary = m.rmse_test !== undefined ? `RMSE ${m.rmse_test.toFixed(3)}, R² ${m.r2_test.toFixed(3)}` : `accuracy ${(m.accuracy_test * 100).toFixed(1)} %, F1 ${m.f1_test.toFixed(3)}`;
    log.info(`Run ${res.run.name} completed: ${summary}`);
    void vscode.window.showInformationMessage(`Run ${res.run.name} completed: ${summary}`, 'Open Run').then((c) => {
      if (c) void vscode.commands.executeCommand(CommandId.openRun, res.run.id);
    });
    return res.run;
  });

  reg(CommandId.runSweep, async (args?: SweepArgs) => {
    const store = await storeFor(args);
    if (!store) return undefined;
    const cfg = readConfig(store);
    const base = await resolveTrainOptions(store, args, !args && !cfg?.training.data);
    if (!base) return undefined;
    let combos = args?.combinations ?? (args?.grid ? expandSpace(parseGridSpec(args.grid)) : undefined);
    if (!combos) {
      const fromConfig = cfg?.sweep?.grid ?? (cfg?.sweep?.space ? expandSpace(cfg.sweep.space) : undefined);
      const spec = await vscode.window.showInputBox({
        title: 'Run Sweep: hyperparameter grid',
        prompt: fromConfig ? `Leave as is to run the ${fromConfig.length} combinations of ${CONFIG_FILE}, or type a grid` : 'Every combination of these values is one run',
        value: fromConfig ? `(${CONFIG_FILE}: ${fromConfig.length} combinations)` : 'n_estimators=50,100,200;max_depth=5,10,none',
      });
      if (spec === undefined) return undefined;
      combos = spec.startsWith('(') && fromConfig ? fromConfig : expandSpace(parseGridSpec(spec));
    }
    const tracker = store.tracker(true)!;
    const experiment = args?.experiment ?? cfg?.sweep?.experiment ?? base.experiment ?? SAMPLE_EXPERIMENT;
    log.info(`Sweep: ${combos.length} runs in ${experiment}`);
    let finished = 0;
    const res = await withCancellableProgress(
      `Sweep: ${combos.length} runs`,
      (signal, report) =>
        runSweep(tracker, { ...base, experiment, combinations: combos!, baseParams: base.params, parallel: args?.parallel ?? cfg?.sweep?.parallel }, {
          signal,
          onProgress: (done, total, message) => report(message, done / total),
          onRunFinished: (run, i, err) => {
            finished++;
            if (run) log.info(`Sweep run ${i + 1}: ${run.name} rmse_test=${run.metrics.rmse_test ?? ''} accuracy_test=${run.metrics.accuracy_test ?? ''}`);
            else if (err) log.warn(`Sweep run ${i + 1}: ${err.message}`);
            store.reload();
          },
        }),
      args?.testCancelAfterRuns !== undefined
        ? (ac) => {
            const timer = setInterval(() => {
              if (finished >= args.testCancelAfterRuns!) {
                ac.abort();
                clearInterval(timer);
              }
            }, 20);
          }
        : undefined,
    );
    store.reload();
    const table = sweepMarkdown(res);
    log.info(`Sweep ${res.sweepId} done:\n${table}`);
    const msg = `Sweep ${res.sweepId}: ${res.runs.length} completed${res.cancelled ? `, ${res.cancelled} cancelled` : ''}${res.failed.length ? `, ${res.failed.length} failed` : ''}${res.best ? `. Best: ${res.best.name}` : ''}`;
    void vscode.window.showInformationMessage(msg, 'Show Summary', 'Open Best Run').then(async (c) => {
      if (c === 'Show Summary') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: table }));
      if (c === 'Open Best Run' && res.best) void vscode.commands.executeCommand(CommandId.openRun, res.best.id);
    });
    return res;
  });

  reg(CommandId.reproduceRun, async (arg?: { run?: Run; store?: WorkspaceStore } | string, opts?: { confirm?: boolean }) => {
    let store: WorkspaceStore | undefined;
    let runId: string | undefined;
    if (typeof arg === 'string') {
      ({ store, runId } = stores.locateRun(arg)); // an id or a unique prefix
    } else if (arg?.run) {
      runId = arg.run.id;
      store = arg.store;
    } else {
      const items = stores.all().flatMap((s) => s.snapshot.runs.filter((r) => r.tags.trainer === 'builtin').map((r) => ({ label: r.name, description: r.experimentName, run: r, store: s })));
      const picked = await vscode.window.showQuickPick(items, { title: 'Reproduce which run?' });
      if (!picked) return undefined;
      runId = picked.run.id;
      store = picked.store;
    }
    if (!store || !runId) throw new Error('Run not found in this workspace.');
    const tracker = store.tracker()!;
    const plan = planReproduction(tracker, runId, store.folder.uri.fsPath);
    if (plan.warnings.length && opts?.confirm !== false) {
      const go = await vscode.window.showWarningMessage(plan.warnings.join('\n'), { modal: true }, 'Reproduce Anyway');
      if (go !== 'Reproduce Anyway') return undefined;
    }
    const res = await withCancellableProgress(`Reproducing ${plan.original.name}`, (signal, report) => trainRun(tracker, plan.options, { signal, onProgress: (m, f) => report(m, f) }));
    const diff = compareMetrics(plan.original, res.run);
    store.reload();
    const msg = diff.length ? `Reproduced ${plan.original.name}: ${diff.length} metric(s) differ (${diff.map((d) => d.key).join(', ')}).` : `Reproduced ${plan.original.name} as ${res.run.name}: every metric is identical.`;
    log.info(msg);
    void (diff.length ? vscode.window.showWarningMessage(msg) : vscode.window.showInformationMessage(msg));
    return { run: res.run, identical: diff.length === 0 };
  });

  reg(CommandId.runTrainingCommand, async (args?: { folder?: string; command?: string; experiment?: string; params?: Record<string, string> }) => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Running a training command executes code from this workspace, which is in Restricted Mode. Trust the workspace to use it.', 'Manage Workspace Trust').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
    const store = await storeFor(args);
    if (!store) return undefined;
    const command = args?.command ?? (await vscode.window.showInputBox({ title: 'Run Training Command', prompt: "Your script reports with lines like 'mlops:metric rmse_test=3.18 step=3' (see README)", value: 'python train.py' }));
    if (!command) return undefined;
    const tracker = store.tracker(true)!;
    log.info(`Training command: ${command}`);
    const res = await withCancellableProgress(`Running ${command}`, (signal, report) =>
      runCommandTrainer(tracker, { command, cwd: store.folder.uri.fsPath, experiment: args?.experiment, params: args?.params }, {
        signal,
        onOutput: (line) => {
          log.info(`[train] ${line}`);
          report(line.slice(0, 80));
        },
        onRunStarted: () => store.reload(),
      }),
    );
    store.reload();
    const msg = `Training command finished: run ${res.run.name} ${res.run.effectiveStatus} (exit code ${res.exitCode}).`;
    void (res.run.effectiveStatus === 'completed' ? vscode.window.showInformationMessage(msg) : vscode.window.showWarningMessage(msg, 'Show Output').then((c) => c && log.channel.show()));
    return res.run;
  });
}

export function sweepMarkdown(res: SweepResult): string {
  const regression = res.bestMetric?.key === 'rmse_test';
  const f = (v: number | undefined) => (v === undefined ? '' : v.toFixed(3));
  const head = regression ? '| Run | n_trees | depth | RMSE | MAE | R² | Time (s) |\n|---|---|---|---|---|---|---|' : '| Run | n_trees | depth | accuracy | F1 | precision | Time (s) |\n|---|---|---|---|---|---|---|';
  const rows = res.runs.map((r) => {
    const best = res.best?.id === r.id ? '★ ' : '';
    const d = r.params.max_depth;
    const m = regression ? [r.metrics.rmse_test, r.metrics.mae_test, r.metrics.r2_test] : [r.metrics.accuracy_test, r.metrics.f1_test, r.metrics.precision_test];
    return `| ${best}${r.name.replace(/\|/g, '\\|')} | ${r.params.n_estimators} | ${d === null ? 'None' : d} | ${m.map(f).join(' | ')} | ${(r.metrics.fit_seconds ?? 0).toFixed(2)} |`;
  });
  return `# Sweep ${res.sweepId}\n\n${head}\n${rows.join('\n')}\n\n${res.best ? `★ best by ${res.bestMetric!.key}: ${res.best.name} (${res.best.id})` : ''}\n`;
}
