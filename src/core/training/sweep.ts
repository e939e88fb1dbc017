/**
 * Hyperparameter sweeps: a grid (a list of combinations, or every combination of a space) or N random samples
 * of a space, each combination a run in one experiment tagged with the sweep id. Runs execute concurrently up to
 * `parallel` (default: the number of cores), each engine using its share of the cores; one AbortSignal stops
 * the remaining runs. The data set is read once.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import type { Tracker } from '../tracking/tracker';
import type { Run } from '../tracking/types';
import { UserInputError } from '../util/errors';
import { Rng } from '../util/random';
import { AbortError } from './engine';
import { parseHyperparameters } from './params';
import { chooseTask } from './prepare';
import { checkOptions, loadTrainingData, TrainControl, trainRun, TrainOptions } from './train';

export type ParamValue = string | number | boolean | null;
export type Combination = Record<string, ParamValue>;

/** Parse 'n_estimators=50,100,200;max_depth=5,10,none' into a space. */
export function parseGridSpec(spec: string): Record<string, ParamValue[]> {
  const space: Record<string, ParamValue[]> = {};
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new UserInputError(`Grid part '${part}' must look like KEY=V1,V2,...`);
    const key = part.slice(0, i).trim();
    const values = part.slice(i + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (!values.length) throw new UserInputError(`Grid part '${part}' has no values.`);
    if (space[key]) throw new UserInputError(`Grid names '${key}' twice.`);
    space[key] = values.map((v) => (/^(none|null)$/i.test(v) ? null : Number.isNaN(Number(v)) ? v : Number(v)));
  }
  if (!Object.keys(space).length) throw new UserInputError('The grid is empty.');
  return space;
}

export function expandSpace(space: Record<string, ParamValue[]>): Combination[] {
  let combos: Combination[] = [{}];
  for (const [k, values] of Object.entries(space)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  return combos;
}

/** N distinct random combinations of the space (all of them when N exceeds its size), from a seed. */
export function sampleSpace(space: Record<string, ParamValue[]>, n: number, seed: number): Combination[] {
  const all = expandSpace(space);
  if (n >= all.length) return all;
  return new Rng(seed).shuffle(all).slice(0, n);
}

export interface SweepOptions extends Omit<TrainOptions, 'params' | 'runName' | 'dataset'> {
  combinations: Combination[];
  /** Params shared by every run (a combination overrides them). */
  baseParams?: Record<string, unknown>;
  parallel?: number;
}

export interface SweepControl extends Omit<TrainControl, 'onRunStarted' | 'onProgress'> {
  onProgress?: (done: number, total: number, message: string) => void;
  onRunFinished?: (run: Run | undefined, index: number, error?: Error) => void;
}

export interface SweepResult {
  sweepId: string;
  runs: Run[];
  failed: { index: number; combination: Combination; error: string }[];
  cancelled: number;
  best?: Run;
  bestMetric?: { key: string; direction: 'min' | 'max' };
}

export async function runSweep(tracker: Tracker, o: SweepOptions, control: SweepControl = {}): Promise<SweepResult> {
  if (!o.combinations.length) throw new UserInputError('The sweep has no combinations.');
  checkOptions(o);
  const ds = await loadTrainingData(o, { signal: control.signal, pool: control.pool, onProgress: (m) => control.onProgress?.(0, o.combinations.length, m) });
  const task = chooseTask(ds, o.target, o.task);
  // Validate every combination before the first run starts: a typo in the grid writes nothing.
  o.combinations.forEach((c, i) => {
    try {
      parseHyperparameters({ ...o.baseParams, ...c }, task);
    } catch (e) {
      throw new UserInputError(`Sweep combination ${i + 1} (${JSON.stringify(c)}): ${(e as Error).message}`);
    }
  });
  const sweepId = `sweep-${new Date().toISOString().slice(0, 10)}-${crypto.randomBytes(3).toString('hex')}`;
  const cores = os.cpus().length;
  const parallel = Math.max(1, Math.min(o.parallel ?? cores, o.combinations.length));
  const workers = Math.max(1, Math.floor(cores / parallel));
  const runs: (Run | undefined)[] = new Array(o.combinations.length);
  const failed: SweepResult['failed'] = [];
  let cancelled = 0;
  let next = 0;
  let done = 0;
  const total = o.combinations.length;
  control.onProgress?.(0, total, `Sweep ${sweepId}: ${total} runs, ${parallel} at a time`);

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      if (control.signal?.aborted) {
        cancelled++;
        continue;
      }
      const combo = o.combinations[i];
      try {
        const r = await trainRun(
          tracker,
          { ...o, dataset: ds, params: { ...o.baseParams, ...combo }, runName: runName(combo, i), workers, tags: { ...o.tags, sweep_id: sweepId, sweep_index: String(i + 1) } },
          { signal: control.signal, pool: control.pool },
        );
        runs[i] = r.run;
        control.onRunFinished?.(r.run, i);
      } catch (e) {
        if (e instanceof AbortError || (e as Error).name === 'AbortError') cancelled++;
        else failed.push({ index: i, combination: combo, error: (e as Error).message });
        control.onRunFinished?.(undefined, i, e as Error);
      }
      done++;
      control.onProgress?.(done, total, `${done}/${total} runs done`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const finished = runs.filter((r): r is Run => !!r);
  const bestMetric = task === 'regression' ? { key: 'rmse_test', direction: 'min' as const } : { key: 'accuracy_test', direction: 'max' as const };
  let best: Run | undefined;
  for (const r of finished) {
    const v = r.metrics[bestMetric.key];
    if (v === undefined) continue;
    if (!best || (bestMetric.direction === 'min' ? v < best.metrics[bestMetric.key] : v > best.metrics[bestMetric.key])) best = r;
  }
  if (best) tracker.attach(best.id).setTag('sweep_best', 'true');
  return { sweepId, runs: finished, failed, cancelled, best: best ? tracker.getRun(best.id) : undefined, bestMetric };
}

function runName(c: Combination, i: number): string {
  const n = c.n_estimators ?? '';
  const d = c.max_depth === null ? 'none' : (c.max_depth ?? '');
  const parts = Object.entries(c).filter(([k]) => k !== 'n_estimators' && k !== 'max_depth').map(([k, v]) => `${k}${v}`);
  const core = n !== '' || d !== '' ? `rf_n${n}_d${d}` : `combo${i + 1}`;
  return [core, ...parts].join('_').slice(0, 120);
}
