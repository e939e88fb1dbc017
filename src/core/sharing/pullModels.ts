/**
 * `mlops pull --models`: the MLflow model versions of the pulled runs become versions of the workspace registry,
 * pointing at the pulled runs, with MLflow's stage and aliases (set through the registry's own events, so they are in
 * its history). A version keeps MLflow's number when that number is free here. Its files: a run that holds a workbench
 * model (model/model.json + model.bin: one we pushed) is registered as usual (servable); any other is an MLflow model,
 * whose files (MLmodel, …) are copied as they are (`format: mlflow`). Idempotent: the workspace version carries the tags
 * `mlflow.model_version` (`<model>/<version>`) and `mlflow.run_id`, and a version we pushed carries `mlops.version`.
 */
import type { ModelVersion, Registry, Stage } from '../registry/registry';
import { checkModelName, parseStage } from '../registry/registry';
import type { Tracker } from '../tracking/tracker';
import type { RunSource, SourceModel, SourceModelVersion } from '../sources/types';
import { errorMessage, UserInputError } from '../util/errors';
import * as fs from 'node:fs';
import { MLFLOW_RUN_ID_TAG, MLOPS_VERSION_TAG } from './mlflowShape';
import type { ProgressListener, PulledVersion, PullResult } from './types';

export const MLFLOW_VERSION_TAG = 'mlflow.model_version';

/** `byMlflowId`: the workspace run of each pulled MLflow run. */
export async function pullVersions(tracker: Tracker, registry: Registry, source: RunSource, byMlflowId: Map<string, string>, skipped: PullResult['skipped'], progress: ProgressListener): Promise<PulledVersion[]> {
  const models = await source.listModels();
  const out: PulledVersion[] = [];
  const todo = models.flatMap((m) => m.versions.map((v) => ({ m, v })));
  for (const { m, v } of todo) {
    const localRun = v.runId ? byMlflowId.get(v.runId) : undefined;
    const badName = nameProblem(m.name);
    if (!localRun || badName) {
      skipped.push({ id: `${m.name}/${v.version}`, name: m.name, reason: badName ?? (v.runId ? `its run ${v.runId} was not pulled` : 'it has no run') });
      continue;
    }
    const pulled = await pullVersion(tracker, registry, source, m, v, localRun, progress);
    if (m.description && registry.getModel(m.name).description !== m.description) registry.describe(m.name, undefined, m.description);
    out.push(pulled);
    progress({ phase: 'models', done: out.length, total: todo.length, message: `MLflow ${m.name} v${v.version} → ${m.name} v${pulled.version} ${pulled.action} (${v.stage}${v.aliases.length ? `, @${v.aliases.join(' @')}` : ''})` });
  }
  return out;
}

/** Why the workspace registry cannot hold a model of this name (MLflow allows more characters), or undefined. */
function nameProblem(name: string): string | undefined {
  try {
    checkModelName(name);
    return undefined;
  } catch (e) {
    if (e instanceof UserInputError) return e.message;
    throw e;
  }
}

function findLocal(registry: Registry, name: string, v: SourceModelVersion): ModelVersion | undefined {
  const versions = registry.state().models.get(name)?.versions ?? [];
  const pushed = /^(.*)\/(\d+)$/.exec(v.tags[MLOPS_VERSION_TAG] ?? '');
  if (pushed && pushed[1] === name) {
    const own = versions.find((x) => x.version === Number(pushed[2]));
    if (own) return own;
  }
  return versions.find((x) => x.tags[MLFLOW_VERSION_TAG] === `${name}/${v.version}` && x.tags[MLFLOW_RUN_ID_TAG] === v.runId);
}

async function pullVersion(tracker: Tracker, registry: Registry, source: RunSource, m: SourceModel, v: SourceModelVersion, localRun: string, progress: ProgressListener): Promise<PulledVersion> {
  let local = findLocal(registry, m.name, v);
  let action: PulledVersion['action'] = 'unchanged';
  if (!local) {
    const tags: Record<string, string> = { ...v.tags, [MLFLOW_VERSION_TAG]: `${m.name}/${v.version}`, [MLFLOW_RUN_ID_TAG]: v.runId ?? '' };
    delete tags[MLOPS_VERSION_TAG];
    const opts = { description: v.description, tags, source: `mlflow-pull ${source.uri}`, version: v.version };
    const run = tracker.getRun(localRun);
    const ours = ['model/model.json', 'model/model.bin'].every((p) => fs.existsSync(tracker.artifactPath(run.id, p))) && run.effectiveStatus === 'completed';
    local = ours ? registry.register(tracker, run.id, m.name, opts) : registry.importVersion(tracker, run.id, m.name, await versionFiles(tracker, source, v, run.id, progress), opts);
    action = 'created';
  }
  const stage: Stage = parseStage(v.stage === 'None' || !v.stage ? 'None' : v.stage);
  if (local.stage !== stage) {
    registry.transition(m.name, local.version, stage, { archiveExisting: false, reason: `as in ${source.uri} (MLflow version ${v.version})`, source: 'mlflow-pull' });
    if (action === 'unchanged') action = 'updated';
  }
  const aliases = registry.getModel(m.name).aliases;
  for (const alias of v.aliases) {
    if (aliases[alias] === local.version) continue;
    registry.setAlias(m.name, alias, local.version, { reason: `as in ${source.uri}` });
    if (action === 'unchanged') action = 'updated';
  }
  return { model: m.name, mlflowVersion: v.version, version: local.version, action };
}

/**
 * The files of an MLflow version: from the source when it can list them (a 3.x logged model), else the pulled run's
 * artifacts under the version's path (`runs:/<run>/model`, `…/<run>/artifacts/model`).
 */
async function versionFiles(tracker: Tracker, source: RunSource, v: SourceModelVersion, localRun: string, progress: ProgressListener): Promise<{ path: string; data: Uint8Array }[]> {
  if (source.listModelVersionArtifacts && source.readModelVersionArtifact) {
    try {
      const files: { path: string; data: Uint8Array }[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const a of await source.listModelVersionArtifacts!(v.model, v.version, dir)) {
          if (a.isDir) await walk(a.path);
          else files.push({ path: a.path, data: await source.readModelVersionArtifact!(v.model, v.version, a.path) });
        }
      };
      await walk('');
      if (files.length) return files;
    } catch (e) {
      progress({ phase: 'models', done: 0, total: 0, message: `warning: ${v.model} v${v.version}: its files cannot be read from the source (${errorMessage(e)}); looking in the pulled run` });
    }
  }
  const sub = /^runs:\/[^/]+\/(.+)$/.exec(v.source ?? '')?.[1] ?? (v.runId ? new RegExp(`/${v.runId}/artifacts/(.+)$`).exec(v.source ?? '')?.[1] : undefined);
  const run = tracker.getRun(localRun);
  const prefix = sub ? `${sub.replace(/\/+$/, '')}/` : undefined;
  const files = prefix ? run.artifacts.filter((a) => a.path.startsWith(prefix)) : [];
  if (!files.length) progress({ phase: 'models', done: 0, total: 0, message: `warning: ${v.model} v${v.version}: no files found for ${v.source ?? 'its source'}; registered without files` });
  return files.map((a) => ({ path: a.path.slice(prefix!.length), data: fs.readFileSync(tracker.artifactPath(run.id, a.path)) }));
}
