/**
 * The audit entries the workbench writes on an MLflow server, so that every workbench user of that server sees them:
 * a model-version tag (a model tag for the model's own description) `mlops.audit.<epoch-ms>` whose value is compact
 * JSON — `{"who":"alice@fab.example","when":"2025-12-01T10:00:00.000Z","action":"transition","from":"Staging",
 * "to":"Production","reason":"…","archived":[2],"id":"…"}`. `id` is the event id in the writer's workspace log (so the
 * writer's own history shows each change once). MLflow limits a tag value to 5,000 characters: long reasons and
 * descriptions are cut.
 */
import type { AliasMove } from '../registry/registry';
import type { SourceStageMove } from '../registry/sourceChange';
import type { SourceModel } from '../sources/types';

export const AUDIT_PREFIX = 'mlops.audit.';
const MAX_TEXT = 1_000;

export interface AuditRecord {
  who: string;
  when: string;
  action: string;
  /** transition/rollback/register: stages; alias: versions (null: none); describe: the old and new text (cut). */
  from?: string | number | null;
  to?: string | number | null;
  reason?: string;
  alias?: string;
  /** transition/rollback: the versions the change archived (they were in the target stage). */
  archived?: number[];
  /** tag: keys set and removed */
  tags?: Record<string, string>;
  removed?: string[];
  run?: string;
  id?: string;
}

/** One audit tag as read back from the server. */
export interface AuditEntry {
  /** `<version>:<key>` or `model:<key>`: unique within the model. */
  ref: string;
  key: string;
  time: number;
  version?: number;
  record: AuditRecord;
  stages: SourceStageMove[];
  aliases: AliasMove[];
}

const cut = (s: string | undefined, n = MAX_TEXT): string | undefined => (s === undefined || s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** The tag's value: compact JSON, texts cut so that it stays far below MLflow's 5,000-character limit. */
export function encodeAudit(r: AuditRecord): string {
  const short = (v: string | number | null | undefined) => (typeof v === 'string' ? cut(v, 200) : v);
  const tags = r.tags ? Object.fromEntries(Object.entries(r.tags).slice(0, 20).map(([k, v]) => [cut(k, 100)!, cut(v, 100)!])) : undefined;
  const value = { ...r, from: short(r.from), to: short(r.to), reason: cut(r.reason), ...(tags ? { tags } : {}) };
  return JSON.stringify(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)));
}

/** A key not used yet by the version (or model): `mlops.audit.<ms>`, the next millisecond when that one is taken. */
export function freeAuditKey(time: number, taken: Record<string, string>): string {
  let t = time;
  while (`${AUDIT_PREFIX}${t}` in taken) t++;
  return `${AUDIT_PREFIX}${t}`;
}

/** Every audit entry on the model and its versions, oldest first; unreadable values are left out and counted. */
export function readAuditEntries(m: SourceModel): { entries: AuditEntry[]; unreadable: number } {
  const entries: AuditEntry[] = [];
  let unreadable = 0;
  const scan = (tags: Record<string, string>, version: number | undefined) => {
    for (const [key, value] of Object.entries(tags)) {
      if (!key.startsWith(AUDIT_PREFIX)) continue;
      const e = decodeAudit(key, value, version);
      if (e) entries.push(e);
      else unreadable++;
    }
  };
  scan(m.tags, undefined);
  for (const v of m.versions) scan(v.tags, v.version);
  return { entries: entries.sort((a, b) => a.time - b.time || a.ref.localeCompare(b.ref)), unreadable };
}

function decodeAudit(key: string, value: string, version: number | undefined): AuditEntry | undefined {
  let r: AuditRecord;
  try {
    r = JSON.parse(value) as AuditRecord;
  } catch {
    return undefined;
  }
  if (!r || typeof r !== 'object' || typeof r.action !== 'string') return undefined;
  const ms = Number(key.slice(AUDIT_PREFIX.length));
  const time = Number.isFinite(ms) && ms > 0 ? ms : Date.parse(String(r.when));
  if (!Number.isFinite(time)) return undefined;
  const { stages, aliases } = auditMoves(r, version);
  return { ref: `${version ?? 'model'}:${key}`, key, time, ...(version !== undefined ? { version } : {}), record: { ...r, who: String(r.who ?? 'unknown') }, stages, aliases };
}

/** The stage and alias changes an audit record describes. */
export function auditMoves(r: AuditRecord, version: number | undefined): { stages: SourceStageMove[]; aliases: AliasMove[] } {
  const asVersion = (x: unknown): number | null => (typeof x === 'number' && Number.isInteger(x) ? x : null);
  const asStage = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  if (r.alias) return { stages: [], aliases: [{ alias: r.alias, from: asVersion(r.from), to: asVersion(r.to) }] };
  if (version === undefined) return { stages: [], aliases: [] };
  if (r.action === 'register') return { stages: [{ version, from: null, to: asStage(r.to) ?? 'None' }], aliases: [] };
  if (r.action !== 'transition' && r.action !== 'rollback') return { stages: [], aliases: [] };
  const to = asStage(r.to);
  const archived = Array.isArray(r.archived) ? r.archived.filter((x) => Number.isInteger(x) && x !== version) : [];
  return { stages: [{ version, from: asStage(r.from), to }, ...archived.map((a) => ({ version: a, from: to, to: 'Archived' }))], aliases: [] };
}
