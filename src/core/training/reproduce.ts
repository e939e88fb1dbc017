/**
 * Reproduce a run: retrain from its logged params, data set and seed into a new run tagged with the original.
 * Differences that would change the result (the data set's SHA-256, the engine version) are reported before
 * training; with the same data and engine the metrics are identical (the engines are deterministic).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tracker } from '../tracking/tracker';
import type { Run } from '../store/types';
import { sha256File } from '../util/atomicFs';
import { UserInputError } from '../util/errors';
import type { EngineName, Task } from './engine';
import { engine } from './engines';
import { HYPERPARAMETER_KEYS } from './params';
import type { SplitMode } from './prepare';
import type { TrainOptions } from './train';

export interface ReproducePlan {
  original: Run;
  options: TrainOptions;
  warnings: string[];
}

export function planReproduction(tracker: Tracker, runId: string, workspaceRoot = path.dirname(tracker.store.root)): ReproducePlan {
  const original = tracker.getRun(runId);
  const p = original.params;
  if (original.tags.trainer !== 'builtin' || typeof p.data !== 'string' || typeof p.target !== 'string') {
    throw new UserInputError(`Run ${original.id} (${original.name}) was not trained by the built-in trainer; only those can be reproduced exactly.`);
  }
  const data = path.isAbsolute(p.data) ? p.data : path.resolve(workspaceRoot, p.data);
  if (!fs.existsSync(data)) throw new UserInputError(`The run's data set ${p.data} no longer exists (looked for ${data}).`);
  const warnings: string[] = [];
  const recorded = original.environment.dataset?.sha256;
  const now = sha256File(data);
  if (recorded && recorded !== now) warnings.push(`The data set ${p.data} changed since the run (SHA-256 was ${recorded.slice(0, 12)}…, is now ${now.slice(0, 12)}…): the metrics will differ.`);
  const engineName = (p.engine as EngineName) ?? 'forest';
  const eng = engine(engineName);
  const libs = original.environment.libraries ?? {};
  const recordedVersion = libs['mlops-forest'] ?? libs['ml-random-forest'];
  if (recordedVersion && recordedVersion !== eng.version) warnings.push(`The ${engineName} engine is version ${eng.version}; the run used ${recordedVersion}: the metrics may differ.`);
  const params: Record<string, unknown> = {};
  for (const k of HYPERPARAMETER_KEYS) if (k in p) params[k] = p[k];
  return {
    original,
    warnings,
    options: {
      data,
      dataLabel: p.data,
      target: p.target,
      task: p.task as Task,
      engine: engineName,
      params,
      testSize: Number(p.test_size ?? 0.2),
      split: (p.split as SplitMode) ?? 'ordered',
      missing: (p.missing as TrainOptions['missing']) ?? 'error',
      categorical: typeof p.categorical === 'string' && p.categorical ? p.categorical.split(',') : undefined,
      experiment: original.experimentName,
      runName: `${original.name}-repro`,
      tags: { reproduces: original.id },
      source: 'reproduce',
    },
  };
}

/** Metrics that differ between the original and the reproduction (fit_seconds and trees_done excluded). */
export function compareMetrics(a: Run, b: Run): { key: string; original: number; reproduced: number }[] {
  const out: { key: string; original: number; reproduced: number }[] = [];
  for (const key of Object.keys(a.metrics)) {
    if (key === 'fit_seconds' || key === 'trees_done') continue;
    const x = a.metrics[key];
    const y = b.metrics[key];
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) out.push({ key, original: x, reproduced: y });
  }
  return out;
}
