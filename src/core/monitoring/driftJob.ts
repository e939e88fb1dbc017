/**
 * A drift check as a worker-thread job, so that a large reference or batch (parsing, sorting, the tests and the
 * model's predictions on every row) never blocks the extension host. The model travels as its artifact folder
 * and recorded SHA-256, and is loaded (and checked) in the worker; the report comes back as plain JSON.
 */
import { isInputErrorName } from '../data/csvJob';
import { loadModelFrom } from '../training/modelBundle';
import { UserInputError } from '../util/errors';
import type { WorkerPool } from '../worker/pool';
import type { JobHandler } from '../worker/jobs';
import type { DriftProgress } from './driftRead';
import { checkDrift, type DriftOptions, type DriftReport } from './monitor';

export interface DriftJobModel {
  uri: string;
  name: string;
  version?: number;
  /** The registered artifact folder (model.json + model.bin). */
  dir: string;
  /** The SHA-256 the registry recorded for model.bin: a changed artifact is refused. */
  sha256: string;
}

export type DriftJobOptions = Omit<DriftOptions, 'model'> & { model?: DriftJobModel };

export function runDriftJob(reference: string, current: string, options: DriftJobOptions, onProgress?: (p: DriftProgress) => void): Promise<DriftReport> {
  const { model, ...rest } = options;
  if (!model) return checkDrift(reference, current, rest, { onProgress });
  const loaded = loadModelFrom(model.dir);
  if (loaded.meta.binSha256 !== model.sha256) throw new UserInputError(`The registered artifact of ${model.name} v${model.version} does not match its recorded SHA-256.`);
  return checkDrift(reference, current, { ...rest, model: { uri: model.uri, name: model.name, version: model.version, loaded } }, { onProgress });
}

export const CHECK_DRIFT_JOB = 'monitoring:checkDrift';

/** Worker side (in the job table of src/worker.ts). */
export const checkDriftJob: JobHandler = async (payload, progress) => {
  const { reference, current, options } = payload as { reference: string; current: string; options: DriftJobOptions };
  return { result: await runDriftJob(reference, current, options, progress) };
};

/**
 * Check drift in a worker of `pool`; an aborted signal stops the worker at once (nothing is written by a check).
 * `onProgress` gets the share done and what is being read or tested. Bad input stays bad input.
 */
export async function checkDriftInWorker(pool: WorkerPool, reference: string, current: string, options: DriftJobOptions = {}, signal?: AbortSignal, onProgress?: (p: DriftProgress) => void): Promise<DriftReport> {
  try {
    return await pool.run<DriftReport>(CHECK_DRIFT_JOB, { reference, current, options }, { signal, onProgress: onProgress && ((p) => onProgress(p as DriftProgress)) });
  } catch (e) {
    const err = e as Error;
    if (isInputErrorName(err.name)) throw new UserInputError(err.message);
    throw e;
  }
}
