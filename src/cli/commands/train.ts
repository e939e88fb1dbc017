/** `mlops init --sample`, `mlops train`, `mlops sweep`, `mlops reproduce`. */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { findConfig, loadConfig, type SweepConfig, type WorkbenchConfig } from '../../core/config/config';
import { resolveTrainingOptions, sweepExperiment, type TrainingChoices } from '../../core/config/trainingOptions';
import { createSampleWorkspace } from '../../core/sample/sampleWorkspace';
import type { Tracker } from '../../core/tracking/tracker';
import type { Run } from '../../core/store/types';
import { runCommandTrainer, type CommandTrainOptions } from '../../core/training/commandTrainer';
import { hyperparameterSummary } from '../../core/training/params';
import { compareMetrics, planReproduction } from '../../core/training/reproduce';
import { Combination, expandSpace, MAX_PARALLEL, MAX_SWEEP_RUNS, parseGridSpec, runSweep, sampleSpace, type SweepResult } from '../../core/training/sweep';
import { trainRun, type TrainControl, TrainOptions } from '../../core/training/train';
import { AbortError, UserInputError } from '../../core/util/errors';
import { parseWholeNumber } from '../../core/util/numbers';
import { isEnvironmentFailure } from '../../core/util/systemError';
import { Rng } from '../../core/util/random';
import { checkStoreLocation, collect, GlobalOptions, openTracker, out, parseAssignments, parseParamValue } from '../context';
import { fmtNumber, runToJson, table } from '../format';
import { colorsFor, outputMode, paintStatus, Progress } from '../terminal';

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Ctrl-C cancels the work (the run ends `cancelled`); a second Ctrl-C exits at once. */
function interruptible(progress?: Progress): AbortController {
  const ac = new AbortController();
  let count = 0;
  process.on('SIGINT', () => {
    count++;
    if (count > 1) {
      progress?.stop();
      process.exit(130);
    }
    if (progress?.live) progress.log('Cancelling… (Ctrl-C again to exit at once)');
    else process.stderr.write('\nCancelling… (Ctrl-C again to exit at once)\n');
    ac.abort();
  });
  return ac;
}

/** The core's training progress as a bar: rows of the CSV read, then trees built (the evaluation after is short). */
function trainingBar(progress: Progress, data: string): TrainControl['onProgress'] {
  return (_message, _fraction, counts) => {
    if (counts?.unit === 'trees') progress.update({ label: 'Training', done: counts.done, total: counts.total, unit: 'trees' });
    else if (counts?.unit === 'rows') progress.update({ label: `Reading ${path.basename(data)}`, done: counts.done, unit: 'rows' });
  };
}

function configFor(tracker: Tracker, explicit?: string): WorkbenchConfig | undefined {
  if (explicit) return loadConfig(path.resolve(explicit));
  const f = findConfig(process.cwd()) ?? findConfig(path.dirname(tracker.store.root));
  return f ? loadConfig(f) : undefined;
}

/** The CLI's names for its choices, in messages. */
const FLAG_NAMES = { data: '--data CSV', target: '--target COL', testSize: '--test-size' };

/** The hyperparameters of -p KEY=VALUE flags (typed: numbers, booleans, none). */
function paramFlags(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(parseAssignments(o.param as string[] | undefined, 'Param').map(([k, v]) => [k, parseParamValue(v)]));
}

/** Training options from the flags over the config's `training` section (the core's one rule). */
function trainOptionsFrom(o: Record<string, unknown>, tracker: Tracker, cfg: WorkbenchConfig | undefined): TrainOptions {
  const params = paramFlags(o);
  if (o.seed !== undefined) params.seed = o.seed;
  const flags: TrainingChoices = {
    data: o.data as string | undefined,
    target: o.target as string | undefined,
    task: o.task as string | undefined,
    engine: o.engine as string | undefined,
    params,
    testSize: o.testSize === undefined ? undefined : String(o.testSize),
    split: o.split as string | undefined,
    missing: o.missing as string | undefined,
    categorical: o.categorical as string[] | undefined,
    experiment: o.experiment as string | undefined,
    runName: o.name as string | undefined,
  };
  return resolveTrainingOptions(flags, cfg, { cwd: process.cwd(), workspace: path.dirname(tracker.store.root), source: 'cli', names: FLAG_NAMES });
}

function trainingFlags(cmd: Command): Command {
  return cmd
    .option('-d, --data <csv>', 'training data (CSV with a header row)')
    .option('-t, --target <column>', 'target column')
    .addOption(new Option('--task <task>', 'regression or classification (default: from the target type)').choices(['regression', 'classification']))
    .addOption(new Option('--engine <engine>', 'forest (default, fast) or mljs (ml-random-forest)').choices(['forest', 'mljs']))
    .option('--test-size <f>', 'share of rows held out for testing (default 0.2)')
    .addOption(new Option('--split <mode>', 'ordered (first rows train, the seed) or random (seeded shuffle; stratified for classification)').choices(['ordered', 'random']))
    .option('--seed <n>', 'random seed (default 42)')
    .addOption(new Option('--missing <policy>', 'missing values: error (default), drop rows, or impute the median').choices(['error', 'drop', 'median']))
    .option('--categorical <column>', 'treat a column as categorical (repeatable)', collect)
    .option('-e, --experiment <name>', 'experiment')
    .option('--config <file>', 'config file (default: mlops.yaml in the current folder or the workspace)')
    .option('--json', 'print JSON');
}

function seedTable(runs: Run[], best?: Run): string {
  const regression = runs.some((r) => r.metrics.rmse_test !== undefined);
  const rows = runs.map((r) => {
    const mark = best && r.id === best.id ? '★ ' : '  ';
    const d = r.params.max_depth;
    const base = [mark + r.name, String(r.params.n_estimators ?? ''), d === null ? 'None' : String(d ?? '')];
    const m = regression
      ? [fmtNumber(r.metrics.rmse_test), fmtNumber(r.metrics.mae_test), fmtNumber(r.metrics.r2_test)]
      : [fmtNumber(r.metrics.accuracy_test), fmtNumber(r.metrics.f1_test), fmtNumber(r.metrics.precision_test)];
    return [...base, ...m, (r.metrics.fit_seconds ?? 0).toFixed(2)];
  });
  return table(['Run', 'n_trees', 'depth', ...(regression ? ['RMSE', 'MAE', 'R²'] : ['accuracy', 'F1', 'precision']), 'Time (s)'], rows);
}

export function registerTrainingCommands(program: Command): void {
  const init = program.commands.find((c) => c.name() === 'init')!;
  init.option('--sample', 'write the wafer-yield sample project (data, batches, mlops.yaml) too');

  trainingFlags(program.command('train').description('train a random forest and record it as a run'))
    .option('-p, --param <key=value>', `hyperparameter (repeatable): ${hyperparameterSummary()}`, collect)
    .option('-n, --name <name>', 'run name')
    .option('--command <cmd>', "run your own training command instead (it reports with 'mlops:metric key=value' lines)")
    .action(train);

  trainingFlags(program.command('sweep').description('train one run per hyperparameter combination (grid or random search)'))
    .option('-g, --grid <spec>', "space, e.g. 'n_estimators=50,100,200;max_depth=5,10,none' (default: the config's sweep)")
    .option('--random <n>', 'sample n random combinations of the space instead of all')
    .option('--parallel <n>', 'runs at a time (default: the number of cores)')
    .option('-p, --param <key=value>', 'a hyperparameter shared by every run (repeatable)', collect)
    .action(sweep);

  program.command('reproduce <runId>').description('retrain a run from its logged params, data set and seed; the metrics must match').option('--json', 'print JSON').action(reproduce);
}

/** `mlops train`: the built-in trainer, or with --command the user's own script. */
async function train(o: Record<string, unknown>, cmd: Command): Promise<void> {
  const t = openTracker(globals(cmd), true);
  if (o.command) return trainWithCommand(t, o);
  const opts = trainOptionsFrom(o, t, configFor(t, o.config as string | undefined));
  const progress = new Progress(outputMode(cmd, o.json));
  const ac = interruptible(progress);
  let r;
  try {
    r = await trainRun(t, opts, { signal: ac.signal, onProgress: trainingBar(progress, opts.data) });
  } catch (e) {
    if (e instanceof AbortError) throw Object.assign(new UserInputError(e.message), { exitCode: 130 });
    throw e;
  } finally {
    progress.stop();
  }
  const c = colorsFor(process.stdout, outputMode(cmd, o.json));
  if (o.json) out.json(runToJson(r.run));
  else out.line(`Run ${r.run.name} (${r.run.id}) ${paintStatus(c, 'completed')} in ${fmtNumber(r.metrics.fit_seconds)} s\n${table(['metric', 'value'], Object.entries(r.metrics).map(([k, v]) => [k, fmtNumber(v)]))}`);
}

/** `mlops train --command CMD`: exit 0 when the run completed, 130 when cancelled, else 1. */
async function trainWithCommand(t: Tracker, o: Record<string, unknown>): Promise<void> {
  const options = { command: o.command as string, cwd: process.cwd(), experiment: o.experiment as string | undefined, runName: o.name as string | undefined, params: paramFlags(o) as CommandTrainOptions['params'] };
  const ac = interruptible();
  const res = await runCommandTrainer(t, options, { signal: ac.signal, onOutput: (line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(line + '\n') });
  if (o.json) out.json(runToJson(res.run));
  else process.stderr.write(`Run ${res.run.name} (${res.run.id}) ${res.run.effectiveStatus} (exit code ${res.exitCode})\n`);
  process.exitCode = res.run.effectiveStatus === 'completed' ? 0 : res.run.effectiveStatus === 'cancelled' ? 130 : 1;
}

/** The sweep's combinations: --grid, else the config's sweep.grid or sweep.space; --random N (or sweep.random) samples. */
function sweepCombinations(o: Record<string, unknown>, sw: SweepConfig | undefined, base: TrainOptions): Combination[] {
  const random = o.random !== undefined ? parseWholeNumber(String(o.random), 1, MAX_SWEEP_RUNS) : sw?.random;
  if (o.random !== undefined && random === undefined) throw new UserInputError(`--random must be a whole number from 1 to ${MAX_SWEEP_RUNS}, got '${String(o.random)}'.`);
  const seed = Number((base.params as Record<string, unknown>).seed ?? 42);
  if (o.grid) {
    const space = parseGridSpec(o.grid as string);
    return random ? sampleSpace(space, random, seed) : expandSpace(space);
  }
  if (sw?.grid) return random ? new Rng(seed).shuffle(sw.grid.slice()).slice(0, random) : sw.grid;
  if (sw?.space) return random ? sampleSpace(sw.space, random, sw.seed ?? seed) : expandSpace(sw.space);
  throw new UserInputError("A grid is needed: --grid 'n_estimators=50,100;max_depth=5,none' (or sweep.grid / sweep.space in mlops.yaml).");
}

/** `mlops sweep`: exit 130 when cancelled, 1 when a combination failed. */
async function sweep(o: Record<string, unknown>, cmd: Command): Promise<void> {
  const t = openTracker(globals(cmd), true);
  const cfg = configFor(t, o.config as string | undefined);
  const base = trainOptionsFrom(o, t, cfg);
  const combinations = sweepCombinations(o, cfg?.sweep, base);
  const parallel = o.parallel !== undefined ? parseWholeNumber(String(o.parallel), 1, MAX_PARALLEL) : cfg?.sweep?.parallel;
  if (o.parallel !== undefined && parallel === undefined) throw new UserInputError(`--parallel must be a whole number from 1 to ${MAX_PARALLEL}, got '${String(o.parallel)}'.`);
  const progress = new Progress(outputMode(cmd, o.json));
  const ac = interruptible(progress);
  // The machine refusing to write the store (read-only, full, not permitted) stops the whole sweep at the first
  // failure, reported as one line like any command's I/O error, instead of failing every combination alike.
  let storeFailure: unknown;
  const onRunFinished = (run: Run | undefined, i: number, err?: Error) => {
    if (err && storeFailure === undefined && isEnvironmentFailure(err)) {
      storeFailure = err;
      ac.abort();
    }
    if (progress.live) progress.log(runFinishedLine(progress, run, i, err));
  };
  const experiment = sweepExperiment(o.experiment as string | undefined, cfg?.sweep, base);
  const onProgress = (done: number, total: number) => progress.update({ label: 'Sweep', done, total, unit: 'runs' });
  let res: SweepResult;
  try {
    res = await runSweep(t, { ...base, experiment, combinations, baseParams: base.params, parallel }, { signal: ac.signal, onProgress, onRunFinished });
  } finally {
    progress.stop();
  }
  if (storeFailure !== undefined) throw storeFailure;
  printSweep(res, Boolean(o.json), cmd);
  if (res.cancelled) process.exitCode = 130;
  else if (res.failed.length) process.exitCode = 1;
}

/** A line above the sweep's bar as each run ends: ✓ its name and test metric, or ✗ why it failed. */
function runFinishedLine(progress: Progress, run: Run | undefined, i: number, err?: Error): string {
  const c = progress.colors;
  if (run) {
    const [key, value] = Object.entries(run.metrics).find(([k]) => k === 'rmse_test' || k === 'accuracy_test') ?? [];
    return `${c.green('✓')} ${run.name}${key ? `  ${key} ${fmtNumber(value)}` : ''}`;
  }
  const cancelled = err instanceof AbortError || err?.name === 'AbortError';
  return cancelled ? `${c.yellow('-')} combination ${i + 1} cancelled` : `${c.red('✗')} combination ${i + 1} failed: ${err?.message ?? ''}`;
}

function printSweep(res: SweepResult, json: boolean, cmd: Command): void {
  if (json) {
    out.json({ sweepId: res.sweepId, best: res.best ? res.best.id : null, bestMetric: res.bestMetric, runs: res.runs.map(runToJson), failed: res.failed, cancelled: res.cancelled });
    return;
  }
  const c = colorsFor(process.stdout, outputMode(cmd));
  const count = (n: number, word: string) => (n ? paintStatus(c, word, `${n} ${word}`) : `${n} ${word}`);
  out.line(`Sweep ${res.sweepId}: ${count(res.runs.length, 'completed')}, ${count(res.failed.length, 'failed')}, ${count(res.cancelled, 'cancelled')}\n`);
  out.line(seedTable(res.runs, res.best));
  if (res.best && res.bestMetric) out.line(`\n${c.green('★')} best by ${res.bestMetric.key}: ${res.best.name} (${res.best.id})`);
  const e = colorsFor(process.stderr, outputMode(cmd));
  for (const f of res.failed) process.stderr.write(`combination ${f.index + 1} ${JSON.stringify(f.combination)} ${e.red('failed')}: ${f.error}\n`);
}

/** `mlops reproduce RUN`: exit 1 when a metric differs though nothing warned that it might. */
async function reproduce(id: string, o: Record<string, unknown>, cmd: Command): Promise<void> {
  const t = openTracker(globals(cmd), true);
  const plan = planReproduction(t, id);
  const progress = new Progress(outputMode(cmd, o.json));
  for (const w of plan.warnings) process.stderr.write(`${progress.colors.yellow('warning:')} ${w}\n`);
  const ac = interruptible(progress);
  let r;
  try {
    r = await trainRun(t, plan.options, { signal: ac.signal, onProgress: trainingBar(progress, plan.options.data) });
  } finally {
    progress.stop();
  }
  const diff = compareMetrics(plan.original, r.run);
  const c = colorsFor(process.stdout, outputMode(cmd, o.json));
  if (o.json) out.json({ original: plan.original.id, run: runToJson(r.run), identical: diff.length === 0, differences: diff, warnings: plan.warnings });
  else {
    out.line(`Reproduced ${plan.original.name} as ${r.run.name} (${r.run.id}).`);
    out.line(diff.length ? `${c.red('Metrics differ')}:\n${table(['metric', 'original', 'reproduced'], diff.map((d) => [d.key, fmtNumber(d.original), fmtNumber(d.reproduced)]))}` : c.green('Every metric is identical.'));
  }
  if (diff.length && !plan.warnings.length) process.exitCode = 1;
}

export function initSample(dir: string): void {
  checkStoreLocation(path.join(dir, '.mlops'), 'Store');
  const res = createSampleWorkspace(dir);
  out.line(`Sample workspace in ${dir}: wrote ${res.written.length} file(s)${res.kept.length ? `, kept ${res.kept.length} existing` : ''}; store ${res.store}`);
}
