/**
 * Writing runs into MLflow's SQLite store (`mlflow.db`) for `mlops push`, through the `sqlite3` program
 * (./sqliteCli.ts: SQLite's own locks, as MLflow takes them). Rows are the ones MLflow's SqlAlchemyStore writes
 * (schemas of alembic revisions from MLflow 1.x's latest_metrics to 3.x; checked column by column when opened):
 *
 *   experiments     inserted, then artifact_location set from the id SQLite gave it (as MLflow does)
 *   runs + tags     one transaction: a run never exists without its `mlops.run_id` tag
 *   params          INSERT OR IGNORE, then any differing value reported (MLflow params never change)
 *   metrics         INSERT OR IGNORE (the primary key is key, timestamp, step, run, value, is_nan); NaN as 0 with
 *                   is_nan, ±Infinity as ±max double, as MLflow stores them
 *   latest_metrics  upserted when (step, timestamp, value) is larger, in the same transaction
 *
 * Artifacts go to the run's artifact_uri when it is a folder on this machine, else `mlruns/<exp>/<run>/artifacts`
 * next to the database (and the run records that folder). The registry side (`--models`) is in ./sqliteModelWrites.ts.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MetricPoint } from '../../store/types';
import { copyFileAtomic } from '../../util/atomicFs';
import { localPathOf } from '../localArtifacts';
import { SourceError } from '../types';
import { UNLIMITED_BATCH, type LogBatch, type RunWriter, type TargetArtifact, type TargetRun } from '../writeTypes';
import { doubleFromHex, runSql, sqlDouble, sqliteCliAvailable, sqlInt, sqlText } from './sqliteCli';
import { SqliteModelWriter } from './sqliteModelWrites';

/** Columns each table must have for the rows we write; other columns must be nullable or have a default. */
const WRITTEN: Record<string, string[]> = {
  experiments: ['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time'],
  runs: ['run_uuid', 'name', 'source_type', 'source_name', 'entry_point_name', 'user_id', 'status', 'start_time', 'end_time', 'source_version', 'lifecycle_stage', 'artifact_uri', 'experiment_id', 'deleted_time'],
  tags: ['key', 'value', 'run_uuid'],
  params: ['key', 'value', 'run_uuid'],
  metrics: ['key', 'value', 'timestamp', 'run_uuid', 'step', 'is_nan'],
  latest_metrics: ['key', 'value', 'timestamp', 'step', 'is_nan', 'run_uuid'],
};
const MAX_DOUBLE = Number.MAX_VALUE;
const ROWS_PER_INSERT = 500;

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** A metric value as MLflow's SQL store keeps it: [value, is_nan]. */
function stored(v: number): [number, 0 | 1] {
  if (Number.isNaN(v)) return [0, 1];
  if (v === Infinity) return [MAX_DOUBLE, 0];
  if (v === -Infinity) return [-MAX_DOUBLE, 0];
  return [v, 0];
}

export class MlflowSqliteWriter implements RunWriter {
  readonly kind = 'mlflow-sqlite' as const;
  readonly uri: string;
  readonly limits = UNLIMITED_BATCH;
  readonly models: SqliteModelWriter;
  private checked?: Promise<void>;

  constructor(readonly file: string) {
    this.file = path.resolve(file);
    this.uri = `sqlite:///${this.file}`;
    this.models = new SqliteModelWriter(this.file);
    if (!sqliteCliAvailable()) {
      throw new SourceError('read-only', `${this.file}: writing to an mlflow.db needs the sqlite3 program, which takes SQLite's locks as MLflow does (rewriting the file from here could lose a concurrent MLflow writer's commits); install it (Debian: apt-get install sqlite3) or push to a tracking server serving this database`, this.file);
    }
  }

  async close(): Promise<void> {}

  private sql(sql: string): Promise<Record<string, unknown>[]> {
    return runSql(this.file, sql);
  }

  /** Once: every table and column we write exists, and no column we leave empty must be filled. */
  private check(): Promise<void> {
    this.checked ??= (async () => {
      const names = Object.keys(WRITTEN).map(sqlText).join(', ');
      const cols = await this.sql(`SELECT m.name AS t, p.name AS c, p."notnull" AS nn, p.dflt_value AS d, p.pk AS pk FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name IN (${names});`);
      const rev = str((await this.sql(`SELECT version_num FROM alembic_version;`).catch(() => []))[0]?.version_num) || 'unknown';
      for (const [table, wanted] of Object.entries(WRITTEN)) {
        const have = cols.filter((c) => c.t === table);
        const missing = wanted.filter((w) => !have.some((c) => c.c === w));
        const unfilled = have.filter((c) => !wanted.includes(str(c.c)) && Number(c.nn) === 1 && c.d === null && !Number(c.pk));
        if (missing.length || unfilled.length) {
          const what = missing.length ? `has no column ${missing.join(', ')}` : `needs ${unfilled.map((c) => str(c.c)).join(', ')}, which this version does not write`;
          throw new SourceError('schema', `${this.file}: table ${table} ${what} (alembic revision ${rev}); push to a tracking server of that MLflow version instead`, this.file);
        }
      }
    })();
    return this.checked;
  }

  async ensureExperiment(name: string): Promise<{ id: string; created: boolean }> {
    await this.check();
    const found = await this.sql(`SELECT experiment_id AS id, lifecycle_stage AS stage FROM experiments WHERE name = ${sqlText(name)};`);
    if (found.length) {
      if (found[0].stage === 'deleted') throw new SourceError('invalid', `${this.file}: experiment '${name}' is deleted there (restore it in MLflow, or push into another experiment with --target-experiment)`, this.file);
      return { id: str(found[0].id), created: false };
    }
    const root = await this.artifactRoot();
    const now = Date.now();
    try {
      const rows = await this.sql(`BEGIN IMMEDIATE;
INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (${sqlText(name)}, NULL, 'active', ${now}, ${now});
UPDATE experiments SET artifact_location = ${sqlText(root + '/')} || experiment_id WHERE name = ${sqlText(name)};
COMMIT;
SELECT experiment_id AS id FROM experiments WHERE name = ${sqlText(name)};`);
      return { id: str(rows[0]?.id), created: true };
    } catch (e) {
      if (e instanceof SourceError && /UNIQUE/i.test(e.message)) return this.ensureExperiment(name); // created meanwhile
      throw e;
    }
  }

  /** Where new experiments keep artifacts: beside the Default experiment's folder when that is on this machine, else `mlruns/` next to the database. */
  private async artifactRoot(): Promise<string> {
    const rows = await this.sql(`SELECT artifact_location AS a FROM experiments WHERE experiment_id = 0;`);
    const local = localPathOf(str(rows[0]?.a)) ?? (str(rows[0]?.a) && !/^[a-z][a-z0-9+.-]*:/i.test(str(rows[0]?.a)) ? str(rows[0]?.a) : undefined);
    if (local && fs.existsSync(path.dirname(local))) return pathToFileURL(path.dirname(local)).href;
    return pathToFileURL(path.join(path.dirname(this.file), 'mlruns')).href;
  }

  async findRunsByTag(experimentId: string, key: string): Promise<TargetRun[]> {
    await this.check();
    const rows = await this.sql(`SELECT r.run_uuid AS id, r.name AS name, r.status AS status, r.start_time AS st, r.end_time AS et, r.artifact_uri AS au, r.experiment_id AS exp,
  (SELECT json_group_object(p.key, p.value) FROM params p WHERE p.run_uuid = r.run_uuid) AS params,
  (SELECT json_group_object(t.key, t.value) FROM tags t WHERE t.run_uuid = r.run_uuid) AS tags
FROM runs r WHERE r.experiment_id = ${sqlInt(Number(experimentId))} AND r.lifecycle_stage = 'active'
  AND EXISTS (SELECT 1 FROM tags k WHERE k.run_uuid = r.run_uuid AND k.key = ${sqlText(key)});`);
    return rows.map((r) => ({
      id: str(r.id), experimentId: str(r.exp), name: str(r.name), status: str(r.status) || 'RUNNING', startTime: Number(r.st ?? 0), endTime: r.et === null || r.et === undefined ? null : Number(r.et),
      ...(r.au ? { artifactUri: str(r.au) } : {}), params: JSON.parse(str(r.params) || '{}') as Record<string, string>, tags: JSON.parse(str(r.tags) || '{}') as Record<string, string>,
    }));
  }

  async createRun(experimentId: string, init: { name: string; startTime: number; tags: Record<string, string> }): Promise<TargetRun> {
    await this.check();
    const exp = await this.sql(`SELECT artifact_location AS a FROM experiments WHERE experiment_id = ${sqlInt(Number(experimentId))};`);
    if (!exp.length) throw new SourceError('not-found', `${this.file}: no experiment ${experimentId}`, this.file);
    const id = crypto.randomBytes(16).toString('hex');
    const expLocal = localPathOf(str(exp[0].a));
    const artifactUri = expLocal && fs.existsSync(path.dirname(expLocal)) ? `${pathToFileURL(expLocal).href}/${id}/artifacts` : pathToFileURL(path.join(path.dirname(this.file), 'mlruns', experimentId, id, 'artifacts')).href;
    let user = '';
    try {
      user = os.userInfo().username;
    } catch {
      /* unknown */
    }
    const tags = Object.entries(init.tags).map(([k, v]) => `(${sqlText(k)}, ${sqlText(v)}, ${sqlText(id)})`);
    await this.sql(`BEGIN IMMEDIATE;
INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
  VALUES (${sqlText(id)}, ${sqlText(init.name)}, 'UNKNOWN', '', '', ${sqlText(user)}, 'RUNNING', ${sqlInt(init.startTime)}, NULL, '', 'active', ${sqlText(artifactUri)}, ${sqlInt(Number(experimentId))}, NULL);
${tags.length ? `INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES ${tags.join(', ')};` : ''}
COMMIT;`);
    return { id, experimentId, name: init.name, status: 'RUNNING', startTime: init.startTime, endTime: null, artifactUri, params: {}, tags: { ...init.tags } };
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const rows = await this.sql(`SELECT hex(ieee754_to_blob(value)) AS v, is_nan AS n, timestamp AS t, step AS s FROM metrics WHERE run_uuid = ${sqlText(runId)} AND key = ${sqlText(key)};`);
    return rows.map((r) => ({ key, value: Number(r.n) ? NaN : doubleFromHex(str(r.v)), timestamp: Number(r.t), step: Number(r.s) }));
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const id = sqlText(runId);
    const parts: string[] = ['BEGIN IMMEDIATE;'];
    for (let i = 0; i < batch.params.length; i += ROWS_PER_INSERT) {
      parts.push(`INSERT OR IGNORE INTO params (key, value, run_uuid) VALUES ${batch.params.slice(i, i + ROWS_PER_INSERT).map((p) => `(${sqlText(p.key)}, ${sqlText(p.value)}, ${id})`).join(', ')};`);
    }
    for (let i = 0; i < batch.metrics.length; i += ROWS_PER_INSERT) {
      const rows = batch.metrics.slice(i, i + ROWS_PER_INSERT).map((m) => {
        const [v, nan] = stored(m.value);
        return `(${sqlText(m.key)}, ${sqlDouble(v)}, ${sqlInt(m.timestamp)}, ${id}, ${sqlInt(m.step)}, ${nan})`;
      });
      parts.push(`INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ${rows.join(', ')};`);
    }
    parts.push(...latestUpserts(runId, batch.metrics));
    for (let i = 0; i < batch.tags.length; i += ROWS_PER_INSERT) {
      parts.push(`INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES ${batch.tags.slice(i, i + ROWS_PER_INSERT).map((t) => `(${sqlText(t.key)}, ${sqlText(t.value)}, ${id})`).join(', ')};`);
    }
    const runName = batch.tags.find((t) => t.key === 'mlflow.runName');
    if (runName) parts.push(`UPDATE runs SET name = ${sqlText(runName.value)} WHERE run_uuid = ${id};`);
    parts.push('COMMIT;');
    if (batch.params.length) {
      const wanted = batch.params.map((p) => `(key = ${sqlText(p.key)} AND value <> ${sqlText(p.value)})`).join(' OR ');
      parts.push(`SELECT key, value FROM params WHERE run_uuid = ${id} AND (${wanted});`);
    }
    const conflicts = await this.sql(parts.join('\n'));
    if (conflicts.length) throw new SourceError('invalid', `${this.file}: param '${str(conflicts[0].key)}' of run ${runId} is already '${str(conflicts[0].value)}'; MLflow params cannot change`, this.file);
  }

  async updateRun(runId: string, update: { status: string; endTime: number | null; name: string }): Promise<void> {
    const id = sqlText(runId);
    await this.sql(`BEGIN IMMEDIATE;
UPDATE runs SET status = ${sqlText(update.status)}, end_time = ${sqlInt(update.endTime)}, name = ${sqlText(update.name)} WHERE run_uuid = ${id};
INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES ('mlflow.runName', ${sqlText(update.name)}, ${id});
COMMIT;`);
  }

  private artifactDir(run: TargetRun): string {
    const local = localPathOf(run.artifactUri);
    if (local) return local;
    throw new SourceError('invalid', `${this.file}: run ${run.id} keeps its artifacts at ${run.artifactUri ?? '(no artifact URI)'}, which this push cannot write (push without artifacts: --no-artifacts, or through a tracking server)`, this.file);
  }

  async listArtifactFiles(run: TargetRun): Promise<TargetArtifact[]> {
    const out: TargetArtifact[] = [];
    const walk = (dir: string, rel: string): void => {
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
        else if (e.isFile() && !e.name.startsWith('.tmp-')) out.push({ path: rel + e.name, size: fs.statSync(path.join(dir, e.name)).size });
      }
    };
    walk(this.artifactDir(run), '');
    return out;
  }

  async writeArtifact(run: TargetRun, relPath: string, file: string): Promise<void> {
    const target = path.join(this.artifactDir(run), ...relPath.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    copyFileAtomic(file, target);
  }
}

/** latest_metrics: per key, the batch's largest (step, timestamp, value) replaces the row when larger, as MLflow does. */
function latestUpserts(runId: string, metrics: MetricPoint[]): string[] {
  const best = new Map<string, { step: number; timestamp: number; value: number; nan: 0 | 1 }>();
  for (const m of metrics) {
    const [value, nan] = stored(m.value);
    const cur = best.get(m.key);
    if (!cur || m.step > cur.step || (m.step === cur.step && (m.timestamp > cur.timestamp || (m.timestamp === cur.timestamp && value > cur.value)))) best.set(m.key, { step: m.step, timestamp: m.timestamp, value, nan });
  }
  return [...best].map(([key, b]) => `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (${sqlText(key)}, ${sqlDouble(b.value)}, ${sqlInt(b.timestamp)}, ${sqlInt(b.step)}, ${b.nan}, ${sqlText(runId)})
  ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
  WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value);`);
}
