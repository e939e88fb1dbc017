/**
 * The audit trail of an MLflow model: the audit tags every workbench user wrote on the server, merged with this
 * workspace's own log (its changes, refusals, changes it observed others make, and the state it first saw), each change
 * once.
 *
 * MLflow keeps no registry history (mlflow/mlflow#2169), so the trail is all there is, and it is checked before it is
 * trusted: walking back from the current state, each change must end in the state reached so far (its `to`), and a
 * first observation must equal it. The walk stops at the first entry that does not fit — a change nobody recorded
 * happened after it — and the trail is *complete from* the oldest entry it reached: `at` answers from that time on,
 * rollback finds the earlier Production version (or @champion) within it.
 */
import type { AliasMove, RegistryEvent } from '../registry/registry';
import type { SourceRegistryState, SourceStageMove } from '../registry/sourceChange';
import type { AuditEntry } from './audit';
import { applyMoves, describeMoves, describeState, endsIn, sameState } from './state';

/** workbench: made from this workspace; audit: an audit tag on the server (another workbench, or this one's lost log);
 *  observed: a change made outside the workbench, seen on refresh; baseline: the state this workspace first saw. */
export type TrailOrigin = 'workbench' | 'audit' | 'observed' | 'baseline' | 'refused';

export interface TrailEntry {
  time: number;
  user: string;
  /** transition, alias, rollback, describe, tag, register, refused, observed, baseline */
  action: string;
  origin: TrailOrigin;
  version?: number;
  alias?: string;
  /** A stage, an alias's version ('v2'), a description; null: none. */
  from?: string | null;
  to?: string | null;
  reason?: string;
  /** What it did, in words. */
  effect: string;
  stages: SourceStageMove[];
  aliases: AliasMove[];
  /** observed: the previous observation (the change happened between it and `time`). */
  after?: number;
  /** baseline: the state seen. */
  state?: SourceRegistryState;
  /** The workspace event id (also in the audit tag). */
  id?: string;
  /** The server tag holding this change, when it is there. */
  auditKey?: string;
}

export interface TrailStep {
  entry: TrailEntry;
  before: SourceRegistryState;
  after: SourceRegistryState;
}

export interface Trail {
  model: string;
  uri: string;
  /** Oldest first. */
  entries: TrailEntry[];
  current: SourceRegistryState;
  /** The steps from `completeFrom` to now, oldest first. */
  steps: TrailStep[];
  /** The state before the oldest step. */
  earliest: SourceRegistryState;
  /** From when every stage and alias change is known (the earliest audit entry or observation the walk reached). */
  completeFrom?: number;
  /** The newest entry that does not fit what came after it: a change nobody recorded happened after it. */
  gap?: TrailEntry;
}

/** A workspace log event (action `mlflow`) as a trail entry. */
export function localEntry(e: RegistryEvent): TrailEntry {
  const c = e.mlflow!;
  const stages = c.stages ?? [];
  const aliases = c.aliases ?? [];
  const origin: TrailOrigin = c.op === 'observed' ? 'observed' : c.op === 'baseline' ? 'baseline' : c.op === 'refused' ? 'refused' : 'workbench';
  const effect =
    c.op === 'baseline' ? `first seen: ${describeState(c.state ?? { stages: {}, aliases: {} })}`
    : c.op === 'refused' ? `refused ${e.attempted ?? 'action'}: ${e.reason ?? ''}`
    : describeMoves(stages, aliases) || otherEffect(c.op, e.version, e.description, e.tags, e.deletedTags);
  return {
    time: e.time, user: e.user, action: c.op, origin, effect, stages, aliases,
    ...(e.version !== undefined && e.version !== null ? { version: e.version } : {}),
    ...(e.alias ? { alias: e.alias } : {}),
    ...(e.from !== undefined ? { from: e.from } : {}),
    ...(e.to !== undefined ? { to: e.to } : {}),
    ...(c.op === 'refused' ? (e.requestedReason ? { reason: e.requestedReason } : {}) : e.reason ? { reason: e.reason } : {}),
    ...(c.after !== undefined ? { after: c.after } : {}),
    ...(c.state ? { state: c.state } : {}),
    id: e.id,
    ...(c.auditKey ? { auditKey: c.auditKey } : {}),
  };
}

function otherEffect(op: string, version: number | undefined, description?: string, tags?: Record<string, string>, removed?: string[]): string {
  const what = version === undefined ? 'the model' : `v${version}`;
  if (op === 'describe') return `description of ${what} set${description !== undefined ? `: ${description.length > 60 ? `${description.slice(0, 59)}…` : description}` : ''}`;
  if (op === 'tag') {
    const set = Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
    return `tags of ${what}${set ? ` set: ${set}` : ''}${removed?.length ? `${set ? ';' : ''} removed: ${removed.join(', ')}` : ''}`;
  }
  return op;
}

/** A server audit tag as a trail entry. */
export function auditEntry(a: AuditEntry): TrailEntry {
  const r = a.record;
  const tags = r.tags && typeof r.tags === 'object' ? r.tags : undefined;
  return {
    time: a.time, user: r.who, action: r.action, origin: 'audit', stages: a.stages, aliases: a.aliases,
    effect: describeMoves(a.stages, a.aliases) || otherEffect(r.action, a.version, typeof r.to === 'string' ? r.to : undefined, tags, r.removed),
    ...(a.version !== undefined ? { version: a.version } : {}),
    ...(r.alias ? { alias: r.alias } : {}),
    ...(r.from !== undefined ? { from: typeof r.from === 'number' ? `v${r.from}` : r.from } : {}),
    ...(r.to !== undefined ? { to: typeof r.to === 'number' ? `v${r.to}` : r.to } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(typeof r.id === 'string' ? { id: r.id } : {}),
    auditKey: a.key,
  };
}

/** The workspace's events and the server's audit tags, each change once (by event id), oldest first. */
export function mergeTrail(local: readonly RegistryEvent[], audit: readonly AuditEntry[]): TrailEntry[] {
  const entries = local.map(localEntry);
  const ids = new Set(entries.map((e) => e.id));
  for (const a of audit) if (!(typeof a.record.id === 'string' && ids.has(a.record.id))) entries.push(auditEntry(a));
  return entries.sort((a, b) => a.time - b.time);
}

/** Walks back from the current state; see the file comment. */
export function walkTrail(model: string, uri: string, current: SourceRegistryState, entries: TrailEntry[]): Trail {
  let s = current;
  const steps: TrailStep[] = [];
  let completeFrom: number | undefined;
  let gap: TrailEntry | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.state ? !sameState(s, e.state) : !endsIn(s, e.stages, e.aliases)) {
      gap = e;
      break;
    }
    const before = e.state ? s : applyMoves(s, e.stages, e.aliases, true);
    steps.push({ entry: e, before, after: s });
    s = before;
    completeFrom = e.time;
  }
  return { model, uri, entries, current, steps: steps.reverse(), earliest: s, ...(completeFrom !== undefined ? { completeFrom } : {}), ...(gap ? { gap } : {}) };
}

/** The state at time T, or undefined when the trail is not complete that far back; `uncertain` when T falls between an observed change's previous observation and its sighting. */
export function stateAt(t: Trail, time: number): { state: SourceRegistryState; uncertain?: { from: number; to: number } } | undefined {
  if (time >= Date.now()) return { state: t.current };
  if (t.completeFrom === undefined || time < t.completeFrom) return undefined;
  let state = t.current;
  let uncertain: { from: number; to: number } | undefined;
  for (let i = t.steps.length - 1; i >= 0 && t.steps[i].entry.time > time; i--) {
    const { entry } = t.steps[i];
    state = t.steps[i].before;
    if (entry.origin === 'observed' && entry.after !== undefined && entry.after < time) uncertain = { from: entry.after, to: entry.time };
  }
  return { state, ...(uncertain ? { uncertain } : {}) };
}

/** Production (a stage) or an alias (champion): what rollback returns to the version that held before. */
export type Slot = { stage: string } | { alias: string };

const holders = (s: SourceRegistryState, slot: Slot): number[] =>
  'alias' in slot ? (s.aliases[slot.alias] !== undefined ? [s.aliases[slot.alias]] : []) : Object.keys(s.stages).filter((v) => s.stages[v] === slot.stage).map(Number).sort((a, b) => a - b);

/**
 * The versions that entered the slot, oldest first, within the complete part of the trail (a version entering again
 * moves to the top; a rollback drops the version it replaced, so repeated rollbacks walk further back; a deleted version
 * drops out), as the workspace registry keeps its Production history.
 */
export function slotHistory(t: Trail, slot: Slot): number[] {
  let h = holders(t.earliest, slot);
  for (const { entry, before, after } of t.steps) {
    const was = holders(before, slot);
    const now = holders(after, slot);
    const rolled = entry.action === 'rollback' && now.join() !== was.join();
    const entered = rolled ? now : now.filter((v) => !was.includes(v));
    if (rolled) {
      const top = h.pop();
      if (top !== undefined && entered.includes(top)) h.push(top);
    }
    for (const v of entered) h = [...h.filter((x) => x !== v), v];
    h = h.filter((v) => after.stages[v] !== undefined);
  }
  return h;
}

/** The version rollback puts back, or undefined when the trail does not know one. */
export function rollbackTarget(t: Trail, slot: Slot): number | undefined {
  const h = slotHistory(t, slot);
  const current = holders(t.current, slot);
  if (h.length < 2 || !current.includes(h[h.length - 1])) return undefined;
  return h[h.length - 2];
}

/** What the trail's completeness means, in one sentence (the CLI's `models history` and VS Code's Show History). */
export function trailCompleteness(t: Trail): string {
  const gap = t.gap ? `; before that, a change nobody recorded happened after ${new Date(t.gap.time).toISOString()} (${t.gap.effect})` : '';
  if (t.completeFrom === undefined) return `No complete trail of ${t.model} on ${t.uri} yet${t.gap ? gap : ''}: MLflow keeps no registry history (mlflow/mlflow#2169); the workbench's audit entries and observations start it.`;
  return `Complete from ${new Date(t.completeFrom).toISOString()} (the earliest audit entry or observation): every stage and alias change since then is above${gap}.`;
}
