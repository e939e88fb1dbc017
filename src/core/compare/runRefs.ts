/**
 * Which run a comparison shows, as one string key that is unique across sources and survives a window reload (it is
 * saved with the panel): a workspace-store run is its id (as before MLflow sources existed, so saved panels still
 * restore); a run of an MLflow source is `<source URI>#<run id>` (`sqlite:///…/mlflow.db#8f…`, `file:///…/mlruns#…`,
 * `http://host:5000#…`). The source URI is the canonical one of core/sources/locate.ts; the run id never holds a '#',
 * so the last '#' splits the key.
 *
 * Pure: the panel, its serializer and the commands use it; keys from a saved state are untrusted and checked here.
 */

export interface CompareRunRef {
  /** The run's id in its source. */
  runId: string;
  /** The MLflow source's canonical URI; absent for a run of a workspace store. */
  source?: string;
}

/** A workspace-store run id (hex, as the store writes them). */
const WORKSPACE_ID = /^[0-9a-f]{8,64}$/i;
/** MLflow's own rule for run ids (uuid4 hex today; 1.x file stores the same). */
const MLFLOW_RUN_ID = /^[A-Za-z0-9][\w-]{0,255}$/;
/** A canonical source URI as locate.ts writes them (no control characters: checked in parseRefKey). */
const SOURCE_URI = /^(file|sqlite|https?):\/\/.{1,2000}$/s;

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function refKey(ref: CompareRunRef): string {
  return ref.source ? `${ref.source}#${ref.runId}` : ref.runId;
}

/** The run a key names, or undefined when the key is malformed (from a saved state or a script). */
export function parseRefKey(key: unknown): CompareRunRef | undefined {
  if (typeof key !== 'string') return undefined;
  const i = key.lastIndexOf('#');
  if (i < 0) return WORKSPACE_ID.test(key) ? { runId: key } : undefined;
  const source = key.slice(0, i);
  const runId = key.slice(i + 1);
  return SOURCE_URI.test(source) && !hasControlCharacter(source) && MLFLOW_RUN_ID.test(runId) ? { runId, source } : undefined;
}

/** A key for a ref given by a caller (an object {source?, runId}), or undefined when it is not one. */
export function keyOfRefLike(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as { runId?: unknown; source?: unknown; sourceUri?: unknown };
  const source = typeof o.source === 'string' ? o.source : typeof o.sourceUri === 'string' ? o.sourceUri : undefined;
  if (typeof o.runId !== 'string') return undefined;
  const key = refKey({ runId: o.runId, source });
  return parseRefKey(key) ? key : undefined;
}

/** The run id to show for a key (the part after the source). */
export function runIdOfKey(key: string): string {
  return parseRefKey(key)?.runId ?? key;
}
