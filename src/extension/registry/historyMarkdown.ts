/** The Markdown of a model's registry history: when each version was in Production, and every event. */
import { productionIntervals } from '../../core/registry/history';
import type { HistoryEntry } from '../../core/registry/registry';
import { mdCell } from '../format';

/** "Which versions were in Production at a time", answered beforehand (Registry.at). */
export interface ProductionAt {
  time: number;
  versions: number[];
}

const iso = (t: number): string => new Date(t).toISOString();

export function historyMarkdown(name: string, entries: HistoryEntry[], atQuery?: ProductionAt): string {
  const lines = [`# ${mdCell(name)} — registry history`, ''];
  if (atQuery) {
    lines.push(`**At ${iso(atQuery.time)}**, Production held ${atQuery.versions.length ? atQuery.versions.map((v) => `v${v}`).join(', ') : 'no version'}.`, '');
  }
  // From the replay's structured stage transitions, never from the words of an effect.
  const intervals = productionIntervals(entries);
  if (intervals.length) {
    lines.push('## In Production', '', '| version | from | until |', '|---|---|---|');
    for (const i of intervals) lines.push(`| v${i.version} | ${iso(i.from)} | ${i.to ? iso(i.to) : 'now'} |`);
    lines.push('');
  }
  lines.push('## Events', '', '| time | user | action | effect | reason |', '|---|---|---|---|---|');
  for (const h of entries) lines.push(`| ${iso(h.event.time)} | ${mdCell(h.event.user)} | ${h.event.action} | ${mdCell(h.effect)} | ${mdCell(h.event.reason ?? '')} |`);
  return lines.join('\n') + '\n';
}
