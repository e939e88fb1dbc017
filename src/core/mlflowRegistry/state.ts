/** The stages and aliases of an MLflow model as plain data: read from the source, compared, moved and described. */
import type { AliasMove } from '../registry/registry';
import type { SourceRegistryState, SourceStageMove } from '../registry/sourceChange';
import type { SourceModel } from '../sources/types';

export type { SourceRegistryState, SourceStageMove };

export function stateOf(m: SourceModel | undefined): SourceRegistryState {
  const stages: Record<string, string> = {};
  for (const v of m?.versions ?? []) stages[String(v.version)] = v.stage;
  return { stages, aliases: { ...(m?.aliases ?? {}) } };
}

export function cloneState(s: SourceRegistryState): SourceRegistryState {
  return { stages: { ...s.stages }, aliases: { ...s.aliases } };
}

/** What changed from `a` to `b`: each version whose stage differs (null: absent), each alias that moved. */
export function diffStates(a: SourceRegistryState, b: SourceRegistryState): { stages: SourceStageMove[]; aliases: AliasMove[] } {
  const versions = [...new Set([...Object.keys(a.stages), ...Object.keys(b.stages)])].map(Number).sort((x, y) => x - y);
  const stages = versions.filter((v) => (a.stages[v] ?? null) !== (b.stages[v] ?? null)).map((v) => ({ version: v, from: a.stages[v] ?? null, to: b.stages[v] ?? null }));
  const names = [...new Set([...Object.keys(a.aliases), ...Object.keys(b.aliases)])].sort();
  const aliases = names.filter((n) => (a.aliases[n] ?? null) !== (b.aliases[n] ?? null)).map((n) => ({ alias: n, from: a.aliases[n] ?? null, to: b.aliases[n] ?? null }));
  return { stages, aliases };
}

export const sameState = (a: SourceRegistryState, b: SourceRegistryState): boolean => {
  const d = diffStates(a, b);
  return !d.stages.length && !d.aliases.length;
};

/** `s` with the moves applied forward (`to`), or backward (`from`). */
export function applyMoves(s: SourceRegistryState, stages: readonly SourceStageMove[], aliases: readonly AliasMove[], backward = false): SourceRegistryState {
  const out = cloneState(s);
  for (const m of stages) {
    const value = backward ? m.from : m.to;
    if (value === null) delete out.stages[m.version];
    else out.stages[m.version] = value;
  }
  for (const m of aliases) {
    const value = backward ? m.from : m.to;
    if (value === null) delete out.aliases[m.alias];
    else out.aliases[m.alias] = value;
  }
  return out;
}

/** Whether `s` is what the moves lead to (each version's stage and each alias as their `to`). */
export function endsIn(s: SourceRegistryState, stages: readonly SourceStageMove[], aliases: readonly AliasMove[]): boolean {
  return stages.every((m) => (s.stages[m.version] ?? null) === m.to) && aliases.every((m) => (s.aliases[m.alias] ?? null) === m.to);
}

/** "v3: Staging → Production; v2: Production → Archived; @champion → v3 (was v2)". */
export function describeMoves(stages: readonly SourceStageMove[], aliases: readonly AliasMove[]): string {
  const stage = stages.map((m) => (m.from === null ? `v${m.version} registered (${m.to})` : m.to === null ? `v${m.version} deleted (was ${m.from})` : `v${m.version}: ${m.from} → ${m.to}`));
  const alias = aliases.map((m) => (m.to === null ? `@${m.alias} removed (was v${m.from})` : `@${m.alias} → v${m.to}${m.from !== null ? ` (was v${m.from})` : ''}`));
  return [...stage, ...alias].join('; ');
}

/** "v2 Production @champion, v3 Staging @challenger" */
export function describeState(s: SourceRegistryState): string {
  const byVersion = new Map<string, string[]>();
  for (const [a, v] of Object.entries(s.aliases)) byVersion.set(String(v), [...(byVersion.get(String(v)) ?? []), `@${a}`]);
  const parts = Object.keys(s.stages)
    .map(Number)
    .sort((a, b) => a - b)
    .map((v) => [`v${v} ${s.stages[v]}`, ...(byVersion.get(String(v)) ?? []).sort()].join(' '));
  return parts.join(', ') || 'no versions';
}
