/** Spawning the `mlops` CLI (dist/cli.js) for the MLflow source tests (cli-mlflow*.test.ts): exit codes, one-line errors. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, tempDir } from './helpers';

export interface Result {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** The environment of every spawn: no store named, no MLflow settings inherited from the machine. */
const CLEAN_ENV: NodeJS.ProcessEnv = (() => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MLFLOW_') || k === 'MLOPS_STORE' || /^(https?|all|no)_proxy$/i.test(k)) delete env[k];
  return env;
})();

/** Spawns the CLI asynchronously (a tracking server in this process's tests must keep answering meanwhile). */
export function mlops(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const t = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? tempDir('mlops-cli-mlflow-'), env: { ...CLEAN_ENV, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err, ms: Date.now() - t }));
  });
}

export async function ok(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const r = await mlops(args, options);
  assert.equal(r.code, 0, `mlops ${args.join(' ')}: exit ${r.code}\n${r.err}`);
  return r.out;
}

export async function json<T = unknown>(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<T> {
  return JSON.parse(await ok([...args, '--json'], options)) as T;
}

/** Exit 2 (or `code`) with exactly one line on stderr starting with `mlops:` and nothing on stdout. */
export async function fails(args: string[], code: number, re: RegExp, options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<Result> {
  const r = await mlops(args, options);
  assert.equal(r.code, code, `mlops ${args.join(' ')}: exit ${r.code}, expected ${code}\n${r.err}`);
  assert.equal(r.out, '', `mlops ${args.join(' ')}: nothing on stdout`);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.err}`);
  assert.match(lines[0], /^mlops: /);
  assert.match(lines[0], re);
  return r;
}


export interface RunJson {
  id: string;
  experiment: string;
  experimentId: string;
  name: string;
  status: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  environment: unknown;
  artifacts: { path: string; size: number | null }[] | null;
  sourceStatus: string | null;
  parentRunId: string | null;
  metricHistory?: Record<string, { step: number; value: number; timestamp: number }[]>;
}

/** The keys of `runs list --json` for the workspace store (format.ts runToJson), which every source prints. */
export const WORKSPACE_RUN_KEYS = ['id', 'experiment', 'experimentId', 'name', 'status', 'recordedStatus', 'interrupted', 'startTime', 'endTime', 'durationSeconds', 'params', 'metrics', 'tags', 'notes', 'environment', 'artifacts', 'problems'];

/** Name, size and mtime of every file under dir: to show that nothing was written. */
export function treeState(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        lines.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return lines.join('\n');
}

/** One of each writing command but the registry's: refused on every MLflow source. */
export const WRITE_COMMANDS: string[][] = [
  ['runs', 'create', '-n', 'x'],
  ['runs', 'delete', '0123456789abcdef0123456789abcdef'],
  ['experiments', 'create', 'new-exp'],
  ['train', '--data', 'nope.csv', '--target', 'y'],
  ['sweep', '--grid', 'n_estimators=5'],
  ['pipeline', 'run'],
  ['drift', '--reference', 'a.csv', '--current', 'b.csv'],
];

/** One of each registry command: they change a tracking server's registry, and are refused on mlflow.db and mlruns/. */
export const REGISTRY_WRITE_COMMANDS: string[][] = [
  ['models', 'transition', 'YieldPredictor', '1', 'Production'],
  ['models', 'alias', 'YieldPredictor', 'champion', '1'],
  ['models', 'register', '--run', '0123456789abcdef0123456789abcdef', '--name', 'M'],
  ['models', 'rollback', 'YieldPredictor'],
  ['models', 'describe', 'YieldPredictor', '-d', 'x'],
  ['models', 'tag', 'YieldPredictor', '1', 'a=b'],
];
