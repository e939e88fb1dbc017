/**
 * MLflow's SQLite store (`mlflow.db`), read-only, as a `RunSource`, for any schema from MLflow 2.0 to 3.x: the tables
 * and columns that exist are read (PRAGMA table_info), a table the reader needs that is missing is a SourceError
 * 'schema' naming the database's alembic revision and the revision that adds it.
 *
 * The file is read whole into sql.js (see sqlJs.ts for why) only when it is stable (stableRead.ts: never a half-written
 * state while MLflow writes), and read again only when its size or times change: a refresh of an unchanged store is
 * one stat. Runs, params, tags and latest metrics are loaded per state; metric histories, the registry and logged
 * models are queried from the same in-memory copy, so all answers of one state agree.
 */
import * as path from 'node:path';
import type { MetricPoint, StoreProblem } from '../../store/types';
import { errorMessage } from '../../util/errors';
import { artifactSegments, listArtifactFolder, locateArtifactFolder, readArtifactFile, refuseRemote } from '../localArtifacts';
import { buildMlflowRun, withPresent } from '../mlflowRun';
import { DEFAULT_MAX_RESULTS, encodePageToken, pageSize, selectRuns } from '../runQuery';
import { sortRunsBy } from '../../tracking/filter';
import { SourceError, type RunPage, type RunQuery, type RunSource, type SourceArtifact, type SourceExperiment, type SourceModel, type SourceModelVersion, type SourceRun } from '../types';
import { eachRow, eachRowYielding, queryAll, sqlJs, type Database, type SqlValue } from './sqlJs';
import { checkSqliteHeader, readStable, sameSignature, signatureOf, type FileSignature, type StableReadOptions } from './stableRead';

/** Tables a reader of runs needs: MLflow's initial schema (every 1.x, 2.x and 3.x database has them). */
const RUN_TABLES = ['experiments', 'runs', 'params', 'tags', 'metrics'];
/** The alembic revision that added each table this reader uses (mlflow/store/db_migrations/versions). */
const ADDED_BY: Record<string, string> = {
  latest_metrics: '89d4b8295536',
  experiment_tags: 'df50e92ffc5e',
  registered_models: '2b4d017a5e9b',
  model_versions: '2b4d017a5e9b',
  registered_model_tags: '728d730b5ebd',
  model_version_tags: '27a6a02d2cf1',
  registered_model_aliases: '3500859a5d39',
};
const DELETED_STAGE = 'Deleted_Internal';

export interface MlflowSqliteSourceOptions extends StableReadOptions {
  /** Drop the in-memory copy of the database after this long without a query (ms, default 60000). The runs stay loaded. */
  idleReleaseMs?: number;
}

interface Loaded {
  signature: FileSignature;
  revision?: string;
  tables: Set<string>;
  experiments: Map<string, SourceExperiment>;
  runs: Map<string, SourceRun>;
  problems: StoreProblem[];
}

/** A stable read opened in sql.js, not loaded yet (the first page was answered from it). */
interface Opened {
  db: Database;
  signature: FileSignature;
  walMode: boolean;
}

interface State {
  loaded: Loaded;
  /** The in-memory copy the runs were loaded from; undefined once released when idle. */
  db?: Database;
}

const str = (v: SqlValue | undefined): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v));
const num = (v: SqlValue | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined);

export class MlflowSqliteSource implements RunSource {
  readonly kind = 'mlflow-sqlite' as const;
  readonly writable = false;
  readonly uri: string;
  readonly label: string;
  readonly file: string;
  private state?: State;
  private opened?: Opened;
  /** Every use of the database runs in this queue, one at a time: loads, queries and the idle release never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    file: string,
    private readonly options: MlflowSqliteSourceOptions = {},
  ) {
    this.file = path.resolve(file);
    // MLflow's own URI form: sqlite:/// + the absolute path (four slashes on POSIX).
    this.uri = `sqlite:///${this.file.replace(/\\/g, '/')}`;
    this.label = `${path.basename(path.dirname(this.file))}/${path.basename(this.file)}`;
  }

  async listExperiments(options: { includeDeleted?: boolean } = {}): Promise<SourceExperiment[]> {
    const keep = (e: SourceExperiment) => options.includeDeleted || e.lifecycle === 'active';
    if (this.closed) throw new SourceError('invalid', `${this.file}: the source is closed`, this.file);
    // Not loaded yet (or changed): the experiments table alone, from a read the first page and the load then reuse.
    const unloaded = await this.enqueue(async () => {
      const signature = await signatureOf(this.file);
      if (this.state && sameSignature(signature, this.state.loaded.signature)) return undefined;
      try {
        const opened = await this.openedNow(signature);
        return readExperiments(opened.db, this.schemaOf(opened.db).tables);
      } catch (e) {
        throw this.sqlError(e);
      }
    });
    if (unloaded) return [...unloaded.values()].filter(keep);
    return this.use(false, (s) => [...s.loaded.experiments.values()].filter(keep));
  }

  async searchRuns(query: RunQuery = {}): Promise<RunPage> {
    if (!query.filter && !query.orderBy?.length && !query.pageToken && !query.includeDeleted && (query.maxResults ?? DEFAULT_MAX_RESULTS) <= DEFAULT_MAX_RESULTS) {
      if (this.closed) throw new SourceError('invalid', `${this.file}: the source is closed`, this.file);
      const page = await this.enqueue(() => this.firstPageFromSql(query).catch((e: unknown) => Promise.reject(this.sqlError(e))));
      if (page) return page;
    }
    return this.use(false, (s) => {
      const active = new Set([...s.loaded.experiments.values()].filter((e) => e.lifecycle === 'active').map((e) => e.id));
      return { ...selectRuns(s.loaded.runs.values(), query, active), problems: s.loaded.problems };
    });
  }

  async getRun(runId: string): Promise<SourceRun> {
    return this.use(false, (s) => this.runOf(s, runId));
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return this.use(true, (s, db) => {
      this.runOf(s, runId);
      const points: MetricPoint[] = [];
      eachRow(
        db,
        `SELECT step, timestamp, value, is_nan FROM metrics${runIndexOf(db)} WHERE run_uuid = ? AND "key" = ? ORDER BY step, timestamp, value`,
        ([step, timestamp, value, isNan]) => points.push({ key, step: num(step) ?? 0, timestamp: num(timestamp) ?? 0, value: isNan ? NaN : (num(value) ?? NaN) }),
        [runId, key],
      );
      return points;
    });
  }

  async listArtifacts(runId: string, dir?: string): Promise<SourceArtifact[]> {
    const run = await this.getRun(runId);
    return listArtifactFolder(await this.runArtifactFolder(run), dir, `Run ${runId}`);
  }

  async readArtifact(runId: string, artifactPath: string): Promise<Uint8Array> {
    const run = await this.getRun(runId);
    return readArtifactFile(await this.runArtifactFolder(run), artifactPath, `Run ${runId}`);
  }

  async listModels(): Promise<SourceModel[]> {
    return this.use(true, (s, db) => this.readModels(s, db));
  }

  async listModelVersionArtifacts(model: string, version: number, dir?: string): Promise<SourceArtifact[]> {
    return listArtifactFolder(await this.modelVersionFolder(model, version), dir, `${model} version ${version}`);
  }

  async readModelVersionArtifact(model: string, version: number, artifactPath: string): Promise<Uint8Array> {
    return readArtifactFile(await this.modelVersionFolder(model, version), artifactPath, `${model} version ${version}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.enqueue(() => {
      this.state?.db?.close();
      this.state = undefined;
      this.opened?.db.close();
      this.opened = undefined;
    });
  }

  // ------------------------------------------------------------------ loading

  private enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs `fn` on the current committed state (loading it when the file changed); `needDb`: with the in-memory database. */
  private use<T>(needDb: true, fn: (s: State, db: Database) => T): Promise<T>;
  private use<T>(needDb: false, fn: (s: State) => T): Promise<T>;
  private use<T>(needDb: boolean, fn: (s: State, db: Database) => T): Promise<T> {
    if (this.closed) return Promise.reject(new SourceError('invalid', `${this.file}: the source is closed`, this.file));
    return this.enqueue(async () => {
      const s = await this.current(needDb);
      this.armIdleRelease();
      try {
        return fn(s, s.db as Database);
      } catch (e) {
        throw this.sqlError(e);
      }
    });
  }

  private async current(needDb: boolean): Promise<State> {
    const signature = await signatureOf(this.file);
    const s = this.state;
    if (s && sameSignature(signature, s.loaded.signature) && (s.db || !needDb)) return s;
    // The read the first page was answered from, when the file has not changed since; else a new stable read.
    const opened = this.opened && sameSignature(signature, this.opened.signature) ? this.opened : await this.openFresh();
    this.opened = undefined;
    const { db, walMode } = opened;
    try {
      // Released when idle and the file is the same: the loaded runs are still those of this state.
      const loaded = s && sameSignature(opened.signature, s.loaded.signature) ? s.loaded : await this.load(db, opened.signature, walMode);
      s?.db?.close();
      this.state = { loaded, db };
      return this.state;
    } catch (e) {
      db.close();
      throw this.sqlError(e);
    }
  }

  private armIdleRelease(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      void this.enqueue(() => {
        this.state?.db?.close();
        if (this.state) this.state.db = undefined;
      });
    }, this.options.idleReleaseMs ?? 60_000);
    this.idleTimer.unref?.();
  }

  private sqlError(e: unknown): unknown {
    if (e instanceof SourceError) return e;
    const msg = errorMessage(e);
    if (/malformed|not a database|corrupt|disk I\/O error/i.test(msg)) return new SourceError('corrupt', `${this.file} is damaged: ${msg}`, this.file);
    if (/no such (table|column)/i.test(msg)) return new SourceError('schema', `${this.file}: ${msg} (alembic revision ${this.state?.loaded.revision ?? 'unknown'})`, this.file);
    return e;
  }

  private schemaError(table: string, revision: string | undefined, need: string): SourceError {
    const rev = revision ? `alembic revision ${revision}` : 'no alembic_version table: not a database MLflow created';
    const added = ADDED_BY[table] ? `; MLflow adds it in alembic revision ${ADDED_BY[table]} (run \`mlflow db upgrade\`)` : '';
    return new SourceError('schema', `${this.file} has no table '${table}' (${rev}), which ${need} needs${added}`, this.file);
  }

  private async load(db: Database, signature: FileSignature, walMode: boolean): Promise<Loaded> {
    const { tables, revision } = this.schemaOf(db);
    const problems = this.openProblems(walMode);
    const experiments = readExperiments(db, tables);
    const runs = await this.readRuns(db, tables, experiments, problems);
    return { signature, revision, tables, experiments, runs, problems };
  }

  /** The tables and alembic revision; SourceError 'schema' when a table every run reader needs is missing. */
  private schemaOf(db: Database): { tables: Set<string>; revision?: string } {
    const tables = new Set(queryAll(db, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r.name)));
    const revision = tables.has('alembic_version') ? str(queryAll(db, 'SELECT version_num FROM alembic_version')[0]?.version_num) : undefined;
    for (const t of RUN_TABLES) if (!tables.has(t)) throw this.schemaError(t, revision, 'reading runs');
    return { tables, revision };
  }

  private openProblems(walMode: boolean): StoreProblem[] {
    return walMode ? [{ file: this.file, message: 'the database is in WAL mode: changes still in mlflow.db-wal (not yet checkpointed) are not shown' }] : [];
  }

  /**
   * Runs with their params, tags and latest metrics: every run, or only `ids` (the first page, answered before the
   * whole store is loaded). Large tables give the event loop a turn every 5,000 rows.
   */
  private async readRuns(db: Database, tables: Set<string>, experiments: Map<string, SourceExperiment>, problems: StoreProblem[], ids?: string[]): Promise<Map<string, SourceRun>> {
    const only = ids ? ` WHERE run_uuid IN (${ids.map(() => '?').join(', ')})` : '';
    const args: SqlValue[] = ids ?? [];
    const byRun = <T>() => new Map<string, Record<string, T>>();
    const params = byRun<string>();
    const tags = byRun<string>();
    const metrics = byRun<number>();
    const put = <T>(m: Map<string, Record<string, T>>, run: SqlValue, k: SqlValue, v: T) => {
      const id = String(run);
      let rec = m.get(id);
      if (!rec) m.set(id, (rec = {}));
      rec[String(k)] = v;
    };
    await eachRowYielding(db, `SELECT run_uuid, "key", value FROM params${only}`, ([run, k, v]) => put(params, run, k, str(v) ?? ''), args);
    await eachRowYielding(db, `SELECT run_uuid, "key", value FROM tags${only}`, ([run, k, v]) => put(tags, run, k, str(v) ?? ''), args);
    if (tables.has('latest_metrics')) {
      await eachRowYielding(db, `SELECT run_uuid, "key", value, is_nan FROM latest_metrics${only}`, ([run, k, v, isNan]) => put(metrics, run, k, isNan ? NaN : (num(v) ?? NaN)), args);
    } else {
      // Before latest_metrics (alembic 89d4b8295536): MLflow's latest is the largest (step, timestamp, value).
      const best = new Map<string, [number, number, number]>();
      await eachRowYielding(db, `SELECT run_uuid, "key", value, is_nan, step, timestamp FROM metrics${only}`, ([run, k, v, isNan, step, ts]) => {
        const id = `${String(run)}\u0000${String(k)}`;
        const cand: [number, number, number] = [num(step) ?? 0, num(ts) ?? 0, isNan ? NaN : (num(v) ?? NaN)];
        const cur = best.get(id);
        if (!cur || cand[0] > cur[0] || (cand[0] === cur[0] && (cand[1] > cur[1] || (cand[1] === cur[1] && cand[2] > cur[2])))) best.set(id, cand);
      }, args);
      for (const [id, [, , v]] of best) {
        const [run, k] = id.split('\u0000');
        put(metrics, run, k, v);
      }
    }

    const runs = new Map<string, SourceRun>();
    const rc = columnsOf(db)('runs');
    const now = Date.now();
    const select = `SELECT run_uuid, ${opt(rc, 'name')}, status, start_time, end_time, ${opt(rc, 'lifecycle_stage')}, ${opt(rc, 'artifact_uri')}, experiment_id FROM runs${only}`;
    await eachRowYielding(db, select, ([runUuid, name, status, start, end, lifecycle, artifactUri, experimentId]) => {
      const id = String(runUuid);
      const exp = experiments.get(String(experimentId));
      if (!exp) problems.push({ file: this.file, message: `run ${id} belongs to experiment ${String(experimentId)}, which is not in the experiments table`, runId: id });
      const fields = { runId: id, experimentId: String(experimentId), experimentName: exp?.name ?? '', runName: str(name), status: str(status), startTime: num(start), endTime: num(end) };
      runs.set(id, buildMlflowRun({ ...fields, lifecycleStage: str(lifecycle), artifactUri: str(artifactUri), params: params.get(id) ?? {}, tags: tags.get(id) ?? {}, metrics: metrics.get(id) ?? {} }, now));
    }, args);
    return runs;
  }

  // ------------------------------------------------------------------ the first page before the whole store

  /**
   * The first page of the default query (newest first, no filter, no order, no token) straight from SQL, when the
   * store is not loaded yet (or changed): the tree's first request then costs one read of the file and a query of
   * the page's rows, not a load of every run. The rest loads right after, in the queue, for the next query. Why:
   * sql.js reads the whole file, and loading 10,000 runs' params, tags and metrics as well made the first page of a
   * 200 MB mlflow.db 1.7× slower than MLflow's own client (`npm run bench -- mlflow`).
   */
  private async firstPageFromSql(query: RunQuery): Promise<RunPage | undefined> {
    const signature = await signatureOf(this.file);
    if (this.state && sameSignature(signature, this.state.loaded.signature)) return undefined; // loaded: answer from memory
    const opened = await this.openedNow(signature);
    const { tables } = this.schemaOf(opened.db);
    const problems = this.openProblems(opened.walMode);
    const experiments = readExperiments(opened.db, tables);
    const size = pageSize(query.maxResults);
    const wanted = (query.experimentIds ?? [...experiments.values()].filter((e) => e.lifecycle === 'active').map((e) => e.id)).map(String);
    if (wanted.length === 0 || wanted.length > 500) return undefined;
    const rc = columnsOf(opened.db)('runs');
    const where = `experiment_id IN (${wanted.map(() => '?').join(', ')})${rc.has('lifecycle_stage') ? " AND COALESCE(lifecycle_stage, 'active') != 'deleted'" : ''}`;
    const total = num(queryAll(opened.db, `SELECT COUNT(*) AS n FROM runs WHERE ${where}`, wanted)[0]?.n) ?? 0;
    // The page's last start time; every run at or after it is a candidate, so ties sort exactly as selectRuns does.
    const boundary = queryAll(opened.db, `SELECT COALESCE(start_time, 0) AS t FROM runs WHERE ${where} ORDER BY COALESCE(start_time, 0) DESC LIMIT 1 OFFSET ?`, [...wanted, Math.min(size, Math.max(total, 1)) - 1])[0];
    const ids = boundary ? queryAll(opened.db, `SELECT run_uuid FROM runs WHERE ${where} AND COALESCE(start_time, 0) >= ?`, [...wanted, num(boundary.t) ?? 0]).map((r) => String(r.run_uuid)) : [];
    if (ids.length > size + 1000) return undefined; // thousands of runs with one start time: load them all instead
    const runs = await this.readRuns(opened.db, tables, experiments, problems, ids);
    const page = sortRunsBy([...runs.values()].filter((r) => wanted.includes(r.experimentId)), []).slice(0, size);
    void this.use(false, () => undefined).catch(() => undefined); // load the rest now, from the same read
    return { runs: page, ...(total > size ? { nextPageToken: encodePageToken(size, query) } : {}), problems };
  }

  /** The read kept from an earlier answer when the file has not changed since, else a new one. */
  private async openedNow(signature: FileSignature): Promise<Opened> {
    return this.opened && sameSignature(signature, this.opened.signature) ? this.opened : this.openFresh();
  }

  /** A stable read of the file opened in sql.js, kept for the next load of the same state. */
  private async openFresh(): Promise<Opened> {
    const read = await readStable(this.file, this.options);
    const { walMode } = checkSqliteHeader(this.file, read.bytes);
    const db = new (await sqlJs()).Database(read.bytes);
    if (this.opened) this.opened.db.close();
    this.opened = { db, signature: read.signature, walMode };
    return this.opened;
  }

  private runOf(s: State, runId: string): SourceRun {
    const run = s.loaded.runs.get(runId);
    if (!run) throw new SourceError('not-found', `No run ${runId} in ${this.file}`, this.file);
    return run;
  }

  private readModels(s: State, db: Database): SourceModel[] {
    const { tables, revision } = s.loaded;
    for (const t of ['registered_models', 'model_versions']) if (!tables.has(t)) throw this.schemaError(t, revision, 'the model registry');
    const cols = columnsOf(db);
    const models = new Map<string, SourceModel>();
    const m = cols('registered_models');
    for (const r of queryAll(db, `SELECT name, ${opt(m, 'description')}, ${opt(m, 'creation_time')}, ${opt(m, 'last_updated_time')} FROM registered_models ORDER BY name`)) {
      const model: SourceModel = { name: String(r.name), description: str(r.description) ?? '', tags: {}, aliases: {}, versions: [] };
      const created = num(r.creation_time);
      if (created !== undefined) model.createdAt = created;
      const updated = num(r.last_updated_time);
      if (updated !== undefined) model.updatedAt = updated;
      models.set(model.name, model);
    }
    if (tables.has('registered_model_tags')) {
      eachRow(db, 'SELECT name, "key", value FROM registered_model_tags', ([name, k, v]) => {
        const model = models.get(String(name));
        if (model) model.tags[String(k)] = str(v) ?? '';
      });
    }
    if (tables.has('registered_model_aliases')) {
      eachRow(db, 'SELECT name, alias, version FROM registered_model_aliases', ([name, alias, version]) => {
        const model = models.get(String(name));
        const v = num(version);
        if (model && v !== undefined) model.aliases[String(alias)] = v;
      });
    }
    const versionTags = new Map<string, Record<string, string>>();
    if (tables.has('model_version_tags')) {
      eachRow(db, 'SELECT name, version, "key", value FROM model_version_tags', ([name, version, k, v]) => {
        const id = `${String(name)}\u0000${String(version)}`;
        let rec = versionTags.get(id);
        if (!rec) versionTags.set(id, (rec = {}));
        rec[String(k)] = str(v) ?? '';
      });
    }
    const v = cols('model_versions');
    const select = ['name', 'version', 'current_stage', 'description', 'creation_time', 'last_updated_time', 'run_id', 'source', 'status', 'storage_location'].map((c) => opt(v, c)).join(', ');
    for (const r of queryAll(db, `SELECT ${select} FROM model_versions ORDER BY name, version`)) {
      const model = models.get(String(r.name));
      const stage = str(r.current_stage) ?? 'None';
      if (!model || stage === DELETED_STAGE) continue;
      const version = num(r.version) ?? 0;
      const mv: SourceModelVersion = {
        model: model.name,
        version,
        stage,
        aliases: Object.entries(model.aliases).filter(([, n]) => n === version).map(([a]) => a).sort(),
        description: str(r.description) ?? '',
        tags: versionTags.get(`${model.name}\u0000${String(r.version)}`) ?? {},
        createdAt: num(r.creation_time) ?? 0,
      };
      withPresent(mv, { runId: str(r.run_id), source: str(r.source), storageLocation: str(r.storage_location), updatedAt: num(r.last_updated_time), status: str(r.status) });
      model.versions.push(mv);
    }
    return [...models.values()];
  }

  // ------------------------------------------------------------------ artifacts

  /** Where artifacts recorded at `uri` may be on this machine besides the recorded path (a proxied artifact store). */
  private artifactFallbacks(uri: string | undefined): string[] {
    const proxied = uri && /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(uri);
    if (!proxied) return [];
    const segments = artifactSegments(proxied[1]);
    const dir = path.dirname(this.file);
    // `mlflow server --artifacts-destination` defaults to ./mlartifacts next to where the server ran.
    return [path.join(dir, 'mlartifacts', ...segments), path.join(dir, 'artifacts', ...segments)];
  }

  private runArtifactFolder(run: SourceRun): Promise<string | undefined> {
    refuseRemote(run.artifactUri, `Run ${run.id}`);
    return locateArtifactFolder(run.artifactUri, { bases: [path.dirname(this.file)], mustKeep: run.id, fallbacks: this.artifactFallbacks(run.artifactUri) });
  }

  private async modelVersionFolder(model: string, version: number): Promise<string | undefined> {
    const found = await this.use(true, (s, db) => {
      const v = this.readModels(s, db).find((m) => m.name === model)?.versions.find((x) => x.version === version);
      if (!v) throw new SourceError('not-found', `No version ${version} of model '${model}' in ${this.file}`, this.file);
      const logged = /^models:\/(m-[A-Za-z0-9]+)$/.exec(v.source ?? '');
      let loggedLocation: string | undefined;
      if (logged && s.loaded.tables.has('logged_models')) loggedLocation = str(queryAll(db, 'SELECT artifact_location FROM logged_models WHERE model_id = ?', [logged[1]])[0]?.artifact_location);
      return { v, loggedId: logged?.[1], loggedLocation };
    });
    const runsUri = /^runs:\/([^/]+)\/?(.*)$/.exec(found.v.source ?? '');
    if (runsUri) {
      const root = await this.runArtifactFolder(await this.getRun(runsUri[1]));
      return root && path.join(root, ...artifactSegments(runsUri[2]));
    }
    const recorded = found.loggedLocation ?? found.v.storageLocation ?? found.v.source;
    return locateArtifactFolder(recorded, { bases: [path.dirname(this.file)], mustKeep: found.loggedId ?? found.v.runId, fallbacks: this.artifactFallbacks(recorded) });
  }
}

/** The experiments table with its tags. */
function readExperiments(db: Database, tables: Set<string>): Map<string, SourceExperiment> {
  const experiments = new Map<string, SourceExperiment>();
  const e = columnsOf(db)('experiments');
  for (const r of queryAll(db, `SELECT experiment_id, name, ${opt(e, 'artifact_location')}, ${opt(e, 'lifecycle_stage')}, ${opt(e, 'creation_time')} FROM experiments`)) {
    const exp: SourceExperiment = { id: String(r.experiment_id), name: str(r.name) ?? '', lifecycle: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active', tags: {} };
    const created = num(r.creation_time);
    if (created !== undefined) exp.createdAt = created;
    const location = str(r.artifact_location);
    if (location) exp.artifactLocation = location;
    experiments.set(exp.id, exp);
  }
  if (tables.has('experiment_tags')) {
    eachRow(db, 'SELECT experiment_id, "key", value FROM experiment_tags', ([id, k, v]) => {
      const exp = experiments.get(String(id));
      if (exp) exp.tags[String(k)] = str(v) ?? '';
    });
  }
  return experiments;
}

/** Column names per table (PRAGMA table_info), to read what a schema version has. */
function columnsOf(db: Database): (table: string) => Set<string> {
  const cache = new Map<string, Set<string>>();
  return (table) => {
    let c = cache.get(table);
    if (!c) cache.set(table, (c = new Set(queryAll(db, `PRAGMA table_info("${table}")`).map((r) => String(r.name)))));
    return c;
  };
}

/** The column when the table has it, else NULL under its name. */
function opt(columns: Set<string>, name: string): string {
  return columns.has(name) ? name : `NULL AS ${name}`;
}

/**
 * ` INDEXED BY index_metrics_run_uuid` when MLflow's index on the metrics' run id is there. Without statistics
 * (MLflow never runs ANALYZE) SQLite answers "this run's history of this key" through the primary key, which starts
 * with the key: it reads that key's points of every run (100,000 rows in the 10,000-run bench db, 14 ms a history)
 * instead of this run's few (0.1 ms). MLflow's own client asks the same way and pays the same scan.
 */
const runIndexCache = new WeakMap<Database, string>();
function runIndexOf(db: Database): string {
  let clause = runIndexCache.get(db);
  if (clause === undefined) {
    clause = queryAll(db, "SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND name = 'index_metrics_run_uuid' AND tbl_name = 'metrics'").length ? ' INDEXED BY index_metrics_run_uuid' : '';
    runIndexCache.set(db, clause);
  }
  return clause;
}
