/**
 * `mlops push --models`: the registered versions of the pushed runs become MLflow model versions. The registered
 * model is created when missing; each version is created with its source at the pushed run's model artifact
 * (`<artifact_uri>/model`, as MLflow's own client registers `runs:/<run>/model`) and the tag `mlops.version`
 * (`<model>/<version>` here) that finds it again, so a second push never makes a second MLflow version. Its stage is
 * set with transition-stage (never archiving others: each version gets its own stage), its aliases with
 * registered-models/alias, and the workspace registry's history of the version travels as one JSON tag,
 * `mlops.history` (MLflow keeps no history, mlflow/mlflow#2169).
 */
import type { HistoryEntry, ModelVersion, Registry } from '../registry/registry';
import { SourceError } from '../sources/types';
import { MAX_TAG_VALUE, type ModelWriter, type RunWriter, type TargetModelVersion, type TargetRun } from '../sources/writeTypes';
import { MLOPS_HISTORY_TAG, MLOPS_VERSION_TAG } from './mlflowShape';
import type { ProgressListener, PushedVersion } from './types';

/** The target takes registered model versions, or the one line that says it does not (before anything is pushed). */
export function checkModelTarget(writer: RunWriter): ModelWriter {
  if (!writer.models) throw new SourceError('invalid', `${writer.uri}: this target takes no registered models; push them to a tracking server, an mlruns folder or an mlflow.db (runs can go to this target without --models)`, writer.uri);
  return writer.models;
}

/** `remotes`: the MLflow run of each pushed workspace run. */
export async function pushVersions(registry: Registry, writer: RunWriter, remotes: Map<string, TargetRun>, progress: ProgressListener): Promise<PushedVersion[]> {
  const models = checkModelTarget(writer);
  const state = registry.state();
  const todo = [...state.models.values()].map((m) => ({ m, versions: m.versions.filter((v) => remotes.has(v.run.id)) })).filter((x) => x.versions.length);
  const total = todo.reduce((n, x) => n + x.versions.length, 0);
  const out: PushedVersion[] = [];
  for (const { m, versions } of todo) {
    await models.ensureModel(m.name, m.description);
    const existing = new Map((await models.listVersions(m.name)).filter((v) => v.tags[MLOPS_VERSION_TAG]).map((v) => [v.tags[MLOPS_VERSION_TAG], v]));
    for (const v of versions) {
      const history = historyTag(state.history.get(m.name) ?? [], v.version);
      const pushed = await pushVersion(models, v, remotes.get(v.run.id)!, existing.get(`${v.model}/${v.version}`), history);
      out.push(pushed);
      progress({ phase: 'models', done: out.length, total, message: `${v.model} v${v.version} → MLflow version ${pushed.mlflowVersion} ${pushed.action} (${v.stage}${v.aliases.length ? `, @${v.aliases.join(' @')}` : ''})` });
    }
  }
  return out;
}

async function pushVersion(models: ModelWriter, v: ModelVersion, run: TargetRun, there: TargetModelVersion | undefined, history: string): Promise<PushedVersion> {
  let action: PushedVersion['action'] = 'unchanged';
  let target = there;
  if (!target) {
    const source = `${(run.artifactUri ?? `runs:/${run.id}`).replace(/\/+$/, '')}/model`;
    target = await models.createVersion(v.model, { source, runId: run.id, description: v.description, tags: { [MLOPS_VERSION_TAG]: `${v.model}/${v.version}`, [MLOPS_HISTORY_TAG]: history } });
    action = 'created';
  } else if (target.tags[MLOPS_HISTORY_TAG] !== history) {
    await models.setVersionTag(v.model, target.version, MLOPS_HISTORY_TAG, history);
    action = 'updated';
  }
  if (target.stage !== v.stage) {
    await models.transitionStage(v.model, target.version, v.stage);
    if (action === 'unchanged') action = 'updated';
  }
  for (const alias of v.aliases) {
    if (target.aliases.includes(alias)) continue;
    await models.setAlias(v.model, alias, target.version);
    if (action === 'unchanged') action = 'updated';
  }
  return { model: v.model, version: v.version, mlflowVersion: target.version, action };
}

/**
 * The events of the version's history (its registration, stage moves, alias moves, descriptions, tags, refusals) as
 * one JSON list, newest kept when it is longer than a tag takes (then the first entry says how many were left out).
 */
export function historyTag(entries: readonly HistoryEntry[], version: number): string {
  const mine = entries.filter((h) => h.event.version === version || h.transitions.some((t) => t.version === version) || h.aliasMoves.some((a) => a.from === version || a.to === version));
  const items = mine.map((h) => {
    const e = h.event;
    return Object.fromEntries(Object.entries({ time: new Date(e.time).toISOString(), user: e.user, action: e.action, effect: h.effect, reason: e.reason, source: e.source }).filter(([, x]) => x !== undefined && x !== null && x !== ''));
  });
  for (let skip = 0; skip <= items.length; skip++) {
    const kept = skip ? [{ omitted: skip }, ...items.slice(skip)] : items;
    const text = JSON.stringify(kept);
    if (text.length <= MAX_TAG_VALUE) return text;
  }
  return JSON.stringify([{ omitted: items.length }]);
}
