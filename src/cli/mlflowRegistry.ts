/**
 * `mlops models transition|alias|rollback|register|describe|tag|history|at` on an MLflow source, through
 * core/mlflowRegistry: changes on a tracking server (mlflow.db and mlruns/ are refused by mlflowGuard.ts before any
 * work), each recorded as an audit tag on the server and, when a workspace store (`.mlops`, found from the current
 * folder upward) is there, in its registry log; its mlops.yaml's `registry.promoters` applies.
 */
import * as path from 'node:path';
import { findConfig, loadConfig } from '../core/config/config';
import { mlflowRegistry, trailCompleteness, TrailIncompleteError, type MlflowChange, type MlflowRegistry, type TrailEntry } from '../core/mlflowRegistry';
import { registryOptions } from '../core/registry/config';
import { Registry, type Stage } from '../core/registry/registry';
import { Store } from '../core/store/store';
import { out, withMlflowSource, type StoreChoice } from './context';
import { fmtTime, table } from './format';
import { getModel, modelAt } from './mlflowReads';
import { warn, warnProblem } from './warnings';

type MlflowChoice = Extract<StoreChoice, { kind: 'mlflow' }>;

/** How far in the past a time still counts as "now" for `models at` (as mlflowReads' modelAt). */
const NOW_SLACK_MS = 60_000;

/** The workspace registry that audits changes (the `.mlops` found from the current folder upward), if any. */
function auditRegistry(): Registry | undefined {
  const root = Store.findUp(process.cwd());
  if (!root) return undefined;
  const cfgFile = findConfig(process.cwd()) ?? findConfig(path.dirname(root));
  return new Registry(Store.open(root), { ...registryOptions(cfgFile ? loadConfig(cfgFile) : undefined), onProblem: warnProblem });
}

/** Opens the source and its audited registry, runs `fn`, closes the source. */
export function withMlflowRegistry<T>(choice: MlflowChoice, fn: (reg: MlflowRegistry) => Promise<T>): Promise<T> {
  const audit = auditRegistry();
  const cfgFile = audit ? undefined : findConfig(process.cwd());
  const options = cfgFile ? registryOptions(loadConfig(cfgFile)) : {};
  return withMlflowSource(choice, (s) => fn(mlflowRegistry(s, audit, options)));
}

const vList = (versions: number[]): string => versions.map((v) => `v${v}`).join(', ');

/** Prints a change: one line (or JSON), its warnings and what others changed before it on stderr. */
export function reportChange(c: MlflowChange, line: string, json: boolean): void {
  if (c.observed) warn(`${c.model}: changed outside the workbench since this workspace last looked (recorded as observed): ${c.observed.effect}`);
  for (const w of c.warnings) warn(`${c.model}: ${w}`);
  if (!json) return out.line(line);
  out.json({
    model: c.model, version: c.version ?? null, stages: c.stages, aliases: c.aliases, auditKey: c.auditKey ?? null, event: c.event?.id ?? null, warnings: c.warnings,
    after: { description: c.after.description, aliases: c.after.aliases, versions: c.after.versions.map((v) => ({ version: v.version, stage: v.stage, aliases: v.aliases, description: v.description, tags: v.tags, status: v.status ?? null, source: v.source ?? null, runId: v.runId ?? null })) },
  });
}

/** "; archived v2" when a promotion archived versions. */
export function archivedNote(c: MlflowChange): string {
  const archived = c.stages.filter((m) => m.version !== c.version && m.to === 'Archived').map((m) => m.version);
  return archived.length ? `; archived ${vList(archived)}` : '';
}

function entryJson(e: TrailEntry) {
  return {
    time: new Date(e.time).toISOString(), user: e.user, action: e.action, origin: e.origin, version: e.version ?? null, alias: e.alias ?? null, from: e.from ?? null, to: e.to ?? null,
    reason: e.reason ?? null, effect: e.effect, stages: e.stages, aliases: e.aliases, ...(e.after !== undefined ? { after: new Date(e.after).toISOString() } : {}), auditKey: e.auditKey ?? null, id: e.id ?? null,
  };
}

export async function printHistory(reg: MlflowRegistry, name: string, json: boolean): Promise<void> {
  const t = await reg.history(name);
  if (json) {
    out.json({ model: t.model, source: t.uri, completeFrom: t.completeFrom !== undefined ? new Date(t.completeFrom).toISOString() : null, gap: t.gap ? entryJson(t.gap) : null, entries: t.entries.map(entryJson) });
    return;
  }
  const origin = { workbench: 'this workspace', audit: 'audit tag', observed: 'observed', baseline: 'first look', refused: 'this workspace' };
  const when = (e: TrailEntry) => (e.after !== undefined ? `${fmtTime(e.time)} (after ${fmtTime(e.after)})` : fmtTime(e.time));
  out.line(table(['time', 'user', 'action', 'effect', 'reason', 'origin'], t.entries.map((e) => [when(e), e.user, e.action, e.effect, e.reason ?? '', origin[e.origin]])));
  out.line(trailCompleteness(t));
}

export async function printAt(choice: MlflowChoice, name: string, time: number, q: { stage?: Stage; alias?: string }, json: boolean): Promise<void> {
  const answered = await withMlflowRegistry(choice, async (reg) => {
    let a: Awaited<ReturnType<MlflowRegistry['at']>>;
    try {
      a = await reg.at(name, time, q);
    } catch (e) {
      if (e instanceof TrailIncompleteError && e.completeFrom === undefined && time >= Date.now() - NOW_SLACK_MS) return false; // no trail yet: the current state
      throw e;
    }
    const what = q.alias ? `@${q.alias}` : q.stage;
    const since = a.completeFrom !== undefined ? `the audit trail is complete from ${new Date(a.completeFrom).toISOString()}` : 'the current state; no audit trail yet';
    const uncertain = a.uncertain ? `; a change made outside the workbench was seen at ${new Date(a.uncertain.to).toISOString()} and happened after ${new Date(a.uncertain.from).toISOString()}, so the answer may be from either side of it` : '';
    const runOf = (v: number) => a.model.versions.find((x) => x.version === v)?.runId ?? null;
    if (json) {
      out.json({ model: name, time: new Date(time).toISOString(), query: q.alias ? { alias: q.alias } : { stage: q.stage }, versions: a.versions.map((v) => ({ version: v, runId: runOf(v) })), completeFrom: a.completeFrom !== undefined ? new Date(a.completeFrom).toISOString() : null, uncertain: a.uncertain ? { from: new Date(a.uncertain.from).toISOString(), to: new Date(a.uncertain.to).toISOString() } : null, note: `From the workbench's audit trail (${since}${uncertain}).` });
    } else out.line(`At ${new Date(time).toISOString()}, ${name} ${a.versions.length ? `${what}: ${vList(a.versions)}` : `had no version in ${what}`} (${since}${uncertain}).`);
    return true;
  });
  if (!answered) await withMlflowSource(choice, async (s) => modelAt(s, await getModel(s, name), time, q, json));
}
