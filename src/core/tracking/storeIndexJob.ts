/**
 * The store index in a worker thread (issue 15): the extension host never loads or queries a big store itself. The
 * worker keeps one StoreIndex per store root between jobs (the extension uses a one-worker pool, so every job for a
 * store lands on the same worker; if that worker is replaced, the next job opens the index again from its snapshot).
 *
 * `StoreIndexClient` is the caller's side: typed requests over a WorkerPool. Its answers are small (a summary, a page of
 * 200 runs, best run ids, counts), so the host never deserializes a whole store.
 */
import { Store } from '../store/store';
import type { Run } from '../store/types';
import type { WorkerPool } from '../worker/pool';
import type { Direction } from './metricDirection';
import { type IndexPageQuery, type IndexProgress, type IndexSummary, StoreIndex } from './storeIndex';

export const STORE_INDEX_JOB = 'store-index';

/** The snapshot is written at most this often while the index keeps changing (and when the store is closed). */
const SAVE_EVERY_MS = 10_000;

export type StoreIndexRequest =
  | { op: 'open'; root: string }
  | { op: 'refresh'; root: string; hints?: string[]; full?: boolean }
  | { op: 'page'; root: string; query: IndexPageQuery }
  | { op: 'best'; root: string; experimentIds: string[] }
  | { op: 'filterCounts'; root: string; filter: string }
  | { op: 'close'; root: string };

export interface StoreIndexAnswer {
  summary: IndexSummary;
  /** Said while opening or validating (a rebuilt or stale index): for the log. */
  messages: string[];
  /** Wall time of the work in the worker, ms. */
  ms: number;
  /** Set when the index is being opened for the first time in this worker. */
  opened?: { from: 'snapshot' | 'rebuilt'; reread: number; removed: number };
  /** False until the index was compared with every run folder: the caller refreshes again. */
  validated?: boolean;
  changed?: number;
  page?: { runs: Run[]; total: number };
  best?: Record<string, { metric?: { key: string; direction: Direction }; bestId?: string }>;
  counts?: Record<string, number>;
  heapUsed?: number;
  /** The whole process's resident set (the worker shares it with its host). */
  rss?: number;
  indexBytes?: number;
}

interface Held {
  index: StoreIndex;
  savedAt: number;
}

const held = new Map<string, Held>();

function openIndex(root: string, messages: string[], progress: IndexProgress): { held: Held; opened?: StoreIndexAnswer['opened'] } {
  const h = held.get(root);
  if (h) return { held: h };
  const index = new StoreIndex(Store.open(root));
  // From a snapshot, answer at once; the next refresh validates against the run folders (and says what was stale).
  const r = index.open((m) => messages.push(m), { deferValidation: true, progress });
  const entry = { index, savedAt: 0 };
  held.set(root, entry);
  if (r.validated) saveIfDue(entry, messages, true);
  return { held: entry, opened: { from: r.from, reread: r.reread, removed: r.removed } };
}

function saveIfDue(h: Held, messages: string[], force = false): void {
  if (!h.index.changedSinceSave || (!force && Date.now() - h.savedAt < SAVE_EVERY_MS)) return;
  try {
    h.index.save();
    h.savedAt = Date.now();
  } catch (e) {
    messages.push(`The index of ${h.index.store.root} could not be saved (${(e as Error).message}); it is rebuilt from the run folders next time.`);
    h.savedAt = Date.now();
  }
}

/** `progress` hears how far a check of every run folder is (see StoreIndex.validate): only a long one reports. */
export function storeIndexJob(payload: unknown, progress: (p: unknown) => void = () => undefined): { result: StoreIndexAnswer } {
  const req = payload as StoreIndexRequest;
  const t0 = performance.now();
  const messages: string[] = [];
  if (req.op === 'close') {
    const h = held.get(req.root);
    if (h) saveIfDue(h, messages, true);
    held.delete(req.root);
    return { result: { summary: { experiments: [], runCount: 0, problems: [], runningCount: 0, version: 0 }, messages, ms: performance.now() - t0 } };
  }
  const { held: h, opened } = openIndex(req.root, messages, progress);
  const index = h.index;
  const answer: StoreIndexAnswer = { summary: undefined as unknown as IndexSummary, messages, ms: 0, ...(opened ? { opened } : {}) };
  switch (req.op) {
    case 'open':
      answer.heapUsed = process.memoryUsage().heapUsed;
      answer.rss = process.memoryUsage().rss;
      answer.indexBytes = index.memoryEstimate();
      break;
    case 'refresh': {
      if (!opened) {
        if (req.full && index.validated) {
          const v = index.validate(progress);
          answer.changed = v.reread + v.removed;
          if (answer.changed) messages.push(`Checked every run of ${req.root}: ${v.reread} changed or added, ${v.removed} removed.`);
        } else answer.changed = index.refresh(req.hints ?? [], progress).changed;
      } else answer.changed = 1;
      saveIfDue(h, messages);
      break;
    }
    case 'page':
      answer.page = index.page(req.query);
      break;
    case 'best':
      answer.best = Object.fromEntries(req.experimentIds.map((id) => [id, index.best(id)]));
      break;
    case 'filterCounts':
      answer.counts = Object.fromEntries(index.filterCounts(req.filter));
      break;
  }
  answer.summary = index.summary();
  answer.validated = index.validated;
  answer.ms = performance.now() - t0;
  return { result: answer };
}

/** The caller's side: the index of one store, in the pool's worker. */
export class StoreIndexClient {
  constructor(
    private readonly pool: WorkerPool,
    readonly root: string,
  ) {}

  private run(req: StoreIndexRequest, onProgress?: IndexProgress): Promise<StoreIndexAnswer> {
    return this.pool.run<StoreIndexAnswer>(STORE_INDEX_JOB, req, onProgress ? { onProgress: onProgress as (p: unknown) => void } : {});
  }

  open(): Promise<StoreIndexAnswer> {
    return this.run({ op: 'open', root: this.root });
  }

  /** `onProgress` hears how far a long check of every run folder is (a first open, a full check). */
  refresh(hints: string[] = [], full = false, onProgress?: IndexProgress): Promise<StoreIndexAnswer> {
    return this.run({ op: 'refresh', root: this.root, hints, full }, onProgress);
  }

  page(query: IndexPageQuery): Promise<StoreIndexAnswer> {
    return this.run({ op: 'page', root: this.root, query });
  }

  best(experimentIds: string[]): Promise<StoreIndexAnswer> {
    return this.run({ op: 'best', root: this.root, experimentIds });
  }

  filterCounts(filter: string): Promise<StoreIndexAnswer> {
    return this.run({ op: 'filterCounts', root: this.root, filter });
  }

  close(): Promise<StoreIndexAnswer> {
    return this.run({ op: 'close', root: this.root });
  }
}
