/**
 * The step series and feature importance of a compared run, whatever its source: each metric's full series (kept for
 * the compared value: min, max or the value at a step), the [step, value] histories of metrics logged at two or more
 * steps downsampled (LTTB, core/compare/series.ts) to a budget that shrinks as runs add up, and a
 * `feature_importance.json` artifact checked.
 */
import { type MetricSeries, stepHistories } from '../../core/compare/series';
import type { FeatureImportanceView } from '../../shared/protocol';

export { MAX_SERIES_POINTS, metricSeries, seriesBudget, stepHistories } from '../../core/compare/series';

export const IMPORTANCE_ARTIFACT = 'feature_importance.json';
const MAX_FEATURES = 500;
export const MAX_IMPORTANCE_BYTES = 5 * 1024 * 1024;

/** A run's series and its downsampled histories by budget (a comparison of the same size asks for the same one again). */
export class RunSeries {
  private readonly byBudget = new Map<number, Record<string, [number, number][]>>();
  constructor(readonly series: ReadonlyMap<string, MetricSeries>) {}
  histories(budget: number): Record<string, [number, number][]> {
    let h = this.byBudget.get(budget);
    if (!h) {
      h = stepHistories(this.series, budget);
      if (this.byBudget.size > 3) this.byBudget.clear();
      this.byBudget.set(budget, h);
    }
    return h;
  }
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
