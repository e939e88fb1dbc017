/**
 * Data file loading (CSV or Parquet, by extension: table.ts) as a worker-thread job, so a large file is parsed off the
 * extension host's thread. The columns come back as transferred typed arrays (moved, not copied).
 */
import type { JobHandler } from '../worker/jobs';
import { WorkerPool } from '../worker/pool';
import { UserInputError } from '../util/errors';
import type { LoadOptions } from './csv';
import type { Dataset } from './dataset';
import { loadTable } from './table';

export const LOAD_CSV_JOB = 'data:loadCsv';

/** Worker side (in the job table of src/worker.ts). */
export const loadCsvJob: JobHandler = async (payload, progress) => {
  const { file, options } = payload as { file: string; options: Omit<LoadOptions, 'onProgress'> };
  const ds = await loadTable(file, { ...options, onProgress: (rows) => progress({ rows }) });
  const transfer = ds.columns.map((c) => (c.type === 'numeric' ? c.values.buffer : c.codes.buffer)) as ArrayBuffer[];
  return { result: ds, transfer };
};

/** Load a CSV or Parquet file in a worker thread (errors keep their file/row/column detail). */
export async function loadDataInWorker(pool: WorkerPool, file: string, options: LoadOptions = {}, signal?: AbortSignal): Promise<Dataset> {
  const { onProgress, ...rest } = options;
  try {
    return await pool.run<Dataset>(LOAD_CSV_JOB, { file, options: rest }, { onProgress: (p) => onProgress?.((p as { rows: number }).rows, 0), signal });
  } catch (e) {
    const err = e as Error;
    // Errors cross the thread boundary as name + message: bad input stays bad input (exit code 2, shown as is).
    if (isInputErrorName(err.name)) throw new UserInputError(err.message);
    throw e;
  }
}

/** Errors that are bad input when they cross the thread boundary (as name + message). */
export function isInputErrorName(name: string): boolean {
  return name === 'CsvError' || name === 'ParquetError' || name === 'UserInputError';
}
