/**
 * A push killed at random moments (SIGKILL, no chance to clean up) and run again: `node dist/cli.js push` against a
 * real MLflow tracking server (and an mlruns/ folder), killed several times at random delays, then run to the end.
 * MLflow's own Python client then finds exactly one MLflow run per workspace run (and no other run), every history
 * exactly equal to the workspace's — no point missing, none twice — every run marked complete, params, tags and
 * artifacts as sent. MLOPS_CRASH_SEED=N replays a sequence of delays.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessMlflow } from '../mlflow/env';
import { runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { buildManyRuns, DUMP_PY, dumpedHistory, expectedHistory, sha256, type Dump } from '../mlflow/sharing';
import { CLI, tempDir } from './helpers';
import type { Tracker } from '../../src/core/tracking/tracker';
import { PUSH_RECORD_FILE } from '../../src/core/sharing/pushRecord';

const RUNS = 30;
const METRICS = 4;
const STEPS = 300; // 1,200 points a run: two log-batch requests, so a kill can fall between them

/** A small seeded generator (mulberry32): the same seed, the same delays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Attempt {
  /** What the kill waited for: runs completed by this push (its lines in the push record), then ms more. */
  delay: string;
  /** null: killed (the kill landed before the push ended); else its exit code */
  code: number | null;
  err: string;
}

/** Lines of the push record: one per run the first time it is pushed to a target (core/sharing/pushRecord.ts). */
function recordLines(root: string): number {
  try {
    return fs.readFileSync(path.join(root, PUSH_RECORD_FILE), 'utf8').split('\n').filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

/**
 * Starts a push and kills it once it has completed `kill.afterRuns` runs and `kill.extraMs` more have passed (if it is
 * still running); without `kill`, lets it end. Killing at a point of the push's own progress, not at a time from the
 * start, makes every kill land mid-push on a slow or a fast machine alike (a fixed delay let a busy CI machine's
 * push finish first, after which there was nothing left to interrupt).
 */
function pushAndKill(root: string, to: string, kill?: { afterRuns: number; extraMs: number }): Promise<Attempt> {
  return new Promise((resolve) => {
    const base = recordLines(root);
    const child = spawn(process.execPath, [CLI, '--store', root, 'push', '--to', to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    const poll = kill
      ? setInterval(() => {
          if (recordLines(root) - base < kill.afterRuns) return;
          clearInterval(poll);
          timer = setTimeout(() => child.kill('SIGKILL'), kill.extraMs);
        }, 5)
      : undefined;
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ delay: kill ? `${kill.afterRuns} runs + ${kill.extraMs} ms` : 'none', code, err });
    });
  });
}

/** MLflow runs of the target marked incomplete right now (Python client). */
async function incompleteRuns(uri: string): Promise<number> {
  return runMlflowPython<number>(`import json, sys\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nids = [e.experiment_id for e in c.search_experiments()]\nprint(json.dumps(len(c.search_runs(ids, "tags.\\"mlops.push.state\\" = 'incomplete'", max_results=1000))))`, [uri]);
}

/** Every MLflow run (tagged or not) of every experiment: there must be no other run than the pushed ones. */
async function allRunCount(uri: string): Promise<number> {
  return runMlflowPython<number>(`import json, sys\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nids = [e.experiment_id for e in c.search_experiments()]\nprint(json.dumps(len(c.search_runs(ids, max_results=50000))))`, [uri]);
}

function checkExact(dump: Dump, tracker: Tracker, sqlStore: boolean): void {
  const local = tracker.snapshot().runs;
  assert.equal(dump.runs.length, local.length);
  for (const run of local) {
    const mine = dump.runs.filter((d) => d.tags['mlops.run_id'] === run.id);
    assert.equal(mine.length, 1, `${run.name}: exactly one MLflow run`);
    const d = mine[0];
    assert.equal(d.tags['mlops.push.state'], 'complete', `${run.name}: complete`);
    assert.equal(d.status, 'FINISHED');
    assert.equal(d.end_time, run.endTime);
    assert.deepEqual(d.params, Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, String(v)])));
    assert.equal(d.tags.parity, run.tags.parity);
    const points = tracker.metricHistory(run.id);
    for (let k = 0; k < METRICS; k++) {
      const got = dumpedHistory(d, `m${k}`);
      assert.equal(got.length, STEPS, `${run.name} m${k}: ${got.length} points, not ${STEPS} (none missing, none twice)`);
      assert.deepEqual(got, expectedHistory(points, `m${k}`, sqlStore), `${run.name} m${k}: the same points`);
    }
    assert.deepEqual(d.artifacts, { 'notes.txt': { size: run.artifacts[0].size, sha256: sha256(tracker.artifactPath(run.id, 'notes.txt')) } });
  }
}

async function crashAndFinish(root: string, tracker: Tracker, uri: string, kills: number, seed: number, maxExtraMs: number): Promise<{ attempts: Attempt[]; incompleteSeen: number }> {
  const next = rng(seed);
  const attempts: Attempt[] = [];
  let incompleteSeen = 0;
  for (let i = 0; i < kills; i++) {
    // Kill after a random number of the runs still to push (0: during the first run, or before it), then a random
    // moment within the next run: inside a batch of metrics, an artifact upload, or between the run and its record.
    const left = RUNS - recordLines(root);
    const a = await pushAndKill(root, uri, { afterRuns: Math.floor(next() * Math.max(1, Math.min(left - 1, 5))), extraMs: Math.round(next() * maxExtraMs) });
    assert.ok(a.code === null || a.code === 0, `push exited ${a.code}: ${a.err}`);
    attempts.push(a);
    if (a.code === null && incompleteSeen === 0) incompleteSeen = await incompleteRuns(uri); // one look is enough (a Python start each)
  }
  const last = await pushAndKill(root, uri);
  assert.equal(last.code, 0, `the last push ends by itself: ${last.err}`);
  assert.ok(tracker.snapshot().runs.length === RUNS);
  return { attempts, incompleteSeen };
}

describe('push killed at random moments, then run again', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  const seed = Number(process.env.MLOPS_CRASH_SEED ?? Date.now() % 100_000);

  before(async () => {
    server = await startMlflowServer();
  });
  after(async () => {
    await server?.stop();
  });

  it(`tracking server: ${RUNS} runs × ${METRICS} metrics × ${STEPS} steps, 7 kills (MLOPS_CRASH_SEED=${seed}) — one MLflow run each, histories exact`, async (t) => {
    const dir = tempDir('mlops-push-crash-');
    const tracker = buildManyRuns(dir, RUNS, METRICS, STEPS);
    const root = path.join(dir, '.mlops');
    const { attempts, incompleteSeen } = await crashAndFinish(root, tracker, server.url, 7, seed, 150);
    const landed = attempts.filter((a) => a.code === null).length;
    t.diagnostic(`kills: ${attempts.map((a) => `${a.delay}: ${a.code === null ? 'killed' : 'finished first'}`).join(', ')}; incomplete runs seen after a kill: ${incompleteSeen}`);
    assert.ok(landed >= 3, `kills landed mid-push (${attempts.map((a) => `${a.delay}: ${a.code === null ? 'killed' : 'done'}`).join(', ')})`);
    assert.ok(incompleteSeen > 0, 'a kill left a run marked incomplete, which a later push completed');
    checkExact(await runMlflowPython<Dump>(DUMP_PY, [server.url]), tracker, true);
    assert.equal(await allRunCount(server.url), RUNS, 'no other MLflow run was made');
  });

  it(`mlruns/: the same with 4 kills (MLOPS_CRASH_SEED=${seed}); no temporary file is read as a key or an artifact`, async () => {
    const dir = tempDir('mlops-push-crash-file-');
    const tracker = buildManyRuns(dir, RUNS, METRICS, STEPS);
    const root = path.join(dir, '.mlops');
    const mlruns = path.join(dir, 'mlruns');
    const uri = `file://${mlruns}`;
    await crashAndFinish(root, tracker, uri, 4, seed + 1, 100);
    checkExact(await runMlflowPython<Dump>(DUMP_PY, [uri]), tracker, false);
    assert.equal(await allRunCount(uri), RUNS);
    const keyFolders = fs.readdirSync(mlruns, { recursive: true }).map(String).filter((p) => /\/(params|tags|metrics|artifacts)\/.*\.mlops-tmp-/.test(p));
    assert.deepEqual(keyFolders, []);
  });
});
