/** `mlops models ...` and `mlops predict`. Exit 0 success, 2 bad input, 4 refused by the promotion rule. */
import * as path from 'node:path';
import { Command } from 'commander';
import { findConfig, loadConfig } from '../../core/config/config';
import { registryOptions } from '../../core/registry/config';
import { predictCsv } from '../../core/registry/predict';
import { ModelVersion, parseStage, Registry } from '../../core/registry/registry';
import type { Tracker } from '../../core/tracking/tracker';
import { preferredMetric } from '../../core/tracking/metricDirection';
import { UserInputError } from '../../core/util/errors';
import { GlobalOptions, openTracker, out } from '../context';
import { warnProblem } from '../warnings';
import { fmtNumber, fmtTime, table } from '../format';

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
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new UserInputError(`--time '${s}' is not an ISO 8601 time (e.g. 2025-12-01T10:00:00Z).`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s.trim()) ? t + 86_400_000 - 1 : t; // a bare date means the end of that day
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the model registry: versions, stages, aliases, rollback, history');

  models
    .command('register')
    .requiredOption('--run <runId>', 'the run whose model to register')
    .requiredOption('--name <name>', 'model name')
    .option('--description <text>', 'description')
    .option('--json', 'print JSON')
    .action((o, cmd) => {
      const { tracker, registry } = registryFor(cmd);
      const v = registry.register(tracker, tracker.store.resolveRunId(o.run), o.name, { description: o.description });
      if (o.json) out.json(versionJson(v));
      else out.line(`Registered ${v.model} v${v.version} from run ${v.run.name} (models:/${v.model}/${v.version}).`);
    });

  models
    .command('list')
    .option('--json', 'print JSON')
    .action((o, cmd) => {
      const { registry } = registryFor(cmd);
      const list = registry.listModels();
      if (o.json) out.json(list.map((m) => ({ name: m.name, versions: m.versions.length, aliases: m.aliases, production: m.versions.filter((v) => v.stage === 'Production').map((v) => v.version), staging: m.versions.filter((v) => v.stage === 'Staging').map((v) => v.version), latest: Math.max(0, ...m.versions.map((v) => v.version)) })));
      else out.line(list.length ? table(['model', 'versions', 'Production', 'Staging', 'aliases'], list.map((m) => [m.name, String(m.versions.length), m.versions.filter((v) => v.stage === 'Production').map((v) => `v${v.version}`).join(', '), m.versions.filter((v) => v.stage === 'Staging').map((v) => `v${v.version}`).join(', '), Object.entries(m.aliases).map(([a, v]) => `@${a}=v${v}`).join(' ')])) : 'No registered models.');
    });

  models
    .command('show <name>')
    .option('--json', 'print JSON')
    .action((name: string, o, cmd) => {
      const { registry } = registryFor(cmd);
      const m = registry.getModel(name);
      if (o.json) out.json({ name: m.name, description: m.description, aliases: m.aliases, versions: m.versions.map(versionJson) });
      else {
        const keyMetric = preferredMetric(m.versions.flatMap((v) => Object.keys(v.run.metrics)));
        out.line(`${m.name}${m.description ? ` — ${m.description}` : ''}`);
        out.line(table(['version', 'stage', 'aliases', 'run', ...(keyMetric ? [keyMetric] : []), 'registered'], m.versions.map((v) => [`v${v.version}`, v.stage, v.aliases.map((a) => `@${a}`).join(' '), v.run.name, ...(keyMetric ? [fmtNumber(v.run.metrics[keyMetric])] : []), fmtTime(v.createdAt)])));
      }
    });

  models
    .command('transition <name> <version> <stage>')
    .description('move a version to None, Staging, Production or Archived')
    .option('--reason <text>', 'why (recorded in the history)')
    .option('--keep-existing', 'do not archive the version currently in Production')
    .option('--json', 'print JSON')
    .action((name: string, version: string, stage: string, o, cmd) => {
      const { registry } = registryFor(cmd);
      const v = registry.transition(name, parseVersion(version), parseStage(stage), { reason: o.reason, archiveExisting: o.keepExisting ? false : undefined });
      if (o.json) out.json(versionJson(v));
      else out.line(`${v.model} v${v.version} is now in ${v.stage}.`);
    });

  models
    .command('alias <name> <alias> [version]')
    .description('point an alias (e.g. champion) at a version, or remove it with --delete')
    .option('--delete', 'remove the alias')
    .option('--reason <text>', 'why')
    .action((name: string, alias: string, version: string | undefined, o, cmd) => {
      const { registry } = registryFor(cmd);
      if (o.delete) {
        if (version) throw new UserInputError('Give either a version or --delete, not both.');
        registry.setAlias(name, alias, null, { reason: o.reason });
        out.line(`Removed alias @${alias} of ${name}.`);
      } else {
        if (!version) throw new UserInputError('A version is needed (or --delete).');
        registry.setAlias(name, alias, parseVersion(version), { reason: o.reason });
        out.line(`${name}@${alias} → v${parseVersion(version)}.`);
      }
    });

  models
    .command('rollback <name>')
    .description('put back the version that was in Production before the current one')
    .option('--reason <text>', 'why (recorded in the history)')
    .option('--json', 'print JSON')
    .action((name: string, o, cmd) => {
      const { registry } = registryFor(cmd);
      const r = registry.rollback(name, { reason: o.reason });
      if (o.json) out.json({ restored: versionJson(r.restored), archived: r.archived });
      else out.line(`Rolled back ${name}: v${r.restored.version} is in Production${r.archived.length ? `; archived v${r.archived.join(', v')}` : ''}.`);
    });

  models
    .command('history <name>')
    .option('--json', 'print JSON')
    .action((name: string, o, cmd) => {
      const { registry } = registryFor(cmd);
      const h = registry.history(name);
      if (o.json) out.json(h.map((x) => ({ ...x.event, time: new Date(x.event.time).toISOString(), effect: x.effect })));
      else out.line(table(['time', 'user', 'action', 'effect', 'reason'], h.map((x) => [fmtTime(x.event.time), x.event.user, x.event.action, x.effect, x.event.reason ?? ''])));
    });

  models
    .command('at <name>')
    .description('which version was in a stage (default Production) or held an alias at a time')
    .requiredOption('--time <iso>', 'ISO 8601 time, e.g. 2025-12-01T10:00:00Z (a bare date means the end of that day)')
    .option('--stage <stage>', 'stage (default Production)')
    .option('--alias <alias>', 'alias instead of a stage')
    .option('--json', 'print JSON')
    .action((name: string, o, cmd) => {
      if (o.stage && o.alias) throw new UserInputError('Use --stage or --alias, not both.');
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

  program
    .command('predict')
    .description('predict with a registered model')
    .requiredOption('--model <uri>', 'models:/NAME/VERSION, models:/NAME/Production, models:/NAME@ALIAS or models:/NAME/latest')
    .requiredOption('--data <csv>', 'input rows (CSV with the model\'s feature columns)')
    .requiredOption('--out <csv>', 'where to write the rows with their predictions')
    .option('--json', 'print a JSON summary')
    .action(async (o, cmd) => {
      const { registry } = registryFor(cmd);
      const r = await predictCsv(registry, o.model, path.resolve(o.data), path.resolve(o.out), '--out');
      if (o.json) out.json({ ...r, out: path.resolve(o.out), written: r.out });
      else out.line(`Wrote ${r.rows} predictions of ${r.model} v${r.version} to ${o.out}.`);
    });
}
