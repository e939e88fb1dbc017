/**
 * The registry endpoints of an MLflow tracking server (REST API 2.0, MLflow 2.x and 3.x): reading one model, stage
 * transitions, aliases, descriptions, tags, and registering a version. Each call is one request (or a short poll) and
 * returns what the server answered; the audit trail and the promotion rule are the caller's
 * (core/mlflowRegistry/). Bodies are JSON for every method but GET, as MLflow's own client sends them (DELETE and
 * PATCH included).
 */
import { SourceError, type SourceModel, type SourceModelVersion } from '../types';
import type { CallOptions, MlflowHttp, RequestSpec } from './http';
import { list, obj, ShapeError, toModel, toModelVersion } from './mapping';

const API = '/api/2.0/mlflow';
const VERSIONS_PAGE = 10_000;
const MAX_PAGES = 1_000;

export class MlflowRegistryClient {
  constructor(private readonly http: MlflowHttp) {}

  /** The model with its versions, aliases and tags; undefined when the server has no model of that name. */
  async getModel(name: string, call: CallOptions = {}): Promise<SourceModel | undefined> {
    let body: Record<string, unknown>;
    try {
      body = await this.call('GET', 'registered-models/get', { name }, call);
    } catch (e) {
      if (e instanceof SourceError && e.code === 'not-found') return undefined;
      throw e;
    }
    const model = this.shape('registered-models/get', () => toModel(obj(body.registered_model, 'registered_model'), 'registered_model'));
    model.versions = await this.versionsOf(name, call);
    for (const [alias, version] of Object.entries(model.aliases)) {
      const v = model.versions.find((x) => x.version === version);
      if (v && !v.aliases.includes(alias)) v.aliases.push(alias);
    }
    for (const v of model.versions) v.aliases.sort();
    return model;
  }

  /** Every version of one model (model-versions/search, filtered by name on the server when the name can be quoted). */
  private async versionsOf(name: string, call: CallOptions): Promise<SourceModelVersion[]> {
    const quote = !name.includes("'") ? "'" : !name.includes('"') ? '"' : undefined;
    const out: SourceModelVersion[] = [];
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const query = { max_results: VERSIONS_PAGE, ...(quote ? { filter: `name=${quote}${name}${quote}` } : {}), ...(token ? { page_token: token } : {}) };
      const body = await this.call('GET', 'model-versions/search', query, call);
      this.shape('model-versions/search', () => list(body, 'model_versions', 'answer').forEach((x, i) => out.push(toModelVersion(x, `model_versions[${i}]`))));
      const next = body.next_page_token;
      if (typeof next !== 'string' || !next || next === token) break;
      token = next;
    }
    return out.filter((v) => v.model === name).sort((a, b) => a.version - b.version);
  }

  async getVersion(name: string, version: number, call: CallOptions = {}): Promise<SourceModelVersion> {
    const body = await this.call('GET', 'model-versions/get', { name, version: String(version) }, call);
    return this.version('model-versions/get', body);
  }

  /** MLflow's transition-stage; `archiveExisting` moves the other versions in that stage to Archived (Production/Staging only). */
  async transitionStage(name: string, version: number, stage: string, archiveExisting: boolean, call: CallOptions = {}): Promise<SourceModelVersion> {
    const body = await this.call('POST', 'model-versions/transition-stage', { name, version: String(version), stage, archive_existing_versions: archiveExisting }, call);
    return this.version('model-versions/transition-stage', body);
  }

  async setAlias(name: string, alias: string, version: number, call: CallOptions = {}): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version: String(version) }, call);
  }

  async deleteAlias(name: string, alias: string, call: CallOptions = {}): Promise<void> {
    await this.call('DELETE', 'registered-models/alias', { name, alias }, call);
  }

  async updateModelDescription(name: string, description: string, call: CallOptions = {}): Promise<void> {
    await this.call('PATCH', 'registered-models/update', { name, description }, call);
  }

  async updateVersionDescription(name: string, version: number, description: string, call: CallOptions = {}): Promise<void> {
    await this.call('PATCH', 'model-versions/update', { name, version: String(version), description }, call);
  }

  async setModelTag(name: string, key: string, value: string, call: CallOptions = {}): Promise<void> {
    await this.call('POST', 'registered-models/set-tag', { name, key, value }, call);
  }

  async setVersionTag(name: string, version: number, key: string, value: string, call: CallOptions = {}): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version: String(version), key, value }, call);
  }

  async deleteVersionTag(name: string, version: number, key: string, call: CallOptions = {}): Promise<void> {
    await this.call('DELETE', 'model-versions/delete-tag', { name, version: String(version), key }, call);
  }

  /** Creates the registered model; false when it already existed (also when a concurrent request created it). */
  async createModel(name: string, call: CallOptions = {}): Promise<boolean> {
    try {
      await this.call('POST', 'registered-models/create', { name }, call);
      return true;
    } catch (e) {
      if (e instanceof SourceError && /RESOURCE_ALREADY_EXISTS/.test(e.message)) return false;
      throw e;
    }
  }

  /** A new version (never retried after the server may have acted: a second request would make a second version). */
  async createVersion(name: string, source: string, runId: string, description: string | undefined, call: CallOptions = {}): Promise<SourceModelVersion> {
    const body = await this.call('POST', 'model-versions/create', { name, source, run_id: runId, ...(description ? { description } : {}) }, call, false);
    return this.version('model-versions/create', body);
  }

  /** Polls model-versions/get until the version is READY; FAILED_REGISTRATION or the time limit is an error. */
  async waitReady(name: string, version: number, options: { timeoutMs?: number; pollMs?: number } & CallOptions = {}): Promise<SourceModelVersion> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const v = await this.getVersion(name, version, options);
      if (!v.status || v.status === 'READY') return v;
      if (v.status === 'FAILED_REGISTRATION') throw this.http.error('server', `${API}/model-versions/get`, `${name} v${version}: registration failed on the server (FAILED_REGISTRATION)`);
      if (Date.now() > deadline) throw this.http.error('server', `${API}/model-versions/get`, `${name} v${version} is still ${v.status} after ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    }
  }

  private call(method: RequestSpec['method'], endpoint: string, args: Record<string, unknown>, call: CallOptions, idempotent = true): Promise<Record<string, unknown>> {
    const path = `${API}/${endpoint}`;
    const spec: RequestSpec = method === 'GET' ? { method, path, query: args as Record<string, string | number>, signal: call.signal } : { method, path, body: args, signal: call.signal, idempotent };
    return this.http.json(spec);
  }

  private version(endpoint: string, body: Record<string, unknown>): SourceModelVersion {
    return this.shape(endpoint, () => toModelVersion(obj(body.model_version, 'model_version'), 'model_version'));
  }

  private shape<T>(endpoint: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ShapeError) throw this.http.error('server', `${API}/${endpoint}`, `unexpected answer (${e.message}): not an MLflow REST API 2.0 this client knows`);
      throw e;
    }
  }
}
