/** Reading a model's replayed history: when each version was in Production, and the times a user asks about. */
import type { HistoryEntry } from './registry';

/** A stretch of time a version spent in Production (`to` undefined: it still is). */
export interface ProductionInterval {
  version: number;
  from: number;
  to?: number;
}

/**
 * The Production intervals of a model, oldest first, from the structured stage transitions of its history (a
 * promotion opens one; a move out of Production, an archiving promotion or a rollback closes the version's open one).
 */
export function productionIntervals(entries: readonly HistoryEntry[]): ProductionInterval[] {
  const intervals: ProductionInterval[] = [];
  for (const h of entries) {
    for (const t of h.transitions) {
      if (t.from === t.to) continue; // a rollback to the version still in Production: it stays, its interval goes on
      if (t.to === 'Production') intervals.push({ version: t.version, from: h.event.time });
      if (t.from === 'Production') {
        const open = [...intervals].reverse().find((i) => i.version === t.version && i.to === undefined);
        if (open) open.to = h.event.time;
      }
    }
  }
  return intervals;
}

/** An ISO 8601 time in epoch ms, where a bare date (2025-12-01) means the end of that day; NaN when it is no time. */
export function parseHistoryTime(s: string): number {
  const t = Date.parse(s);
  return /^\d{4}-\d{2}-\d{2}$/.test(s.trim()) ? t + 86_400_000 - 1 : t;
}
