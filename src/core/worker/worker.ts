/**
 * The worker-thread entry (bundled as dist/worker.js). Each message is a job {id, kind, payload}; the handler
 * for `kind` runs and the result (or error) is posted back with the same id. Handlers register themselves in
 * ./jobs.ts so that every long computation (tree building, training, drift) shares one script.
 */
import { parentPort } from 'node:worker_threads';
import { handlers } from './jobs';
import '../training/mljs';
import '../data/csvJob';
import '../training/forest/jobs';
import '../monitoring/driftJob';

if (parentPort) {
  const port = parentPort;
  port.on('message', async (msg: { id: number; kind: string; payload: unknown }) => {
    const handler = handlers[msg.kind];
    try {
      if (!handler) throw new Error(`unknown worker job '${msg.kind}'`);
      const { result, transfer } = await handler(msg.payload, (progress: unknown) => port.postMessage({ id: msg.id, progress }));
      port.postMessage({ id: msg.id, result }, transfer ?? []);
    } catch (e) {
      port.postMessage({ id: msg.id, error: { message: (e as Error)?.message ?? String(e), name: (e as Error)?.name, stack: (e as Error)?.stack } });
    }
  });
}
