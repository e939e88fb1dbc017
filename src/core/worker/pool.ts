/**
 * A small pool of worker threads running jobs from ./jobs.ts. Jobs queue when every worker is busy. A job whose
 * AbortSignal fires is cancelled by terminating its worker (a fresh one replaces it), so a long computation
 * stops at once. Call dispose() when done; idle workers are unref'd so they never keep a CLI process alive.
 */
import * as os from 'node:os';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { AbortError } from '../util/errors';
import { workerScript } from './workerPath';

interface Job {
  id: number;
  kind: string;
  payload: unknown;
  transfer?: TransferListItem[];
  onProgress?: (p: unknown) => void;
  signal?: AbortSignal;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 1;
  private disposed = false;

  constructor(readonly size = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)) {}

  run<T>(kind: string, payload: unknown, options: { transfer?: TransferListItem[]; onProgress?: (p: unknown) => void; signal?: AbortSignal } = {}): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('worker pool is disposed'));
    if (options.signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<T>((resolve, reject) => {
      const job: Job = { id: this.nextId++, kind, payload, ...options, resolve: resolve as (v: unknown) => void, reject };
      options.signal?.addEventListener('abort', () => this.cancel(job), { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = new Worker(workerScript());
    const slot: Slot = { worker, job: undefined };
    worker.on('message', (m: { id: number; result?: unknown; error?: { message: string; name?: string; stack?: string }; progress?: unknown }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      if ('progress' in m && m.progress !== undefined && !('result' in m) && !m.error) {
        job.onProgress?.(m.progress);
        return;
      }
      slot.job = undefined;
      worker.unref();
      if (m.error) {
        const e = new Error(m.error.message);
        e.name = m.error.name ?? 'Error';
        if (m.error.stack) e.stack = m.error.stack;
        job.reject(e);
      } else job.resolve(m.result);
      this.pump();
    });
    worker.on('error', (e) => {
      const job = slot.job;
      slot.job = undefined;
      this.slots = this.slots.filter((s) => s !== slot);
      job?.reject(e);
      this.pump();
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, kind: job.kind, payload: job.payload }, job.transfer ?? []);
    }
  }

  private cancel(job: Job): void {
    const qi = this.queue.indexOf(job);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      job.reject(new AbortError());
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    slot.job = undefined;
    this.slots = this.slots.filter((s) => s !== slot);
    void slot.worker.terminate();
    job.reject(new AbortError());
    this.pump();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const j of this.queue) j.reject(new AbortError('worker pool disposed'));
    this.queue = [];
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) s.job?.reject(new AbortError('worker pool disposed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
