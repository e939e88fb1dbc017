/**
 * MLflow REST JSON → the source shapes, checking the shape as it goes: an answer we do not understand is a
 * `ShapeError` naming the member (the source turns it into SourceError 'server' with the URL), never a wrong value.
 *
 * protobuf's JSON: int64 may come as strings, doubles as "NaN"/"Infinity", empty lists and maps are omitted.
 */
import type { MetricPoint } from '../../store/types';
import { mapMlflowStatus, MLFLOW_NOTE_TAG, MLFLOW_PARENT_RUN_TAG, MLFLOW_RUN_NAME_TAG } from '../mlflowCommon';
import type { SourceArtifact, SourceExperiment, SourceModel, SourceModelVersion, SourceRun } from '../types';

export class ShapeError extends Error {}

type Obj = Record<string, unknown>;

export function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(`${at} is not an object`);
  return v as Obj;
}

/** A list member; absent means empty (protobuf omits empty lists). */
export function list(o: Obj, key: string, at: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ShapeError(`${at}.${key} is not a list`);
  return v;
}

function str(o: Obj, key: string, at: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ShapeError(`${at}.${key} is ${v === undefined ? 'missing' : 'not text'}`);
  return v;
}

function optStr(o: Obj, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ShapeError(`${at}.${key} is not text`);
  return v;
}

/** int64 (number or decimal string) or double ("NaN", "Infinity", "-Infinity" as protobuf writes them). */
function optNum(o: Obj, key: string, at: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  }
  throw new ShapeError(`${at}.${key} is not a number`);
}

function num(o: Obj, key: string, at: string): number {
  const v = optNum(o, key, at);
  if (v === undefined) throw new ShapeError(`${at}.${key} is missing`);
  return v;
}

/** `[{key, value}]` → `{key: value}` (params, tags). */
function keyValues(o: Obj, member: string, at: string): Record<string, string> {
  const out: Record<string, string> = {};
  list(o, member, at).forEach((x, i) => {
    const kv = obj(x, `${at}.${member}[${i}]`);
    out[str(kv, 'key', `${at}.${member}[${i}]`)] = optStr(kv, 'value', `${at}.${member}[${i}]`) ?? '';
  });
  return out;
}

export function toExperiment(v: unknown, at: string): SourceExperiment {
  const e = obj(v, at);
  const created = optNum(e, 'creation_time', at);
  const location = optStr(e, 'artifact_location', at);
  return {
    id: str(e, 'experiment_id', at),
    name: str(e, 'name', at),
    ...(created !== undefined ? { createdAt: created } : {}),
    lifecycle: optStr(e, 'lifecycle_stage', at) === 'deleted' ? 'deleted' : 'active',
    ...(location !== undefined ? { artifactLocation: location } : {}),
    tags: keyValues(e, 'tags', at),
  };
}

export function toRun(v: unknown, at: string, experimentName: (id: string) => string, now = Date.now()): SourceRun {
  const r = obj(v, at);
  const info = obj(r.info, `${at}.info`);
  const data = r.data === undefined ? {} : obj(r.data, `${at}.data`);
  const id = optStr(info, 'run_id', `${at}.info`) ?? str(info, 'run_uuid', `${at}.info`);
  const experimentId = str(info, 'experiment_id', `${at}.info`);
  const tags = keyValues(data, 'tags', `${at}.data`);
  const params = keyValues(data, 'params', `${at}.data`);
  const metrics: Record<string, number> = {};
  list(data, 'metrics', `${at}.data`).forEach((x, i) => {
    const m = obj(x, `${at}.data.metrics[${i}]`);
    metrics[str(m, 'key', `${at}.data.metrics[${i}]`)] = num(m, 'value', `${at}.data.metrics[${i}]`);
  });
  const sourceStatus = optStr(info, 'status', `${at}.info`) ?? 'RUNNING';
  const status = mapMlflowStatus(sourceStatus);
  const startTime = optNum(info, 'start_time', `${at}.info`) ?? 0;
  const endTime = optNum(info, 'end_time', `${at}.info`) ?? null;
  const artifactUri = optStr(info, 'artifact_uri', `${at}.info`);
  const parent = tags[MLFLOW_PARENT_RUN_TAG];
  return {
    id,
    experimentId,
    experimentName: experimentName(experimentId),
    name: optStr(info, 'run_name', `${at}.info`) || tags[MLFLOW_RUN_NAME_TAG] || '',
    status,
    effectiveStatus: status,
    sourceStatus,
    interrupted: false,
    startTime,
    endTime,
    duration: Math.max(0, (endTime ?? now) - startTime),
    params,
    tags,
    metrics,
    notes: tags[MLFLOW_NOTE_TAG] ?? '',
    ...(parent ? { parentRunId: parent } : {}),
    lifecycle: optStr(info, 'lifecycle_stage', `${at}.info`) === 'deleted' ? 'deleted' : 'active',
    ...(artifactUri !== undefined ? { artifactUri } : {}),
    problems: [],
  };
}

export function toMetricPoint(v: unknown, at: string, key: string): MetricPoint {
  const m = obj(v, at);
  return { key: optStr(m, 'key', at) ?? key, value: num(m, 'value', at), step: optNum(m, 'step', at) ?? 0, timestamp: optNum(m, 'timestamp', at) ?? 0 };
}

export function toArtifact(v: unknown, at: string): SourceArtifact {
  const f = obj(v, at);
  const isDir = f.is_dir === true;
  const size = optNum(f, 'file_size', at);
  return { path: str(f, 'path', at), isDir, ...(!isDir && size !== undefined ? { size } : {}) };
}

export function toModel(v: unknown, at: string): SourceModel {
  const m = obj(v, at);
  const aliases: Record<string, number> = {};
  list(m, 'aliases', at).forEach((x, i) => {
    const a = obj(x, `${at}.aliases[${i}]`);
    aliases[str(a, 'alias', `${at}.aliases[${i}]`)] = num(a, 'version', `${at}.aliases[${i}]`);
  });
  const created = optNum(m, 'creation_timestamp', at);
  const updated = optNum(m, 'last_updated_timestamp', at);
  return {
    name: str(m, 'name', at),
    description: optStr(m, 'description', at) ?? '',
    tags: keyValues(m, 'tags', at),
    aliases,
    versions: [],
    ...(created !== undefined ? { createdAt: created } : {}),
    ...(updated !== undefined ? { updatedAt: updated } : {}),
  };
}

export function toModelVersion(v: unknown, at: string): SourceModelVersion {
  const m = obj(v, at);
  const runId = optStr(m, 'run_id', at);
  const source = optStr(m, 'source', at);
  const updated = optNum(m, 'last_updated_timestamp', at);
  const status = optStr(m, 'status', at);
  return {
    model: str(m, 'name', at),
    version: num(m, 'version', at),
    stage: optStr(m, 'current_stage', at) ?? 'None',
    // MLflow ≥ 2.3 lists a version's aliases with it (as plain strings); the model's alias map is merged in too.
    aliases: list(m, 'aliases', at).map((a, i) => {
      if (typeof a !== 'string') throw new ShapeError(`${at}.aliases[${i}] is not text`);
      return a;
    }),
    ...(runId ? { runId } : {}),
    ...(source !== undefined ? { source } : {}),
    description: optStr(m, 'description', at) ?? '',
    tags: keyValues(m, 'tags', at),
    createdAt: optNum(m, 'creation_timestamp', at) ?? 0,
    ...(updated !== undefined ? { updatedAt: updated } : {}),
    ...(status !== undefined ? { status } : {}),
  };
}
