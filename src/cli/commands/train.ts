/** `mlops init --sample`, `mlops train`, `mlops sweep`, `mlops reproduce`. */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { findConfig, loadConfig, resolveConfigPath, WorkbenchConfig } from '../../core/config/config';
import { createSampleWorkspace } from '../../core/sample/sampleWorkspace';
import type { Tracker } from '../../core/tracking/tracker';
import type { Run } from '../../core/store/types';
import type { Task } from '../../core/training/engine';
import { runCommandTrainer } from '../../core/training/commandTrainer';
import { parseEngine } from '../../core/training/params';
import { compareMetrics, planReproduction } from '../../core/training/reproduce';
import { Combination, expandSpace, MAX_PARALLEL, MAX_SWEEP_RUNS, parseGridSpec, runSweep, sampleSpace } from '../../core/training/sweep';
import { trainRun, TrainOptions } from '../../core/training/train';
import type { MissingPolicy } from '../../core/data/dataset';
import { AbortError, UserInputError } from '../../core/util/errors';
import { parseDecimal, parseWholeNumber } from '../../core/util/numbers';
import { isEnvironmentFailure } from '../../core/util/systemError';
import { Rng } from '../../core/util/random';
import { checkStoreLocation, collect, GlobalOptions, openTracker, out, parseAssignments, parseParamValue } from '../context';
import { fmtNumber, runToJson, table } from '../format';

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Ctrl-C cancels the work (the run ends `cancelled`); a second Ctrl-C exits at once. */
function interruptible(): AbortController {
  const ac = new AbortController();
  let count = 0;
  process.on('SIGINT', () => {
    count++;
    if (count > 1) process.exit(130);
    process.stderr.write('\nCancelling… (Ctrl-C again to exit at once)\n');
    ac.abort();
  });
  return ac;
}

function progressPrinter(): (msg: string) => void {
  if (!process.stderr.isTTY) return () => undefined;
  return (msg) => process.stderr.write(`\r\x1b[K${msg}`);
}

function configFor(tracker: Tracker, explicit?: string): WorkbenchConfig | undefined {
  if (explicit) return loadConfig(path.resolve(explicit));
  const f = findConfig(process.cwd()) ?? findConfig(path.dirname(tracker.store.root));
  return f ? loadConfig(f) : undefined;
}

/** Build training options from flags, filling gaps from the config's `training` section. */
function trainOptionsFrom(o: Record<string, unknown>, tracker: Tracker, cfg: WorkbenchConfig | undefined): TrainOptions {
  const t = cfg?.training ?? {};
  const dataArg = (o.data as string | undefined) ?? (t.data ? resolveConfigPath(cfg!, t.data) : undefined);
  if (!dataArg) throw new UserInputError('A data set is needed: --data CSV (or training.data in mlops.yaml).');
  const target = (o.target as string | undefined) ?? t.target;
  if (!target) throw new UserInputError('A target column is needed: --target COL (or training.target in mlops.yaml).');
  const data = path.resolve(dataArg);
  const ws = path.dirname(tracker.store.root);
  const rel = path.relative(ws, data);
  const params: Record<string, unknown> = { ...(t.params ?? {}) };
  for (const [k, v] of parseAssignments(o.param as string[] | undefined, 'Param')) params[k] = parseParamValue(v);
  if (o.seed !== undefined) params.seed = o.seed;
  const testSize = o.testSize !== undefined ? parseDecimal(String(o.testSize)) : t.test_size;
  if (o.testSize !== undefined && !(testSize !== undefined && testSize > 0 && testSize < 1)) throw new UserInputError(`--test-size must be a decimal number between 0 and 1 (exclusive), got '${String(o.testSize)}'.`);
  return {
    data,
    dataLabel: rel.startsWith('..') || path.isAbsolute(rel) ? data : rel.split(path.sep).join('/'),
    target,
    task: ((o.task as string | undefined) ?? t.task) as Task | undefined,
    engine: parseEngine((o.engine as string | undefined) ?? t.engine ?? undefined),
    params,
    testSize,
    split: ((o.split as string | undefined) ?? t.split) as TrainOptions['split'],
    missing: ((o.missing as string | undefined) ?? t.missing) as MissingPolicy | undefined,
    categorical: (o.categorical as string[] | undefined) ?? t.categorical,
    experiment: (o.experiment as string | undefined) ?? t.experiment,
    runName: o.name as string | undefined,
    source: 'cli',
  };
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
    .option('-p, --param <key=value>', 'hyperparameter: n_estimators, max_depth (none), max_features, min_samples_split, min_samples_leaf, bootstrap, seed (repeatable)', collect)
    .option('-n, --name <name>', 'run name')
    .option('--command <cmd>', "run your own training command instead (it reports with 'mlops:metric key=value' lines)")
    .action(async (o, cmd) => {
      const t = openTracker(globals(cmd), true);
      if (o.command) {
        const params = Object.fromEntries(parseAssignments(o.param, 'Param').map(([k, v]) => [k, parseParamValue(v)]));
        const ac = interruptible();
        const res = await runCommandTrainer(t, { command: o.command, cwd: process.cwd(), experiment: o.experiment, runName: o.name, params }, { signal: ac.signal, onOutput: (line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(line + '\n') });
        if (o.json) out.json(runToJson(res.run));
        else process.stderr.write(`Run ${res.run.name} (${res.run.id}) ${res.run.effectiveStatus} (exit code ${res.exitCode})\n`);
        process.exitCode = res.run.effectiveStatus === 'completed' ? 0 : res.run.effectiveStatus === 'cancelled' ? 130 : 1;
        return;
      }
      const opts = trainOptionsFrom(o, t, configFor(t, o.config));
      const ac = interruptible();
      const show = progressPrinter();
      try {
        const r = await trainRun(t, opts, { signal: ac.signal, onProgress: (m) => show(m) });
        show('');
        if (o.json) out.json(runToJson(r.run));
        else out.line(`Run ${r.run.name} (${r.run.id}) completed in ${fmtNumber(r.metrics.fit_seconds)} s\n${table(['metric', 'value'], Object.entries(r.metrics).map(([k, v]) => [k, fmtNumber(v)]))}`);
      } catch (e) {
        show('');
        if (e instanceof AbortError) throw Object.assign(new UserInputError(e.message), { exitCode: 130 });
        throw e;
      }
    });

  trainingFlags(program.command('sweep').description('train one run per hyperparameter combination (grid or random search)'))
    .option('-g, --grid <spec>', "space, e.g. 'n_estimators=50,100,200;max_depth=5,10,none' (default: the config's sweep)")
    .option('--random <n>', 'sample n random combinations of the space instead of all')
    .option('--parallel <n>', 'runs at a time (default: the number of cores)')
    .option('-p, --param <key=value>', 'a hyperparameter shared by every run (repeatable)', collect)
    .action(async (o, cmd) => {
      const t = openTracker(globals(cmd), true);
      const cfg = configFor(t, o.config);
      const base = trainOptionsFrom(o, t, cfg);
      const sw = cfg?.sweep;
      let combos: Combination[];
      const random = o.random !== undefined ? parseWholeNumber(String(o.random), 1, MAX_SWEEP_RUNS) : sw?.random;
      if (o.random !== undefined && random === undefined) throw new UserInputError(`--random must be a whole number from 1 to ${MAX_SWEEP_RUNS}, got '${String(o.random)}'.`);
      const seed = Number((base.params as Record<string, unknown>).seed ?? 42);
      if (o.grid) {
        const space = parseGridSpec(o.grid);
        combos = random ? sampleSpace(space, random, seed) : expandSpace(space);
      } else if (sw?.grid) combos = random ? new Rng(seed).shuffle(sw.grid.slice()).slice(0, random) : sw.grid;
      else if (sw?.space) combos = random ? sampleSpace(sw.space, random, sw.seed ?? seed) : expandSpace(sw.space);
      else throw new UserInputError("A grid is needed: --grid 'n_estimators=50,100;max_depth=5,none' (or sweep.grid / sweep.space in mlops.yaml).");
      const parallel = o.parallel !== undefined ? parseWholeNumber(String(o.parallel), 1, MAX_PARALLEL) : sw?.parallel;
      if (o.parallel !== undefined && parallel === undefined) throw new UserInputError(`--parallel must be a whole number from 1 to ${MAX_PARALLEL}, got '${String(o.parallel)}'.`);
      const ac = interruptible();
      const show = progressPrinter();
      // The machine refusing to write the store (read-only, full, not permitted) stops the whole sweep at the first
      // failure, reported as one line like any command's I/O error, instead of failing every combination alike.
      let storeFailure: unknown;
      const onRunFinished = (_r: unknown, _i: number, err?: Error) => {
        if (err && storeFailure === undefined && isEnvironmentFailure(err)) {
          storeFailure = err;
          ac.abort();
        }
      };
      const res = await runSweep(t, { ...base, experiment: (o.experiment as string | undefined) ?? sw?.experiment ?? base.experiment, combinations: combos, baseParams: base.params, parallel }, { signal: ac.signal, onProgress: (_d, _n, m) => show(m), onRunFinished });
      show('');
      if (storeFailure !== undefined) throw storeFailure;
      if (o.json) {
        out.json({ sweepId: res.sweepId, best: res.best ? res.best.id : null, bestMetric: res.bestMetric, runs: res.runs.map(runToJson), failed: res.failed, cancelled: res.cancelled });
      } else {
        out.line(`Sweep ${res.sweepId}: ${res.runs.length} completed, ${res.failed.length} failed, ${res.cancelled} cancelled\n`);
        out.line(seedTable(res.runs, res.best));
        if (res.best && res.bestMetric) out.line(`\n★ best by ${res.bestMetric.key}: ${res.best.name} (${res.best.id})`);
        for (const f of res.failed) process.stderr.write(`combination ${f.index + 1} ${JSON.stringify(f.combination)} failed: ${f.error}\n`);
      }
      if (res.cancelled) process.exitCode = 130;
      else if (res.failed.length) process.exitCode = 1;
    });

  program
    .command('reproduce <runId>')
    .description('retrain a run from its logged params, data set and seed; the metrics must match')
    .option('--json', 'print JSON')
    .action(async (id: string, o, cmd) => {
      const t = openTracker(globals(cmd), true);
      const plan = planReproduction(t, id);
      for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
      const ac = interruptible();
      const r = await trainRun(t, plan.options, { signal: ac.signal });
      const diff = compareMetrics(plan.original, r.run);
      if (o.json) out.json({ original: plan.original.id, run: runToJson(r.run), identical: diff.length === 0, differences: diff, warnings: plan.warnings });
      else {
        out.line(`Reproduced ${plan.original.name} as ${r.run.name} (${r.run.id}).`);
        out.line(diff.length ? `Metrics differ:\n${table(['metric', 'original', 'reproduced'], diff.map((d) => [d.key, fmtNumber(d.original), fmtNumber(d.reproduced)]))}` : 'Every metric is identical.');
      }
      if (diff.length && !plan.warnings.length) process.exitCode = 1;
    });
}

export function initSample(dir: string): void {
  checkStoreLocation(path.join(dir, '.mlops'), 'Store');
  const res = createSampleWorkspace(dir);
  out.line(`Sample workspace in ${dir}: wrote ${res.written.length} file(s)${res.kept.length ? `, kept ${res.kept.length} existing` : ''}; store ${res.store}`);
}
