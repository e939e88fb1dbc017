/**
 * What this workspace last saw of an MLflow source's registry, per model: the stages and aliases, when, and which audit
 * tags were there. One cache file per source under the store, `registry/mlflow/<sha256(uri)[:16]>.json`, replaced
 * atomically; losing it costs only a new first observation (a `baseline` event), never a wrong history.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomicFs';
import type { SourceRegistryState } from './state';

export interface SeenModel {
  seenAt: number;
  state: SourceRegistryState;
  /** The audit entries (`<version>:<key>`) present then. */
  audit: string[];
}

interface SeenFile {
  uri: string;
  models: Record<string, SeenModel>;
}

export class SeenCache {
  readonly file: string;

  constructor(storeRoot: string, readonly uri: string) {
    const id = crypto.createHash('sha256').update(uri, 'utf8').digest('hex').slice(0, 16);
    this.file = path.join(storeRoot, 'registry', 'mlflow', `${id}.json`);
  }

  private read(): SeenFile {
    try {
      const v = JSON.parse(fs.readFileSync(this.file, 'utf8')) as SeenFile;
      if (v && typeof v === 'object' && v.uri === this.uri && v.models && typeof v.models === 'object') return v;
    } catch {
      // missing or damaged: everything is seen for the first time again
    }
    return { uri: this.uri, models: {} };
  }

  get(model: string): SeenModel | undefined {
    const m = this.read().models[model];
    return m && typeof m.seenAt === 'number' && m.state && Array.isArray(m.audit) ? m : undefined;
  }

  set(model: string, seen: SeenModel): void {
    const f = this.read();
    f.models[model] = seen;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeJsonAtomic(this.file, f);
  }
}
