/**
 * Where the worker-thread entry is: `dist/worker.js` next to the bundled extension/CLI, or
 * `out/src/worker.js` when running the tsc-compiled tests. MLOPS_WORKER_SCRIPT overrides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function workerScript(): string {
  if (process.env.MLOPS_WORKER_SCRIPT) return process.env.MLOPS_WORKER_SCRIPT;
  // dist/: the bundle's own folder; out/src/core/worker/: two folders up.
  const candidates = [path.join(__dirname, 'worker.js'), path.join(__dirname, '..', '..', 'worker.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`worker script not found (looked in ${candidates.join(', ')})`);
  return found;
}
