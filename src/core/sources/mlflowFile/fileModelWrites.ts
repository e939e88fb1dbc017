/**
 * The registry of MLflow's file store, written for `mlops push --models` in the layout its FileStore reads:
 *
 *   models/<name>/meta.yaml                     name, description, creation and update times
 *   models/<name>/version-<n>/meta.yaml         current_stage, source, run_id, status READY, …
 *   models/<name>/version-<n>/tags/<key>        the value as the whole file
 *   models/<name>/aliases/<alias>               the version number
 *
 * A version is built in `models/<name>/.mlops-tmp-…/` with its meta.yaml and tags, then renamed to `version-<n>`
 * (a rename onto an existing version fails, and the next number is tried), so it never shows without its tags.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SourceError } from '../types';
import type { ModelWriter, TargetModelVersion } from '../writeTypes';
import { dumpMetaYaml, type Yaml } from './metaYaml';
import { readMeta, TMP_PREFIX, writeAtomicVia } from './fileAtomic';

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
type Fields = Record<string, string | number | null | []>;

function plain(meta: Yaml): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(meta)) out[k] = v === null || v === undefined ? null : Array.isArray(v) ? [] : typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : typeof v === 'object' ? null : String(v);
  return out;
}

export class FileModelWriter implements ModelWriter {
  constructor(private readonly root: string) {}

  private modelDir(name: string): string {
    if (!name || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.includes('\0')) throw new SourceError('invalid', `Model name '${name}' cannot be a folder of an MLflow file store`);
    return path.join(this.root, 'models', name);
  }

  async ensureModel(name: string, description: string): Promise<void> {
    const dir = this.modelDir(name);
    if (fs.existsSync(path.join(dir, 'meta.yaml'))) return;
    fs.mkdirSync(dir, { recursive: true });
    const now = Date.now();
    writeAtomicVia(dir, path.join(dir, 'meta.yaml'), dumpMetaYaml({ creation_timestamp: now, description: description || null, last_updated_timestamp: now, name }));
  }

  private aliases(dir: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of readdir(path.join(dir, 'aliases'))) out[f] = Number(fs.readFileSync(path.join(dir, 'aliases', f), 'utf8').trim());
    return out;
  }

  async listVersions(name: string): Promise<TargetModelVersion[]> {
    const dir = this.modelDir(name);
    const aliases = this.aliases(dir);
    const out: TargetModelVersion[] = [];
    for (const v of readdir(dir).filter((n) => /^version-\d+$/.test(n))) {
      const meta = readMeta(path.join(dir, v, 'meta.yaml'));
      if (!meta || text(meta.current_stage) === 'Deleted_Internal') continue;
      const version = Number(meta.version ?? v.slice('version-'.length));
      const tags: Record<string, string> = {};
      for (const t of readdir(path.join(dir, v, 'tags'))) tags[t] = fs.readFileSync(path.join(dir, v, 'tags', t), 'utf8');
      out.push({
        name, version, stage: text(meta.current_stage) || 'None', aliases: Object.keys(aliases).filter((a) => aliases[a] === version).sort(),
        ...(meta.run_id ? { runId: text(meta.run_id) } : {}), ...(meta.source ? { source: text(meta.source) } : {}), tags,
      });
    }
    return out.sort((a, b) => a.version - b.version);
  }

  async createVersion(name: string, init: { source: string; runId: string; description: string; tags: Record<string, string> }): Promise<TargetModelVersion> {
    const dir = this.modelDir(name);
    const tmp = path.join(dir, `${TMP_PREFIX}${crypto.randomBytes(8).toString('hex')}`);
    fs.mkdirSync(tmp);
    try {
      for (const [k, v] of Object.entries(init.tags)) writeAtomicVia(tmp, path.join(tmp, 'tags', k), v);
      for (let attempt = 0; attempt < 100; attempt++) {
        const version = Math.max(0, ...readdir(dir).filter((n) => /^version-\d+$/.test(n)).map((n) => Number(n.slice(8)))) + 1;
        const now = Date.now();
        const meta: Fields = {
          aliases: [], creation_timestamp: now, current_stage: 'None', description: init.description || null, last_updated_timestamp: now, name, run_id: init.runId,
          run_link: null, source: init.source, status: 'READY', status_message: null, storage_location: init.source, user_id: null, version,
        };
        writeAtomicVia(tmp, path.join(tmp, 'meta.yaml'), dumpMetaYaml(meta));
        try {
          fs.renameSync(tmp, path.join(dir, `version-${version}`));
        } catch (e) {
          if (['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) continue; // taken meanwhile: the next number
          throw e;
        }
        this.touchModel(dir);
        return { name, version, stage: 'None', aliases: [], runId: init.runId, source: init.source, tags: { ...init.tags } };
      }
      throw new SourceError('busy', `${dir}: no free version number after 100 attempts`, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  private versionDir(name: string, version: number): string {
    const dir = path.join(this.modelDir(name), `version-${version}`);
    if (!fs.existsSync(path.join(dir, 'meta.yaml'))) throw new SourceError('not-found', `${dir}: no such model version`, dir);
    return dir;
  }

  /** The model's last_updated_timestamp, as MLflow sets it after each change. */
  private touchModel(dir: string): void {
    const meta = readMeta(path.join(dir, 'meta.yaml'));
    if (meta) writeAtomicVia(dir, path.join(dir, 'meta.yaml'), dumpMetaYaml({ ...plain(meta), last_updated_timestamp: Date.now() }));
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    const dir = this.versionDir(name, version);
    writeAtomicVia(dir, path.join(dir, 'tags', key), value);
    this.touchModel(path.dirname(dir));
  }

  async transitionStage(name: string, version: number, stage: string): Promise<void> {
    const dir = this.versionDir(name, version);
    const meta = readMeta(path.join(dir, 'meta.yaml'))!;
    writeAtomicVia(dir, path.join(dir, 'meta.yaml'), dumpMetaYaml({ ...plain(meta), current_stage: stage, last_updated_timestamp: Date.now() }));
    this.touchModel(path.dirname(dir));
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    this.versionDir(name, version);
    const dir = this.modelDir(name);
    fs.mkdirSync(path.join(dir, 'aliases'), { recursive: true });
    writeAtomicVia(dir, path.join(dir, 'aliases', alias), String(version));
    this.touchModel(dir);
  }
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => !n.startsWith(TMP_PREFIX));
  } catch {
    return [];
  }
}
