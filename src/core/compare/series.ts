/**
 * Metric histories for Compare Runs: a run's logged points as one series per metric (one value per step, the latest
 * logged at that step wins), the value a comparison compares (the last one, the value at a step, or the min or max
 * over the history: mlflow/mlflow#4267), and the downsampling of long series for the history chart (LTTB).
 *
 * Pure (no Node, no VS Code): the extension computes the compared values and the downsampled histories from the full
 * series (a chart's thinned series would give a wrong min, max or value at a step); the webview downsamples again to
 * what its chart can draw when hundreds of runs are shown.
 */

/** One metric's history: steps ascending, one value per step. */
export interface MetricSeries {
  steps: number[];
  values: number[];
}

/** What is compared for each metric: the last value (today's), the value at a step, or the min / max over the history. */
export type ComparedValue = { kind: 'last' } | { kind: 'step'; step: number } | { kind: 'min' } | { kind: 'max' };
export const COMPARED_KINDS = ['last', 'step', 'min', 'max'] as const;

/** The choice from an untrusted source (a webview message, saved state); anything malformed is `last`. */
export function normalizeCompared(v: unknown): ComparedValue {
  if (typeof v !== 'object' || v === null) return { kind: 'last' };
  const o = v as { kind?: unknown; step?: unknown };
  if (o.kind === 'min' || o.kind === 'max') return { kind: o.kind };
  if (o.kind === 'step' && typeof o.step === 'number' && Number.isFinite(o.step)) return { kind: 'step', step: Math.trunc(o.step) };
  return { kind: 'last' };
}

/** How the choice is named in the panel and the exports ("last value", "value at step 50", …). */
export function comparedLabel(c: ComparedValue): string {
  switch (c.kind) {
    case 'last':
      return 'last value';
    case 'step':
      return `value at step ${c.step}`;
    case 'min':
      return 'min over the history';
    case 'max':
      return 'max over the history';
  }
}

/** Each metric's series from logged points (any order); at a step logged twice the later timestamp wins (ties: the later point). */
export function metricSeries(points: readonly { key: string; step: number; value: number; timestamp: number }[]): Map<string, MetricSeries> {
  const byKey = new Map<string, Map<number, { value: number; timestamp: number }>>();
  for (const p of points) {
    let steps = byKey.get(p.key);
    if (!steps) byKey.set(p.key, (steps = new Map()));
    const cur = steps.get(p.step);
    if (!cur || p.timestamp >= cur.timestamp) steps.set(p.step, { value: p.value, timestamp: p.timestamp });
  }
  const out = new Map<string, MetricSeries>();
  for (const key of [...byKey.keys()].sort()) {
    const entries = [...byKey.get(key)!.entries()].sort((a, b) => a[0] - b[0]);
    out.set(key, { steps: entries.map((e) => e[0]), values: entries.map((e) => e[1].value) });
  }
  return out;
}

/**
 * The compared value of one metric. `last` is the run's latest value (as the store summarises it); `step` N is the
 * value at the last logged step at or before N (undefined when the run had logged nothing by then: runs logging at
 * different cadences still compare at "step 100"); `min` / `max` are over the finite values of the whole history.
 * Without a series (a source that gave none) min and max fall back to the last value, and a step to nothing.
 */
export function comparedValue(series: MetricSeries | undefined, last: number | undefined, c: ComparedValue): number | undefined {
  if (c.kind === 'last') return last;
  if (!series || !series.steps.length) return c.kind === 'step' ? undefined : last;
  if (c.kind === 'step') {
    // Binary search: the greatest index with steps[i] <= c.step.
    let lo = 0;
    let hi = series.steps.length - 1;
    if (series.steps[0] > c.step) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (series.steps[mid] <= c.step) lo = mid;
      else hi = mid - 1;
    }
    return series.values[lo];
  }
  let best: number | undefined;
  for (const v of series.values) {
    if (!Number.isFinite(v)) continue;
    if (best === undefined || (c.kind === 'min' ? v < best : v > best)) best = v;
  }
  return best ?? last;
}

/** A run's compared metrics: every metric it has (its last values), as chosen; metrics without a value then are left out. */
export function comparedMetrics(last: Record<string, number>, series: ReadonlyMap<string, MetricSeries>, c: ComparedValue): Record<string, number> {
  if (c.kind === 'last') return last;
  const out: Record<string, number> = {};
  const keys = new Set([...Object.keys(last), ...series.keys()]);
  for (const k of keys) {
    const v = comparedValue(series.get(k), typeof last[k] === 'number' ? last[k] : undefined, c);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): `threshold` points of `points` (x ascending) that keep the
 * series' shape — the first and last points, then per bucket the point forming the largest triangle with the point
 * kept before it and the average of the next bucket. Spikes survive, unlike even thinning, which drops what falls
 * between its picks. Returns the input itself when it is short enough (or threshold < 3).
 */
export function lttb(points: readonly [number, number][], threshold: number): [number, number][] {
  const n = points.length;
  if (threshold >= n || threshold < 3) return points as [number, number][];
  const out: [number, number][] = [points[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // The next bucket's average (the last bucket's "next" is the last point).
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += points[j][0];
      avgY += points[j][1];
    }
    const len = nextEnd - nextStart;
    if (len > 0) {
      avgX /= len;
      avgY /= len;
    } else {
      [avgX, avgY] = points[n - 1];
    }
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const [ax, ay] = points[a];
    let maxArea = -1;
    let pick = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (points[j][1] - ay) - (ax - points[j][0]) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        pick = j;
      }
    }
    out.push(points[pick]);
    a = pick;
  }
  out.push(points[n - 1]);
  return out;
}

/** The most points one history series keeps in the data message (a chart is not wider than this). */
export const MAX_SERIES_POINTS = 1000;
/**
 * The most points of one metric's histories over all compared runs in the data message: what the history chart draws
 * (webview/compare/charts.ts HISTORY_POINTS), so nothing is sent that is not drawn.
 */
export const MAX_METRIC_POINTS = 60_000;
const MIN_SERIES_POINTS = 100;

/** Points per series for a comparison of `runs` runs: 1000 up to 60 runs, then fewer (120 at 500 runs), never under 100. */
export function seriesBudget(runs: number): number {
  return Math.max(MIN_SERIES_POINTS, Math.min(MAX_SERIES_POINTS, Math.floor(MAX_METRIC_POINTS / Math.max(1, runs))));
}

/** [step, value] series of the metrics logged at two or more steps, each downsampled (LTTB) to `maxPoints`. */
export function stepHistories(series: ReadonlyMap<string, MetricSeries>, maxPoints = MAX_SERIES_POINTS): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const [key, s] of series) {
    if (s.steps.length < 2) continue;
    const pts = s.steps.map((step, i) => [step, s.values[i]] as [number, number]);
    out[key] = lttb(pts, maxPoints);
  }
  return out;
}
