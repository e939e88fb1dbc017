/**
 * A workspace run as MLflow records runs, for `mlops push`: its status word, params as text, tags (ours, MLflow's
 * system tags and the environment record as `mlops.env.*`), a digest of everything pushed, and metric points compared
 * the way MLflow stores them. And back, for `mlops pull`: the environment record from those tags.
 */
import * as crypto from 'node:crypto';
import type { EnvironmentRecord, MetricPoint, ParamValue, Run, RunStatus } from '../store/types';

/** On an MLflow run: the workspace run it was pushed from. */
export const MLOPS_RUN_ID_TAG = 'mlops.run_id';
/** On an MLflow run: `incomplete` while a push writes it, `complete` once everything is there. */
export const PUSH_STATE_TAG = 'mlops.push.state';
/** On an MLflow run: the digest of what the last complete push sent (unchanged runs are skipped). */
export const PUSH_DIGEST_TAG = 'mlops.push.digest';
/** On an MLflow model version: `<model>/<version>` of the workspace version it was pushed from. */
export const MLOPS_VERSION_TAG = 'mlops.version';
/** On an MLflow model version: the workspace registry's events of that version, as one JSON list. */
export const MLOPS_HISTORY_TAG = 'mlops.history';
/** On a workspace run: the MLflow run it was pulled from, and from where. */
export const MLFLOW_RUN_ID_TAG = 'mlflow.run_id';
export const PULL_SOURCE_TAG = 'mlops.pull.source';
/** On a workspace run: `incomplete` while a pull writes it. */
export const PULL_STATE_TAG = 'mlops.pull.state';
export const ENV_TAG_PREFIX = 'mlops.env.';

export const INCOMPLETE = 'incomplete';
export const COMPLETE = 'complete';

/** ±1.7976931348623157e308: what MLflow's SQL stores keep for ±Infinity (SQL has no infinity). */
const MAX_DOUBLE = Number.MAX_VALUE;

export function mlflowStatus(status: RunStatus): string {
  return { running: 'RUNNING', completed: 'FINISHED', failed: 'FAILED', cancelled: 'KILLED' }[status];
}

/** A param as MLflow text: text as is, numbers as JavaScript prints them, true/false, null as Python's None. */
export function paramText(v: ParamValue): string {
  if (v === null) return 'None';
  return typeof v === 'string' ? v : String(v);
}

export function mlflowParams(run: Pick<Run, 'params'>): Record<string, string> {
  return Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, paramText(v)]));
}

/** The environment record as readable tags; structured parts as JSON. */
export function envTags(env: EnvironmentRecord): Record<string, string> {
  const t: Record<string, string> = {};
  const put = (k: string, v: unknown): void => {
    if (v === undefined || v === null || v === '') return;
    t[ENV_TAG_PREFIX + k] = typeof v === 'string' ? v : JSON.stringify(v);
  };
  if (env.git) {
    put('git.commit', env.git.commit);
    put('git.dirty', String(env.git.dirty));
    put('git.branch', env.git.branch);
  }
  put('workbench', env.extensionVersion);
  put('node', env.nodeVersion);
  if (env.os) put('os', `${env.os.platform} ${env.os.release} ${env.os.arch}`);
  put('host', env.host);
  put('user', env.user);
  if (env.libraries && Object.keys(env.libraries).length) put('libraries', env.libraries);
  if (env.dataset) {
    put('dataset.path', env.dataset.path);
    put('dataset.sha256', env.dataset.sha256);
    put('dataset.rows', env.dataset.rows);
    put('dataset.columns', env.dataset.columns);
    put('dataset.types', env.dataset.types);
  }
  put('seed', env.seed);
  put('source', env.source);
  return t;
}

/** The environment record a pull rebuilds from `mlops.env.*` tags (a run we pushed) and MLflow's system tags. */
export function envFromTags(tags: Record<string, string>): EnvironmentRecord {
  const g = (k: string): string | undefined => tags[ENV_TAG_PREFIX + k];
  const json = <T>(k: string): T | undefined => {
    try {
      return g(k) === undefined ? undefined : (JSON.parse(g(k)!) as T);
    } catch {
      return undefined;
    }
  };
  const [platform = '', release = '', arch = ''] = (g('os') ?? '').split(' ');
  const commit = g('git.commit') ?? tags['mlflow.source.git.commit'];
  const env: EnvironmentRecord = {
    git: commit ? { commit, dirty: g('git.dirty') === 'true', ...(g('git.branch') ? { branch: g('git.branch') } : {}) } : null,
    extensionVersion: g('workbench') ?? '',
    nodeVersion: g('node') ?? '',
    os: { platform, release, arch },
    libraries: json<Record<string, string>>('libraries') ?? {},
    dataset: g('dataset.path') !== undefined || g('dataset.sha256') !== undefined ? datasetFromTags(g, json) : null,
    seed: json<number>('seed') ?? null,
    source: g('source') ?? 'mlflow',
  };
  const user = g('user') ?? tags['mlflow.user'];
  if (g('host')) env.host = g('host');
  if (user) env.user = user;
  return env;
}

function datasetFromTags(g: (k: string) => string | undefined, json: <T>(k: string) => T | undefined): NonNullable<EnvironmentRecord['dataset']> {
  const d: NonNullable<EnvironmentRecord['dataset']> = { path: g('dataset.path') ?? '', sha256: g('dataset.sha256') ?? '' };
  const rows = json<number>('dataset.rows');
  const columns = json<string[]>('dataset.columns');
  const types = json<Record<string, string>>('dataset.types');
  if (rows !== undefined) d.rows = rows;
  if (columns !== undefined) d.columns = columns;
  if (types !== undefined) d.types = types;
  return d;
}

/** Every tag a push gives the MLflow run, except the push's own state and digest. */
export function mlflowTags(run: Run): Record<string, string> {
  const env = run.environment;
  const tags: Record<string, string> = {
    ...run.tags,
    ...envTags(env),
    'mlflow.runName': run.name,
    'mlflow.source.name': `mlops-workbench (${env.source ?? 'workspace'})`,
    'mlflow.source.type': 'LOCAL',
    [MLOPS_RUN_ID_TAG]: run.id,
  };
  if (env.user) tags['mlflow.user'] = env.user;
  if (env.git?.commit) tags['mlflow.source.git.commit'] = env.git.commit;
  if (run.notes) tags['mlflow.note.content'] = run.notes;
  delete tags[PUSH_STATE_TAG];
  delete tags[PUSH_DIGEST_TAG];
  return tags;
}

/** A metric point's identity as MLflow keeps it: ±Infinity as the SQL stores' ±max double, NaN as one value. */
export function pointKey(p: MetricPoint): string {
  const v = Number.isNaN(p.value) ? 'nan' : p.value === Infinity ? MAX_DOUBLE : p.value === -Infinity ? -MAX_DOUBLE : p.value;
  return `${p.key}\u0000${p.step}\u0000${p.timestamp}\u0000${v}`;
}

/** Points logged twice with the same key, step, time and value are one point in MLflow: keep the first. */
export function uniquePoints(points: readonly MetricPoint[]): MetricPoint[] {
  const seen = new Set<string>();
  return points.filter((p) => {
    const k = pointKey(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** What a push sends, as one hash: a run whose digest the target already holds (and marks complete) is unchanged. */
export function pushDigest(fields: { name: string; status: string; startTime: number; endTime: number | null; params: Record<string, string>; tags: Record<string, string> }, points: readonly MetricPoint[], artifacts: readonly { path: string; size: number; sha256: string }[]): string {
  const h = crypto.createHash('sha256');
  const sorted = (o: Record<string, string>) => Object.keys(o).sort().map((k) => [k, o[k]]);
  h.update(JSON.stringify([fields.name, fields.status, fields.startTime, fields.endTime, sorted(fields.params), sorted(fields.tags)]));
  for (const p of points) h.update(pointKey(p) + '\n');
  h.update(JSON.stringify(artifacts.map((a) => [a.path, a.size, a.sha256]).sort()));
  return h.digest('hex').slice(0, 32);
}
