/**
 * Compare Runs across sources, without VS Code: run keys (a workspace run id, `<MLflow source URI>#<run id>`), the data
 * message built for workspace runs and runs of the real MLflow 3.9 fixture's mlflow.db and mlruns/ side by side (params
 * as logged, latest metrics, the rmse_val history through metricHistory, no invented importance, the source of each
 * run), runs that are gone (deleted, unknown, source not connected) and a build cancelled by a newer one; the exports
 * name each run's source. Every run, the workspace's too, is read through the RunSource interface.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { comparisonToCsv, comparisonToMarkdown } from '../../src/core/compare/export';
import { buildComparison, defaultSettings } from '../../src/core/compare/model';
import { keyOfRefLike, parseRefKey, refKey, runIdOfKey } from '../../src/core/compare/runRefs';
import { locateSource, sourceUri } from '../../src/core/sources/locate';
import { openSource } from '../../src/core/sources/open';
import type { RunSource } from '../../src/core/sources/types';
import { Tracker } from '../../src/core/tracking/tracker';
import { AbortError } from '../../src/core/util/errors';
import { buildCompareData, type CompareSources } from '../../src/extension/compare/compareData';
import { clearCompareCache, type CompareSource } from '../../src/extension/compare/sourceCompareData';
import { WorkspaceSource } from '../../src/core/sources/workspace/workspaceSource';
import { type ExpectedRun, fixtureDir, skipUnlessFixtures } from '../mlflow/env';
import { tempDir } from './helpers';

describe('run keys (runRefs)', () => {
  it('a workspace run is its id; an MLflow run is <source URI>#<run id>, split at the last #', () => {
    assert.equal(refKey({ runId: 'abcdef0123456789' }), 'abcdef0123456789');
    assert.deepEqual(parseRefKey('abcdef0123456789'), { runId: 'abcdef0123456789' });
    const key = refKey({ source: 'sqlite:////data/a#b/mlflow.db', runId: '27f0627f0413498bb51bb751c6fae648' });
    assert.equal(key, 'sqlite:////data/a#b/mlflow.db#27f0627f0413498bb51bb751c6fae648');
    assert.deepEqual(parseRefKey(key), { source: 'sqlite:////data/a#b/mlflow.db', runId: '27f0627f0413498bb51bb751c6fae648' });
    assert.deepEqual(parseRefKey('http://127.0.0.1:5000#r1'), { source: 'http://127.0.0.1:5000', runId: 'r1' });
    assert.equal(runIdOfKey(key), '27f0627f0413498bb51bb751c6fae648');
    assert.equal(keyOfRefLike({ sourceUri: 'file:///x/mlruns', runId: 'abc' }), 'file:///x/mlruns#abc');
    assert.equal(keyOfRefLike({ runId: 'abcdef01' }), 'abcdef01');
  });

  it('malformed keys from a saved state are refused', () => {
    for (const bad of ['', 'xyz', 'abc', 'javascript:alert(1)#abc', 'ftp://h#abc', 'http://h#', 'http://h#a b', 'file:///a\nb#abc', 'http://h#../x', 42, null, {}]) {
      assert.equal(parseRefKey(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(keyOfRefLike({ source: 'http://h', runId: '../etc' }), undefined);
    assert.equal(keyOfRefLike('abc'), undefined);
  });
});


describe('Compare data across sources (the real MLflow 3.9 fixture)', { skip: skipUnlessFixtures() }, () => {
  const dir = fixtureDir('3.9') ?? '';
  const read = (f: string) => (dir ? (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { runs: ExpectedRun[]; deleted_run_id: string }) : { runs: [], deleted_run_id: '' });
  const expected = read('expected-sqlite.json');
  const expectedFiles = read('expected-filestore.json');
  const dbUri = dir ? sourceUri(locateSource(path.join(dir, 'mlflow.db'))) : '';
  const fileUri = dir ? sourceUri(locateSource(path.join(dir, 'mlruns'))) : '';
  const opened: RunSource[] = [];
  const requests: string[] = [];
  /** A source as MlflowSources gives it to the comparison, counting the requests made through it. */
  function mlflowSource(uri: string, label: string): CompareSource {
    let source: RunSource | undefined;
    return {
      label,
      async open() {
        if (!source) {
          const s = openSource(locateSource(uri));
          opened.push(s);
          source = new Proxy(s, {
            get(target, prop, receiver) {
              const v = Reflect.get(target, prop, receiver) as unknown;
              if (typeof v !== 'function') return v;
              return (...args: unknown[]) => {
                requests.push(`${String(prop)}(${args.join(',')})`);
                return (v as (...a: unknown[]) => unknown).apply(target, args);
              };
            },
          });
        }
        return source;
      },
      experiment: () => undefined,
    };
  }
  const root = tempDir('mlops-compare-sources-');
  const tracker = Tracker.open(path.join(root, '.mlops'), { create: true });
  const wsIds: string[] = [];
  for (const [i, rmse] of [3.2, 2.8].entries()) {
    const run = tracker.startRun({ experiment: 'wafer-yield', name: `ws-${i}`, params: { max_depth: 5 + i, n_estimators: 100 } });
    for (let s = 0; s < 3; s++) run.logMetric('rmse_val', rmse + (2 - s) * 0.1, s);
    run.logMetric('rmse_test', rmse);
    run.end('completed');
    wsIds.push(run.id);
  }
  tracker.store.flush();
  // The workspace store through its RunSource, as every other source (the CLI's flavour: the Tracker answers).
  const workspace: CompareSource = { label: 'Workspace', open: async () => new WorkspaceSource(tracker, () => undefined), experiment: () => undefined };
  const sources: CompareSources = {
    workspace: [workspace],
    mlflow: (uri) => (uri === dbUri ? mlflowSource(dbUri, 'MLflow · mlflow-3.9/mlflow.db') : uri === fileUri ? mlflowSource(fileUri, 'MLflow · mlflow-3.9/mlruns') : undefined),
  };
  after(async () => {
    for (const s of opened) await s.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('two workspace runs and two MLflow runs: params as logged, metrics, histories through metricHistory, the source of each', async () => {
    clearCompareCache();
    const rf0 = expected.runs[0];
    const rf1 = expectedFiles.runs[1];
    const keys = [...wsIds, refKey({ source: dbUri, runId: rf0.run_id }), refKey({ source: fileUri, runId: rf1.run_id })];
    const { msg, problems, mlflowRuns } = await buildCompareData(sources, keys, 'Compare: 4 runs', new Map(), {});
    assert.deepEqual(problems, []);
    assert.deepEqual(msg.runIds, keys);
    assert.deepEqual(msg.gone, []);
    assert.deepEqual(msg.runs.map((r) => r.id), keys);
    assert.deepEqual(msg.runs.map((r) => r.name), ['ws-0', 'ws-1', rf0.name, rf1.name]);
    assert.deepEqual(msg.runs.map((r) => r.source), ['Workspace', 'Workspace', 'MLflow · mlflow-3.9/mlflow.db', 'MLflow · mlflow-3.9/mlruns']);
    assert.deepEqual(msg.runs.map((r) => r.sourceKind), ['workspace', 'workspace', 'mlflow-sqlite', 'mlflow-file']);
    assert.deepEqual(msg.runs.map((r) => r.runId), [undefined, undefined, rf0.run_id, rf1.run_id]);
    assert.deepEqual(msg.runs[2].params, rf0.params, 'MLflow params stay strings, as logged');
    assert.deepEqual(msg.runs[3].params, rf1.params);
    assert.deepEqual(msg.runs[2].metrics, rf0.metrics);
    assert.deepEqual(msg.runs[3].metrics, rf1.metrics);
    assert.deepEqual(msg.runs[2].history.rmse_val, rf0.rmse_val_history);
    assert.deepEqual(msg.runs[3].history.rmse_val, rf1.rmse_val_history);
    assert.deepEqual(msg.runs[0].history.rmse_val.map(([s, v]) => [s, Number(v.toFixed(6))]), [[0, 3.4], [1, 3.3], [2, 3.2]], 'workspace history as before');
    assert.equal(msg.runs[2].history.rmse_test, undefined, 'a metric logged at one step has no series');
    assert.equal(msg.runs[2].importance, null, 'no feature_importance.json artifact: no importance chart');
    assert.equal(msg.runs[2].status, 'completed');
    assert.equal(msg.runs[2].experiment, 'wafer-yield');
    for (const [k, v] of Object.entries(rf0.tags ?? {})) assert.equal(msg.runs[2].tags[k], v, `tag ${k} as logged (HTML and unicode kept)`);
    assert.ok(!Object.keys(msg.runs[2].tags).some((k) => k.startsWith('mlflow.')), "MLflow's system tags are left out, as in MLflow's run page");
    assert.equal(msg.directions.rmse_val, 'min');
    assert.equal(msg.primaryMetric, 'rmse_test');
    assert.deepEqual([...mlflowRuns.keys()], keys.slice(2));
    // A refresh of unchanged finished runs reads each run once more, not its histories.
    requests.length = 0;
    const again = await buildCompareData(sources, keys, 'Compare: 4 runs', new Map(), {});
    assert.deepEqual(again.msg, msg);
    assert.deepEqual(requests.map((r) => r.split('(')[0]).sort(), ['getRun', 'getRun']);
  });

  it('gone: a deleted MLflow run, an unknown one, a source that is not connected, a workspace run that is not there', async () => {
    const names = new Map([[refKey({ source: 'http://127.0.0.1:9', runId: '0123abcd' }), 'seen-before']]);
    const keys = [
      wsIds[0],
      refKey({ source: dbUri, runId: expected.deleted_run_id }),
      refKey({ source: dbUri, runId: 'ffffffffffffffffffffffffffffffff' }),
      refKey({ source: 'http://127.0.0.1:9', runId: '0123abcd' }),
      'deadbeefdeadbeef',
      refKey({ source: dbUri, runId: expected.runs[2].run_id }),
    ];
    const { msg } = await buildCompareData(sources, keys, 't', names, {});
    assert.deepEqual(msg.runs.map((r) => r.name), ['ws-0', expected.runs[2].name]);
    assert.deepEqual(msg.gone.map((g) => g.id), [keys[1], keys[2], keys[3], keys[4]]);
    assert.match(msg.gone[0].reason ?? '', /deleted/);
    assert.match(msg.gone[1].reason ?? '', /deleted from MLflow · mlflow-3\.9\/mlflow\.db|no longer there/);
    assert.match(msg.gone[2].reason ?? '', /not connected/);
    assert.equal(msg.gone[2].name, 'seen-before', 'named as last seen');
    assert.equal(msg.gone[2].runId, '0123abcd');
    assert.equal(msg.gone[3].reason, undefined);
  });

  it('a build that a newer one supersedes is cancelled (AbortError), and the next one completes', async () => {
    clearCompareCache();
    const keys = expected.runs.slice(0, 6).map((r) => refKey({ source: dbUri, runId: r.run_id }));
    const ctl = new AbortController();
    const first = buildCompareData(sources, keys, 't', new Map(), {}, ctl.signal);
    ctl.abort();
    await assert.rejects(first, AbortError);
    const { msg } = await buildCompareData(sources, keys, 't', new Map(), {});
    assert.equal(msg.runs.length, 6);
  });

  it('exports name the source and the MLflow run id of each run', async () => {
    const keys = [wsIds[0], refKey({ source: dbUri, runId: expected.runs[0].run_id })];
    const { msg } = await buildCompareData(sources, keys, 't', new Map(), {});
    const cmp = buildComparison(msg.runs, defaultSettings(), msg.directions);
    const csv = comparisonToCsv(cmp, defaultSettings()).split('\r\n');
    assert.equal(csv[0].split(',').slice(0, 4).join(','), 'run_id,run,source,experiment');
    assert.ok(csv[2].startsWith(`${expected.runs[0].run_id},${expected.runs[0].name},MLflow · mlflow-3.9/mlflow.db,wafer-yield`), csv[2]);
    const md = comparisonToMarkdown(cmp, defaultSettings());
    assert.match(md, /### Runs/);
    assert.ok(md.includes(`| ${expected.runs[0].name} | MLflow · mlflow-3.9/mlflow.db | wafer-yield | ${expected.runs[0].run_id} |`), md);
    // Workspace runs only: the exports are as before (no source column).
    const ws = await buildCompareData(sources, wsIds, 't', new Map(), {});
    const wsCsv = comparisonToCsv(buildComparison(ws.msg.runs, defaultSettings(), ws.msg.directions), defaultSettings());
    assert.ok(wsCsv.startsWith('run_id,run,experiment,status,baseline'), wsCsv.slice(0, 80));
  });
});
