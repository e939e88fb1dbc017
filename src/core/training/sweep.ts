/**
 * Hyperparameter sweeps: a grid (a list of combinations, or every combination of a space) or N random samples
 * of a space, each combination a run in one experiment tagged with the sweep id. Runs execute concurrently up to
 * `parallel` (default: the number of cores), each engine using its share of the cores; one AbortSignal stops
 * the remaining runs. The data set is read once.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import type { Tracker } from '../tracking/tracker';
import type { Run } from '../store/types';
import { printable } from '../store/names';
import { AbortError, UserInputError } from '../util/errors';
import { parseDecimal } from '../util/numbers';
import { Rng } from '../util/random';
import { MAX_PARALLEL, MAX_SWEEP_RUNS, parseHyperparameters } from './params';
import { chooseTask } from './prepare';
import { checkOptions, loadTrainingData, TrainControl, trainRun, TrainOptions } from './train';

export type ParamValue = string | number | boolean | null;
export type Combination = Record<string, ParamValue>;

export { MAX_PARALLEL, MAX_SWEEP_RUNS } from './params';

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
    space[key] = values.map((v) => (/^(none|null)$/i.test(v) ? null : (parseDecimal(v) ?? v)));
  }
  if (!Object.keys(space).length) throw new UserInputError('The grid is empty.');
  return space;
}

/** How many combinations a space has (a BigInt: 20 keys of 10 values are 10^20). */
export function gridSize(space: Record<string, ParamValue[]>): bigint {
  let size = 1n;
  for (const values of Object.values(space)) size *= BigInt(values.length);
  return size;
}

const fmtCount = (n: bigint | number) => n.toLocaleString('en-US');

/** Every combination of the space; refused (before anything is built) when there are more than MAX_SWEEP_RUNS. */
export function expandSpace(space: Record<string, ParamValue[]>): Combination[] {
  const size = gridSize(space);
  if (size > BigInt(MAX_SWEEP_RUNS)) {
    throw new UserInputError(`The grid has ${fmtCount(size)} combinations; a grid search trains at most ${fmtCount(MAX_SWEEP_RUNS)} runs. Sample some of them with --random N (or sweep.random in mlops.yaml).`);
  }
  let combos: Combination[] = [{}];
  for (const [k, values] of Object.entries(space)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  return combos;
}

/** The combination with this index (0 ≤ index < gridSize): the index read as a mixed-radix number, last key fastest, as expandSpace orders them. */
export function combinationAt(space: Record<string, ParamValue[]>, index: bigint): Combination {
  const entries = Object.entries(space);
  const out: Combination = {};
  let rest = index;
  for (let k = entries.length - 1; k >= 0; k--) {
    const [key, values] = entries[k];
    const radix = BigInt(values.length);
    out[key] = values[Number(rest % radix)];
    rest /= radix;
  }
  // Keys in the space's order, as expandSpace gives them.
  return Object.fromEntries(entries.map(([key]) => [key, out[key]]));
}

/** A uniform BigInt in [0, size), by rejection (fewer than 2 draws on average). */
function randomBelow(rng: Rng, size: bigint): bigint {
  const bits = size.toString(2).length;
  for (;;) {
    let v = 0n;
    for (let b = 0; b < bits; b += 32) v = (v << 32n) | BigInt(rng.nextUint32());
    v &= (1n << BigInt(bits)) - 1n;
    if (v < size) return v;
  }
}

/**
 * N distinct random combinations of the space (all of them when N exceeds its size), from a seed, without building
 * the space: each sample is an index decoded digit by digit (mixed radix), duplicates drawn again. A space of up to
 * MAX_SWEEP_RUNS combinations is shuffled whole instead (that is also what earlier versions did, so seeds give
 * the same choice as before).
 */
export function sampleSpace(space: Record<string, ParamValue[]>, n: number, seed: number): Combination[] {
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_SWEEP_RUNS)) throw new UserInputError(`The number of random combinations must be a whole number from 1 to ${fmtCount(MAX_SWEEP_RUNS)}, got ${n}.`);
  const size = gridSize(space);
  if (size <= BigInt(MAX_SWEEP_RUNS)) {
    const all = expandSpace(space);
    if (n >= all.length) return all;
    return new Rng(seed).shuffle(all).slice(0, n);
  }
  // size > MAX_SWEEP_RUNS ≥ n: distinct indexes by rejection; at most half the space is ever drawn, so this ends quickly.
  const rng = new Rng(seed);
  const seen = new Set<bigint>();
  const out: Combination[] = [];
  while (out.length < n) {
    const i = randomBelow(rng, size);
    if (seen.has(i)) continue;
    seen.add(i);
    out.push(combinationAt(space, i));
  }
  return out;
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
  if (o.combinations.length > MAX_SWEEP_RUNS) throw new UserInputError(`The sweep has ${fmtCount(o.combinations.length)} combinations; a sweep trains at most ${fmtCount(MAX_SWEEP_RUNS)} runs (sample some with --random N).`);
  if (o.parallel !== undefined && !(Number.isInteger(o.parallel) && o.parallel >= 1 && o.parallel <= MAX_PARALLEL)) throw new UserInputError(`parallel must be a whole number from 1 to ${MAX_PARALLEL}, got ${o.parallel}.`);
  checkOptions(o);
  const ds = await loadTrainingData(o, { signal: control.signal, pool: control.pool, onProgress: (m) => control.onProgress?.(0, o.combinations.length, m) });
  const task = chooseTask(ds, o.target, o.task);
  // Validate every combination before the first run starts: a typo in the grid writes nothing.
  o.combinations.forEach((c, i) => {
    try {
      parseHyperparameters({ ...o.baseParams, ...c }, task);
    } catch (e) {
      throw new UserInputError(`Sweep combination ${i + 1} (${printable(JSON.stringify(c))}): ${(e as Error).message}`);
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
