import type { SourceRun } from '../../core/sources/types';
import type { MetricPoint, Run } from '../../core/store/types';
import type { MetricSeriesView, RunView } from '../../shared/protocol';

/** A workspace run (with its environment record and artifact list) or any source's run (without them). */
export function toRunView(r: SourceRun & Partial<Pick<Run, 'environment' | 'artifacts'>>): RunView {
  return {
    id: r.id,
    name: r.name,
    experiment: r.experimentName,
    status: r.effectiveStatus,
    interrupted: r.interrupted,
    startTime: r.startTime,
    endTime: r.endTime,
    durationMs: r.duration,
    params: r.params,
    metrics: r.metrics,
    tags: r.tags,
    notes: r.notes,
    environment: (r.environment ?? {}) as unknown as Record<string, unknown>,
    artifacts: (r.artifacts ?? []).map((a) => ({ path: a.path, kind: a.kind, size: a.size, sha256: a.sha256 })),
    problems: r.problems.map((p) => ({ file: p.file, message: p.message })),
  };
}

export function toSeries(points: MetricPoint[]): MetricSeriesView[] {
  const by = new Map<string, MetricSeriesView>();
  for (const p of points) {
    let s = by.get(p.key);
    if (!s) by.set(p.key, (s = { key: p.key, points: [] }));
    s.points.push({ step: p.step, value: p.value, timestamp: p.timestamp });
  }
  return [...by.values()].sort((a, b) => a.key.localeCompare(b.key));
}
