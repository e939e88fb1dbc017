/**
 * CSV loading as a worker-thread job, so a large file is parsed off the extension host's thread. The columns
 * come back as transferred typed arrays (moved, not copied).
 */
import type { JobHandler } from '../worker/jobs';
import { WorkerPool } from '../worker/pool';
import { UserInputError } from '../util/errors';
import { loadCsv, LoadOptions } from './csv';
import type { Dataset } from './dataset';

export const LOAD_CSV_JOB = 'data:loadCsv';

/** Worker side (in the job table of src/worker.ts). */
export const loadCsvJob: JobHandler = async (payload, progress) => {
  const { file, options } = payload as { file: string; options: Omit<LoadOptions, 'onProgress'> };
  const ds = await loadCsv(file, { ...options, onProgress: (rows) => progress({ rows }) });
  const transfer = ds.columns.map((c) => (c.type === 'numeric' ? c.values.buffer : c.codes.buffer)) as ArrayBuffer[];
  return { result: ds, transfer };
};

/** Load a CSV in a worker thread (errors keep their file/row/column detail). */
export async function loadCsvInWorker(pool: WorkerPool, file: string, options: LoadOptions = {}, signal?: AbortSignal): Promise<Dataset> {
  const { onProgress, ...rest } = options;
  try {
    return await pool.run<Dataset>(LOAD_CSV_JOB, { file, options: rest }, { onProgress: (p) => onProgress?.((p as { rows: number }).rows, 0), signal });
  } catch (e) {
    const err = e as Error;
    // Errors cross the thread boundary as name + message: bad input stays bad input (exit code 2, shown as is).
    if (err.name === 'CsvError' || err.name === 'UserInputError') throw new UserInputError(err.message);
    throw e;
  }
}
