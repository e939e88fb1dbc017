/**
 * A `RunQuery` evaluated over runs held in memory (the MLflow file and SQLite readers load a store's runs, then
 * select here): experiments, deleted runs, our filter language (core/tracking/filter.ts, `or`/`not` included),
 * MLflow's `order_by` syntax and paging with an opaque token.
 */
import { compileFilter, parseOrderKey, sortRunsBy } from '../tracking/filter';
import { SourceError, type RunQuery, type SourceRun } from './types';

/** MLflow's default page size for runs/search. */
export const DEFAULT_MAX_RESULTS = 1000;
/** The most a tracking server hands out in one page; local stores use the same cap. */
export const MAX_RESULTS_CAP = 50_000;

/** `metrics.rmse_val ASC`, `attributes.start_time DESC`, `params.depth` (ascending). Unknown fields are a FilterSyntaxError. */
export function parseOrderBy(orderBy: readonly string[] | undefined): { key: string; descending: boolean }[] {
  return (orderBy ?? [])
    .map((o) => o.trim())
    .filter((o) => o !== '')
    .map((o) => {
      const m = /^(.*?)\s+(asc|desc)$/i.exec(o);
      const key = m ? m[1] : o;
      parseOrderKey(key); // a bad key fails here, before any selection
      return { key, descending: !!m && m[2].toLowerCase() === 'desc' };
    });
}

/** FNV-1a of the query's selection, so that a token is not used with another query. */
function queryHash(q: RunQuery): string {
  const text = JSON.stringify([q.experimentIds ? [...q.experimentIds].sort() : null, q.filter ?? '', q.orderBy ?? [], !!q.includeDeleted]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

export function encodePageToken(offset: number, q: RunQuery): string {
  return Buffer.from(JSON.stringify({ o: offset, q: queryHash(q) }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string, q: RunQuery): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new SourceError('invalid', `Invalid page token '${token.slice(0, 40)}'`);
  }
  const t = parsed as { o?: unknown; q?: unknown };
  if (typeof t !== 'object' || t === null || !Number.isSafeInteger(t.o) || (t.o as number) < 0 || typeof t.q !== 'string') {
    throw new SourceError('invalid', `Invalid page token '${token.slice(0, 40)}'`);
  }
  if (t.q !== queryHash(q)) throw new SourceError('invalid', 'The page token belongs to another query (experiments, filter, order or deleted runs changed): start from the first page');
  return t.o as number;
}

/** The page size asked for, within 1…MAX_RESULTS_CAP (DEFAULT_MAX_RESULTS when absent). */
export function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined) return DEFAULT_MAX_RESULTS;
  if (!Number.isFinite(maxResults) || maxResults < 1) throw new SourceError('invalid', `maxResults must be at least 1, not ${maxResults}`);
  return Math.min(Math.floor(maxResults), MAX_RESULTS_CAP);
}

/**
 * One page of `runs` for `query`. `activeExperimentIds`: the experiments searched when the query names none.
 * A bad filter or order key throws FilterSyntaxError (a UserInputError with the position) before any selection.
 */
export function selectRuns(runs: Iterable<SourceRun>, query: RunQuery, activeExperimentIds: ReadonlySet<string>): { runs: SourceRun[]; nextPageToken?: string } {
  const matches = compileFilter(query.filter);
  const order = parseOrderBy(query.orderBy);
  const size = pageSize(query.maxResults);
  const offset = query.pageToken ? decodePageToken(query.pageToken, query) : 0;
  const experiments = query.experimentIds ? new Set(query.experimentIds.map(String)) : activeExperimentIds;
  const selected: SourceRun[] = [];
  for (const r of runs) {
    if (!experiments.has(r.experimentId)) continue;
    if (!query.includeDeleted && r.lifecycle === 'deleted') continue;
    if (matches(r)) selected.push(r);
  }
  const sorted = sortRunsBy(selected, order);
  const page = sorted.slice(offset, offset + size);
  return { runs: page, nextPageToken: offset + size < sorted.length ? encodePageToken(offset + size, query) : undefined };
}
