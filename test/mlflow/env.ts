/**
 * Where the real MLflow used by the tests comes from (see ../shared/mlflow/README.md on the team's machines):
 * the shared folder with `setup.sh` (Debian packages + the vendored MLflow 2.12 source) and the fixtures written by the
 * real MLflow 2.12 and 3.9 clients; else an `mlflow` already importable by python3 (e.g. `pip install mlflow`).
 *
 * The shared folder is looked up, in order: $MLOPS_SHARED_DIR, <repo>/../shared, /work/shared — a fresh clone in /tmp
 * still finds it. When nothing works, `mlflowSkipReason()` says why, and the MLflow tests print it and skip; with
 * MLOPS_REQUIRE_MLFLOW=1 (set by .ci/run on machines that have the shared folder) they fail instead.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');

export function sharedMlflowDir(): string | undefined {
  const candidates = [process.env.MLOPS_SHARED_DIR, path.join(REPO, '..', 'shared'), '/work/shared'].filter((d): d is string => !!d);
  for (const d of candidates) if (fs.existsSync(path.join(d, 'mlflow', 'README.md'))) return path.join(d, 'mlflow');
  return undefined;
}

/** `…/fixtures/mlflow-2.12` or `…/fixtures/mlflow-3.9`, undefined when the shared folder is missing. */
export function fixtureDir(version: '2.12' | '3.9'): string | undefined {
  const shared = sharedMlflowDir();
  const dir = shared && path.join(shared, 'fixtures', `mlflow-${version}`);
  return dir && fs.existsSync(dir) ? dir : undefined;
}

export interface MlflowPython {
  /** python3 that imports mlflow */
  python: string;
  /** Environment for spawning it (PYTHONPATH set to the vendored source when that is used). */
  env: NodeJS.ProcessEnv;
  version: string;
}

let cached: { value?: MlflowPython; reason?: string } | undefined;

/** Installs (idempotently, cached in <repo>/.mlflow-test) and returns a Python that imports the real mlflow. */
export function mlflowPython(): MlflowPython | undefined {
  if (!cached) cached = locatePython();
  return cached.value;
}

export function mlflowSkipReason(): string | undefined {
  if (!cached) cached = locatePython();
  return cached.reason;
}

function locatePython(): { value?: MlflowPython; reason?: string } {
  const shared = sharedMlflowDir();
  if (shared) {
    const r = spawnSync('bash', [path.join(shared, 'setup.sh'), path.join(REPO, '.mlflow-test')], { encoding: 'utf8', cwd: REPO });
    if (r.status === 0) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const m of r.stdout.matchAll(/^export (\w+)="(.*)"$/gm)) {
        env[m[1]] = m[2].replace(/\$\{(\w+):\+:\$\1\}/g, (_all, v: string) => (process.env[v] ? `:${process.env[v]}` : '')).replace(/\$(\w+)/g, (_all, v: string) => process.env[v] ?? '');
      }
      const python = env.MLFLOW_PYTHON ?? 'python3';
      const version = probe(python, env);
      if (version) return { value: { python, env, version } };
      return { reason: `MLflow from ${shared}/setup.sh does not import (python: ${python})` };
    }
    return { reason: `${shared}/setup.sh failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}` };
  }
  const version = probe('python3', process.env);
  if (version) return { value: { python: 'python3', env: { ...process.env }, version } };
  return { reason: 'no shared MLflow folder (../shared/mlflow, $MLOPS_SHARED_DIR) and python3 cannot import mlflow (pip install mlflow)' };
}

function probe(python: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(python, ['-c', 'import mlflow; print(mlflow.__version__)'], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** For `it(name, { skip: skipUnlessMlflow() }, …)`: false when MLflow is here, else the reason (fails under MLOPS_REQUIRE_MLFLOW=1). */
export function skipUnlessMlflow(): false | string {
  const reason = mlflowSkipReason();
  if (!reason) return false;
  if (process.env.MLOPS_REQUIRE_MLFLOW === '1') throw new Error(`MLflow is required here (MLOPS_REQUIRE_MLFLOW=1) but: ${reason}`);
  return `MLflow tests skipped: ${reason}`;
}

/** Same for the fixtures. */
export function skipUnlessFixtures(): false | string {
  if (fixtureDir('2.12') && fixtureDir('3.9')) return false;
  const reason = 'the shared MLflow fixtures are not here (../shared/mlflow/fixtures, $MLOPS_SHARED_DIR)';
  if (process.env.MLOPS_REQUIRE_MLFLOW === '1') throw new Error(`MLflow fixtures are required here (MLOPS_REQUIRE_MLFLOW=1) but: ${reason}`);
  return `MLflow fixture tests skipped: ${reason}`;
}

/** A run as the fixtures' `expected-*.json` list it (written by the real MLflow client that made the fixture). */
export interface ExpectedRun {
  name: string;
  run_id: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  rmse_val_history?: [number, number][];
  tags?: Record<string, string>;
  status: string;
  experiment: string;
  parent_run_id?: string;
}
