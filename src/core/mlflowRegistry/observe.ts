/**
 * Changes made by others, seen on refresh: `observeModel` compares an MLflow model's current stages and aliases with
 * what this workspace saw last (./seen.ts), after the audit entries that appeared since then (other workbench users'
 * changes, which explain themselves), and records what is left as one `observed` event dated when it was seen (with
 * the previous observation as `after`: the change happened in between). The first look records a `baseline` event.
 */
import type { Registry } from '../registry/registry';
import type { SourceModel } from '../sources/types';
import { readAuditEntries } from './audit';
import type { SeenCache } from './seen';
import { applyMoves, diffStates, stateOf } from './state';
import { localEntry, type TrailEntry } from './trail';

export interface ObserveResult {
  /** The first look at this model from this workspace: the state then. */
  baseline?: TrailEntry;
  /** Stage and alias changes nobody recorded, seen now. */
  observed?: TrailEntry;
}

export function observeModel(audit: Registry, cache: SeenCache, m: SourceModel, observer: string): ObserveResult {
  const now = Date.now();
  const current = stateOf(m);
  const { entries } = readAuditEntries(m);
  const refs = entries.map((e) => e.ref);
  const seen = cache.get(m.name);
  if (!seen) {
    const ev = audit.recordSourceChange({ model: m.name, user: observer, time: now, mlflow: { uri: cache.uri, op: 'baseline', state: current } });
    cache.set(m.name, { seenAt: now, state: current, audit: refs });
    return { baseline: localEntry(ev) };
  }
  const known = new Set(seen.audit);
  let expected = seen.state;
  for (const a of entries) if (!known.has(a.ref)) expected = applyMoves(expected, a.stages, a.aliases);
  const d = diffStates(expected, current);
  let observed: TrailEntry | undefined;
  if (d.stages.length || d.aliases.length) {
    const ev = audit.recordSourceChange({
      model: m.name,
      user: `unknown (seen by ${observer})`,
      time: now,
      mlflow: { uri: cache.uri, op: 'observed', stages: d.stages, aliases: d.aliases, after: seen.seenAt },
    });
    observed = localEntry(ev);
  }
  cache.set(m.name, { seenAt: now, state: current, audit: refs });
  return observed ? { observed } : {};
}
