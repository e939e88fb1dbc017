/**
 * Default direction of each compared metric: the user's configured direction (setting
 * `mlops.compare.metricDirections`) first, then an experiment's declared primary metric, then the naming rule of
 * metricDirection (lower is better for rmse, mae, loss, error, time...; higher otherwise). The user can still
 * flip a metric in the panel (CompareSettings.directionOverrides).
 */
import { metricDirection, primaryMetric, type Direction } from '../tracking/metricDirection';
import type { Experiment, Run } from '../store/types';

/** What the directions read of an experiment and a run: workspace ones and MLflow sources' ones both have it. */
export type DirectedExperiment = Pick<Experiment, 'id' | 'primaryMetric'>;
export type DirectedRun = Pick<Run, 'experimentId' | 'metrics' | 'startTime' | 'effectiveStatus'>;

export function defaultDirections(metricKeys: Iterable<string>, experiments: readonly DirectedExperiment[] = [], configured: Record<string, Direction> = {}): Record<string, Direction> {
  const declared: Record<string, Direction> = {};
  for (const e of experiments) if (e.primaryMetric && !declared[e.primaryMetric.key]) declared[e.primaryMetric.key] = e.primaryMetric.direction;
  const out: Record<string, Direction> = {};
  for (const k of metricKeys) out[k] = configured[k] ?? declared[k] ?? metricDirection(k);
  return out;
}

/** The metric that ranks the compared runs: the first experiment's primary metric, else the conventional one. */
export function comparePrimaryMetric(runs: readonly DirectedRun[], experiments: readonly DirectedExperiment[]): { key: string; direction: Direction } | undefined {
  const byId = new Map(experiments.map((e) => [e.id, e]));
  for (const r of runs) {
    const p = byId.get(r.experimentId)?.primaryMetric;
    if (p && runs.some((x) => typeof x.metrics[p.key] === 'number')) return p;
  }
  return primaryMetric(undefined, [...runs]);
}

/** Check a user setting {metric: 'min' | 'max'}; anything else is ignored. */
export function parseDirectionSetting(v: unknown): Record<string, Direction> {
  const out: Record<string, Direction> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, d] of Object.entries(v as Record<string, unknown>)) {
    const s = typeof d === 'string' ? d.toLowerCase() : '';
    if (s === 'min' || s === 'lower' || s === 'minimize') out[k] = 'min';
    else if (s === 'max' || s === 'higher' || s === 'maximize') out[k] = 'max';
  }
  return out;
}
