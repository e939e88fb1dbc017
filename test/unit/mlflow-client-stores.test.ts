/**
 * The MLflow file-store and SQLite readers against stores the real MLflow Python client writes here (mlflowPython():
 * the shared MLflow 2.12, or an importable mlflow): we read exactly what MLflow's own client reads back — after the
 * store folder was moved, so every recorded absolute path is stale — and, while a Python process logs runs in a
 * loop, never a half-written state of mlflow.db.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MlflowFileSource } from '../../src/core/sources/mlflowFile/fileStore';
import { MlflowSqliteSource } from '../../src/core/sources/mlflowSqlite/sqliteStore';
import type { RunQuery, RunSource, SourceArtifact, SourceRun } from '../../src/core/sources/types';
import { mlflowPython, skipUnlessMlflow } from '../mlflow/env';
import { REPO, tempDir } from './helpers';

interface PyRun {
  id: string;
  name: string;
  status: string;
  lifecycle: string;
  experiment_id: string;
  start_time: number;
  end_time: number | null;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
  histories: Record<string, [number, number, number | null][]>;
  artifacts: [string, boolean, number | null][] | null;
}
interface PyView {
  experiments: { id: string; name: string; lifecycle: string; tags: Record<string, string> }[];
  runs: PyRun[];
  models: { name: string; description: string; tags: Record<string, string>; aliases: Record<string, number>; versions: { version: number; stage: string; run_id: string; source: string; tags: Record<string, string>; description: string }[] }[];
}

const skip = skipUnlessMlflow();
const SCRIPTS = path.join(REPO, 'test', 'mlflow');
const nanToNull = (v: number) => (Number.isNaN(v) ? null : v);

async function allRuns(src: RunSource, q: RunQuery): Promise<SourceRun[]> {
  const out: SourceRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await src.searchRuns({ ...q, pageToken });
    assert.deepEqual(page.problems, []);
    out.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

async function walk(src: RunSource, runId: string, dir = ''): Promise<SourceArtifact[]> {
  const out: SourceArtifact[] = [];
  for (const a of await src.listArtifacts(runId, dir)) {
    out.push(a);
    if (a.isDir) out.push(...(await walk(src, runId, a.path)));
  }
  return out;
}

describe('stores written by the real MLflow client', { skip }, () => {
  let moved = '';
  let view: { file: PyView; sqlite: PyView; mlflow_version: string };

  before(() => {
    const py = mlflowPython()!;
    const root = tempDir('mlflow-client-');
    const written = path.join(root, 'written-here');
    const r = spawnSync(py.python, [path.join(SCRIPTS, 'write_stores.py'), written], { env: py.env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    view = JSON.parse(r.stdout) as typeof view;
    // Moved as a store copied from another machine: every absolute path MLflow recorded is stale now.
    moved = path.join(root, 'moved-there');
    fs.renameSync(written, moved);
  });

  for (const kind of ['file', 'sqlite'] as const) {
    it(`${kind}: experiments, runs, params, metrics, histories, tags, artifacts and the registry are exactly what MLflow reads`, async () => {
      const want = view[kind];
      const src: RunSource = kind === 'file' ? new MlflowFileSource(path.join(moved, 'mlruns'), { maxAgeMs: 0 }) : new MlflowSqliteSource(path.join(moved, 'mlflow.db'));
      try {
        const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
        const experiments = await src.listExperiments({ includeDeleted: true });
        assert.deepEqual(byId(experiments.map((e) => ({ id: e.id, name: e.name, lifecycle: e.lifecycle, tags: e.tags }))), byId(want.experiments));
        assert.deepEqual((await src.listExperiments()).map((e) => e.name).sort(), ['Default', 'fresh ✓ <i>x</i>']);

        // All runs of all experiments, deleted ones too, two per page.
        const runs = await allRuns(src, { experimentIds: experiments.map((e) => e.id), includeDeleted: true, maxResults: 2 });
        assert.equal(runs.length, want.runs.length);
        for (const w of want.runs) {
          const r = runs.find((x) => x.id === w.id);
          assert.ok(r, `run ${w.name}`);
          assert.deepEqual(
            { id: r.id, name: r.name, status: r.sourceStatus, lifecycle: r.lifecycle, experiment_id: r.experimentId, start_time: r.startTime, end_time: r.endTime, params: r.params, tags: r.tags },
            { id: w.id, name: w.name, status: w.status, lifecycle: w.lifecycle, experiment_id: w.experiment_id, start_time: w.start_time, end_time: w.end_time, params: w.params, tags: w.tags },
          );
          assert.deepEqual(Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, nanToNull(v)])), w.metrics, `${w.name} latest metrics`);
          for (const [key, points] of Object.entries(w.histories)) {
            const ours: (number | null)[][] = (await src.metricHistory(r.id, key)).map((p) => [p.step, p.timestamp, nanToNull(p.value)]);
            assert.deepEqual(ours, [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]), `${w.name} ${key} history`);
          }
          if (w.artifacts) {
            const listed: [string, boolean, number | null][] = (await walk(src, r.id)).map((a) => [a.path, a.isDir, a.isDir ? null : (a.size ?? null)]);
            assert.deepEqual(listed.sort(), [...w.artifacts].sort(), `${w.name} artifacts`);
          }
        }
        // Params as logged: Python's str() of the value.
        const run2 = runs.find((r) => r.name === 'run-2')!;
        assert.deepEqual(run2.params, { lr: '0.30000000000000004', layers: '4', opt: 'adam', flag: 'True', depth: 'None' });
        assert.equal(Buffer.from(await src.readArtifact(run2.id, 'notes/hello.txt')).toString(), 'hello 2\n');
        assert.equal(Buffer.from(await src.readArtifact(run2.id, 'cfg/deep/config.json')).toString().replace(/\s/g, ''), '{"i":2}');
        assert.equal(runs.find((r) => r.name === 'kid')!.parentRunId, runs.find((r) => r.name === 'parent')!.id);
        assert.deepEqual(
          runs.filter((r) => ['killed', 'still-running', 'gone', 'in-doomed'].includes(r.name)).map((r) => [r.name, r.status, r.lifecycle]).sort(),
          [['gone', 'completed', 'deleted'], ['in-doomed', 'completed', 'deleted'], ['killed', 'cancelled', 'active'], ['still-running', 'running', 'active']],
        );
        // Default search: active runs of active experiments only.
        assert.deepEqual((await allRuns(src, {})).map((r) => r.name).sort(), ['kid', 'killed', 'parent', 'run-0', 'run-1', 'run-2', 'still-running']);

        const models = await src.listModels();
        assert.deepEqual(
          models.map((m) => ({ name: m.name, description: m.description, tags: m.tags, aliases: m.aliases })),
          want.models.map((m) => ({ name: m.name, description: m.description, tags: m.tags, aliases: m.aliases })),
        );
        for (const m of want.models) {
          const ours = models.find((x) => x.name === m.name)!;
          assert.deepEqual(
            ours.versions.map((v) => ({ version: v.version, stage: v.stage, run_id: v.runId, source: v.source, tags: v.tags, description: v.description, aliases: v.aliases })),
            // MLflow 2.12's SQLite search_model_versions leaves aliases empty: they are the model's aliases of that version.
            m.versions.map((v) => ({ ...v, aliases: Object.entries(m.aliases).filter(([, n]) => n === v.version).map(([a]) => a) })),
          );
          for (const v of ours.versions) assert.match(Buffer.from(await src.readModelVersionArtifact!(m.name, v.version, 'MLmodel')).toString(), /python_function/);
        }
      } finally {
        await src.close();
      }
    });
  }
});

describe('reading mlflow.db while MLflow writes to it', { skip }, () => {
  it('never shows a half-written state: every run seen has all or none of each transaction, never fewer runs than before', async (t) => {
    const py = mlflowPython()!;
    const db = path.join(tempDir('mlflow-loop-'), 'mlflow.db');
    const RUNS = 30;
    const PARAMS = 100;
    const METRICS = 200;
    const writer = spawn(py.python, [path.join(SCRIPTS, 'write_loop.py'), db, String(RUNS), String(PARAMS), String(METRICS), '0.03'], { env: py.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    writer.stdout.on('data', (d: Buffer) => (out += d.toString()));
    writer.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
    let finished = false;
    void exited.then(() => (finished = true));
    const deadline = Date.now() + 240_000;
    try {
      while (!out.includes('ready')) {
        assert.ok(!finished, `the writer stopped before it was ready: ${err}`);
        assert.ok(Date.now() < deadline, 'the writer did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const src = new MlflowSqliteSource(db, { timeoutMs: 30_000 });
      const states = new Set<string>();
      const during = new Set<string>();
      let lastCount = 0;
      let reads = 0;
      while (!finished) {
        assert.ok(Date.now() < deadline, 'the writer took too long');
        const runs = (await src.searchRuns({ maxResults: 50_000 })).runs;
        reads++;
        assert.ok(runs.length >= lastCount, `runs went from ${lastCount} to ${runs.length}`);
        lastCount = runs.length;
        for (const r of runs) {
          const params = Object.keys(r.params).length;
          const metrics = Object.keys(r.metrics).length;
          const tags = ['batch', 'filler'].filter((k) => k in r.tags).length;
          const where = `${r.name} (${r.sourceStatus}): ${params} params, ${metrics} metrics, ${tags} of 2 tags`;
          assert.ok(params === 0 || params === PARAMS, where);
          assert.ok(metrics === 0 || metrics === METRICS, where);
          assert.ok(tags === 0 || tags === 2, where);
          if (r.sourceStatus === 'FINISHED') assert.ok(params === PARAMS && metrics === METRICS && tags === 2, where);
          const i = Number(r.name.slice(5));
          if (params) assert.equal(r.params.p042, `${i}-42-${'x'.repeat(180)}`, where);
          if (metrics) assert.equal(r.metrics.m007, i + 0.007, where);
        }
        const latest = runs[0];
        if (latest) {
          const h = await src.metricHistory(latest.id, 'm000');
          assert.ok(h.length <= 1, `${latest.name}: m000 logged once, ${h.length} points`);
        }
        const state = runs.map((r) => `${r.id}:${Object.keys(r.params).length}:${Object.keys(r.metrics).length}:${r.sourceStatus}`).join(',');
        states.add(state);
        if (runs.length < RUNS || runs.some((r) => r.sourceStatus !== 'FINISHED')) during.add(state);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(await exited, 0, err);
      const final = (await src.searchRuns()).runs;
      assert.equal(final.length, RUNS);
      assert.ok(final.every((r) => r.sourceStatus === 'FINISHED' && Object.keys(r.params).length === PARAMS));
      // The reads happened while the runs were being written, not only before or after.
      assert.ok(during.size >= 5, `${during.size} states seen while writing (${states.size} in all, ${reads} reads)`);
      t.diagnostic(`${during.size} states seen while MLflow wrote, ${states.size} in all, ${reads} reads`);
      await src.close();
    } finally {
      if (!finished) writer.kill();
    }
  });
});
