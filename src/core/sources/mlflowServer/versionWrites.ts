/**
 * The registry writes `mlops push --models` needs on a tracking server: registered-models/get and create,
 * model-versions/search, model-versions/create (never retried after it may have reached the server), set-tag,
 * transition-stage (never archiving other versions: the push sets each version's own stage) and
 * registered-models/alias. Other registry writes (descriptions, deletions, audit) are not here.
 */
import { SourceError } from '../types';
import type { ModelWriter, TargetModelVersion } from '../writeTypes';
import type { MlflowHttp } from './http';
import { list, obj, ShapeError, toModel, toModelVersion } from './mapping';

const API = '/api/2.0/mlflow';
const VERSIONS_PAGE = 10_000;

export class ServerModelWriter implements ModelWriter {
  constructor(private readonly http: MlflowHttp) {}

  async ensureModel(name: string, description: string): Promise<void> {
    try {
      await this.http.json({ method: 'GET', path: `${API}/registered-models/get`, query: { name } });
      return;
    } catch (e) {
      if (!(e instanceof SourceError && e.code === 'not-found')) throw e;
    }
    try {
      await this.http.json({ method: 'POST', path: `${API}/registered-models/create`, body: { name, description }, idempotent: false });
    } catch (e) {
      // RESOURCE_ALREADY_EXISTS: created meanwhile.
      if (!(e instanceof SourceError && e.status !== undefined && e.status < 500 && /ALREADY_EXISTS/.test(e.message))) throw e;
    }
  }

  async listVersions(name: string): Promise<TargetModelVersion[]> {
    // model-versions/search leaves aliases out (MLflow 2.12's SQL store): the registered model lists them.
    const got = `${API}/registered-models/get`;
    const model = await this.http.json({ method: 'GET', path: got, query: { name } });
    const aliases = this.shape(got, () => toModel(obj(model.registered_model, 'registered_model'), 'registered_model').aliases);
    const p = `${API}/model-versions/search`;
    const out: TargetModelVersion[] = [];
    let token: string | undefined;
    for (;;) {
      const body = await this.http.json({ method: 'GET', path: p, query: { filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: VERSIONS_PAGE, ...(token ? { page_token: token } : {}) } });
      for (const v of this.shape(p, () => list(body, 'model_versions', 'answer').map((x, i) => toModelVersion(x, `model_versions[${i}]`)))) {
        const all = new Set([...v.aliases, ...Object.keys(aliases).filter((a) => aliases[a] === v.version)]);
        out.push({ name: v.model, version: v.version, stage: v.stage, aliases: [...all].sort(), ...(v.runId ? { runId: v.runId } : {}), ...(v.source !== undefined ? { source: v.source } : {}), tags: v.tags });
      }
      const next = body.next_page_token;
      if (typeof next !== 'string' || next === '' || next === token) return out;
      token = next;
    }
  }

  async createVersion(name: string, init: { source: string; runId: string; description: string; tags: Record<string, string> }): Promise<TargetModelVersion> {
    const p = `${API}/model-versions/create`;
    const tags = Object.entries(init.tags).map(([key, value]) => ({ key, value }));
    const body = await this.http.json({ method: 'POST', path: p, body: { name, source: init.source, run_id: init.runId, description: init.description, tags }, idempotent: false });
    const v = this.shape(p, () => toModelVersion(obj(body.model_version, 'model_version'), 'model_version'));
    return { name: v.model, version: v.version, stage: v.stage, aliases: v.aliases, ...(v.runId ? { runId: v.runId } : {}), ...(v.source !== undefined ? { source: v.source } : {}), tags: v.tags };
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    await this.http.json({ method: 'POST', path: `${API}/model-versions/set-tag`, body: { name, version: String(version), key, value } });
  }

  async transitionStage(name: string, version: number, stage: string): Promise<void> {
    await this.http.json({ method: 'POST', path: `${API}/model-versions/transition-stage`, body: { name, version: String(version), stage, archive_existing_versions: false } });
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.http.json({ method: 'POST', path: `${API}/registered-models/alias`, body: { name, alias, version: String(version) } });
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
