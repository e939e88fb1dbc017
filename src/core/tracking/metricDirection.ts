/** Whether lower or higher is better for a metric, and which metric ranks an experiment's runs. */
import type { Experiment, Run } from '../store/types';

export type Direction = 'min' | 'max';

const LOWER_IS_BETTER = /(^|[_\-. /])(rmse|mse|mae|mape|smape|loss|error|err|logloss|log_loss|perplexity|latency|seconds|time|duration|cost|wer|cer|fpr|fnr|bias)($|[_\-. /])|(rmse|mae|mse|loss|error)/i;

export function metricDirection(key: string, overrides?: Record<string, Direction>): Direction {
  if (overrides && overrides[key]) return overrides[key];
  return LOWER_IS_BETTER.test(key) ? 'min' : 'max';
}

const PREFERRED = ['rmse_test', 'accuracy_test', 'f1_test', 'r2_test', 'mae_test', 'val_loss', 'loss', 'rmse', 'accuracy'];

/** The conventional metric to show or rank by among these keys (the first of PREFERRED present), if any. */
export function preferredMetric(keys: Iterable<string>): string | undefined {
  const have = new Set(keys);
  return PREFERRED.find((k) => have.has(k));
}

/** The experiment's declared primary metric, else a conventional test metric, else the most common key. */
/** What the ranking reads of a run: a workspace Run and an MLflow source's SourceRun both have it. */
export type RankedRun = Pick<Run, 'metrics' | 'startTime' | 'effectiveStatus'>;

export function primaryMetric(exp: Pick<Experiment, 'primaryMetric'> | undefined, runs: readonly RankedRun[]): { key: string; direction: Direction } | undefined {
  if (exp?.primaryMetric) return exp.primaryMetric;
  const counts = new Map<string, number>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) counts.set(k, (counts.get(k) ?? 0) + 1);
  if (!counts.size) return undefined;
  const pref = preferredMetric(counts.keys());
  if (pref) return { key: pref, direction: metricDirection(pref) };
  const key = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
  return { key, direction: metricDirection(key) };
}

/** The best run by a metric (ignoring runs without a finite value for it). Ties: the earlier run. */
export function bestRunBy<R extends RankedRun>(runs: readonly R[], key: string, direction: Direction): R | undefined {
  let best: R | undefined;
  for (const r of runs) {
    const v = r.metrics[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!best) { best = r; continue; }
    const b = best.metrics[key];
    if (direction === 'min' ? v < b : v > b) best = r;
    else if (v === b && r.startTime < best.startTime) best = r;
  }
  return best;
}

/**
 * The one ranking of "best run" of an experiment: by its primary metric (declared, else conventional, else the most
 * common key, over all its runs), among its completed runs. The Experiments tree stars this run and Register Best Run
 * registers this run, so the two never disagree.
 */
export function bestRunOfExperiment<R extends RankedRun>(exp: Pick<Experiment, 'primaryMetric'> | undefined, runs: readonly R[]): { metric: { key: string; direction: Direction } | undefined; best: R | undefined } {
  const metric = primaryMetric(exp, runs);
  const best = metric ? bestRunBy(runs.filter((r) => r.effectiveStatus === 'completed'), metric.key, metric.direction) : undefined;
  return { metric, best };
}
