/**
 * A real MLflow tracking server for tests (see ../shared/mlflow/README.md): `mlflow server` on 127.0.0.1 on a free port,
 * SQLite backend + `--artifacts-destination` (artifacts proxied through the server), one worker, in its own process
 * group so that stop() ends gunicorn and its worker together. Ready when GET /health answers 200.
 *
 *   const server = await startMlflowServer();      // throws with the server log's tail when it does not come up
 *   await runMlflowPython(PY_SCRIPT, [server.url]);   // the real Python client logs through it
 *   await server.stop();                            // SIGTERM to the group, SIGKILL after 5 s; also at process exit
 *
 * Its folder (a temporary one on /dev/shm or in os.tmpdir() unless `dir` is given) goes with stop(), unless
 * MLOPS_KEEP_MLFLOW_SERVER_DIR=1; when the server does not come up it stays, and the error shows the log's tail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { mlflowPython } from './env';

export interface MlflowServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Holds mlflow.db, artifacts/ and server.log. */
  dir: string;
  /** The process group id (= the pid of `python -m mlflow server`). */
  pgid: number;
  /** The server log so far. */
  log(): string;
  /** Ends the process group; resolves when the server process has exited. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) killGroup(c, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function isWritableDir(d: string): boolean {
  try {
    fs.accessSync(d, fs.constants.W_OK);
    return fs.statSync(d).isDirectory();
  } catch {
    return false;
  }
}

/** A port nobody listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function health(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export async function startMlflowServer(options: { dir?: string; timeoutMs?: number } = {}): Promise<MlflowServer> {
  const py = mlflowPython();
  if (!py) throw new Error('MLflow is not available (see test/mlflow/env.ts)');
  // tmpfs when there is one: SQLite's fsync per commit makes logging thousands of runs slow on a busy disk.
  const tmp = process.platform === 'linux' && isWritableDir('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = options.dir ?? fs.mkdtempSync(path.join(tmp, 'mlops-mlflow-server-'));
  const removeDir = !options.dir && process.env.MLOPS_KEEP_MLFLOW_SERVER_DIR !== '1';
  fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const logFile = path.join(dir, 'server.log');
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(
      py.python,
      ['-m', 'mlflow', 'server', '--backend-store-uri', `sqlite:///${path.join(dir, 'mlflow.db')}`, '--artifacts-destination', path.join(dir, 'artifacts'),
        '--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--gunicorn-opts', '--timeout 120'],
      { env: py.env, cwd: dir, detached: true, stdio: ['ignore', fd, fd] },
    );
    fs.closeSync(fd);
    running.add(child);
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; running.delete(child); resolve(); }));
    const log = (): string => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    /** Ends the process group (SIGTERM, SIGKILL after 5 s); resolves when the server process has exited. */
    const end = async (): Promise<void> => {
      if (!exited) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      killGroup(child, 'SIGKILL'); // gunicorn's worker, should it outlive the master
    };
    const stop = async (): Promise<void> => {
      await end();
      if (removeDir) fs.rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (!exited && Date.now() < deadline) {
      if ((await health(port)) === 200) return { url: `http://127.0.0.1:${port}`, port, dir, pgid: child.pid!, log, stop };
      await new Promise((r) => setTimeout(r, 200));
    }
    await end();
    lastError = log().split('\n').slice(-15).join('\n');
    if (!/address already in use/i.test(lastError)) break;
  }
  throw new Error(`MLflow server did not come up (log kept in ${dir}/server.log):\n${lastError}`);
}

/**
 * Runs a Python script with the real MLflow client; resolves with the JSON its last stdout line prints.
 * Rejects with stderr's tail when it fails.
 */
export function runMlflowPython<T = unknown>(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const py = mlflowPython();
  if (!py) throw new Error('MLflow is not available (see test/mlflow/env.ts)');
  return new Promise((resolve, reject) => {
    const child = spawn(py.python, ['-c', script, ...args], { env: { ...py.env, PYTHONWARNINGS: 'ignore', GIT_PYTHON_REFRESH: 'quiet', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python exited ${code}:\n${err.split('\n').slice(-20).join('\n')}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`python printed no JSON line:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

export interface CountingProxy {
  /** http://127.0.0.1:PORT, forwarding everything to the target server. */
  url: string;
  /** The requests forwarded so far, as `METHOD /path?query` and the body's first 2,000 characters when there is one. */
  requests: string[];
  close(): Promise<void>;
}

/** A reverse proxy on 127.0.0.1 in front of `target` that records every request: what a client asked for, and when not. */
export async function countingProxy(target: string, { latencyMs = 0 }: { latencyMs?: number } = {}): Promise<CountingProxy> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    // `latencyMs`: each request waits that long before it is forwarded (a team server across a network, not loopback).
    if (latencyMs > 0) req.pause();
    const at = requests.push(`${req.method} ${req.url}`) - 1;
    const url = new URL(req.url ?? '/', target);
    const up = http.request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    let body = '';
    req.on('data', (d: Buffer) => {
      if (body.length < 2000) body += d.toString('utf8');
    });
    req.on('end', () => {
      if (body) requests[at] += ` ${body}`;
    });
    if (latencyMs > 0) setTimeout(() => req.pipe(up), latencyMs);
    else req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
