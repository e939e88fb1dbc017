/**
 * Writing runs to an MLflow tracking server (REST API 2.0) for `mlops push`: experiments/get-by-name and create,
 * runs/search by tag, runs/create (never retried after it may have reached the server: a retry could make a second
 * run), runs/log-batch, runs/update, metrics/get-history, artifacts/list, and artifact uploads — PUT
 * `/api/2.0/mlflow-artifacts/artifacts/…` when the run's artifact URI is `mlflow-artifacts:` (the server proxies
 * artifacts), a plain copy when it is a `file:` folder on this machine, refused otherwise (one line saying why).
 *
 * The registry writes `--models` needs are in ./versionWrites.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricPoint } from '../../store/types';
import { localPathOf } from '../localArtifacts';
import { SourceError } from '../types';
import { MLFLOW_BATCH_LIMITS, type LogBatch, type RunWriter, type TargetArtifact, type TargetRun } from '../writeTypes';
import type { MlflowServerOptions } from './auth';
import { MlflowHttp } from './http';
import { list, obj, ShapeError, toArtifact, toExperiment, toMetricPoint, toRun } from './mapping';
import { HISTORY_PAGE } from './source';
import { ServerModelWriter } from './versionWrites';

const API = '/api/2.0/mlflow';
const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';
const SEARCH_PAGE = 10_000;
const MAX_PAGES = 100_000;

/** JSON has no NaN or ±Infinity: protobuf's JSON spells them as strings, which MLflow's parser takes. */
export function jsonDouble(v: number): number | string {
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export class MlflowServerWriter implements RunWriter {
  readonly kind = 'mlflow-server' as const;
  readonly uri: string;
  readonly limits = MLFLOW_BATCH_LIMITS;
  readonly http: MlflowHttp;
  readonly models: ServerModelWriter;

  constructor(uri: string, options: MlflowServerOptions = {}) {
    this.http = new MlflowHttp(uri, options);
    this.uri = this.http.address.uri;
    this.models = new ServerModelWriter(this.http);
  }

  async close(): Promise<void> {
    this.http.close();
  }

  async ensureExperiment(name: string): Promise<{ id: string; created: boolean }> {
    const found = await this.experimentByName(name);
    if (found) return { id: found, created: false };
    try {
      const body = await this.http.json({ method: 'POST', path: `${API}/experiments/create`, body: { name }, idempotent: false });
      if (typeof body.experiment_id !== 'string') throw this.http.error('server', `${API}/experiments/create`, 'unexpected answer: no experiment_id');
      return { id: body.experiment_id, created: true };
    } catch (e) {
      // Created meanwhile (another push, or a retry of ours that did reach the server): use it.
      const again = e instanceof SourceError && e.status !== undefined && e.status < 500 ? await this.experimentByName(name) : undefined;
      if (again) return { id: again, created: false };
      throw e;
    }
  }

  private async experimentByName(name: string): Promise<string | undefined> {
    const p = `${API}/experiments/get-by-name`;
    let body: Record<string, unknown>;
    try {
      body = await this.http.json({ method: 'GET', path: p, query: { experiment_name: name } });
    } catch (e) {
      if (e instanceof SourceError && e.code === 'not-found') return undefined;
      throw e;
    }
    const exp = this.shape(p, () => toExperiment(obj(body.experiment, 'experiment'), 'experiment'));
    if (exp.lifecycle === 'deleted') {
      throw new SourceError('invalid', `MLflow server ${this.uri}: experiment '${name}' is deleted there (restore it in MLflow, or push into another experiment with --target-experiment)`, this.uri);
    }
    return exp.id;
  }

  async findRunsByTag(experimentId: string, key: string): Promise<TargetRun[]> {
    const out: TargetRun[] = [];
    const p = `${API}/runs/search`;
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const body = await this.http.json({
        method: 'POST',
        path: p,
        body: { experiment_ids: [experimentId], filter: `tags."${key}" LIKE '%'`, run_view_type: 'ACTIVE_ONLY', max_results: SEARCH_PAGE, ...(token ? { page_token: token } : {}) },
      });
      for (const r of this.shape(p, () => list(body, 'runs', 'answer'))) out.push(this.targetRun(p, r));
      const next = body.next_page_token;
      if (typeof next !== 'string' || next === '') return out;
      if (next === token) throw this.http.error('server', p, 'the page token did not advance: stopped paging');
      token = next;
    }
    throw this.http.error('server', p, `more than ${MAX_PAGES} pages: stopped paging`);
  }

  async createRun(experimentId: string, init: { name: string; startTime: number; tags: Record<string, string> }): Promise<TargetRun> {
    const p = `${API}/runs/create`;
    const tags = Object.entries(init.tags).map(([key, value]) => ({ key, value }));
    const body = await this.http.json({ method: 'POST', path: p, body: { experiment_id: experimentId, run_name: init.name, start_time: init.startTime, tags }, idempotent: false });
    return this.targetRun(p, body.run);
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const p = `${API}/metrics/get-history`;
    const points: MetricPoint[] = [];
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const body = await this.http.json({ method: 'GET', path: p, query: { run_id: runId, metric_key: key, max_results: HISTORY_PAGE, ...(token ? { page_token: token } : {}) } });
      this.shape(p, () => list(body, 'metrics', 'answer').forEach((x, i) => points.push(toMetricPoint(x, `metrics[${i}]`, key))));
      const next = body.next_page_token;
      if (typeof next !== 'string' || next === '') return points;
      if (next === token) throw this.http.error('server', p, 'the page token did not advance (mlflow/mlflow#23916): stopped paging');
      token = next;
    }
    throw this.http.error('server', p, `more than ${MAX_PAGES} pages: stopped paging`);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const metrics = batch.metrics.map((m) => ({ key: m.key, value: jsonDouble(m.value), timestamp: m.timestamp, step: m.step }));
    await this.http.json({ method: 'POST', path: `${API}/runs/log-batch`, body: { run_id: runId, metrics, params: batch.params, tags: batch.tags } });
  }

  async updateRun(runId: string, update: { status: string; endTime: number | null; name: string }): Promise<void> {
    await this.http.json({ method: 'POST', path: `${API}/runs/update`, body: { run_id: runId, status: update.status, ...(update.endTime !== null ? { end_time: update.endTime } : {}), run_name: update.name } });
  }

  async listArtifactFiles(run: TargetRun): Promise<TargetArtifact[]> {
    const out: TargetArtifact[] = [];
    const walk = async (dir: string): Promise<void> => {
      const p = `${API}/artifacts/list`;
      const body = await this.http.json({ method: 'GET', path: p, query: { run_id: run.id, ...(dir ? { path: dir } : {}) } });
      for (const f of this.shape(p, () => list(body, 'files', 'answer').map((x, i) => toArtifact(x, `files[${i}]`)))) {
        if (f.isDir) await walk(f.path);
        else out.push({ path: f.path, size: f.size ?? -1 });
      }
    };
    await walk('');
    return out;
  }

  async writeArtifact(run: TargetRun, relPath: string, file: string): Promise<void> {
    const uri = run.artifactUri ?? '';
    const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
    if (proxied) {
      const segments = [...proxied[1].split('/').filter(Boolean), ...relPath.split('/')].map(encodeURIComponent);
      await this.http.json({ method: 'PUT', path: `${ARTIFACTS_API}/${segments.join('/')}`, raw: await fs.promises.readFile(file) });
      return;
    }
    // A file: artifact root on this machine (a server started with --default-artifact-root and no proxy): copy.
    const local = localPathOf(uri);
    if (local && fs.existsSync(path.dirname(path.dirname(path.dirname(local))))) {
      const target = path.join(local, ...relPath.split('/'));
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.copyFile(file, target);
      return;
    }
    throw new SourceError('invalid', `MLflow server ${this.uri}: run ${run.id} keeps its artifacts at ${uri || '(no artifact URI)'}, which this machine cannot write and the server does not proxy (start the server with --serve-artifacts, or push without artifacts: --no-artifacts)`, this.uri);
  }

  private targetRun(where: string, raw: unknown): TargetRun {
    const r = this.shape(where, () => toRun(raw, 'run', (id) => id));
    return { id: r.id, experimentId: r.experimentId, name: r.name, status: r.sourceStatus ?? 'RUNNING', startTime: r.startTime, endTime: r.endTime, ...(r.artifactUri !== undefined ? { artifactUri: r.artifactUri } : {}), params: r.params as Record<string, string>, tags: r.tags };
  }

  private shape<T>(where: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ShapeError) throw this.http.error('server', where, `unexpected answer (${e.message})`);
      throw e;
    }
  }
}
