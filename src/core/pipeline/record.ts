/** Pipeline run records: `.mlops/pipelines/<pipeline>/<run-id>.json`, replaced atomically after every stage. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../store/store';
import { currentOwner, isOwnerAlive, ProcessOwner } from '../store/owner';
import { writeJsonAtomic } from '../util/atomicFs';
import { printable } from '../store/names';
import { UserInputError } from '../util/errors';

export const STAGE_NAMES = ['data_validation', 'training', 'evaluation', 'registration', 'deployment', 'smoke_test'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
export const STAGE_TITLES: Record<StageName, string> = {
  data_validation: 'Data Validation',
  training: 'Training',
  evaluation: 'Evaluation',
  registration: 'Model Registration',
  deployment: 'Deployment',
  smoke_test: 'Smoke Test',
};
export type Trigger = 'manual' | 'data_update' | 'code_commit' | 'schedule' | 'drift';
export const TRIGGERS: Trigger[] = ['manual', 'data_update', 'code_commit', 'schedule', 'drift'];

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
  /** A warning does not fail the stage. */
  warning?: boolean;
}

export interface StageRecord {
  name: StageName;
  title: string;
  status: 'pending' | 'running' | 'passed' | 'failed' | 'skipped';
  startTime: number | null;
  durationMs: number | null;
  checks: Check[];
  details: Record<string, unknown>;
}

export interface PipelineRunRecord {
  format: 1;
  id: string;
  pipeline: string;
  file: string;
  model: string;
  trigger: Trigger;
  /** Triggers that were coalesced into this run while another was running. */
  coalesced?: Trigger[];
  status: 'running' | 'passed' | 'failed' | 'cancelled' | 'error';
  startTime: number;
  endTime: number | null;
  failedStage?: StageName;
  reason?: string;
  stages: StageRecord[];
  runId?: string;
  modelVersion?: number;
  promoted?: { to: string; ok: boolean; message: string };
  data?: { file: string; sha256: string; rows: number };
  owner: ProcessOwner | null;
}

/** The folder of a pipeline's records: its name with other characters as '-', never hidden (no leading '.'). */
export function slug(name: string): string {
  const s = name.trim().replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80);
  if (!s) throw new UserInputError(`Pipeline name '${printable(name)}' has no usable characters.`);
  return s;
}

/** The folder earlier versions used (leading dots kept: '.nightly', '..-..-x'), so their records stay listed. */
function legacySlug(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
}

export function newRecord(pipeline: string, file: string, model: string, trigger: Trigger, coalesced?: Trigger[]): PipelineRunRecord {
  return {
    format: 1,
    id: `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${crypto.randomBytes(3).toString('hex')}`,
    pipeline,
    file,
    model,
    trigger,
    coalesced: coalesced?.length ? coalesced : undefined,
    status: 'running',
    startTime: Date.now(),
    endTime: null,
    stages: STAGE_NAMES.map((name) => ({ name, title: STAGE_TITLES[name], status: 'pending', startTime: null, durationMs: null, checks: [], details: {} })),
    owner: currentOwner(),
  };
}

export class PipelineRecords {
  readonly dir: string;
  constructor(readonly store: Store) {
    this.dir = path.join(store.root, 'pipelines');
  }
  file(r: PipelineRunRecord): string {
    return path.join(this.dir, slug(r.pipeline), `${r.id}.json`);
  }
  save(r: PipelineRunRecord): void {
    const f = this.file(r);
    const dir = path.dirname(f);
    const made = fs.mkdirSync(dir, { recursive: true });
    try {
      writeJsonAtomic(f, r);
    } catch (e) {
      // Nothing half-made: a folder this call created for the record goes again (full disk, read-only store).
      // Only empty folders, deepest first, up to the first one this call made (another writer's record stays).
      for (let d = dir; made && d.length >= made.length; d = path.dirname(d)) {
        try {
          fs.rmdirSync(d);
        } catch {
          break;
        }
      }
      throw e;
    }
    this.store.touch();
  }
  /**
   * Every recorded pipeline run, newest first; unreadable files are returned as problems. A run whose process died
   * shows as error. Every folder is read, hidden ones too (older versions stored '.nightly' there), except
   * leftovers of atomic writes (.tmp-*).
   */
  list(pipeline?: string): { runs: PipelineRunRecord[]; problems: { file: string; message: string }[] } {
    const runs: PipelineRunRecord[] = [];
    const problems: { file: string; message: string }[] = [];
    let dirs: fs.Dirent[] = [];
    try {
      dirs = fs.readdirSync(this.dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.tmp-'));
    } catch {
      return { runs, problems };
    }
    const wanted = pipeline === undefined ? undefined : new Set([slug(pipeline), legacySlug(pipeline)]);
    for (const dirent of dirs) {
      const d = dirent.name;
      if (wanted && !wanted.has(d)) continue;
      if (!dirent.isDirectory()) {
        problems.push({ file: path.join(this.dir, d), message: 'is not a folder of pipeline runs' });
        continue;
      }
      let files: string[] = [];
      try {
        files = fs.readdirSync(path.join(this.dir, d)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
      } catch (e) {
        problems.push({ file: path.join(this.dir, d), message: `cannot be read (${(e as Error).message})` });
        continue;
      }
      for (const f of files) {
        const file = path.join(this.dir, d, f);
        try {
          const r = JSON.parse(fs.readFileSync(file, 'utf8')) as PipelineRunRecord;
          if (r.status === 'running' && isOwnerAlive(r.owner) === false) {
            r.status = 'error';
            r.reason = 'interrupted: the process running this pipeline is gone';
          }
          runs.push(r);
        } catch (e) {
          problems.push({ file, message: (e as Error).message });
        }
      }
    }
    runs.sort((a, b) => b.startTime - a.startTime);
    return { runs, problems };
  }
}
