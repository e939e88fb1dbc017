/** The artifacts of a pulled MLflow run, copied into the workspace run (atomically, each with its SHA-256). */
import { checkArtifactPath } from '../store/names';
import type { ActiveRun } from '../tracking/tracker';
import { SourceError, type RunSource, type SourceArtifact, type SourceRun } from '../sources/types';
import { errorMessage, UserInputError } from '../util/errors';
import type { ProgressListener } from './types';

/** Files (not folders) under the run's artifact root; undefined when the source cannot reach them (s3://, a stale path). */
async function listAll(source: RunSource, runId: string, progress: ProgressListener): Promise<SourceArtifact[] | undefined> {
  const out: SourceArtifact[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const a of await source.listArtifacts(runId, dir)) {
      if (a.isDir) await walk(a.path);
      else out.push(a);
    }
  };
  try {
    await walk('');
  } catch (e) {
    if (!(e instanceof SourceError) || e.code === 'unreachable' || e.code === 'unauthorized') throw e;
    progress({ phase: 'runs', done: 0, total: 0, message: `warning: MLflow run ${runId}: its artifacts are not copied (${errorMessage(e)})` });
    return undefined;
  }
  return out;
}

/** Copies the files the workspace run lacks (or holds with another size); returns how many. */
export async function pullArtifacts(source: RunSource, remote: SourceRun, run: ActiveRun, progress: ProgressListener): Promise<number> {
  const files = await listAll(source, remote.id, progress);
  if (!files) return 0;
  const have = new Map(run.document.artifacts.map((a) => [a.path, a.size]));
  let copied = 0;
  for (const f of files) {
    let rel: string;
    try {
      rel = checkArtifactPath(f.path);
    } catch (e) {
      if (!(e instanceof UserInputError)) throw e;
      progress({ phase: 'runs', done: 0, total: 0, message: `warning: MLflow run ${remote.id}: artifact ${f.path} is not copied (${e.message})` });
      continue;
    }
    if (have.has(rel) && (f.size === undefined || have.get(rel) === f.size)) continue;
    const bytes = await source.readArtifact(remote.id, f.path);
    run.logArtifactBytes(rel, bytes, rel.endsWith('.json') ? 'json' : 'file');
    copied++;
  }
  return copied;
}
