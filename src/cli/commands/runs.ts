/** `mlops runs ...` and `mlops experiments ...` */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { checkArtifactPath } from '../../core/store/names';
import { type ActiveRun, checkArtifactSource, type Tracker } from '../../core/tracking/tracker';
import { FilterSyntaxError } from '../../core/tracking/filter';
import type { RunStatus } from '../../core/store/types';
import { UserInputError } from '../../core/util/errors';
import { collect, GlobalOptions, openTracker, out, parseAssignments, parseParamValue, resolveStore, withMlflowSource } from '../context';
import { fmtDuration, fmtNumber, fmtTime, runDetails, runToJson, statusLabel, table } from '../format';
import type { SourceRun } from '../../core/sources/types';
import { bestRun, checkQuery, deletedRuns, groupHistory, listExperimentRows, listRuns, mlflowRunToJson, runDetails as mlflowRunDetails, showRun } from '../mlflowReads';

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

function runsTable(runs: SourceRun[]): string {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort().slice(0, 6);
  return table(
    ['id', 'experiment', 'name', 'status', 'started', 'duration', ...keys],
    runs.map((r) => [r.id.slice(0, 8), r.experimentName, r.name, statusLabel(r), fmtTime(r.startTime), fmtDuration(r.duration), ...keys.map((k) => fmtNumber(r.metrics[k]))]),
  );
}

function withFilterErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new UserInputError(`Invalid filter: ${e.message}\n${e.pointer()}`);
    throw e;
  }
}

export function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('list, inspect, create, delete and restore runs');
  registerRunQueries(runs);
  registerRunTrash(runs);
  registerRunCreate(runs);
  registerExperimentCommands(program);
}

/** `runs list`, `runs show`, `runs best` */
function registerRunQueries(runs: Command): void {
  runs
    .command('list')
    .description('list runs, newest first')
    .option('-e, --experiment <name>', 'only runs of this experiment')
    .option('-f, --filter <expr>', "filter expression, e.g. \"metrics.rmse_test < 3.2 and params.max_depth = 10\"")
    .option('-o, --order-by <key>', 'sort by metrics.KEY, params.KEY, tags.KEY, name, status, start_time, ...')
    .option('--desc', 'sort descending')
    .option('--limit <n>', 'show at most n runs', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (o, cmd) => {
      const store = resolveStore(globals(cmd), false);
      if (store.kind === 'mlflow') {
        checkLimit(o.limit);
        checkQuery(o.filter, o.orderBy, withFilterErrors);
        const list = await withMlflowSource(store, (s) => listRuns(s, o));
        if (o.json) out.json(list.map((r) => mlflowRunToJson(r)));
        else out.line(list.length ? runsTable(list) : 'No runs match.');
        return;
      }
      const t = openTracker(globals(cmd));
      let list = withFilterErrors(() => t.searchRuns({ experiment: o.experiment, filter: o.filter, orderBy: o.orderBy, descending: !!o.desc }));
      if (o.limit !== undefined) {
        checkLimit(o.limit);
        list = list.slice(0, o.limit);
      }
      if (o.json) out.json(list.map(runToJson));
      else out.line(list.length ? runsTable(list) : 'No runs match.');
      for (const p of t.snapshot().problems) process.stderr.write(`warning: ${p.file}: ${p.message}\n`);
    });

  runs
    .command('show <runId>')
    .description('show one run (id or unique prefix)')
    .option('--json', 'print JSON')
    .option('--history', 'also every logged metric value as one flat list (JSON only; metricHistory has them by key)')
    .action(async (id: string, o, cmd) => {
      const store = resolveStore(globals(cmd), false);
      if (store.kind === 'mlflow') return withMlflowSource(store, (s) => showRun(s, id, o));
      const t = openTracker(globals(cmd));
      const r = t.getRun(id);
      if (o.json) {
        const history = t.metricHistory(r.id);
        out.json({ ...runToJson(r), metricHistory: groupHistory(history), ...(o.history ? { history } : {}) });
      } else out.line(runDetails(r));
    });

  runs
    .command('best')
    .description('the best run by a metric (lowest by default)')
    .requiredOption('-m, --metric <key>', 'metric key')
    .option('--max', 'higher is better')
    .option('--min', 'lower is better')
    .option('-e, --experiment <name>', 'only runs of this experiment')
    .option('-f, --filter <expr>', 'filter expression')
    .option('--json', 'print JSON')
    .action(async (o, cmd) => {
      if (o.max && o.min) throw new UserInputError('Use either --max or --min, not both.');
      const dir = o.max ? 'max' : 'min'; // MLflow-style default: lowest wins unless --max
      const store = resolveStore(globals(cmd), false);
      if (store.kind === 'mlflow') {
        checkQuery(o.filter, undefined, withFilterErrors);
        return withMlflowSource(store, async (s) => {
          const best = await bestRun(s, o.metric, dir, { experiment: o.experiment, filter: o.filter });
          if (!best) throw new UserInputError(`No run has a value for metric '${o.metric}'.`);
          if (o.json) out.json(mlflowRunToJson(best));
          else out.line(`Best run by ${o.metric} (${dir === 'min' ? 'lowest' : 'highest'}): ${best.name} (${best.id}) ${o.metric}=${fmtNumber(best.metrics[o.metric])}\n\n${mlflowRunDetails(best, null, s)}`);
        });
      }
      const t = openTracker(globals(cmd));
      const best = withFilterErrors(() => t.bestRun(o.metric, dir, { experiment: o.experiment, filter: o.filter }));
      if (!best) throw new UserInputError(`No run has a value for metric '${o.metric}'.`);
      if (o.json) out.json(runToJson(best));
      else out.line(`Best run by ${o.metric} (${dir === 'min' ? 'lowest' : 'highest'}): ${best.name} (${best.id}) ${o.metric}=${fmtNumber(best.metrics[o.metric])}\n\n${runDetails(best)}`);
    });
}

/** `runs delete`, `runs restore`, `runs purge`, `runs trash` */
function registerRunTrash(runs: Command): void {
  runs
    .command('delete <runId>')
    .description('move a run to the store trash (restore it with `runs restore`)')
    .option('--force', 'delete even if it is still running')
    .action((id: string, o, cmd) => {
      const t = openTracker(globals(cmd));
      const full = t.deleteRun(id, { force: !!o.force });
      out.line(`Moved run ${full} to the trash.`);
    });

  runs
    .command('restore <runId>')
    .description('restore a deleted run from the trash')
    .action((id: string, _o, cmd) => {
      const t = openTracker(globals(cmd));
      out.line(`Restored run ${t.restoreRun(id)}.`);
    });

  runs
    .command('purge <runId>')
    .description('permanently remove a deleted run from the trash')
    .action((id: string, _o, cmd) => {
      const t = openTracker(globals(cmd));
      out.line(`Purged run ${t.purgeRun(id)}.`);
    });

  runs
    .command('trash')
    .description('list deleted runs')
    .option('--json', 'print JSON')
    .action(async (o, cmd) => {
      const store = resolveStore(globals(cmd), false);
      const items = store.kind === 'mlflow' ? await withMlflowSource(store, deletedRuns) : openTracker(globals(cmd)).listTrash();
      if (o.json) out.json(items);
      else out.line(items.length ? table(['id', 'name', 'started'], items.map((i) => [i.id, i.name, fmtTime(i.startTime)])) : 'The trash is empty.');
    });
}

/** `runs create`: record a run from a script or CI job. */
function registerRunCreate(runs: Command): void {
  runs
    .command('create')
    .description('record a run from a script or CI job (params, metrics, tags, artifacts)')
    .option('-e, --experiment <name>', 'experiment (created if missing)', 'Default')
    .option('-n, --name <name>', 'run name')
    .option('-p, --param <key=value>', 'a param (repeatable)', collect)
    .option('-m, --metric <key=value[@step]>', 'a metric value (repeatable)', collect)
    .option('-t, --tag <key=value>', 'a tag (repeatable)', collect)
    .option('-a, --artifact <file>', 'copy a file into the run (repeatable)', collect)
    .option('--notes <text>', 'notes')
    .addOption(new Option('-s, --status <status>', 'final status').choices(['completed', 'failed', 'cancelled', 'running']).default('completed'))
    .option('--json', 'print the run as JSON')
    .action((o, cmd) => {
      const t = openTracker(globals(cmd), true);
      const params = Object.fromEntries(parseAssignments(o.param, 'Param').map(([k, v]) => [k, parseParamValue(v)]));
      const tags = Object.fromEntries(parseAssignments(o.tag, 'Tag'));
      const metrics = parseMetricAssignments(o.metric);
      // Every artifact is checked before the run exists: a missing or odd file is bad input and leaves nothing.
      const artifacts = ((o.artifact as string[] | undefined) ?? []).map((a) => {
        checkArtifactSource(a);
        checkArtifactPath(path.basename(a));
        return a;
      });
      const run = t.startRun({ experiment: o.experiment, name: o.name, params, tags, notes: o.notes, environment: { source: 'cli' } });
      recordWholeOrRemove(t, run, () => {
        for (const m of metrics) run.logMetric(m.k, m.n, m.s);
        for (const a of artifacts) run.logArtifactFile(a);
      });
      if (o.status !== 'running') run.end(o.status as Exclude<RunStatus, 'running'>);
      t.store.flush();
      if (o.json) out.json(runToJson(t.getRun(run.id)));
      else out.line(run.id);
    });
}

/** `--metric key=value[@step]` assignments: a number (or NaN) and an integer step (default 0). */
function parseMetricAssignments(assignments: string[] | undefined): { k: string; n: number; s: number }[] {
  return parseAssignments(assignments, 'Metric').map(([k, v]) => {
    const [val, step] = v.split('@');
    const n = Number(val);
    if (val.trim() === '' || Number.isNaN(n) && val.trim() !== 'NaN') throw new UserInputError(`Metric '${k}' value '${val}' is not a number.`);
    const s = step === undefined ? 0 : Number(step);
    if (!Number.isInteger(s)) throw new UserInputError(`Metric '${k}' step '${step}' is not an integer.`);
    return { k, n, s };
  });
}

/** Record into a new run; nothing half-made: a run this command could not record whole (a full disk, a file that vanished) is removed. */
function recordWholeOrRemove(t: Tracker, run: ActiveRun, record: () => void): void {
  try {
    record();
  } catch (e) {
    try {
      fs.rmSync(run.folder, { recursive: true, force: true });
      t.store.touch();
      t.store.flush();
    } catch {
      /* the original error matters more */
    }
    throw e;
  }
}

/** The rows of `experiments list`: the workspace store's from its snapshot, an MLflow source's paged. */
async function experimentRows(g: GlobalOptions) {
  const store = resolveStore(g, false);
  if (store.kind === 'mlflow') return withMlflowSource(store, listExperimentRows);
  const snap = openTracker(g).snapshot();
  return snap.experiments.map((e) => {
    const rs = snap.runs.filter((r) => r.experimentId === e.id);
    return { id: e.id, name: e.name, createdAt: new Date(e.createdAt).toISOString(), runs: rs.length, lastRun: rs.length ? new Date(Math.max(...rs.map((r) => r.startTime))).toISOString() : null, primaryMetric: e.primaryMetric ?? null };
  });
}

function checkLimit(limit: unknown): void {
  if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 0)) throw new UserInputError('--limit must be a non-negative integer.');
}

/** `experiments list`, `experiments create` */
function registerExperimentCommands(program: Command): void {
  const exps = program.command('experiments').description('list and create experiments');
  exps
    .command('list')
    .option('--json', 'print JSON')
    .action(async (o, cmd) => {
      const rows = await experimentRows(globals(cmd));
      if (o.json) out.json(rows);
      else out.line(rows.length ? table(['id', 'name', 'runs', 'last run'], rows.map((r) => [r.id, r.name, String(r.runs), r.lastRun ? fmtTime(Date.parse(r.lastRun)) : ''])) : 'No experiments.');
    });
  exps
    .command('create <name>')
    .option('--primary-metric <key>', 'the metric that ranks runs in this experiment')
    .option('--max', 'higher is better for the primary metric')
    .option('--json', 'print JSON')
    .action((name: string, o, cmd) => {
      const t = openTracker(globals(cmd), true);
      const e = t.createExperiment(name, o.primaryMetric ? { primaryMetric: { key: o.primaryMetric, direction: o.max ? 'max' : 'min' } } : {});
      if (o.json) out.json(e);
      else out.line(`Experiment '${e.name}' (${e.id})`);
    });
}
