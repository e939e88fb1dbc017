/**
 * The `command` trainer: runs the user's own script (e.g. `python train.py`) in the workspace and records it as
 * a run. The script gets MLOPS_RUN_ID, MLOPS_STORE, MLOPS_EXPERIMENT, MLOPS_PARAMS (JSON) and one
 * MLOPS_PARAM_<KEY> variable per param, and reports by printing lines (anything else is plain output):
 *
 *   mlops:metric rmse_test=3.18 step=3      (step optional; several key=value pairs allowed)
 *   mlops:param  n_estimators=100
 *   mlops:tag    model=xgboost
 *   mlops:artifact path/to/file [name]     (relative to the working folder)
 *
 * Values are logged live. Exit code 0 → completed, anything else → failed; cancelling kills the process
 * (group) → cancelled. Callers must only offer this in trusted workspaces: it executes workspace-defined code.
 *
 * The command runs in its own process group (so Ctrl-C reaches mlops, which cancels it cleanly). So that it never
 * outlives mlops — even when mlops is killed with SIGKILL and cannot clean up — it is started through a small
 * POSIX-shell watchdog: a background subshell blocks reading a pipe whose other end only mlops holds; when mlops
 * dies the pipe reaches end-of-file and the subshell sends SIGTERM to the command's process group (only if the
 * command is still running). A run whose folder is deleted while the command runs (`runs delete --force`) stops the
 * command the same way and ends with a RunDeletedError. (Windows: no process groups, no watchdog.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { RunDeletedError, type ActiveRun, type Tracker } from '../tracking/tracker';
import type { Run } from '../store/types';
import { UserInputError } from '../util/errors';

export interface CommandTrainOptions {
  command: string;
  cwd: string;
  experiment?: string;
  runName?: string;
  params?: Record<string, string | number | boolean | null>;
  tags?: Record<string, string>;
  env?: Record<string, string>;
}

export interface CommandTrainControl {
  signal?: AbortSignal;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  onRunStarted?: (run: ActiveRun) => void;
}

export interface ProtocolLine {
  kind: 'metric' | 'param' | 'tag' | 'artifact';
  values: Record<string, string>;
  step?: number;
  path?: string;
  name?: string;
}

/** Parse one `mlops:` line; undefined for ordinary output. Throws UserInputError for a malformed mlops: line. */
export function parseProtocolLine(line: string): ProtocolLine | undefined {
  const m = /^\s*mlops:(metric|param|tag|artifact)\s+(.*)$/.exec(line);
  if (!m) return undefined;
  const kind = m[1] as ProtocolLine['kind'];
  const rest = m[2].trim();
  if (kind === 'artifact') {
    const [p, name] = rest.split(/\s+/);
    if (!p) throw new UserInputError(`'${line.trim()}': mlops:artifact needs a file path`);
    return { kind, values: {}, path: p, name };
  }
  const values: Record<string, string> = {};
  let step: number | undefined;
  for (const tok of rest.match(/\S+=("[^"]*"|\S*)/g) ?? []) {
    const i = tok.indexOf('=');
    const k = tok.slice(0, i);
    let v = tok.slice(i + 1);
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (kind === 'metric' && k === 'step') {
      step = Number(v);
      if (!Number.isInteger(step)) throw new UserInputError(`'${line.trim()}': step must be an integer`);
      continue;
    }
    values[k] = v;
  }
  if (!Object.keys(values).length) throw new UserInputError(`'${line.trim()}': expected KEY=VALUE after mlops:${kind}`);
  if (kind === 'metric') for (const [k, v] of Object.entries(values)) if (v.trim() === '' || Number.isNaN(Number(v))) throw new UserInputError(`'${line.trim()}': metric ${k} value '${v}' is not a number`);
  return { kind, values, step };
}

/**
 * sh -c WATCHDOG mlops-command COMMAND: fd 3 is the pipe from mlops. The subshell (output to /dev/null, so mlops
 * does not wait for it) waits for end-of-file on fd 3, then stops the command's process group if the command
 * ($$, the group leader after `exec`) is still alive. fd 3 is closed for the command itself.
 */
const WATCHDOG = '( read -r _ <&3; kill -0 $$ 2>/dev/null && kill -TERM -$$ ) </dev/null >/dev/null 2>&1 &\nexec 3<&-\nexec /bin/sh -c "$1"';

export async function runCommandTrainer(tracker: Tracker, o: CommandTrainOptions, control: CommandTrainControl = {}): Promise<{ run: Run; exitCode: number | null }> {
  if (!o.command.trim()) throw new UserInputError('The training command is empty.');
  const run = tracker.startRun({ experiment: o.experiment, name: o.runName, params: o.params, tags: { trainer: 'command', command: o.command.slice(0, 500), ...o.tags }, cwd: o.cwd, environment: { source: 'command' } });
  control.onRunStarted?.(run);
  const { child, lifeline, terminate } = spawnCommand(o, commandEnv(tracker, run, o));
  const problems: string[] = [];
  let deleted = false;
  let cancelled = false;
  const stopDeleted = () => {
    if (deleted) return;
    deleted = true;
    terminate();
  };
  const kill = () => {
    cancelled = true;
    terminate();
  };
  const handle = protocolHandler(run, o.cwd, control, problems, stopDeleted);
  pumpLines(child.stdout!, 'stdout', handle);
  pumpLines(child.stderr!, 'stderr', handle);
  // The run's folder is looked at once a second: a deleted run stops its command even when it prints nothing.
  const watch = setInterval(() => {
    if (!run.folderExists()) stopDeleted();
  }, 1000);
  watch.unref();
  control.signal?.addEventListener('abort', kill, { once: true });
  const exitCode = await exitOf(child, lifeline, problems);
  await Promise.all([child.stdout, child.stderr].map((s) => (s ? finished(s).catch(() => undefined) : undefined)));
  clearInterval(watch);
  lifeline?.destroy();
  control.signal?.removeEventListener('abort', kill);
  if (deleted || !run.folderExists()) throw new RunDeletedError(run.id, run.name);
  if (problems.length) run.setNotes(`Protocol problems:\n${problems.slice(0, 20).join('\n')}`);
  if (!cancelled) run.setTag('exit_code', String(exitCode));
  run.end(cancelled ? 'cancelled' : exitCode === 0 ? 'completed' : 'failed');
  return { run: tracker.getRun(run.id), exitCode };
}

/** The command's environment: ours, the caller's additions, and the MLOPS_* variables of the run and its params. */
function commandEnv(tracker: Tracker, run: ActiveRun, o: CommandTrainOptions): Record<string, string> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...o.env,
    MLOPS_RUN_ID: run.id,
    MLOPS_STORE: tracker.store.root,
    MLOPS_EXPERIMENT: run.experiment.name,
    MLOPS_PARAMS: JSON.stringify(o.params ?? {}),
  };
  delete env.ELECTRON_RUN_AS_NODE;
  for (const [k, v] of Object.entries(o.params ?? {})) env[`MLOPS_PARAM_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = String(v);
  return env;
}

/** Start the command (POSIX: in its own process group, behind the watchdog); `terminate` stops it and its children. */
function spawnCommand(o: CommandTrainOptions, env: Record<string, string>): { child: ChildProcess; lifeline: Duplex | undefined; terminate: () => void } {
  const posix = process.platform !== 'win32';
  const child = posix
    ? spawn('/bin/sh', ['-c', WATCHDOG, 'mlops-command', o.command], { cwd: o.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
    : spawn(o.command, { cwd: o.cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // mlops's end of the watchdog pipe: never written, only held open; it closes when this process dies.
  const lifeline = posix ? ((child.stdio[3] as Duplex | null) ?? undefined) : undefined;
  lifeline?.on('error', () => undefined);
  const terminate = () => {
    try {
      if (child.pid && posix) process.kill(-child.pid, 'SIGTERM');
      else child.kill('SIGTERM');
    } catch {
      /* already gone */
    }
  };
  return { child, lifeline, terminate };
}

/** Each output line: to the caller, and (stdout) the mlops: protocol logged on the run; a bad line is a problem noted. */
function protocolHandler(run: ActiveRun, cwd: string, control: CommandTrainControl, problems: string[], onDeleted: () => void): (line: string, stream: 'stdout' | 'stderr') => void {
  return (line, stream) => {
    control.onOutput?.(line, stream);
    if (stream !== 'stdout') return;
    try {
      const p = parseProtocolLine(line);
      if (!p) return;
      if (p.kind === 'metric') run.logMetrics(Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, Number(v)])), p.step ?? 0);
      else if (p.kind === 'param') run.logParams(p.values);
      else if (p.kind === 'tag') run.setTags(p.values);
      else run.logArtifactFile(path.resolve(cwd, p.path!), p.name);
    } catch (e) {
      if (e instanceof RunDeletedError) {
        onDeleted();
        return;
      }
      const msg = (e as Error).message;
      problems.push(msg);
      control.onOutput?.(`[mlops] ignored: ${msg}`, 'stderr');
    }
  };
}

/** Call `handle` with each line of a stream (without its line end; a last line without one too). */
function pumpLines(stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr', handle: (line: string, stream: 'stdout' | 'stderr') => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, i).replace(/\r$/, ''), name);
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) handle(buf, name);
  });
}

/** The command's exit code (127 when it could not be started). */
function exitOf(child: ChildProcess, lifeline: Duplex | undefined, problems: string[]): Promise<number | null> {
  return new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      problems.push(e.message);
      resolve(127);
    });
    // 'exit', not 'close': the watchdog holds its end of the lifeline until mlops closes it, so 'close' would wait
    // forever. The output is then read to its end (as 'close' did) once the lifeline is closed.
    child.on('exit', (code) => {
      lifeline?.destroy();
      resolve(code);
    });
  });
}
