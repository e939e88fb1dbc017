/** `mlops models ...` and `mlops predict`. Exit 0 success, 2 bad input, 4 refused by the promotion rule. */
import * as path from 'node:path';
import { Command } from 'commander';
import { findConfig, loadConfig } from '../../core/config/config';
import { registryOptions } from '../../core/registry/config';
import { parseHistoryTime } from '../../core/registry/history';
import { predictCsv } from '../../core/registry/predict';
import { ModelVersion, parseStage, Registry, Stage } from '../../core/registry/registry';
import type { Tracker } from '../../core/tracking/tracker';
import { preferredMetric } from '../../core/tracking/metricDirection';
import { UserInputError } from '../../core/util/errors';
import { collect, GlobalOptions, openTracker, out, parseAssignments, resolveStore, withMlflowSource } from '../context';
import { type ListedModel, modelListJson, refuseMlflowModel, resolveRun, showModel } from '../mlflowReads';
import { archivedNote, printAt, printHistory, reportChange, withMlflowRegistry } from '../mlflowRegistry';
import { warn, warnProblem } from '../warnings';
import { fmtNumber, fmtTime, table } from '../format';

/** The MLflow source the command names, or undefined for the workspace store. */
function mlflowStore(cmd: Command) {
  const store = resolveStore(cmd.optsWithGlobals() as GlobalOptions, false);
  return store.kind === 'mlflow' ? store : undefined;
}

function registryFor(cmd: Command): { tracker: Tracker; registry: Registry } {
  // Never creates a store: every registry command needs runs or models that exist (a store made on the way would be
  // a half-made leftover of a command that then fails).
  const tracker = openTracker(cmd.optsWithGlobals() as GlobalOptions, false);
  const cfgFile = findConfig(process.cwd()) ?? findConfig(path.dirname(tracker.store.root));
  const cfg = cfgFile ? loadConfig(cfgFile) : undefined;
  return { tracker, registry: new Registry(tracker.store, { ...registryOptions(cfg), onProblem: warnProblem }) };
}

function versionJson(v: ModelVersion) {
  return { model: v.model, version: v.version, stage: v.stage, aliases: v.aliases, uri: `models:/${v.model}/${v.version}`, runId: v.run.id, runName: v.run.name, experiment: v.run.experiment, params: v.run.params, metrics: v.run.metrics, datasetSha256: v.run.datasetSha256 ?? null, modelSha256: v.modelSha256, description: v.description, tags: v.tags, createdAt: new Date(v.createdAt).toISOString(), createdBy: v.createdBy, stageSince: new Date(v.stageSince).toISOString() };
}

function parseVersion(s: string): number {
  const n = Number(String(s).replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1) throw new UserInputError(`Version must be a whole number ≥ 1, got '${s}'.`);
  return n;
}

function parseTime(s: string): number {
  if (s.trim().toLowerCase() === 'now') return Date.now();
  const t = parseHistoryTime(s); // a bare date means the end of that day
  if (Number.isNaN(t)) throw new UserInputError(`--time '${s}' is not an ISO 8601 time (e.g. 2025-12-01T10:00:00Z).`);
  return t;
}

/** The version numbers of a model in one stage. */
const inStage = (m: ListedModel, stage: Stage): number[] => m.versions.filter((v) => v.stage === stage).map((v) => v.version);
const vList = (versions: number[]): string => versions.map((v) => `v${v}`).join(', ');

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the model registry: versions, stages, aliases, rollback, history');
  addRegister(models);
  addList(models);
  addShow(models);
  addTransition(models);
  addAlias(models);
  addRollback(models);
  addDescribe(models);
  addTag(models);
  addHistory(models);
  addAt(models);
  addPredict(program);
}

function addRegister(models: Command): void {
  models
    .command('register')
    .requiredOption('--run <runId>', 'the run whose model to register')
    .requiredOption('--name <name>', 'model name')
    .option('--description <text>', 'description')
    .option('--path <artifactPath>', "MLflow tracking server: the run's artifact folder holding the model (default: model)")
    .option('--reason <text>', 'MLflow tracking server: why (in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (o, cmd) => {
      const mlflow = mlflowStore(cmd);
      if (mlflow) {
        return withMlflowRegistry(mlflow, async (reg) => {
          const run = await resolveRun(reg.source, o.run);
          const c = await reg.register(run.id, o.name, { artifactPath: o.path, description: o.description, reason: o.reason });
          const v = c.after.versions.find((x) => x.version === c.version);
          reportChange(c, `Registered ${c.model} v${c.version} from run ${run.name || run.id} on ${reg.source.uri} (source ${v?.source ?? '?'}, ${v?.status ?? 'READY'}).`, !!o.json);
        });
      }
      if (o.path) throw new UserInputError('--path is for an MLflow tracking server; the workspace store registers the run\'s model/ folder.');
      const { tracker, registry } = registryFor(cmd);
      const v = registry.register(tracker, tracker.store.resolveRunId(o.run), o.name, { description: o.description });
      if (o.json) out.json(versionJson(v));
      else out.line(`Registered ${v.model} v${v.version} from run ${v.run.name} (models:/${v.model}/${v.version}).`);
    });
}

function addList(models: Command): void {
  models
    .command('list')
    .option('--json', 'print JSON')
    .action(async (o, cmd) => {
      const store = resolveStore(cmd.optsWithGlobals() as GlobalOptions, false);
      const list =
        store.kind === 'mlflow'
          ? await withMlflowSource(store, async (s) => {
              const models = await s.listModels();
              for (const m of models) for (const p of m.problems ?? []) warn(`${p.file}: ${p.message}`);
              return models;
            })
          : registryFor(cmd).registry.listModels();
      if (o.json) out.json(list.map(modelListJson));
      else out.line(list.length ? table(['model', 'versions', 'Production', 'Staging', 'aliases'], list.map((m) => [m.name, String(m.versions.length), vList(inStage(m, 'Production')), vList(inStage(m, 'Staging')), Object.entries(m.aliases).map(([a, v]) => `@${a}=v${v}`).join(' ')])) : 'No registered models.');
    });
}

function addShow(models: Command): void {
  models
    .command('show <name>')
    .option('--json', 'print JSON')
    .action(async (name: string, o, cmd) => {
      const store = resolveStore(cmd.optsWithGlobals() as GlobalOptions, false);
      if (store.kind === 'mlflow') return withMlflowSource(store, (s) => showModel(s, name, !!o.json));
      const { registry } = registryFor(cmd);
      const m = registry.getModel(name);
      if (o.json) out.json({ name: m.name, description: m.description, aliases: m.aliases, versions: m.versions.map(versionJson) });
      else {
        const keyMetric = preferredMetric(m.versions.flatMap((v) => Object.keys(v.run.metrics)));
        out.line(`${m.name}${m.description ? ` — ${m.description}` : ''}`);
        out.line(table(['version', 'stage', 'aliases', 'run', ...(keyMetric ? [keyMetric] : []), 'registered'], m.versions.map((v) => [`v${v.version}`, v.stage, v.aliases.map((a) => `@${a}`).join(' '), v.run.name, ...(keyMetric ? [fmtNumber(v.run.metrics[keyMetric])] : []), fmtTime(v.createdAt)])));
      }
    });
}

function addTransition(models: Command): void {
  models
    .command('transition <name> <version> <stage>')
    .description('move a version to None, Staging, Production or Archived')
    .option('--reason <text>', 'why (recorded in the history)')
    .option('--keep-existing', 'do not archive the version currently in Production')
    .option('--json', 'print JSON')
    .action(async (name: string, version: string, stage: string, o, cmd) => {
      const mlflow = mlflowStore(cmd);
      if (mlflow) {
        return withMlflowRegistry(mlflow, async (reg) => {
          const c = await reg.transition(name, parseVersion(version), parseStage(stage), { reason: o.reason, archiveExisting: o.keepExisting ? false : undefined });
          reportChange(c, `${c.model} v${c.version} is now in ${parseStage(stage)} on ${reg.source.uri}${archivedNote(c)}.`, !!o.json);
        });
      }
      const { registry } = registryFor(cmd);
      const v = registry.transition(name, parseVersion(version), parseStage(stage), { reason: o.reason, archiveExisting: o.keepExisting ? false : undefined });
      if (o.json) out.json(versionJson(v));
      else out.line(`${v.model} v${v.version} is now in ${v.stage}.`);
    });
}

function addAlias(models: Command): void {
  models
    .command('alias <name> <alias> [version]')
    .description('point an alias (e.g. champion) at a version, or remove it with --delete')
    .option('--delete', 'remove the alias')
    .option('--reason <text>', 'why')
    .option('--json', 'MLflow tracking server: print JSON')
    .action(async (name: string, alias: string, version: string | undefined, o, cmd) => {
      if (o.delete && version) throw new UserInputError('Give either a version or --delete, not both.');
      if (!o.delete && !version) throw new UserInputError('A version is needed (or --delete).');
      const mlflow = mlflowStore(cmd);
      if (mlflow) {
        return withMlflowRegistry(mlflow, async (reg) => {
          const c = await reg.setAlias(name, alias, o.delete ? null : parseVersion(version!), { reason: o.reason });
          reportChange(c, o.delete ? `Removed alias @${alias} of ${name} on ${reg.source.uri}.` : `${name}@${alias} → v${c.version} on ${reg.source.uri}.`, !!o.json);
        });
      }
      const { registry } = registryFor(cmd);
      if (o.delete) {
        registry.setAlias(name, alias, null, { reason: o.reason });
        out.line(`Removed alias @${alias} of ${name}.`);
      } else {
        registry.setAlias(name, alias, parseVersion(version!), { reason: o.reason });
        out.line(`${name}@${alias} → v${parseVersion(version!)}.`);
      }
    });
}

function addRollback(models: Command): void {
  models
    .command('rollback <name>')
    .description('put back the version that was in Production before the current one')
    .option('--reason <text>', 'why (recorded in the history)')
    .option('--alias <alias>', 'MLflow tracking server: roll back this alias (e.g. champion) instead of Production')
    .option('--json', 'print JSON')
    .action(async (name: string, o, cmd) => {
      const mlflow = mlflowStore(cmd);
      if (mlflow) {
        return withMlflowRegistry(mlflow, async (reg) => {
          const c = await reg.rollback(name, { reason: o.reason, alias: o.alias });
          reportChange(c, `Rolled back ${name} on ${reg.source.uri}: ${o.alias || c.aliases.length ? `@${c.aliases[0]?.alias ?? o.alias} → v${c.version}` : `v${c.version} is in Production${archivedNote(c)}`}.`, !!o.json);
        });
      }
      if (o.alias) throw new UserInputError('--alias is for an MLflow tracking server; the workspace store rolls back Production.');
      const { registry } = registryFor(cmd);
      const r = registry.rollback(name, { reason: o.reason });
      if (o.json) out.json({ restored: versionJson(r.restored), archived: r.archived });
      else out.line(`Rolled back ${name}: v${r.restored.version} is in Production${r.archived.length ? `; archived ${vList(r.archived)}` : ''}.`);
    });
}

function addDescribe(models: Command): void {
  models
    .command('describe <name> [version]')
    .description("set the description of a model, or of one of its versions")
    .requiredOption('-d, --description <text>', 'the new description')
    .option('--reason <text>', 'why (recorded in the history)')
    .option('--json', 'MLflow tracking server: print JSON')
    .action(async (name: string, version: string | undefined, o, cmd) => {
      const what = version ? `${name} v${parseVersion(version)}` : name;
      const mlflow = mlflowStore(cmd);
      if (mlflow) {
        return withMlflowRegistry(mlflow, async (reg) => {
          const c = await reg.describe(name, version ? parseVersion(version) : undefined, o.description, { reason: o.reason });
          reportChange(c, `Description of ${what} set on ${reg.source.uri}.`, !!o.json);
        });
      }
      registryFor(cmd).registry.describe(name, version ? parseVersion(version) : undefined, o.description, { reason: o.reason });
      out.line(`Description of ${what} set.`);
    });
}

function addTag(models: Command): void {
  models
    .command('tag <name> <version> [assignments...]')
    .description('set tags (KEY=VALUE) of a version, and remove others with --delete KEY')
    .option('--delete <key>', 'remove this tag (repeatable)', collect)
    .option('--reason <text>', 'why (recorded in the history)')
    .option('--json', 'MLflow tracking server: print JSON')
    .action(async (name: string, version: string, assignments: string[], o, cmd) => {
      const tags = Object.fromEntries(parseAssignments(assignments, 'Tag'));
      const removed: string[] = o.delete ?? [];
      if (!Object.keys(tags).length && !removed.length) throw new UserInputError('No tag to set or remove: give KEY=VALUE and/or --delete KEY.');
      const summary = [Object.keys(tags).length ? `set ${Object.keys(tags).join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
      const mlflow = mlflowStore(cmd);
      if (mlflow) {
        return withMlflowRegistry(mlflow, async (reg) => {
          const c = await reg.setTags(name, parseVersion(version), tags, removed, { reason: o.reason });
          reportChange(c, `Tags of ${name} v${c.version} on ${reg.source.uri}: ${summary}.`, !!o.json);
        });
      }
      registryFor(cmd).registry.setTags(name, parseVersion(version), tags, removed, { reason: o.reason });
      out.line(`Tags of ${name} v${parseVersion(version)}: ${summary}.`);
    });
}

function addHistory(models: Command): void {
  models
    .command('history <name>')
    .description("every registration, transition, alias change, rollback, edit and refusal; on MLflow, the workbench's audit trail and changes observed")
    .option('--json', 'print JSON')
    .action(async (name: string, o, cmd) => {
      const mlflow = mlflowStore(cmd);
      if (mlflow) return withMlflowRegistry(mlflow, (reg) => printHistory(reg, name, !!o.json));
      const { registry } = registryFor(cmd);
      const h = registry.history(name);
      if (o.json) out.json(h.map((x) => ({ ...x.event, time: new Date(x.event.time).toISOString(), effect: x.effect })));
      else out.line(table(['time', 'user', 'action', 'effect', 'reason'], h.map((x) => [fmtTime(x.event.time), x.event.user, x.event.action, x.effect, x.event.reason ?? ''])));
    });
}

function addAt(models: Command): void {
  models
    .command('at <name>')
    .description('which version was in a stage (default Production) or held an alias at a time')
    .requiredOption('--time <iso>', 'ISO 8601 time, e.g. 2025-12-01T10:00:00Z (a bare date means the end of that day), or now; on an MLflow source, from when the audit trail is complete (models history says)')
    .option('--stage <stage>', 'stage (default Production)')
    .option('--alias <alias>', 'alias instead of a stage')
    .option('--json', 'print JSON')
    .action(async (name: string, o, cmd) => {
      if (o.stage && o.alias) throw new UserInputError('Use --stage or --alias, not both.');
      const store = resolveStore(cmd.optsWithGlobals() as GlobalOptions, false);
      if (store.kind === 'mlflow') {
        const q = o.alias ? { alias: o.alias as string } : { stage: parseStage(o.stage ?? 'Production') };
        return printAt(store, name, parseTime(o.time), q, !!o.json);
      }
      const { registry } = registryFor(cmd);
      registry.getModel(name);
      const time = parseTime(o.time);
      const q = o.alias ? { alias: o.alias as string } : { stage: parseStage(o.stage ?? 'Production') };
      const r = registry.at(name, time, q);
      const what = o.alias ? `@${o.alias}` : q.stage;
      const versions = r.versions.map((n) => r.state!.versions.find((v) => v.version === n)!);
      if (o.json) out.json({ model: name, time: new Date(time).toISOString(), query: o.alias ? { alias: o.alias } : { stage: q.stage }, versions: versions.map((v) => ({ version: v.version, runId: v.run.id, runName: v.run.name, since: new Date(v.stageSince).toISOString(), modelSha256: v.modelSha256 })) });
      else out.line(versions.length ? `At ${new Date(time).toISOString()}, ${name} ${what}: ${versions.map((v) => `v${v.version} (run ${v.run.name}, since ${new Date(v.stageSince).toISOString()})`).join(', ')}` : `At ${new Date(time).toISOString()}, ${name} had no version in ${what}.`);
    });
}

function addPredict(program: Command): void {
  program
    .command('predict')
    .description('predict with a registered model')
    .requiredOption('--model <uri>', 'models:/NAME/VERSION, models:/NAME/Production, models:/NAME@ALIAS or models:/NAME/latest')
    .requiredOption('--data <csv>', 'input rows (CSV with the model\'s feature columns)')
    .requiredOption('--out <csv>', 'where to write the rows with their predictions')
    .option('--json', 'print a JSON summary')
    .action(async (o, cmd) => {
      const store = resolveStore(cmd.optsWithGlobals() as GlobalOptions, false);
      if (store.kind === 'mlflow') return withMlflowSource(store, (s) => refuseMlflowModel(s, o.model as string, 'predict'));
      const { registry } = registryFor(cmd);
      const r = await predictCsv(registry, o.model, path.resolve(o.data), path.resolve(o.out), '--out');
      if (o.json) out.json({ ...r, out: path.resolve(o.out), written: r.out });
      else out.line(`Wrote ${r.rows} predictions of ${r.model} v${r.version} to ${o.out}.`);
    });
}
