/**
 * What the compare webview gets for each run: params, metrics, tags, the step series of metrics logged at more
 * than one step, and the run's feature importance artifact. Series and importance are read from disk once per
 * Run object (the store index keeps a finished run's object while its files are unchanged, and gives a new one
 * when a run changes), so a refresh of a 50-run comparison reads nothing again unless a run changed.
 */
import * as fs from 'node:fs';
import { readMetricSeries } from '../../core/store/runIndex';
import type { Tracker } from '../../core/tracking/tracker';
import type { Run } from '../../core/store/types';
import { errorMessage } from '../../core/util/errors';
import type { CompareRunView, FeatureImportanceView } from '../../shared/protocol';

export const IMPORTANCE_ARTIFACT = 'feature_importance.json';
/** Longer series are thinned evenly (first and last points kept): a chart cannot show more anyway. */
export const MAX_SERIES_POINTS = 1000;
const MAX_FEATURES = 500;
const MAX_IMPORTANCE_BYTES = 5 * 1024 * 1024;

interface Extras {
  history: Record<string, [number, number][]>;
  importance: FeatureImportanceView | null;
  problems: string[];
}

const cache = new WeakMap<Run, Extras>();

export function thin(points: [number, number][], max = MAX_SERIES_POINTS): [number, number][] {
  if (points.length <= max) return points;
  const out: [number, number][] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]);
  return out;
}

/** Step series of the metrics logged at two or more distinct steps (the latest value per step wins). */
export function stepHistories(points: { key: string; step: number; value: number; timestamp: number }[]): Record<string, [number, number][]> {
  const byKey = new Map<string, Map<number, { value: number; timestamp: number }>>();
  for (const p of points) {
    let steps = byKey.get(p.key);
    if (!steps) byKey.set(p.key, (steps = new Map()));
    const cur = steps.get(p.step);
    if (!cur || p.timestamp >= cur.timestamp) steps.set(p.step, { value: p.value, timestamp: p.timestamp });
  }
  const out: Record<string, [number, number][]> = {};
  for (const [key, steps] of [...byKey.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (steps.size < 2) continue;
    const series = [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([s, v]) => [s, v.value] as [number, number]);
    out[key] = thin(series);
  }
  return out;
}

/** Check a feature_importance.json document: {method, features: [{feature, importance}]}. */
export function parseImportance(text: string): FeatureImportanceView {
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { features?: unknown }).features)) throw new Error('expected {"method", "features": [{"feature", "importance"}]}');
  const d = doc as { method?: unknown; features: unknown[] };
  const features: FeatureImportanceView['features'] = [];
  for (const f of d.features) {
    if (typeof f !== 'object' || f === null) continue;
    const { feature, importance } = f as { feature?: unknown; importance?: unknown };
    if (typeof feature === 'string' && typeof importance === 'number' && Number.isFinite(importance)) features.push({ feature, importance });
    if (features.length >= MAX_FEATURES) break;
  }
  return { method: typeof d.method === 'string' ? d.method : '', features };
}

function extras(run: Run, tracker: Tracker | undefined): Extras {
  const hit = cache.get(run);
  if (hit) return hit;
  const e: Extras = { history: {}, importance: null, problems: [] };
  if (tracker) {
    const series = readMetricSeries(tracker.store, run.id);
    e.history = stepHistories(series.points);
    for (const p of series.problems.slice(0, 3)) e.problems.push(`${p.file}: ${p.message}`);
    if (run.artifacts.some((a) => a.path === IMPORTANCE_ARTIFACT)) {
      try {
        const file = tracker.artifactPath(run.id, IMPORTANCE_ARTIFACT);
        const size = fs.statSync(file).size;
        if (size > MAX_IMPORTANCE_BYTES) throw new Error(`${size} bytes is more than the ${MAX_IMPORTANCE_BYTES} read for a chart`);
        e.importance = parseImportance(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        e.problems.push(`${IMPORTANCE_ARTIFACT} of run ${run.id}: ${errorMessage(err)}`);
      }
    }
  }
  cache.set(run, e);
  return e;
}

/** The compare view of a run; `problems` collects what could not be read (for the output channel). */
export function toCompareRun(run: Run, tracker: Tracker | undefined, problems: string[] = []): CompareRunView {
  const x = extras(run, tracker);
  problems.push(...x.problems);
  return {
    id: run.id,
    name: run.name,
    experiment: run.experimentName,
    status: run.effectiveStatus,
    interrupted: run.interrupted,
    startTime: run.startTime,
    durationMs: run.duration,
    params: run.params,
    metrics: run.metrics,
    tags: run.tags,
    history: x.history,
    importance: x.importance,
  };
}
