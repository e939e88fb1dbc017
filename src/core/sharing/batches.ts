/** Packing metric points, params and tags into runs/log-batch requests within MLflow's limits. */
import type { MetricPoint } from '../store/types';
import type { BatchLimits, LogBatch } from '../sources/writeTypes';

/** JSON size of one entity in a request, about (with its separators). */
function metricBytes(m: MetricPoint): number {
  return m.key.length * 3 + 80;
}

/** Exactly as sent: JSON escapes quotes, backslashes and control characters. */
function kvBytes(e: { key: string; value: string }): number {
  return Buffer.byteLength(JSON.stringify(e.key)) + Buffer.byteLength(JSON.stringify(e.value)) + 20;
}

/**
 * Batches in this order: params, then metrics, then tags (the caller sends them in order, so a push killed half-way
 * has its params first). Each batch keeps every limit: per kind, entities in all, and bytes.
 */
export function packBatches(items: { params?: { key: string; value: string }[]; metrics?: MetricPoint[]; tags?: { key: string; value: string }[] }, limits: BatchLimits): LogBatch[] {
  const out: LogBatch[] = [];
  let cur: LogBatch = { metrics: [], params: [], tags: [] };
  let bytes = 200;
  const count = () => cur.metrics.length + cur.params.length + cur.tags.length;
  const flush = () => {
    if (count()) out.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = 200;
  };
  const add = <T>(list: 'metrics' | 'params' | 'tags', item: T, size: number, limit: number) => {
    if ((cur[list] as T[]).length >= limit || count() >= limits.entities || (count() > 0 && bytes + size > limits.bytes)) flush();
    (cur[list] as T[]).push(item);
    bytes += size;
  };
  for (const p of items.params ?? []) add('params', p, kvBytes(p), limits.params);
  for (const m of items.metrics ?? []) add('metrics', m, metricBytes(m), limits.metrics);
  for (const t of items.tags ?? []) add('tags', t, kvBytes(t), limits.tags);
  flush();
  return out;
}
