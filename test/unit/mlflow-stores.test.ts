/**
 * The MLflow file-store and SQLite readers against the stores written by the real MLflow 2.12 and 3.9 clients
 * (../shared/mlflow/fixtures): everything their expected-*.json lists, read through the stale /srv/fab-cluster paths
 * they carry; filtering, ordering and paging; damaged stores (a corrupt meta.yaml, a truncated or schema-less
 * mlflow.db); artifact paths that try to leave the artifact folder; and the sql.js bundle loading from dist/.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { MlflowFileSource } from '../../src/core/sources/mlflowFile/fileStore';
import { parseFlatYaml, parseMetaYaml } from '../../src/core/sources/mlflowFile/metaYaml';
import { MlflowSqliteSource } from '../../src/core/sources/mlflowSqlite/sqliteStore';
import { localPathOf } from '../../src/core/sources/localArtifacts';
import { SourceError, type RunQuery, type RunSource, type SourceRun } from '../../src/core/sources/types';
import { FilterSyntaxError } from '../../src/core/tracking/filter';
import { type ExpectedRun, fixtureDir, skipUnlessFixtures } from '../mlflow/env';
import { REPO, tempDir } from './helpers';

interface Expected {
  mlflow_version: string;
  experiments: string[];
  runs: ExpectedRun[];
  deleted_run_id: string;
  models: Record<string, { description: string; versions: Record<string, { stage: string; run_id: string; aliases: string[] }> }>;
}

type Kind = 'file' | 'sqlite';
const skip = skipUnlessFixtures();

function open(kind: Kind, dir: string): RunSource {
  return kind === 'file' ? new MlflowFileSource(path.join(dir, 'mlruns'), { maxAgeMs: 0 }) : new MlflowSqliteSource(path.join(dir, 'mlflow.db'));
}

function expected(version: '2.12' | '3.9', kind: Kind): Expected {
  return JSON.parse(fs.readFileSync(path.join(fixtureDir(version)!, kind === 'file' ? 'expected-filestore.json' : 'expected-sqlite.json'), 'utf8')) as Expected;
}

async function allRuns(src: RunSource, q: RunQuery = {}): Promise<SourceRun[]> {
  const out: SourceRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await src.searchRuns({ ...q, pageToken });
    out.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function rejectsWith(code: string, re?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SourceError, `a SourceError, not ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  };
}

const STATUS: Record<string, string> = { FINISHED: 'completed', FAILED: 'failed', KILLED: 'cancelled', RUNNING: 'running' };

for (const version of ['2.12', '3.9'] as const) {
  for (const kind of ['file', 'sqlite'] as const) {
    describe(`MLflow ${version} fixture, ${kind === 'file' ? 'file store (mlruns/)' : 'SQLite store (mlflow.db)'}`, { skip }, () => {
      const dir = fixtureDir(version)!;
      const exp = skip ? undefined : expected(version, kind);

      it('lists the experiments, the runs with their statuses, params, latest metrics and tags, and no deleted run', async () => {
        const src = open(kind, dir);
        try {
          const experiments = await src.listExperiments();
          assert.deepEqual(experiments.map((e) => e.name).sort(), ['Default', ...exp!.experiments].sort());
          assert.equal(experiments.find((e) => e.name === 'wafer-yield')!.tags.team, 'fab-analytics');
          const page = await src.searchRuns();
          assert.deepEqual(page.problems, []);
          assert.equal(page.nextPageToken, undefined);
          assert.deepEqual(page.runs.map((r) => r.id).sort(), exp!.runs.map((r) => r.run_id).sort());
          for (const e of exp!.runs) {
            const r = page.runs.find((x) => x.id === e.run_id)!;
            assert.equal(r.name, e.name);
            assert.equal(r.experimentName, e.experiment);
            assert.equal(r.sourceStatus, e.status);
            assert.equal(r.status, STATUS[e.status]);
            assert.equal(r.lifecycle, 'active');
            assert.deepEqual(r.params, e.params, `${e.name} params, kept as strings`);
            assert.deepEqual(r.metrics, e.metrics, `${e.name} latest metrics`);
            for (const [k, v] of Object.entries(e.tags ?? {})) assert.equal(r.tags[k], v, `${e.name} tag ${k}`);
            assert.equal(r.tags['mlflow.runName'], e.name);
            assert.equal(r.parentRunId, e.parent_run_id);
            assert.ok(r.startTime > 1.7e12 && r.endTime! >= r.startTime && r.duration === r.endTime! - r.startTime, `${e.name} times`);
            assert.deepEqual(r.problems, []);
          }
          // the unicode and HTML tag, exactly as logged
          assert.equal(page.runs.find((r) => r.name === 'rf-00')!.tags.note, 'Wafer ✓ α=0.5 <b>bold</b>');
        } finally {
          await src.close();
        }
      });

      it('gives the full rmse_val history of every sweep run, ordered by step', async () => {
        const src = open(kind, dir);
        try {
          for (const e of exp!.runs.filter((r) => r.rmse_val_history)) {
            const h = await src.metricHistory(e.run_id, 'rmse_val');
            assert.deepEqual(h.map((p) => [p.step, p.value]), e.rmse_val_history, e.name);
            assert.ok(h.every((p) => p.key === 'rmse_val' && p.timestamp > 1.7e12));
          }
          assert.deepEqual(await src.metricHistory(exp!.runs[0].run_id, 'never_logged'), []);
        } finally {
          await src.close();
        }
      });

      it('shows the nested run under its parent, the failed run, and the deleted run only with includeDeleted', async () => {
        const src = open(kind, dir);
        try {
          const child = exp!.runs.find((r) => r.parent_run_id)!;
          const parent = await src.getRun(child.parent_run_id!);
          assert.equal(parent.name, 'parent');
          assert.deepEqual((await src.searchRuns({ filter: `tags.\`mlflow.parentRunId\` = '${parent.id}'` })).runs.map((r) => r.name), ['child']);
          assert.deepEqual((await src.searchRuns({ filter: "status = 'failed'" })).runs.map((r) => [r.name, r.sourceStatus]), [['crashed', 'FAILED']]);
          const all = await src.searchRuns({ includeDeleted: true });
          const deleted = all.runs.find((r) => r.id === exp!.deleted_run_id)!;
          assert.equal(deleted.name, 'deleted-run');
          assert.equal(deleted.lifecycle, 'deleted');
          assert.equal(all.runs.length, exp!.runs.length + 1);
          assert.equal((await src.getRun(exp!.deleted_run_id)).lifecycle, 'deleted');
          await assert.rejects(src.getRun('0123456789abcdef0123456789abcdef'), rejectsWith('not-found'));
        } finally {
          await src.close();
        }
      });

      it('lists the registered model with its description, versions, stages, aliases and tags', async () => {
        const src = open(kind, dir);
        try {
          const models = await src.listModels();
          assert.deepEqual(models.map((m) => m.name), Object.keys(exp!.models));
          for (const m of models) {
            const e = exp!.models[m.name];
            assert.equal(m.description, e.description);
            assert.deepEqual(m.versions.map((v) => String(v.version)), Object.keys(e.versions));
            for (const v of m.versions) {
              const ev = e.versions[String(v.version)];
              assert.equal(v.stage, ev.stage, `v${v.version} stage`);
              assert.equal(v.runId, ev.run_id, `v${v.version} run`);
              assert.deepEqual(v.aliases, ev.aliases, `v${v.version} aliases`);
              assert.equal(v.status, 'READY');
            }
            assert.deepEqual(m.aliases, { champion: 2, challenger: 3 });
            assert.deepEqual(m.versions.find((v) => v.version === 2)!.tags, { validated: 'true' });
          }
        } finally {
          await src.close();
        }
      });

      it('reads artifacts through the stale /srv/fab-cluster locations, and each version\'s MLmodel', async () => {
        const src = open(kind, dir);
        try {
          for (const e of exp!.runs.filter((r) => r.name.startsWith('rf-'))) {
            const run = await src.getRun(e.run_id);
            assert.match(run.artifactUri!, /^file:\/\/\/srv\/fab-cluster\//);
            assert.ok(!fs.existsSync(localPathOf(run.artifactUri)!), 'the recorded path is stale here');
            assert.ok((await src.listArtifacts(e.run_id)).some((a) => a.path === 'notes' && a.isDir));
            assert.deepEqual(await src.listArtifacts(e.run_id, 'notes'), [{ path: 'notes/readme.txt', isDir: false, size: `run ${Number(e.name.slice(3))}\n`.length }]);
            assert.equal(text(await src.readArtifact(e.run_id, 'notes/readme.txt')), `run ${Number(e.name.slice(3))}\n`);
          }
          // A run that logged nothing has no artifact folder: an empty list, not an error.
          assert.deepEqual(await src.listArtifacts(exp!.runs.find((r) => r.name === 'crashed')!.run_id), []);
          for (const v of (await src.listModels())[0].versions) {
            const files = (await src.listModelVersionArtifacts!(v.model, v.version)).map((a) => a.path);
            assert.ok(files.includes('MLmodel') && files.includes('python_model.pkl'), `v${v.version}: ${files.join(', ')}`);
            assert.match(text(await src.readModelVersionArtifact!(v.model, v.version, 'MLmodel')), /python_function/);
          }
        } finally {
          await src.close();
        }
      });

      it('filters with the filter language (or, not, like), orders by MLflow order_by keys and pages with tokens', async () => {
        const src = open(kind, dir);
        try {
          const sweep = exp!.runs.filter((r) => r.rmse_val_history);
          const names = async (q: RunQuery) => (await allRuns(src, q)).map((r) => r.name);
          const want = (pred: (r: ExpectedRun) => boolean) => exp!.runs.filter(pred).map((r) => r.name).sort();
          assert.deepEqual((await names({ filter: "params.max_depth = '5' and metrics.rmse_val < 3.1" })).sort(), want((r) => r.params.max_depth === '5' && r.metrics.rmse_val < 3.1));
          assert.deepEqual((await names({ filter: "metrics.rmse_val < 2.95 or name = 'crashed'" })).sort(), want((r) => r.metrics.rmse_val < 2.95 || r.name === 'crashed'));
          assert.deepEqual((await names({ filter: "not name like 'rf-%' and experiment = 'wafer-yield'" })).sort(), ['child', 'crashed', 'parent']);
          assert.deepEqual((await names({ filter: "tags.note ilike '%<B>BOLD</b>'" })).sort(), sweep.map((r) => r.name).sort());
          assert.deepEqual(await names({ filter: 'params.n_estimators >= 100', orderBy: ['params.n_estimators DESC', 'metrics.rmse_val ASC'] }), [...exp!.runs.filter((r) => Number(r.params.n_estimators) >= 100)].sort((a, b) => Number(b.params.n_estimators) - Number(a.params.n_estimators) || a.metrics.rmse_val - b.metrics.rmse_val).map((r) => r.name));
          // Ordered by a metric: runs without it last; the pages of 3 put together are the same list.
          const ordered = [...sweep].sort((a, b) => a.metrics.rmse_val - b.metrics.rmse_val).map((r) => r.name);
          const full = await names({ orderBy: ['metrics.rmse_val ASC'] });
          assert.deepEqual(full.slice(0, sweep.length), ordered);
          assert.equal(full.length, exp!.runs.length);
          const first = await src.searchRuns({ orderBy: ['metrics.rmse_val ASC'], maxResults: 3 });
          assert.equal(first.runs.length, 3);
          assert.ok(first.nextPageToken);
          assert.deepEqual(await names({ orderBy: ['metrics.rmse_val ASC'], maxResults: 3 }), full);
          await assert.rejects(src.searchRuns({ orderBy: ['metrics.rmse_val DESC'], maxResults: 3, pageToken: first.nextPageToken }), rejectsWith('invalid', /another query/));
          // Newest first by default; one experiment by id.
          const byTime = (await src.searchRuns()).runs;
          assert.ok(byTime.every((r, i) => i === 0 || byTime[i - 1].startTime >= r.startTime));
          const other = (await src.listExperiments()).find((e) => e.name === 'données-été ✓')!;
          assert.deepEqual(await names({ experimentIds: [other.id] }), ['other-exp-run']);
          await assert.rejects(src.searchRuns({ filter: 'metrics.rmse_val <' }), FilterSyntaxError);
        } finally {
          await src.close();
        }
      });
    });
  }
}

/** A copy of a fixture in a temporary folder: its absolute paths are stale, as on another machine. */
function copyFixture(version: '2.12' | '3.9'): string {
  const dir = path.join(tempDir('mlflow-copy-'), `moved-${version}`);
  fs.cpSync(fixtureDir(version)!, dir, { recursive: true });
  // The shared fixtures are read-only; the copy must be writable to damage it.
  execFileSync('chmod', ['-R', 'u+w', dir]);
  return dir;
}

describe('artifact paths never leave the artifact folder', { skip }, () => {
  for (const kind of ['file', 'sqlite'] as const) {
    it(`${kind}: '..', absolute paths and symbolic links out are refused; links out are not listed`, async () => {
      const dir = copyFixture('3.9');
      const src = open(kind, dir);
      try {
        const run = (await src.searchRuns({ filter: "name = 'rf-00'" })).runs[0];
        const notes = (await src.listArtifacts(run.id, 'notes'))[0];
        const folder = path.dirname(path.join(kind === 'file' ? path.join(dir, 'mlruns', run.experimentId, run.id, 'artifacts') : path.join(dir, 'artifacts', 'wafer-yield', run.id, 'artifacts'), notes.path));
        assert.ok(fs.existsSync(path.join(folder, 'readme.txt')), folder);
        const secret = path.join(dir, 'secret.txt');
        fs.writeFileSync(secret, 'not an artifact');
        fs.symlinkSync(secret, path.join(folder, 'link-out.txt'));
        fs.symlinkSync(dir, path.join(folder, 'dir-out'));
        fs.symlinkSync('readme.txt', path.join(folder, 'link-in.txt'));
        assert.deepEqual((await src.listArtifacts(run.id, 'notes')).map((a) => a.path), ['notes/link-in.txt', 'notes/readme.txt']);
        assert.equal(text(await src.readArtifact(run.id, 'notes/link-in.txt')), 'run 0\n');
        await assert.rejects(src.readArtifact(run.id, 'notes/link-out.txt'), rejectsWith('invalid', /leads out of the artifact folder/));
        await assert.rejects(src.listArtifacts(run.id, 'notes/dir-out'), rejectsWith('invalid', /leads out/));
        await assert.rejects(src.readArtifact(run.id, 'notes/dir-out/secret.txt'), rejectsWith('invalid', /leads out/));
        await assert.rejects(src.readArtifact(run.id, '../../secret.txt'), rejectsWith('invalid', /'\.\.'/));
        await assert.rejects(src.readArtifact(run.id, 'notes/../../x'), rejectsWith('invalid', /'\.\.'/));
        await assert.rejects(src.listArtifacts(run.id, '..'), rejectsWith('invalid', /'\.\.'/));
        await assert.rejects(src.readArtifact(run.id, secret), rejectsWith('invalid', /relative/));
        await assert.rejects(src.readArtifact(run.id, 'notes'), rejectsWith('invalid', /folder/));
        await assert.rejects(src.readArtifact(run.id, 'notes/missing.txt'), rejectsWith('not-found'));
      } finally {
        await src.close();
      }
    });
  }
});

describe('damaged stores: reported, the rest loads', { skip }, () => {
  it('a corrupt run meta.yaml, a bad metric line and a corrupt version meta.yaml are problems {file, message}', async () => {
    const dir = copyFixture('3.9');
    const exp = expected('3.9', 'file');
    const src = new MlflowFileSource(path.join(dir, 'mlruns'), { maxAgeMs: 0 });
    const runDir = (name: string) => {
      const id = exp.runs.find((r) => r.name === name)!.run_id;
      return path.join(dir, 'mlruns', '883433143902216277', id);
    };
    const badMeta = path.join(runDir('rf-03'), 'meta.yaml');
    fs.writeFileSync(badMeta, 'artifact_uri: [unclosed\nrun_id: : :\n');
    const badMetric = path.join(runDir('rf-04'), 'metrics', 'rmse_test');
    fs.appendFileSync(badMetric, 'this is not a metric line\n');
    const badVersion = path.join(dir, 'mlruns', 'models', 'YieldPredictor', 'version-1', 'meta.yaml');
    fs.writeFileSync(badVersion, '\u0000\u0001 not yaml: [');
    const page = await src.searchRuns();
    assert.deepEqual(page.runs.map((r) => r.name).sort(), exp.runs.map((r) => r.name).filter((n) => n !== 'rf-03').sort());
    const metaProblem = page.problems.find((p) => p.file === badMeta);
    assert.ok(metaProblem, JSON.stringify(page.problems));
    assert.match(metaProblem.message, /meta\.yaml does not parse/);
    const rf04 = page.runs.find((r) => r.name === 'rf-04')!;
    assert.equal(rf04.metrics.rmse_test, exp.runs.find((r) => r.name === 'rf-04')!.metrics.rmse_test, 'the good lines still count');
    assert.deepEqual(rf04.problems.map((p) => [p.file, p.runId]), [[badMetric, rf04.id]]);
    assert.match(rf04.problems[0].message, /line 2 is not 'timestamp value step'/);
    assert.ok(page.problems.some((p) => p.file === badMetric));
    const badExperiment = path.join(dir, 'mlruns', '109406903818824337', 'meta.yaml');
    fs.writeFileSync(badExperiment, 'name: [données\n');
    const later = await src.searchRuns({ includeDeleted: true });
    assert.ok(later.problems.some((p) => p.file === badExperiment && /experiment meta\.yaml does not parse/.test(p.message)), JSON.stringify(later.problems));
    assert.ok(!later.runs.some((r) => r.name === 'other-exp-run') && later.runs.some((r) => r.name === 'rf-00'), 'the other experiments still load');
    const [model] = await src.listModels();
    assert.deepEqual(model.versions.map((v) => v.version), [2, 3]);
    assert.deepEqual(model.problems?.map((p) => p.file), [badVersion]);
    await src.close();
  });

  it('a truncated mlflow.db, a file that is not SQLite and an empty one give clear errors naming the file', async () => {
    const dir = copyFixture('2.12');
    const db = path.join(dir, 'mlflow.db');
    const size = fs.statSync(db).size;
    fs.truncateSync(db, Math.floor(size / 2) + 1000);
    await assert.rejects(new MlflowSqliteSource(db).searchRuns(), rejectsWith('corrupt', new RegExp(`${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is truncated`)));
    fs.truncateSync(db, Math.floor(size / 2)); // whole pages, but fewer than the header says
    await assert.rejects(new MlflowSqliteSource(db).listExperiments(), rejectsWith('corrupt', /is truncated: its header says \d+ pages/));
    fs.writeFileSync(db, 'id,name\n1,not a database\n'.repeat(20));
    await assert.rejects(new MlflowSqliteSource(db).searchRuns(), rejectsWith('corrupt', /mlflow\.db is not an SQLite database/));
    fs.writeFileSync(db, '');
    await assert.rejects(new MlflowSqliteSource(db).searchRuns(), rejectsWith('schema', /no table 'experiments' \(no alembic_version table/));
    await assert.rejects(new MlflowSqliteSource(path.join(dir, 'nothing.db')).searchRuns(), rejectsWith('not-found', /No SQLite database at/));
  });

  it('a rollback journal left by a writer means busy (retried, then SourceError busy); an emptied or zeroed one does not', async () => {
    const dir = copyFixture('3.9');
    const db = path.join(dir, 'mlflow.db');
    const journal = `${db}-journal`;
    fs.writeFileSync(journal, Buffer.concat([Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]), Buffer.alloc(504)]));
    const started = Date.now();
    await assert.rejects(new MlflowSqliteSource(db, { timeoutMs: 400 }).searchRuns(), rejectsWith('busy', /mlflow\.db-journal exists .*still changing after \d+ attempts/));
    assert.ok(Date.now() - started >= 400, 'it retried for the whole timeout');
    fs.writeFileSync(journal, Buffer.alloc(512)); // journal_mode=persist after a commit
    assert.equal((await new MlflowSqliteSource(db, { timeoutMs: 400 }).searchRuns()).runs.length, 10);
    fs.writeFileSync(journal, '');
    assert.equal((await new MlflowSqliteSource(db, { timeoutMs: 400 }).searchRuns()).runs.length, 10);
  });

  it('a damaged page inside a whole-looking mlflow.db is corrupt, not a crash', async () => {
    const dir = copyFixture('2.12');
    const db = path.join(dir, 'mlflow.db');
    const bytes = fs.readFileSync(db);
    for (let page = 1; page < bytes.length / 4096; page++) bytes.fill(0xa5, page * 4096, page * 4096 + 4096);
    fs.writeFileSync(db, bytes);
    await assert.rejects(new MlflowSqliteSource(db).searchRuns(), rejectsWith('corrupt', /mlflow\.db is damaged: .*malformed/));
  });

  it('a database without a table the reader needs names the alembic revision', { skip: spawnSync('python3', ['-c', 'import sqlite3']).status === 0 ? false : 'python3 with sqlite3 is needed to change the schema' }, async () => {
    for (const [version, revision] of [['2.12', 'acf3f17fdcc7'], ['3.9', '2c33131f4dae']] as const) {
      const dir = copyFixture(version);
      const db = path.join(dir, 'mlflow.db');
      execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DROP TABLE model_versions"); c.execute("DROP TABLE registered_model_aliases"); c.commit()', db]);
      const src = new MlflowSqliteSource(db);
      assert.equal((await src.searchRuns()).runs.length, 10, 'runs still load');
      await assert.rejects(src.listModels(), rejectsWith('schema', new RegExp(`no table 'model_versions' \\(alembic revision ${revision}\\).*2b4d017a5e9b`)));
      execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DROP TABLE params"); c.commit()', db]);
      await assert.rejects(src.searchRuns(), rejectsWith('schema', new RegExp(`no table 'params' \\(alembic revision ${revision}\\), which reading runs needs`)));
      await src.close();
    }
  });
});

describe('file store: meta.yaml and refreshes', { skip }, () => {
  it('the line parser reads every fixture meta.yaml as the yaml library does, and leaves the rest to it', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name === 'meta.yaml') files.push(path.join(d, e.name));
      }
    };
    for (const v of ['2.12', '3.9'] as const) walk(path.join(fixtureDir(v)!, 'mlruns'));
    assert.ok(files.length >= 40, `${files.length} meta.yaml files`);
    let flat = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const fast = parseFlatYaml(text);
      if (fast) flat++;
      assert.deepEqual(parseMetaYaml(text), YAML.parse(text, { intAsBigInt: true }), f);
    }
    assert.ok(flat >= files.length - 4, `${flat} of ${files.length} read by the line parser (model meta.yaml with aliases need the library)`);
    const tricky = ["name: 'it''s: #1'\nx: 1\n", 'name: "quoted \\u00e9"\n', 'a: yes\nb: 1.5e3\nc: -7\nd: ~\ne:\nf: .inf\n', 'name: x #comment\n', "k: 'multi\n  line'\n", 'list:\n- 1\n- 2\n'];
    for (const t of tricky) assert.deepEqual(parseMetaYaml(t), YAML.parse(t, { intAsBigInt: true }), t);
    assert.throws(() => parseMetaYaml('a: b: c\n'), /Nested mappings/);
    assert.throws(() => parseMetaYaml(''), /empty/);
    assert.throws(() => parseMetaYaml('- a\n- b\n'), /not a YAML mapping/);
  });

  it('sees a new run at the next scan, and a line appended to a finished run with invalidate(path) or getRun', async () => {
    const dir = copyFixture('2.12');
    const src = new MlflowFileSource(path.join(dir, 'mlruns'), { maxAgeMs: 0, fullCheckMs: 3_600_000 });
    const exp = expected('2.12', 'file');
    const rf00 = exp.runs.find((r) => r.name === 'rf-00')!;
    const runDir = path.join(dir, 'mlruns', '390814872595873586', rf00.run_id);
    assert.equal((await src.searchRuns()).runs.length, 10);
    // A new run (a copy of rf-00 under a new id).
    const newId = 'f'.repeat(32);
    fs.cpSync(runDir, path.join(path.dirname(runDir), newId), { recursive: true });
    const meta = path.join(path.dirname(runDir), newId, 'meta.yaml');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replaceAll(rf00.run_id, newId).replace('run_name: rf-00', 'run_name: rf-new'));
    assert.deepEqual((await src.searchRuns({ filter: "name = 'rf-new'" })).runs.map((r) => r.id), [newId]);
    // A line appended to an existing metric of a finished run: no folder changes, so the light check does not see it…
    fs.appendFileSync(path.join(runDir, 'metrics', 'rmse_val'), `${Date.now()} 1.25 9\n`);
    assert.equal((await src.getRun(rf00.run_id)).metrics.rmse_val, 1.25, 'getRun looks at the run file by file');
    const other = path.join(dir, 'mlruns', '390814872595873586', exp.runs.find((r) => r.name === 'rf-01')!.run_id);
    fs.appendFileSync(path.join(other, 'metrics', 'rmse_val'), `${Date.now()} 0.5 9\n`);
    src.invalidate(path.join(other, 'metrics', 'rmse_val'));
    assert.equal((await src.searchRuns({ filter: "name = 'rf-01'" })).runs[0].metrics.rmse_val, 0.5, 'invalidate(path) compares that run file by file');
    assert.deepEqual((await src.metricHistory(rf00.run_id, 'rmse_val')).map((p) => p.step), [0, 1, 2, 3, 9]);
    await src.close();
  });
});

describe('file store: the MLflow 1.x layout', () => {
  it('reads run_uuid-only meta.yaml, names from the mlflow.runName tag, two-field metric lines and relative artifact paths', async () => {
    // As MLflow 1.x wrote it with the default ./mlruns tracking URI (a layout the 2.x and 3.x clients no longer write).
    const root = path.join(tempDir('mlflow-1x-'), 'mlruns');
    const run = path.join(root, '0', '8a9cf39f0bde4d1c9bfd4a6bd4fa7e41');
    for (const d of ['params', 'metrics', 'tags', 'artifacts']) fs.mkdirSync(path.join(run, d), { recursive: true });
    fs.writeFileSync(path.join(root, '0', 'meta.yaml'), 'artifact_location: ./mlruns/0\nexperiment_id: 0\nlifecycle_stage: active\nname: Default\n');
    fs.writeFileSync(path.join(run, 'meta.yaml'), "artifact_uri: ./mlruns/0/8a9cf39f0bde4d1c9bfd4a6bd4fa7e41/artifacts\nend_time: 1563312002390\nentry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\nname: ''\nrun_uuid: 8a9cf39f0bde4d1c9bfd4a6bd4fa7e41\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1563312002325\nstatus: 4\ntags: []\nuser_id: someone\n");
    fs.writeFileSync(path.join(run, 'tags', 'mlflow.runName'), 'legacy');
    fs.mkdirSync(path.join(run, 'params', 'opt'));
    fs.writeFileSync(path.join(run, 'params', 'opt', 'lr'), '0.01');
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), '1563312002330 0.9\n1563312002340 0.7\n1563312002335 nan\n');
    fs.writeFileSync(path.join(run, 'artifacts', 'notes.txt'), 'old');
    const src = new MlflowFileSource(root);
    const [r] = (await src.searchRuns()).runs;
    assert.equal(r.id, '8a9cf39f0bde4d1c9bfd4a6bd4fa7e41');
    assert.equal(r.name, 'legacy');
    assert.equal(r.experimentName, 'Default');
    assert.equal(r.sourceStatus, 'FAILED');
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.params, { 'opt/lr': '0.01' });
    assert.equal(r.metrics.loss, 0.7, 'step 0 for all: the latest timestamp wins');
    assert.deepEqual((await src.metricHistory(r.id, 'loss')).map((p) => [p.step, p.timestamp, p.value]), [[0, 1563312002330, 0.9], [0, 1563312002335, NaN], [0, 1563312002340, 0.7]]);
    assert.deepEqual((await src.searchRuns({ filter: "params.`opt/lr` = 0.01" })).runs.length, 1);
    assert.deepEqual(await src.listArtifacts(r.id), [{ path: 'notes.txt', isDir: false, size: 3 }]);
    assert.equal(text(await src.readArtifact(r.id, 'notes.txt')), 'old');
    await src.close();
  });
});

describe('SQLite reloads', { skip }, () => {
  it('answer from memory while the file is unchanged, and read it again when it changes', { skip: spawnSync('python3', ['-c', 'import sqlite3']).status === 0 ? false : 'python3 with sqlite3 is needed' }, async () => {
    const dir = copyFixture('3.9');
    const db = path.join(dir, 'mlflow.db');
    const src = new MlflowSqliteSource(db);
    const first = (await src.searchRuns()).runs; // answered from SQL before the whole store is loaded
    const before = (await src.searchRuns()).runs;
    assert.deepEqual(before, first, 'the first page from SQL is the page from the loaded store');
    const again = (await src.searchRuns()).runs;
    assert.equal(again[0], before[0], 'the same objects: nothing was read again');
    execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE tags SET value = ? WHERE key = ?", ("changed", "note")); c.commit()', db]);
    const after = (await src.searchRuns({ filter: "tags.note = 'changed'" })).runs;
    assert.equal(after.length, 6);
    // Artifacts in a remote store: a clear message, not an empty folder.
    execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE runs SET artifact_uri = ? WHERE name = ?", ("s3://bucket/1/abc/artifacts", "rf-00")); c.commit()', db]);
    const rf00 = (await src.searchRuns({ filter: "name = 'rf-00'" })).runs[0];
    await assert.rejects(src.listArtifacts(rf00.id), rejectsWith('not-found', /at s3:\/\/bucket\/1\/abc\/artifacts, which this reader of local stores cannot open/));
    await src.close();
  });
});

describe('sql.js in the esbuild bundle', () => {
  it('dist/ has sql-wasm.wasm, and a bundle of the SQLite reader loads it from beside itself, without node_modules', { skip: skipUnlessFixtures() || (fs.existsSync(path.join(REPO, 'dist', 'sql-wasm.wasm')) ? false : 'run `npm run build` first') }, async () => {
    const out = tempDir('mlflow-bundle-');
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    await esbuild.build({
      entryPoints: [path.join(REPO, 'src', 'core', 'sources', 'mlflowSqlite', 'sqliteStore.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: path.join(out, 'reader.js'),
      logLevel: 'error',
    });
    fs.copyFileSync(path.join(REPO, 'dist', 'sql-wasm.wasm'), path.join(out, 'sql-wasm.wasm'));
    const script = `const { MlflowSqliteSource } = require('./reader.js');
      new MlflowSqliteSource(process.argv[1]).searchRuns().then((p) => console.log(p.runs.length), (e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script, path.join(fixtureDir('2.12')!, 'mlflow.db')], { cwd: out, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '10');
    assert.ok(!fs.existsSync(path.join(out, 'node_modules')));
  });
});

describe('SQLite: the first page before the whole store is loaded', { skip: skip || (spawnSync('python3', ['-c', 'import sqlite3']).status === 0 ? false : 'python3 with sqlite3 is needed') }, () => {
  it('is the page the loaded store gives — ties in start time, deleted runs and experiments included — and its token pages on', async () => {
    const dir = copyFixture('3.9');
    const db = path.join(dir, 'mlflow.db');
    // 40 more runs in the first experiment: 12 share one start time (the page boundary falls inside them), 3 are deleted.
    execFileSync('python3', ['-c', `import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
exp=c.execute("SELECT experiment_id FROM experiments WHERE lifecycle_stage='active' ORDER BY experiment_id DESC").fetchone()[0]
for i in range(40):
    rid="%032x" % (0xabc000 + (i * 7919) % 40)
    t=1_900_000_000_000 + (0 if 10 <= i < 22 else i * 1000)
    c.execute("INSERT INTO runs(run_uuid,name,source_type,source_name,entry_point_name,user_id,status,start_time,end_time,source_version,lifecycle_stage,artifact_uri,experiment_id) VALUES (?,?,'LOCAL','','','t','FINISHED',?,?,'',?,'',?)", (rid, "tie-%02d" % i, t, t+5, 'deleted' if i % 13 == 5 else 'active', exp))
    c.execute("INSERT INTO params(key,value,run_uuid) VALUES ('i',?,?)", (str(i), rid))
    c.execute("INSERT INTO tags(key,value,run_uuid) VALUES ('k',?,?)", ('v%d' % i, rid))
    c.execute("INSERT INTO latest_metrics(key,value,timestamp,step,is_nan,run_uuid) VALUES ('m',?,?,0,0,?)", (i / 2, t, rid))
c.commit()`, db]);
    for (const maxResults of [1, 5, 15, 30, 1000]) {
      const fresh = new MlflowSqliteSource(db);
      const loaded = new MlflowSqliteSource(db);
      await loaded.searchRuns({ filter: 'attributes.start_time >= 0' }); // loads the whole store
      const a = await fresh.searchRuns({ maxResults });
      const b = await loaded.searchRuns({ maxResults });
      assert.deepEqual(a.runs.map((r) => r.id), b.runs.map((r) => r.id), `maxResults ${maxResults}: the same runs in the same order`);
      assert.deepEqual(a.runs, b.runs, `maxResults ${maxResults}: the same params, tags, metrics and times`);
      assert.equal(!!a.nextPageToken, !!b.nextPageToken);
      if (a.nextPageToken) {
        const next = await fresh.searchRuns({ maxResults, pageToken: a.nextPageToken });
        const expected = await loaded.searchRuns({ maxResults, pageToken: b.nextPageToken });
        assert.deepEqual(next.runs.map((r) => r.id), expected.runs.map((r) => r.id), `maxResults ${maxResults}: the second page`);
      }
      // The tree asks for the experiments first: answered from the experiments table, without loading every run.
      const lazy = new MlflowSqliteSource(db);
      assert.deepEqual((await lazy.listExperiments()).map((e) => e.id).sort(), (await loaded.listExperiments()).map((e) => e.id).sort());
      assert.equal((lazy as unknown as { state?: unknown }).state, undefined, 'listExperiments did not load the runs');
      await lazy.close();
      const exps = await loaded.listExperiments();
      for (const e of exps) {
        const one = await new MlflowSqliteSource(db).searchRuns({ experimentIds: [e.id], maxResults: 3 });
        const ref = await loaded.searchRuns({ experimentIds: [e.id], maxResults: 3 });
        assert.deepEqual(one.runs.map((r) => r.id), ref.runs.map((r) => r.id), `experiment ${e.name}`);
      }
      await fresh.close();
      await loaded.close();
    }
  });
});
