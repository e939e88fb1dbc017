/**
 * The read commands on an MLflow source (`mlruns/`, `mlflow.db`, a tracking server) through the one read interface
 * (`RunSource`): `runs list|show|best|trash`, `experiments list`, `models list|show|at` and `predict`. Their `--json`
 * shapes are the workspace store's (format.ts, commands/models.ts) with MLflow's values as logged (params are strings)
 * and what MLflow does not record as null (environment, model digests, registry history), plus MLflow's own fields
 * (`sourceStatus`, `lifecycle`, `parentRunId`, `artifactUri`; versions: `source`, `storageLocation`, `status`,
 * `updatedAt`). Lists page through every run with the source's page token.
 */
import { parse as parseYaml } from 'yaml';
import { checkKey, printable } from '../core/store/names';
import type { MetricPoint } from '../core/store/types';
import { parseModelUri, pickVersion } from '../core/registry/uri';
import type { Stage } from '../core/registry/registry';
import { bestRunBy, preferredMetric, type Direction } from '../core/tracking/metricDirection';
import { compileFilter, parseOrderKey } from '../core/tracking/filter';
import { SourceError, type RunQuery, type RunSource, type SourceArtifact, type SourceModel, type SourceModelVersion, type SourceRun } from '../core/sources/types';
import type { StoreProblem } from '../core/store/types';
import { UserInputError } from '../core/util/errors';
import { out } from './context';
import { commonRunJson, fmtDuration, fmtNumber, fmtTime, statusLabel, table } from './format';
import { warn } from './warnings';

/** Runs asked for per request while paging (MLflow's own default page). */
export const CLI_PAGE = 1000;
/** Metric histories fetched at once by `runs show`. */
const HISTORY_CONCURRENCY = 8;
/** Artifacts listed by `runs show` at most (folders walked breadth first). */
const MAX_ARTIFACTS = 1000;

const iso = (ms: number | undefined | null): string | null => (ms === undefined || ms === null ? null : new Date(ms).toISOString());

/** The `--json` shape of a run (format.ts `runToJson`), for an MLflow run. */
export function mlflowRunToJson(r: SourceRun, artifacts: { path: string; size: number | null }[] | null = null) {
  return {
    ...commonRunJson(r),
    /** MLflow records no environment of ours (its system tags are in `tags`). */
    environment: null,
    /** null in lists (not read); `runs show` lists the files. */
    artifacts,
    problems: r.problems,
    sourceStatus: r.sourceStatus ?? null,
    lifecycle: r.lifecycle ?? 'active',
    parentRunId: r.parentRunId ?? null,
    artifactUri: r.artifactUri ?? null,
  };
}

/** Problems a source reported while reading (damaged files or rows), once each on stderr. */
function warnProblems(problems: readonly StoreProblem[]): void {
  for (const p of problems) warn(`${p.file}: ${p.message}`);
}

/** A filter or order key checked before anything is read: the same messages (with the position) as for the workspace store. */
export function checkQuery(filter: string | undefined, orderBy: string | undefined, wrap: <T>(fn: () => T) => T): void {
  wrap(() => compileFilter(filter));
  if (orderBy) wrap(() => parseOrderKey(orderBy));
}

/** The ids of the experiment named `name` (active experiments); an unknown name is bad input, as for the workspace store. */
async function experimentIds(source: RunSource, name: string | undefined): Promise<string[] | undefined> {
  if (name === undefined) return undefined;
  const wanted = name.trim().normalize('NFC');
  const ids = (await source.listExperiments()).filter((e) => e.name.normalize('NFC') === wanted).map((e) => e.id);
  if (!ids.length) throw new UserInputError(`No experiment named '${printable(name)}'.`);
  return ids;
}

/** Every run of the query, page after page (at most `limit` when given). */
export async function collectRuns(source: RunSource, query: RunQuery, limit?: number): Promise<SourceRun[]> {
  const runs: SourceRun[] = [];
  let pageToken: string | undefined;
  do {
    const maxResults = limit === undefined ? CLI_PAGE : Math.max(1, Math.min(CLI_PAGE, limit - runs.length));
    const page = await source.searchRuns({ ...query, maxResults, ...(pageToken ? { pageToken } : {}) });
    warnProblems(page.problems);
    runs.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken && (limit === undefined || runs.length < limit));
  return limit === undefined ? runs : runs.slice(0, limit);
}

export interface ListOptions {
  experiment?: string;
  filter?: string;
  orderBy?: string;
  desc?: boolean;
  limit?: number;
}

export async function listRuns(source: RunSource, o: ListOptions): Promise<SourceRun[]> {
  const query: RunQuery = {
    experimentIds: await experimentIds(source, o.experiment),
    ...(o.filter ? { filter: o.filter } : {}),
    ...(o.orderBy ? { orderBy: [`${o.orderBy.trim()} ${o.desc ? 'DESC' : 'ASC'}`] } : {}),
  };
  return collectRuns(source, query, o.limit);
}

export async function bestRun(source: RunSource, metric: string, direction: Direction, o: { experiment?: string; filter?: string }): Promise<SourceRun | undefined> {
  checkKey('Metric', metric);
  const runs = await listRuns(source, { experiment: o.experiment, filter: o.filter });
  return bestRunBy(runs, metric, direction);
}

/**
 * A run by id or by a unique prefix of its id (as for the workspace store). A full id is one request; a prefix pages
 * through the runs of the active experiments.
 */
export async function resolveRun(source: RunSource, idOrPrefix: string): Promise<SourceRun> {
  const s = idOrPrefix.trim();
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(s)) throw new UserInputError(`Invalid run id '${printable(idOrPrefix)}'.`);
  try {
    return await source.getRun(s);
  } catch (e) {
    if (!(e instanceof SourceError && (e.code === 'not-found' || e.code === 'invalid')) || s.length >= 32) throw e;
  }
  const lower = s.toLowerCase();
  const matches = (await collectRuns(source, {})).filter((r) => r.id.toLowerCase().startsWith(lower));
  if (matches.length === 1) return matches[0];
  if (!matches.length) throw new UserInputError(`No run id starts with '${s}' in ${source.uri}.`);
  throw new UserInputError(`Run id prefix '${s}' is ambiguous: ${matches.slice(0, 5).map((r) => r.id).join(', ')}${matches.length > 5 ? ', ...' : ''}.`);
}

/** Every metric's full history: `{ key: [{ step, value, timestamp }] }`, keys sorted. */
export async function metricHistories(source: RunSource, run: SourceRun): Promise<Record<string, { step: number; value: number; timestamp: number }[]>> {
  const keys = Object.keys(run.metrics).sort();
  const result: Record<string, { step: number; value: number; timestamp: number }[]> = {};
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      result[key] = (await source.metricHistory(run.id, key)).map((p) => ({ step: p.step, value: p.value, timestamp: p.timestamp }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(HISTORY_CONCURRENCY, keys.length) }, worker));
  return Object.fromEntries(keys.map((k) => [k, result[k]]));
}

/** The workspace store's flat history (MetricPoint[]) grouped the same way: `{ key: [{ step, value, timestamp }] }`. */
export function groupHistory(points: readonly MetricPoint[]): Record<string, { step: number; value: number; timestamp: number }[]> {
  const byKey = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const list = byKey.get(p.key);
    if (list) list.push(p);
    else byKey.set(p.key, [p]);
  }
  return Object.fromEntries(
    [...byKey.keys()].sort().map((k) => [k, [...byKey.get(k)!].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp).map((p) => ({ step: p.step, value: p.value, timestamp: p.timestamp }))]),
  );
}

/** The run's artifact files (walked breadth first, at most MAX_ARTIFACTS); null with a warning when they cannot be listed. */
async function listAllArtifacts(source: RunSource, runId: string): Promise<{ path: string; size: number | null }[] | null> {
  const files: { path: string; size: number | null }[] = [];
  const dirs = [''];
  try {
    while (dirs.length && files.length < MAX_ARTIFACTS) {
      const entries: SourceArtifact[] = await source.listArtifacts(runId, dirs.shift()!);
      for (const a of entries) {
        if (a.isDir) dirs.push(a.path);
        else files.push({ path: a.path, size: a.size ?? null });
      }
    }
  } catch (e) {
    warn(`artifacts of run ${runId}: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).slice(0, MAX_ARTIFACTS);
}

export async function showRun(source: RunSource, idOrPrefix: string, o: { json?: boolean; history?: boolean }): Promise<void> {
  const run = await resolveRun(source, idOrPrefix);
  const [metricHistory, artifacts] = await Promise.all([metricHistories(source, run), listAllArtifacts(source, run.id)]);
  warnProblems(run.problems);
  if (o.json) {
    const json = { ...mlflowRunToJson(run, artifacts), metricHistory };
    if (o.history) {
      const history = Object.entries(metricHistory).flatMap(([key, ps]) => ps.map((p) => ({ key, value: p.value, step: p.step, timestamp: p.timestamp })));
      out.json({ ...json, history });
    } else out.json(json);
  } else out.line(runDetails(run, artifacts, source));
}

/** `runs show` for an MLflow run, as text. */
export function runDetails(r: SourceRun, artifacts: { path: string; size: number | null }[] | null, source?: RunSource): string {
  const kv = (o: Record<string, unknown>) =>
    Object.keys(o).length ? table(['key', 'value'], Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? fmtNumber(v) : String(v)])) : '(none)';
  const lines = [
    `Run ${r.name}  (${r.id})`,
    `Experiment: ${r.experimentName}`,
    `Status:     ${statusLabel(r)}${r.sourceStatus ? ` (MLflow: ${r.sourceStatus})` : ''}`,
    `Started:    ${fmtTime(r.startTime)}`,
    `Ended:      ${fmtTime(r.endTime)}`,
    `Duration:   ${fmtDuration(r.duration)}`,
  ];
  if (r.parentRunId) lines.push(`Parent run: ${r.parentRunId}`);
  if (source) lines.push(`Source:     ${source.uri}`);
  if (r.artifactUri) lines.push(`Artifacts:  ${r.artifactUri}`);
  lines.push('', 'Params', kv(r.params), '', 'Metrics (latest)', kv(r.metrics), '', 'Tags', kv(r.tags));
  if (r.notes) lines.push('', 'Notes', r.notes);
  if (artifacts?.length) lines.push('', 'Artifacts', table(['path', 'bytes'], artifacts.map((a) => [a.path, a.size === null ? '' : String(a.size)])));
  return lines.join('\n');
}

/** `experiments list`: the workspace shape (id, name, createdAt, runs, lastRun, primaryMetric). */
export async function listExperimentRows(source: RunSource) {
  const exps = await source.listExperiments();
  const runs = await collectRuns(source, { experimentIds: exps.map((e) => e.id) });
  return exps.map((e) => {
    const rs = runs.filter((r) => r.experimentId === e.id);
    return { id: e.id, name: e.name, createdAt: iso(e.createdAt), runs: rs.length, lastRun: rs.length ? new Date(Math.max(...rs.map((r) => r.startTime))).toISOString() : null, primaryMetric: e.primaryMetric ?? null };
  });
}

/** `runs trash`: MLflow's deleted runs (lifecycle deleted) of the active experiments, in the workspace shape. */
export async function deletedRuns(source: RunSource) {
  const runs = await collectRuns(source, { includeDeleted: true });
  return runs.filter((r) => r.lifecycle === 'deleted').map((r) => ({ id: r.id, name: r.name, experimentId: r.experimentId, startTime: r.startTime }));
}

// ------------------------------------------------------------------ registry

/** What `models list` reads of a model: the workspace registry's and an MLflow source's both have it. */
export interface ListedModel {
  name: string;
  aliases: Record<string, number>;
  versions: readonly { version: number; stage: string }[];
}

const inStage = (m: ListedModel, stage: Stage): number[] => m.versions.filter((v) => v.stage === stage).map((v) => v.version);

export async function getModel(source: RunSource, name: string): Promise<SourceModel> {
  const models = await source.listModels();
  const m = models.find((x) => x.name === name);
  if (!m) throw new UserInputError(`No registered model named '${name}'.${models.length ? ` Registered models: ${models.map((x) => x.name).join(', ')}.` : ' No model is registered yet.'}`);
  for (const p of m.problems ?? []) warn(`${p.file}: ${p.message}`);
  return m;
}

/** `models list --json`: the workspace shape. */
export function modelListJson(m: ListedModel) {
  return { name: m.name, versions: m.versions.length, aliases: m.aliases, production: inStage(m, 'Production'), staging: inStage(m, 'Staging'), latest: Math.max(0, ...m.versions.map((v) => v.version)) };
}

/** The runs of these versions (one getRun per distinct run; a run deleted or missing is absent). */
async function versionRuns(source: RunSource, versions: readonly SourceModelVersion[]): Promise<Map<string, SourceRun>> {
  const runs = new Map<string, SourceRun>();
  for (const id of new Set(versions.map((v) => v.runId).filter((x): x is string => !!x))) {
    try {
      runs.set(id, await source.getRun(id));
    } catch (e) {
      if (!(e instanceof SourceError && e.code === 'not-found')) throw e;
    }
  }
  return runs;
}

/** A version in the workspace's `--json` shape; what MLflow does not record (digests, stage times, who) is null. */
function versionJson(v: SourceModelVersion, run: SourceRun | undefined) {
  return {
    model: v.model, version: v.version, stage: v.stage, aliases: v.aliases, uri: `models:/${v.model}/${v.version}`,
    runId: v.runId ?? null, runName: run?.name ?? null, experiment: run?.experimentName ?? null, params: run?.params ?? null, metrics: run?.metrics ?? null,
    datasetSha256: null, modelSha256: null, description: v.description, tags: v.tags, createdAt: iso(v.createdAt), createdBy: null,
    /** MLflow keeps no stage history (mlflow/mlflow#2169): when the version entered its stage is unknown. */
    stageSince: null,
    updatedAt: iso(v.updatedAt), status: v.status ?? null, source: v.source ?? null, storageLocation: v.storageLocation ?? null,
  };
}

export async function showModel(source: RunSource, name: string, json: boolean): Promise<void> {
  const m = await getModel(source, name);
  const runs = await versionRuns(source, m.versions);
  if (json) {
    out.json({ name: m.name, description: m.description, aliases: m.aliases, versions: m.versions.map((v) => versionJson(v, v.runId ? runs.get(v.runId) : undefined)) });
    return;
  }
  const keyMetric = preferredMetric([...runs.values()].flatMap((r) => Object.keys(r.metrics)));
  out.line(`${m.name}${m.description ? ` — ${m.description}` : ''}`);
  out.line(
    table(
      ['version', 'stage', 'aliases', 'run', ...(keyMetric ? [keyMetric] : []), 'registered'],
      m.versions.map((v) => {
        const r = v.runId ? runs.get(v.runId) : undefined;
        return [`v${v.version}`, v.stage, v.aliases.map((a) => `@${a}`).join(' '), r?.name ?? v.runId ?? '', ...(keyMetric ? [fmtNumber(r?.metrics[keyMetric])] : []), fmtTime(v.createdAt)];
      }),
    ),
  );
}

/** How far in the past a time still counts as "now" for `models at` on MLflow (clocks and typing take a moment). */
const NOW_SLACK_MS = 60_000;

/**
 * `models at` on MLflow: MLflow keeps no registry history (mlflow/mlflow#2169), so only "now" (or a later time) has an
 * answer — the current stage or alias; an earlier time is bad input (exit 2) that says so.
 */
export async function modelAt(source: RunSource, m: SourceModel, time: number, q: { stage?: Stage; alias?: string }, json: boolean): Promise<void> {
  const name = m.name;
  if (time < Date.now() - NOW_SLACK_MS) {
    throw new UserInputError(`${source.uri} is an MLflow source: MLflow keeps no registry history (mlflow/mlflow#2169), so \`models at\` answers only for now (--time now), not for ${new Date(time).toISOString()}.`);
  }
  const versions = m.versions.filter((v) => (q.alias ? v.aliases.includes(q.alias) || m.aliases[q.alias] === v.version : v.stage === q.stage));
  const runs = await versionRuns(source, versions);
  const what = q.alias ? `@${q.alias}` : q.stage;
  if (json) {
    out.json({
      model: name, time: new Date(time).toISOString(), query: q.alias ? { alias: q.alias } : { stage: q.stage },
      versions: versions.map((v) => ({ version: v.version, runId: v.runId ?? null, runName: (v.runId && runs.get(v.runId)?.name) ?? null, since: null, modelSha256: null })),
      note: 'MLflow keeps no registry history (mlflow/mlflow#2169): this is the current state.',
    });
  } else {
    out.line(versions.length ? `Now, ${name} ${what}: ${versions.map((v) => `v${v.version}${v.runId ? ` (run ${runs.get(v.runId)?.name ?? v.runId})` : ''}`).join(', ')} (MLflow keeps no history: since when is not known)` : `Now, ${name} has no version in ${what}.`);
  }
}

/** The version a model URI names in an MLflow registry (the same rules and messages as the workspace registry). */
export async function resolveModelVersion(source: RunSource, uri: string): Promise<SourceModelVersion> {
  const p = parseModelUri(uri);
  const m = await getModel(source, p.name);
  return pickVersion(m, p, uri);
}

/** The MLmodel file of a version: through the source's model files, else `runs:/<run>/<path>/MLmodel` in its run. */
async function readMlmodel(source: RunSource, v: SourceModelVersion): Promise<string> {
  if (source.readModelVersionArtifact) {
    try {
      return Buffer.from(await source.readModelVersionArtifact(v.model, v.version, 'MLmodel')).toString('utf8');
    } catch (e) {
      if (!(e instanceof SourceError && e.code === 'not-found')) throw e;
    }
  }
  const m = /^runs:\/([^/]+)\/(.+?)\/*$/.exec(v.source ?? '');
  if (m) return Buffer.from(await source.readArtifact(m[1], `${m[2]}/MLmodel`)).toString('utf8');
  throw new SourceError('not-found', `no MLmodel file found for source ${v.source ?? '(none)'}`);
}

/** The flavours an MLmodel file declares, e.g. `python_function (loader mlflow.pyfunc.model), sklearn 1.4.2`. */
export function describeFlavours(mlmodel: string): string | undefined {
  const doc = parseYaml(mlmodel) as { flavors?: Record<string, Record<string, unknown> | null> } | null;
  const flavours = doc && typeof doc === 'object' && doc.flavors && typeof doc.flavors === 'object' ? doc.flavors : undefined;
  if (!flavours || !Object.keys(flavours).length) return undefined;
  return Object.entries(flavours)
    .map(([name, f]) => {
      const loader = f && typeof f.loader_module === 'string' ? ` (loader ${f.loader_module})` : '';
      const version = f && name !== 'python_function' ? (['sklearn_version', 'xgb_version', 'lgb_version', 'pytorch_version', 'keras_version'].map((k) => f[k]).find((x) => typeof x === 'string') as string | undefined) : undefined;
      return `${name}${version ? ` ${version}` : ''}${loader}`;
    })
    .join(', ');
}

/**
 * `predict` (and `drift --model`) on an MLflow model: the workbench loads only its own models, not MLflow's flavours
 * (pickled sklearn, pyfunc, …), so this is always bad input (exit 2) with one line naming the flavours from the
 * version's MLmodel file when it can be read.
 */
export async function refuseMlflowModel(source: RunSource, uri: string, command: string): Promise<never> {
  const v = await resolveModelVersion(source, uri);
  let flavours: string | undefined;
  let why = '';
  try {
    flavours = describeFlavours(await readMlmodel(source, v));
    if (!flavours) why = 'its MLmodel file names no flavour';
  } catch (e) {
    why = `its MLmodel file could not be read: ${e instanceof Error ? e.message : String(e)}`;
  }
  const what = flavours ? `an MLflow model with flavour${flavours.includes(', ') ? 's' : ''} ${flavours}` : `an MLflow model (${why})`;
  throw new UserInputError(`${v.model} v${v.version} (${uri}) is ${what}: \`mlops ${command}\` cannot load MLflow flavours in this version (it runs models trained by the workbench); use MLflow to serve it (mlflow models predict -m models:/${v.model}/${v.version}).`);
}
