/**
 * The worker pools of training, by size, shared by concurrent and successive trainings and by the two kinds of work
 * a training run sends them: loading the CSV and building trees. One pool for both means the worker that parsed the
 * data builds trees next instead of a second set of workers starting (each start costs tens of milliseconds: a
 * Node.js environment and the worker bundle); `warmPool` starts the other workers while the CSV is parsed. A pool is
 * disposed after a while without work; idle workers are unref'd, so they never keep a CLI process alive.
 */
import * as os from 'node:os';
import type { JobHandler } from '../worker/jobs';
import { WorkerPool } from '../worker/pool';

const pools = new Map<number, { pool: WorkerPool; users: number; timer?: ReturnType<typeof setTimeout> }>();
const POOL_IDLE_MS = 15_000;

/** Workers of a training by default: one per core. */
export function defaultWorkerCount(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export function acquirePool(size: number): WorkerPool {
  let entry = pools.get(size);
  if (!entry) {
    entry = { pool: new WorkerPool(size), users: 0 };
    pools.set(size, entry);
  }
  if (entry.timer) clearTimeout(entry.timer);
  entry.timer = undefined;
  entry.users++;
  return entry.pool;
}

export function releasePool(size: number): void {
  const entry = pools.get(size);
  if (!entry) return;
  if (--entry.users > 0) return;
  entry.timer = setTimeout(() => {
    pools.delete(size);
    void entry.pool.dispose();
  }, POOL_IDLE_MS);
  entry.timer.unref?.();
}

/** Dispose the idle training pools now (e.g. before exit, or in tests). */
export async function disposeTrainingWorkers(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  for (const e of all) if (e.timer) clearTimeout(e.timer);
  await Promise.all(all.map((e) => e.pool.dispose()));
}

/** An empty job: running it makes the pool start a worker (in the job table of src/worker.ts). */
export const WARM_JOB = 'training:warm';
export const warmJob: JobHandler = () => ({ result: null });

/** Have `count` workers of the pool started (or kept) without waiting for them; a failure shows up in the real jobs. */
export function warmPool(pool: WorkerPool, count: number): void {
  for (let i = 0; i < count; i++) pool.run(WARM_JOB, null).catch(() => undefined);
}
