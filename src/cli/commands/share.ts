/**
 * `mlops push --to URI` and `mlops pull --from URI`: workspace runs (and registered versions) to and from MLflow — a
 * tracking server, an mlruns folder or an mlflow.db (core/sharing/). Progress is a bar on an interactive terminal
 * (terminal.ts); `--json` prints what was done. Exit codes as everywhere: 2 for what the user named wrong (a bad URI, a
 * run that is not here, a param that differs from the pushed one), 1 when the target failed (unreachable, refused
 * credentials, a server error).
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { findConfig, loadConfig } from '../../core/config/config';
import { registryOptions } from '../../core/registry/config';
import { Registry } from '../../core/registry/registry';
import { locateSource } from '../../core/sources/locate';
import { openSource } from '../../core/sources/open';
import { openWriter } from '../../core/sources/openWriter';
import { credentialsFromEnv } from '../../core/sources/types';
import { pull } from '../../core/sharing/pull';
import { push } from '../../core/sharing/push';
import type { SharingProgress } from '../../core/sharing/types';
import type { Tracker } from '../../core/tracking/tracker';
import { compileFilter, FilterSyntaxError } from '../../core/tracking/filter';
import { UserInputError } from '../../core/util/errors';
import { collect, GlobalOptions, openTracker, out, requestTimeoutMs } from '../context';
import { table } from '../format';
import { outputMode, Progress } from '../terminal';
import { warn, warnProblem } from '../warnings';

function registryOf(tracker: Tracker): Registry {
  const cfgFile = findConfig(process.cwd()) ?? findConfig(path.dirname(tracker.store.root));
  return new Registry(tracker.store, { ...registryOptions(cfgFile ? loadConfig(cfgFile) : undefined), onProblem: warnProblem });
}

/**
 * The core's progress on stderr: a bar of runs (then versions) on an interactive terminal (terminal.ts: not with
 * --json, --quiet, NO_COLOR or a pipe), warnings always (a script reading stderr gets them and the one error line).
 */
function progressPrinter(progress: Progress, verb: string): (p: SharingProgress) => void {
  return (p) => {
    if (p.message.startsWith('warning: ')) {
      if (progress.live) progress.log(`mlops: warning: ${p.message.slice('warning: '.length)}`);
      else warn(p.message.slice('warning: '.length));
    } else if (p.total && (p.phase === 'runs' || p.phase === 'models' || p.phase === 'plan')) {
      progress.update({ label: `${verb} ${p.phase === 'models' ? 'versions' : 'runs'}`, done: p.done, total: p.total, unit: p.phase === 'models' ? 'versions' : 'runs' });
    }
  };
}

function checkFilter(filter: string): void {
  try {
    compileFilter(filter);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new UserInputError(`Invalid filter: ${e.message}\n${e.pointer()}`);
    throw e;
  }
}

function connection() {
  const timeoutMs = requestTimeoutMs();
  return { credentials: credentialsFromEnv(process.env), ...(timeoutMs ? { timeoutMs } : {}) };
}

export function registerSharingCommands(program: Command): void {
  program
    .command('push')
    .description('push workspace runs (params, metric histories, tags, environment, artifacts) to MLflow: a tracking server, an mlruns folder or an mlflow.db; idempotent and resumable')
    .requiredOption('--to <uri>', 'http(s)://host[:port][/prefix], file:///…/mlruns (created when missing) or sqlite:///…/mlflow.db (needs the sqlite3 program)')
    .option('-e, --experiment <name>', 'only the runs of this workspace experiment')
    .option('--target-experiment <name>', 'the MLflow experiment to push into (default: each run’s own experiment name; created when missing)')
    .option('--run <id>', 'only this run (id or unique prefix; repeatable)', collect)
    .option('--models', 'also the registered versions of the pushed runs (stage, aliases, history as the tag mlops.history)')
    .option('--no-artifacts', 'do not send artifacts')
    .option('--json', 'print what was pushed as JSON')
    .action(async (o, cmd: Command) => {
      const tracker = openTracker(cmd.optsWithGlobals() as GlobalOptions, false);
      const writer = openWriter(o.to, connection());
      const progress = new Progress(outputMode(cmd, o.json));
      try {
        const result = await push(tracker, writer, {
          experiment: o.experiment, targetExperiment: o.targetExperiment, runIds: o.run, models: !!o.models, registry: o.models ? registryOf(tracker) : undefined,
          artifacts: o.artifacts !== false, onProgress: progressPrinter(progress, 'Pushing'),
        });
        progress.stop();
        if (o.json) return out.json(result);
        const rows = result.runs.map((r) => [r.localId.slice(0, 8), r.name, r.experiment, r.action, r.mlflowRunId, String(r.sent.metrics), String(r.sent.artifacts)]);
        out.line(rows.length ? table(['run', 'name', 'experiment', 'action', 'MLflow run', 'points sent', 'artifacts sent'], rows) : 'No runs to push.');
        for (const v of result.versions) out.line(`${v.model} v${v.version} → MLflow version ${v.mlflowVersion} (${v.action})`);
        for (const s of result.skipped) out.line(`skipped ${s.name} (${s.localId.slice(0, 8)}): ${s.reason}`);
      } finally {
        progress.stop();
        await writer.close();
      }
    });

  program
    .command('pull')
    .description('pull MLflow runs (and registered versions) from a tracking server, an mlruns folder or an mlflow.db into the workspace store; idempotent: a second pull adds only what is new')
    .requiredOption('--from <uri>', 'http(s)://host[:port][/prefix], an mlruns folder or file:///…/mlruns, an mlflow.db or sqlite:///…/mlflow.db')
    .option('-e, --experiment <name>', 'only the runs of this MLflow experiment')
    .option('-f, --filter <expr>', "only the runs this filter selects, e.g. \"metrics.rmse_val < 3 and params.max_depth = '5'\"")
    .option('--models', 'also the registered versions of the pulled runs, with their stages and aliases')
    .option('--no-artifacts', 'do not copy artifacts')
    .option('--json', 'print what was pulled as JSON')
    .action(async (o, cmd: Command) => {
      const location = locateSource(o.from);
      if (o.filter) checkFilter(o.filter);
      const source = openSource(location, connection());
      const progress = new Progress(outputMode(cmd, o.json));
      try {
        await source.listExperiments(); // reachable, and the credentials work, before a store is created here
        const tracker = openTracker(cmd.optsWithGlobals() as GlobalOptions, true);
        const result = await pull(tracker, source, {
          experiment: o.experiment, filter: o.filter, models: !!o.models, registry: o.models ? registryOf(tracker) : undefined, artifacts: o.artifacts !== false, onProgress: progressPrinter(progress, 'Pulling'),
        });
        progress.stop();
        if (o.json) return out.json(result);
        const rows = result.runs.map((r) => [r.mlflowRunId, r.name, r.experiment, r.action, r.localId.slice(0, 8), String(r.added.metrics), String(r.added.artifacts)]);
        out.line(rows.length ? table(['MLflow run', 'name', 'experiment', 'action', 'run', 'points added', 'artifacts added'], rows) : 'No runs to pull.');
        for (const v of result.versions) out.line(`MLflow ${v.model} v${v.mlflowVersion} → ${v.model} v${v.version} (${v.action})`);
      } finally {
        progress.stop();
        await source.close();
      }
    });
}
