/**
 * An MLflow tracking server (`http(s)://host[:port][/prefix]`, REST API 2.0), read-only, as a `RunSource`.
 *
 * Every list is paged with page_token and always sends max_results (mlflow/mlflow#23916: without it, get-history
 * returns nothing and a token that never advances in MLflow 3.4+); a token that does not advance is an error, not a
 * loop. runs/search is a POST (2.12 answers 405 to GET). The filter language is pushed down where MLflow can take it
 * (./filter.ts) and the whole expression is evaluated locally too, so `or` and `not` work; when a page needs local
 * filtering it is filled from as many server pages as it takes, and our page token remembers where inside a server
 * page it stopped.
 *
 * Every method takes an optional `{ signal }`; `close()` aborts what is in flight.
 */
import { createHash } from 'node:crypto';
import type { MetricPoint } from '../../store/types';
import { evaluate, FilterSyntaxError, parseFilter, parseOrderKey, type Expr } from '../../tracking/filter';
import { SourceError, type RunPage, type RunQuery, type RunSource, type SourceArtifact, type SourceExperiment, type SourceModel, type SourceRun } from '../types';
import type { MlflowServerOptions } from './auth';
import { planServerFilter, type ServerFilterPlan } from './filter';
import { MlflowHttp, type CallOptions, type RequestSpec } from './http';
import { list, obj, ShapeError, toArtifact, toExperiment, toMetricPoint, toModel, toModelVersion, toRun } from './mapping';
import { MlflowRegistryClient } from './registryWrites';

const API = '/api/2.0/mlflow';
/** MLflow's limits (2.12 and 3.x): runs/search 50,000 per page, registered models 1,000, experiments 50,000. */
export const RUNS_PAGE_MAX = 50_000;
export const RUNS_PAGE_DEFAULT = 1_000;
const EXPERIMENTS_PAGE = 1_000;
const MODELS_PAGE = 1_000;
const VERSIONS_PAGE = 10_000;
/** What the Python client sends for metrics/get-history. */
export const HISTORY_PAGE = 25_000;
/** A server page when the filter has to be finished locally: big enough that a selective filter takes few requests. */
const LOCAL_FILTER_SERVER_PAGE = 1_000;
/** No list has more pages than this; a server that keeps answering with new tokens is broken. */
const MAX_PAGES = 100_000;


interface PageState {
  v: 1;
  /** fingerprint of the query the token belongs to */
  q: string;
  /** experiment ids the first page resolved (kept so later pages ask the same question) */
  e: string[];
  /** server filter sent ('' when the server rejected ours and we filter everything locally) */
  f: string;
  /** server page size */
  n: number;
  /** server page token of the page to read next (absent: the first page) */
  t?: string;
  /** runs of that server page already looked at */
  s: number;
}

export class MlflowServerSource implements RunSource {
  readonly kind = 'mlflow-server' as const;
  readonly uri: string;
  readonly label: string;
  readonly writable = false;
  private readonly http: MlflowHttp;
  private readonly experimentNames = new Map<string, string>();
  private readonly artifactUris = new Map<string, string>();
  /** The last server page of runs/search, so that the next page of a locally filtered search (which usually starts
   *  inside it) does not fetch it again. Only used for a continuation token, for a minute. */
  private lastPage?: { key: string; at: number; page: { runs: SourceRun[]; next?: string } };

  constructor(uri: string, options: MlflowServerOptions = {}) {
    this.http = new MlflowHttp(uri, options);
    this.uri = this.http.address.uri;
    this.label = this.http.address.label;
  }

  async close(): Promise<void> {
    this.http.close();
  }

  /** The registry's write endpoints over this source's connection (credentials, timeouts, retries). */
  registryClient(): MlflowRegistryClient {
    return new MlflowRegistryClient(this.http);
  }

  // ------------------------------------------------------------------ experiments

  async listExperiments(options: { includeDeleted?: boolean } & CallOptions = {}): Promise<SourceExperiment[]> {
    const out: SourceExperiment[] = [];
    await this.pages(
      { method: 'GET', path: `${API}/experiments/search`, query: { max_results: EXPERIMENTS_PAGE, view_type: options.includeDeleted ? 'ALL' : 'ACTIVE_ONLY' }, signal: options.signal },
      (body) => {
        list(body, 'experiments', 'answer').forEach((x, i) => {
          const e = toExperiment(x, `experiments[${i}]`);
          this.experimentNames.set(e.id, e.name);
          out.push(e);
        });
      },
    );
    return out;
  }

  private async experimentName(id: string, signal?: AbortSignal): Promise<string> {
    const known = this.experimentNames.get(id);
    if (known !== undefined) return known;
    const path = `${API}/experiments/get`;
    const body = await this.http.json({ method: 'GET', path, query: { experiment_id: id }, signal });
    const e = this.shape(path, () => toExperiment(obj(body.experiment, 'experiment'), 'experiment'));
    this.experimentNames.set(e.id, e.name);
    return e.name;
  }

  /** Names for the experiments of these runs (a request per experiment not seen before). */
  private async resolveNames(runsJson: unknown[], signal?: AbortSignal): Promise<void> {
    const ids = new Set<string>();
    for (const r of runsJson) {
      const id = (r as { info?: { experiment_id?: unknown } })?.info?.experiment_id;
      if (typeof id === 'string' && !this.experimentNames.has(id)) ids.add(id);
    }
    for (const id of ids) await this.experimentName(id, signal);
  }

  // ------------------------------------------------------------------ runs

  async searchRuns(query: RunQuery = {}, call: CallOptions = {}): Promise<RunPage> {
    let expr: Expr | undefined;
    try {
      expr = query.filter ? parseFilter(query.filter) : undefined;
    } catch (e) {
      if (e instanceof FilterSyntaxError) throw new SourceError('invalid', `Filter: ${e.message}`, this.uri);
      throw e;
    }
    const plan = planServerFilter(expr);
    const pageSize = Math.max(1, Math.min(RUNS_PAGE_MAX, Math.floor(query.maxResults ?? RUNS_PAGE_DEFAULT)));
    const orderBy = (query.orderBy ?? []).map((o) => this.orderByClause(o));
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([query.filter ?? '', orderBy, [...(query.experimentIds ?? [])].sort(), !!query.includeDeleted]))
      .digest('base64url')
      .slice(0, 16);

    let state: PageState;
    if (query.pageToken) state = this.decodeToken(query.pageToken, fingerprint);
    else {
      const experimentIds = await this.experimentIdsFor(query, plan, call.signal);
      state = { v: 1, q: fingerprint, e: experimentIds, f: plan.filter, n: plan.exact ? pageSize : Math.max(pageSize, LOCAL_FILTER_SERVER_PAGE), s: 0 };
    }
    if (state.e.length === 0) return { runs: [], problems: [] };
    // The server's answer needs local filtering unless our whole expression went to the server (and was taken).
    const localFilter = (): Expr | undefined => (expr && !(plan.exact && state.f === plan.filter) ? expr : undefined);

    const runs: SourceRun[] = [];
    let token = state.t;
    let skip = state.s;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await this.cachedRunsPage(state, token, skip > 0, query, orderBy, call.signal);
      const local = localFilter();
      for (let i = skip; i < page.runs.length; i++) {
        const run = page.runs[i];
        if (local && !evaluate(local, run)) continue;
        runs.push(run);
        if (runs.length === pageSize) {
          const next: PageState | undefined = i + 1 < page.runs.length ? { ...state, t: token, s: i + 1 } : page.next ? { ...state, t: page.next, s: 0 } : undefined;
          return { runs, ...(next ? { nextPageToken: this.encodeToken(next) } : {}), problems: [] };
        }
      }
      if (!page.next) return { runs, problems: [] };
      if (page.next === token) throw this.http.error('server', `${API}/runs/search`, 'the page token did not advance (a server bug, mlflow/mlflow#23916): stopped paging');
      token = page.next;
      skip = 0;
    }
    throw this.http.error('server', `${API}/runs/search`, `more than ${MAX_PAGES} pages: stopped paging`);
  }

  private async cachedRunsPage(state: PageState, token: string | undefined, reuse: boolean, query: RunQuery, orderBy: string[], signal?: AbortSignal): Promise<{ runs: SourceRun[]; next?: string }> {
    const key = JSON.stringify([state.q, state.e, state.f, state.n, token ?? '']);
    if (reuse && this.lastPage && this.lastPage.key === key && Date.now() - this.lastPage.at < 60_000) return this.lastPage.page;
    const page = await this.runsPage(state, token, query, orderBy, signal);
    this.lastPage = { key: JSON.stringify([state.q, state.e, state.f, state.n, token ?? '']), at: Date.now(), page };
    return page;
  }

  /** One server page of runs/search. A server that rejects our translated filter gets none: we filter locally. */
  private async runsPage(state: PageState, token: string | undefined, query: RunQuery, orderBy: string[], signal?: AbortSignal): Promise<{ runs: SourceRun[]; next?: string }> {
    const path = `${API}/runs/search`;
    const request = (filter: string): RequestSpec => ({
      method: 'POST',
      path,
      body: {
        experiment_ids: state.e,
        ...(filter ? { filter } : {}),
        run_view_type: query.includeDeleted ? 'ALL' : 'ACTIVE_ONLY',
        max_results: state.n,
        ...(orderBy.length ? { order_by: orderBy } : {}),
        ...(token ? { page_token: token } : {}),
      },
      signal,
    });
    let body: Record<string, unknown>;
    try {
      body = await this.http.json(request(state.f));
    } catch (e) {
      if (!(e instanceof SourceError && e.code === 'invalid' && state.f && !token)) throw e;
      this.http.log(`${e.message}; filtering locally instead of with: ${state.f}`);
      state.f = '';
      body = await this.http.json(request(''));
    }
    const runsJson = this.shape(path, () => list(body, 'runs', 'answer'));
    await this.resolveNames(runsJson, signal);
    const runs = this.shape(path, () => runsJson.map((r, i) => toRun(r, `runs[${i}]`, (id) => this.experimentNames.get(id) ?? id)));
    for (const r of runs) if (r.artifactUri !== undefined) this.artifactUris.set(r.id, r.artifactUri);
    const next = body.next_page_token;
    if (next !== undefined && typeof next !== 'string') throw this.http.error('server', path, 'unexpected answer: next_page_token is not text');
    return { runs, ...(next ? { next } : {}) };
  }

  private async experimentIdsFor(query: RunQuery, plan: ServerFilterPlan, signal?: AbortSignal): Promise<string[]> {
    let ids = query.experimentIds;
    let experiments: SourceExperiment[] | undefined;
    // Absent ids mean the active experiments; named ones (`experiment = 'x'`) may be deleted ones the caller asked for.
    if (!ids || plan.experimentNames) experiments = await this.listExperiments({ includeDeleted: !!ids, signal });
    if (!ids) ids = experiments!.filter((e) => e.lifecycle === 'active').map((e) => e.id);
    if (plan.experimentNames) {
      const named = new Set(experiments!.filter((e) => plan.experimentNames!.includes(e.name)).map((e) => e.id));
      ids = ids.filter((id) => named.has(id));
    }
    return [...new Set(ids)];
  }

  /** 'metrics.rmse ASC', 'start_time DESC', 'name' → MLflow's order_by (keys in backticks, our attribute names mapped). */
  private orderByClause(clause: string): string {
    const m = /^(.*?)(?:\s+(asc|desc))?\s*$/i.exec(clause.trim())!;
    let field;
    try {
      field = parseOrderKey(m[1]);
    } catch (e) {
      throw new SourceError('invalid', `Order by '${clause}': ${e instanceof Error ? e.message : String(e)}`, this.uri);
    }
    const dir = m[2] ? ` ${m[2].toUpperCase()}` : '';
    if (field.kind !== 'attribute') {
      if (field.key.includes('`')) throw new SourceError('invalid', `Order by '${clause}': MLflow cannot order by a key with a backtick`, this.uri);
      return `${field.kind === 'metric' ? 'metrics' : field.kind === 'param' ? 'params' : 'tags'}.\`${field.key}\`${dir}`;
    }
    const column = { name: 'run_name', run_id: 'run_id', status: 'status', start_time: 'start_time', end_time: 'end_time' }[field.key as string];
    if (!column) throw new SourceError('invalid', `Order by '${clause}': an MLflow server orders by metrics, params, tags, name, status, start_time or end_time, not ${field.key}`, this.uri);
    return `attributes.${column}${dir}`;
  }

  private encodeToken(s: PageState): string {
    return Buffer.from(JSON.stringify(s), 'utf8').toString('base64url');
  }

  private decodeToken(token: string, fingerprint: string): PageState {
    let s: PageState | undefined;
    try {
      s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageState;
    } catch {
      s = undefined;
    }
    const ok = s && s.v === 1 && Array.isArray(s.e) && s.e.every((x) => typeof x === 'string') && typeof s.f === 'string' && Number.isInteger(s.n) && s.n > 0 && Number.isInteger(s.s) && s.s >= 0 && (s.t === undefined || typeof s.t === 'string');
    if (!s || !ok) throw new SourceError('invalid', 'Not a page token of this source (start again from the first page)', this.uri);
    if (s.q !== fingerprint) throw new SourceError('invalid', 'The page token belongs to another query (filter, order, experiments): start again from the first page', this.uri);
    return s;
  }

  async getRun(runId: string, call: CallOptions = {}): Promise<SourceRun> {
    const run = await this.fetchRun(runId, call.signal);
    if (run.lifecycle === 'deleted') throw this.http.error('not-found', `${API}/runs/get`, `run ${runId} was deleted`);
    return run;
  }

  /** runs/get, deleted runs included. */
  private async fetchRun(runId: string, signal?: AbortSignal): Promise<SourceRun> {
    const path = `${API}/runs/get`;
    const body = await this.http.json({ method: 'GET', path, query: { run_id: runId }, signal });
    const raw = this.shape(path, () => obj(body.run, 'run'));
    await this.resolveNames([raw], signal);
    const run = this.shape(path, () => toRun(raw, 'run', (id) => this.experimentNames.get(id) ?? id));
    if (run.artifactUri !== undefined) this.artifactUris.set(run.id, run.artifactUri);
    return run;
  }

  async metricHistory(runId: string, key: string, call: CallOptions = {}): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    await this.pages({ method: 'GET', path: `${API}/metrics/get-history`, query: { run_id: runId, metric_key: key, max_results: HISTORY_PAGE }, signal: call.signal }, (body) => {
      list(body, 'metrics', 'answer').forEach((x, i) => points.push(toMetricPoint(x, `metrics[${i}]`, key)));
    });
    // Stable: points with the same step and timestamp keep the server's order.
    return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  // ------------------------------------------------------------------ artifacts

  async listArtifacts(runId: string, dir = '', call: CallOptions = {}): Promise<SourceArtifact[]> {
    const rel = this.artifactPath(dir, true);
    const out: SourceArtifact[] = [];
    // artifacts/list has a page_token but no max_results (it is not in its request message).
    await this.pages({ method: 'GET', path: `${API}/artifacts/list`, query: { run_id: runId, ...(rel ? { path: rel } : {}) }, signal: call.signal }, (body) => {
      list(body, 'files', 'answer').forEach((x, i) => out.push(toArtifact(x, `files[${i}]`)));
    });
    return out;
  }

  /**
   * Through the server's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/…`) when the run's artifact URI is
   * `mlflow-artifacts:`, else `/get-artifact?path=&run_uuid=` (the server reads its artifact store for us).
   */
  async readArtifact(runId: string, path: string, call: CallOptions = {}): Promise<Uint8Array> {
    const rel = this.artifactPath(path, false);
    const artifactUri = this.artifactUris.get(runId) ?? (await this.fetchRun(runId, call.signal)).artifactUri ?? '';
    const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
    const spec: RequestSpec = proxied
      ? { method: 'GET', path: `/api/2.0/mlflow-artifacts/artifacts/${[...proxied[1].split('/').filter(Boolean), ...rel.split('/')].map(encodeURIComponent).join('/')}`, signal: call.signal }
      : { method: 'GET', path: '/get-artifact', query: { path: rel, run_uuid: runId }, signal: call.signal };
    let bytes: Buffer;
    try {
      bytes = await this.http.bytes({ ...spec, maxBytes: this.http.maxArtifactBytes });
    } catch (e) {
      // MLflow 2.12 answers a missing artifact with 500 INTERNAL_ERROR ("No such file or directory"): look it up.
      if (e instanceof SourceError && e.status !== undefined && e.code !== 'unauthorized' && !(await this.artifactExists(runId, rel, call.signal))) {
        throw this.http.error('not-found', spec.path, `no artifact '${rel}' in run ${runId}`, e.status);
      }
      throw e;
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Whether the run lists `rel` as a file; true when that cannot be told (the original error then stands). */
  private async artifactExists(runId: string, rel: string, signal?: AbortSignal): Promise<boolean> {
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    try {
      return (await this.listArtifacts(runId, dir, { signal })).some((a) => a.path === rel && !a.isDir);
    } catch (e) {
      return e instanceof SourceError && e.code === 'not-found' ? false : true;
    }
  }

  /** 'a/b.txt' as given, '/'-separated; no '..', no absolute paths, no NUL. */
  private artifactPath(p: string, allowRoot: boolean): string {
    const rel = p.replace(/^\.\/+/, '').replace(/\/+$/, '');
    const bad = rel.includes('\0') || rel.startsWith('/') || /^[a-zA-Z]:/.test(rel) || rel.split(/[/\\]/).some((s) => s === '..') || (!rel && !allowRoot);
    if (bad) throw new SourceError('invalid', `Artifact path '${p.replace(/\0/g, '\\0')}' is not a path inside the run's artifacts`, this.uri);
    return rel;
  }

  // ------------------------------------------------------------------ registry

  async listModels(call: CallOptions = {}): Promise<SourceModel[]> {
    const models: SourceModel[] = [];
    await this.pages({ method: 'GET', path: `${API}/registered-models/search`, query: { max_results: MODELS_PAGE }, signal: call.signal }, (body) => {
      list(body, 'registered_models', 'answer').forEach((x, i) => models.push(toModel(x, `registered_models[${i}]`)));
    });
    const byName = new Map(models.map((m) => [m.name, m]));
    await this.pages({ method: 'GET', path: `${API}/model-versions/search`, query: { max_results: VERSIONS_PAGE }, signal: call.signal }, (body) => {
      list(body, 'model_versions', 'answer').forEach((x, i) => {
        const v = toModelVersion(x, `model_versions[${i}]`);
        // Versions of models the search did not list (MLflow 3.x prompts) are not models here.
        byName.get(v.model)?.versions.push(v);
      });
    });
    for (const m of models) {
      for (const [alias, version] of Object.entries(m.aliases)) {
        const v = m.versions.find((x) => x.version === version);
        if (v && !v.aliases.includes(alias)) v.aliases.push(alias);
      }
      for (const v of m.versions) v.aliases.sort();
      m.versions.sort((a, b) => a.version - b.version);
    }
    return models.sort((a, b) => a.name.localeCompare(b.name));
  }

  // ------------------------------------------------------------------ plumbing

  /** Every page of a GET list: page_token follows next_page_token until there is none; a token that repeats stops it. */
  private async pages(spec: RequestSpec, onPage: (body: Record<string, unknown>) => void): Promise<void> {
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const body = await this.http.json({ ...spec, query: { ...spec.query, ...(token ? { page_token: token } : {}) } });
      this.shape(spec.path, () => onPage(body));
      const next = body.next_page_token;
      if (next === undefined || next === '' || next === null) return;
      if (typeof next !== 'string') throw this.http.error('server', spec.path, 'unexpected answer: next_page_token is not text');
      if (next === token) throw this.http.error('server', spec.path, 'the page token did not advance (a server bug, mlflow/mlflow#23916): stopped paging');
      token = next;
    }
    throw this.http.error('server', spec.path, `more than ${MAX_PAGES} pages: stopped paging`);
  }

  /** An answer whose shape we do not know is SourceError 'server' naming the URL and the member. */
  private shape<T>(path: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ShapeError) throw this.http.error('server', path, `unexpected answer (${e.message}): not an MLflow REST API 2.0 this reader knows`);
      throw e;
    }
  }
}
