/**
 * Training from the editor: Create Sample Workspace, Train Model, Run Sweep, Reproduce Run, Run Training Command.
 * Each long task shows a progress notification with a working Cancel; the heavy work runs in worker threads, so
 * the extension host stays responsive. Commands accept an options object as their argument (for keybindings,
 * tasks and the tests); without it they ask with quick picks and input boxes (trainingPrompts.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick, showInputBox } from '../util/questions';
import { CONFIG_FILE, type WorkbenchConfig } from '../../core/config/config';
import { resolveTrainingOptions, sweepExperiment } from '../../core/config/trainingOptions';
import { createSampleWorkspace, SAMPLE_EXPERIMENT } from '../../core/sample/sampleWorkspace';
import { playStory, STORY_MODEL, type StoryResult } from '../../core/sample/story';
import type { Run } from '../../core/store/types';
import { runCommandTrainer } from '../../core/training/commandTrainer';
import { pythonCommand } from '../../core/training/pythonCommand';
import { compareMetrics, planReproduction } from '../../core/training/reproduce';
import { runSweep, SweepResult } from '../../core/training/sweep';
import { trainRun, TrainOptions } from '../../core/training/train';
import type { Log } from '../log';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId } from '../keys';
import { askCombinations, askTrainingChoices, SweepArgs, TrainArgs } from './trainingPrompts';

interface Deps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  log: Log;
}

/** What the command functions use. */
interface Ctx {
  stores: WorkspaceStores;
  log: Log;
}

type Report = (message: string, fraction?: number) => void;

export function registerTrainingCommands({ context, stores, log }: Deps): void {
  const reg = commandRegistrar(context, log);
  const ctx: Ctx = { stores, log };
  reg(CommandId.createSampleWorkspace, (args?: SampleArgs) => createSample(ctx, args));
  reg(CommandId.train, (args?: TrainArgs) => train(ctx, args));
  reg(CommandId.runSweep, (args?: SweepArgs) => sweep(ctx, args));
  reg(CommandId.reproduceRun, (arg?: { run?: Run; store?: WorkspaceStore } | string, opts?: { confirm?: boolean }) => reproduce(ctx, arg, opts));
  reg(CommandId.runTrainingCommand, (args?: { folder?: string; command?: string; experiment?: string; params?: Record<string, string> }) => runTrainingCommand(ctx, args));
}

function storeFor(stores: WorkspaceStores, args?: { folder?: string }): Promise<WorkspaceStore | undefined> {
  return stores.resolve(args?.folder, 'Train in which workspace folder?');
}

async function withCancellableProgress<T>(title: string, work: (signal: AbortSignal, report: Report) => Promise<T>, cancelAfter?: (ac: AbortController) => void): Promise<T> {
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

/** Create Sample Workspace's arguments (the tests', a walkthrough link's); without them it asks. */
interface SampleArgs {
  folder?: string;
  /** Open the folder when it is not in the workspace (default true). */
  open?: boolean;
  /** Play the seed's story in it (default: asked; false when a folder is given). */
  story?: boolean;
}

/**
 * Create Sample Workspace: into the given folder, or one the user picks (this workspace folder or a new one), with
 * the seed's story played in it or as files only. The story plays only into a store that holds nothing yet.
 */
async function createSample({ stores, log }: Ctx, args?: SampleArgs) {
  const dir = args?.folder || (await pickSampleFolder());
  if (!dir) return undefined;
  const withStory = args?.story ?? (args?.folder ? false : await pickStory());
  if (withStory === undefined) return undefined;
  const res = createSampleWorkspace(dir);
  log.info(`Sample workspace in ${dir}: wrote ${res.written.join(', ') || 'nothing'}; kept ${res.kept.join(', ') || 'nothing'}`);
  const story = withStory
    ? await withCancellableProgress("Playing the seed's story in the sample", (signal, report) => playStory(dir, { signal, source: 'extension', onProgress: report }))
    : undefined;
  if (story?.played) log.info(storyLog(story));
  else if (story) log.info(`The story was not played: ${story.reason}; the sample is left as it is.`);
  stores.reloadAll();
  const inWorkspace = vscode.workspace.workspaceFolders?.some((f) => f.uri.fsPath === dir);
  if (!inWorkspace && args?.open !== false) {
    await vscode.commands.executeCommand(BuiltinCommand.openFolder, vscode.Uri.file(dir), { forceNewWindow: false });
  } else if (story?.played) {
    void vscode.window.showInformationMessage(`The seed's story played in ${story.seconds.toFixed(1)} s: ${story.sweep.runs} sweep runs, a pipeline run, ${STORY_MODEL} v${story.production} in Production and v${story.staging} in Staging, ${story.batches.filter((b) => b.alerts.length).length} batches with alerts.`, 'Open Drift Report', 'Get Started').then((c) => {
      if (c === 'Open Drift Report') void vscode.commands.executeCommand(CommandId.openDriftReport);
      if (c === 'Get Started') void vscode.commands.executeCommand(CommandId.getStarted);
    });
  } else {
    const skipped = story ? `The story was not played (${story.reason}): the sample is left as it is. ` : '';
    void vscode.window.showInformationMessage(`${skipped}Sample workspace ready: data/wafer_yield.csv and ${CONFIG_FILE} with the seed's grid.`, 'Run Sweep', 'Train Model').then((c) => {
      if (c === 'Run Sweep') void vscode.commands.executeCommand(CommandId.runSweep);
      if (c === 'Train Model') void vscode.commands.executeCommand(CommandId.train);
    });
  }
  return { ...res, story };
}

function storyLog(story: StoryResult): string {
  return `The seed's story played in ${story.seconds.toFixed(1)} s:\n${story.steps.map((s) => `  ${s.step} (${s.seconds.toFixed(1)} s): ${s.summary}`).join('\n')}`;
}

async function pickSampleFolder(): Promise<string | undefined> {
  const current = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const choice = await showQuickPick(
    [...(current ? [{ label: 'Into this workspace folder', description: current, dir: current }] : []), { label: 'Into a new folder…', description: 'and open it', dir: '' }],
    { title: 'Create Sample Workspace (wafer yield)' },
  );
  if (!choice) return undefined;
  if (choice.dir) return choice.dir;
  const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create Sample Here' });
  return uris?.[0]?.fsPath;
}

/** With the story played (every view filled, a few seconds of real training) or the files only. */
async function pickStory(): Promise<boolean | undefined> {
  const choice = await showQuickPick(
    [
      { label: 'With the story played', description: 'a sweep, the pipeline, Production and Staging versions, checked batches', detail: "The seed notebook's scenario, trained for real on the sample's data in a few seconds: every view shows it.", story: true },
      { label: 'Files only', description: 'data, mlops.yaml, the pipeline and train.py; an empty store', detail: 'Run each step yourself (the Get Started walkthrough guides you).', story: false },
    ],
    { title: 'Create Sample Workspace: what goes in it?' },
  );
  return choice?.story;
}

/** The run's options: args, then mlops.yaml, then (when `ask`) questions, merged by the core's one rule. */
async function trainOptionsFor(store: WorkspaceStore, cfg: WorkbenchConfig | undefined, args: TrainArgs | undefined, ask: boolean): Promise<TrainOptions | undefined> {
  const choices = await askTrainingChoices(store, cfg, args, ask);
  if (!choices) return undefined;
  const folder = store.folder.uri.fsPath;
  return resolveTrainingOptions(choices, cfg, { cwd: folder, workspace: folder, source: 'extension' });
}

/** Train Model: one run, with progress and Cancel; the result offers Open Run. */
async function train({ stores, log }: Ctx, args?: TrainArgs): Promise<Run | undefined> {
  const store = await storeFor(stores, args);
  if (!store) return undefined;
  const opts = await trainOptionsFor(store, store.config(), args, !args);
  if (!opts) return undefined;
  const tracker = store.tracker(true)!;
  log.info(`Train: ${opts.dataLabel} → ${opts.target} (${JSON.stringify(opts.params)})`);
  const res = await withCancellableProgress(`Training on ${path.basename(opts.data)}`, (signal, report) =>
    trainRun(tracker, opts, {
      signal,
      onProgress: (m, f) => report(m, f),
      onRunStarted: (r) => {
        log.info(`Run ${r.name} (${r.id}) started`);
        store.reload();
      },
    }),
  );
  store.reload();
  const m = res.metrics;
  const summary = m.rmse_test !== undefined ? `RMSE ${m.rmse_test.toFixed(3)}, R² ${m.r2_test.toFixed(3)}` : `accuracy ${(m.accuracy_test * 100).toFixed(1)} %, F1 ${m.f1_test.toFixed(3)}`;
  log.info(`Run ${res.run.name} completed: ${summary}`);
  void vscode.window.showInformationMessage(`Run ${res.run.name} completed: ${summary}`, 'Open Run').then((c) => {
    if (c) void vscode.commands.executeCommand(CommandId.openRun, res.run.id);
  });
  return res.run;
}

/** Run Sweep: one run per combination, with progress and Cancel; the result offers the summary and the best run. */
async function sweep({ stores, log }: Ctx, args?: SweepArgs): Promise<SweepResult | undefined> {
  const store = await storeFor(stores, args);
  if (!store) return undefined;
  const cfg = store.config();
  const base = await trainOptionsFor(store, cfg, args, !args && !cfg?.training.data);
  if (!base) return undefined;
  const combinations = await askCombinations(args, cfg);
  if (!combinations) return undefined;
  const tracker = store.tracker(true)!;
  const experiment = sweepExperiment(args?.experiment, cfg?.sweep, base) ?? SAMPLE_EXPERIMENT;
  log.info(`Sweep: ${combinations.length} runs in ${experiment}`);
  let finished = 0;
  const options = { ...base, experiment, combinations, baseParams: base.params, parallel: args?.parallel ?? cfg?.sweep?.parallel };
  const res = await withCancellableProgress(
    `Sweep: ${combinations.length} runs`,
    (signal, report) =>
      runSweep(tracker, options, {
        signal,
        onProgress: (done, total, message) => report(message, done / total),
        onRunFinished: (run, i, err) => {
          finished++;
          if (run) log.info(`Sweep run ${i + 1}: ${run.name} rmse_test=${run.metrics.rmse_test ?? ''} accuracy_test=${run.metrics.accuracy_test ?? ''}`);
          else if (err) log.warn(`Sweep run ${i + 1}: ${err.message}`);
          store.reload();
        },
      }),
    args?.testCancelAfterRuns !== undefined ? cancelOnceFinished(args.testCancelAfterRuns, () => finished) : undefined,
  );
  store.reload();
  announceSweep(log, res);
  return res;
}

/** Test-only: press Cancel once `runs` runs finished, as a user would. */
function cancelOnceFinished(runs: number, finished: () => number): (ac: AbortController) => void {
  return (ac) => {
    const timer = setInterval(() => {
      if (finished() >= runs) {
        ac.abort();
        clearInterval(timer);
      }
    }, 20);
  };
}

function announceSweep(log: Log, res: SweepResult): void {
  const table = sweepMarkdown(res);
  log.info(`Sweep ${res.sweepId} done:\n${table}`);
  const msg = `Sweep ${res.sweepId}: ${res.runs.length} completed${res.cancelled ? `, ${res.cancelled} cancelled` : ''}${res.failed.length ? `, ${res.failed.length} failed` : ''}${res.best ? `. Best: ${res.best.name}` : ''}`;
  void vscode.window.showInformationMessage(msg, 'Show Summary', 'Open Best Run').then(async (c) => {
    if (c === 'Show Summary') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: table }));
    if (c === 'Open Best Run' && res.best) void vscode.commands.executeCommand(CommandId.openRun, res.best.id);
  });
}

/** The run to reproduce: an id or unique prefix, a tree item's run, or one picked from the built-in trainer's runs. */
async function runToReproduce(stores: WorkspaceStores, arg?: { run?: Run; store?: WorkspaceStore } | string): Promise<{ store?: WorkspaceStore; runId?: string } | undefined> {
  if (typeof arg === 'string') return stores.locateRun(arg);
  if (arg?.run) return { store: arg.store, runId: arg.run.id };
  // The newest runs of the built-in trainer (a run further back is named by its id or prefix).
  const { runs } = await stores.newestRuns(1000, "tags.trainer = 'builtin'");
  const items = runs.map(({ store: s, run: r }) => ({ label: r.name, description: r.experimentName, run: r, store: s }));
  const picked = await showQuickPick(items, { title: 'Reproduce which run?' });
  return picked && { store: picked.store, runId: picked.run.id };
}

/** Reproduce Run: retrain from the run's logged options and compare every metric. */
async function reproduce({ stores, log }: Ctx, arg?: { run?: Run; store?: WorkspaceStore } | string, opts?: { confirm?: boolean }) {
  const located = await runToReproduce(stores, arg);
  if (!located) return undefined;
  const { store, runId } = located;
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
}

/** Run Training Command: the user's own script as a run (trusted workspaces only: it runs workspace code). */
async function runTrainingCommand({ stores, log }: Ctx, args?: { folder?: string; command?: string; experiment?: string; params?: Record<string, string> }): Promise<Run | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Running a training command executes code from this workspace, which is in Restricted Mode. Trust the workspace to use it.', 'Manage Workspace Trust').then((c) => {
      if (c) void vscode.commands.executeCommand(BuiltinCommand.manageTrust);
    });
    return undefined;
  }
  const store = await storeFor(stores, args);
  if (!store) return undefined;
  const command = args?.command ?? (await showInputBox({ title: 'Run Training Command', prompt: "Your script reports with lines like 'mlops:metric rmse_test=3.18 step=3' (see README)", value: `${await pythonCommand()} train.py` }));
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
