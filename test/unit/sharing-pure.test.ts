/**
 * The pure parts of push and pull (no MLflow needed): log-batch packing within MLflow's limits, metric points compared
 * as MLflow keeps them, the environment record through `mlops.env.*` tags and back, the digest, the history tag's
 * size limit, and meta.yaml written as MLflow's FileStore writes it (read back by our reader).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packBatches } from '../../src/core/sharing/batches';
import { envFromTags, envTags, paramText, pointKey, pushDigest, uniquePoints } from '../../src/core/sharing/mlflowShape';
import { historyTag } from '../../src/core/sharing/pushModels';
import { dumpMetaYaml, parseMetaYaml } from '../../src/core/sources/mlflowFile/metaYaml';
import { MLFLOW_BATCH_LIMITS, MAX_TAG_VALUE } from '../../src/core/sources/writeTypes';
import type { HistoryEntry } from '../../src/core/registry/registry';
import type { EnvironmentRecord, MetricPoint } from '../../src/core/store/types';

const point = (i: number, key = 'm'): MetricPoint => ({ key, value: i / 3, step: i, timestamp: 1_700_000_000_000 + i });

describe('push: log-batch packing', () => {
  it('keeps every limit: 1,000 metrics, 100 params, 100 tags, 1,000 entities, 1 MB; params first, tags last, nothing lost', () => {
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const metrics = Array.from({ length: 2500 }, (_, i) => point(i));
    const tags = Array.from({ length: 130 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(i === 129 ? 4000 : 10) }));
    const batches = packBatches({ params, metrics, tags }, MLFLOW_BATCH_LIMITS);
    for (const b of batches) {
      assert.ok(b.metrics.length <= 1000 && b.params.length <= 100 && b.tags.length <= 100);
      assert.ok(b.metrics.length + b.params.length + b.tags.length <= 1000);
      assert.ok(JSON.stringify({ run_id: 'x'.repeat(32), ...b }).length < 1_000_000);
    }
    assert.deepEqual(batches.flatMap((b) => b.params), params);
    assert.deepEqual(batches.flatMap((b) => b.metrics), metrics);
    assert.deepEqual(batches.flatMap((b) => b.tags), tags);
    assert.deepEqual(batches.at(-1)!.tags.at(-1), tags.at(-1), 'the last tag is in the last request');
    const big = packBatches({ tags: Array.from({ length: 99 }, (_, i) => ({ key: `k${i}`, value: (i % 2 ? '"' : '\u0001').repeat(4999) })) }, MLFLOW_BATCH_LIMITS);
    assert.ok(big.length > 1 && big.every((b) => Buffer.byteLength(JSON.stringify({ run_id: 'x'.repeat(32), ...b })) < 1_000_000), 'escaped values counted as sent');
  });
});

describe('push: values as MLflow keeps them', () => {
  it('params as text, points by (key, step, timestamp, value) with ±Infinity as the SQL stores’ ±max double and one NaN', () => {
    assert.deepEqual([paramText(200), paramText(0.1), paramText(true), paramText(null), paramText('a b')], ['200', '0.1', 'true', 'None', 'a b']);
    assert.equal(pointKey({ key: 'm', step: 1, timestamp: 2, value: Infinity }), pointKey({ key: 'm', step: 1, timestamp: 2, value: Number.MAX_VALUE }));
    assert.notEqual(pointKey({ key: 'm', step: 1, timestamp: 2, value: 1 }), pointKey({ key: 'm', step: 1, timestamp: 3, value: 1 }));
    const nan = { key: 'm', step: 0, timestamp: 5, value: NaN };
    assert.deepEqual(uniquePoints([nan, { ...nan }, point(1), point(1)]).length, 2);
  });

  it('the environment record goes out as mlops.env.* tags and comes back the same', () => {
    const env: EnvironmentRecord = {
      git: { commit: 'abc123', dirty: true, branch: 'main' }, extensionVersion: '0.1.0', nodeVersion: 'v20.1.0', os: { platform: 'linux', release: '6.1', arch: 'x64' },
      host: 'box', user: 'ana', libraries: { forest: '1.0.0' }, dataset: { path: 'd.csv', sha256: 'ff', rows: 10, columns: ['a', 'b'], types: { a: 'numeric' } }, seed: 42, source: 'cli',
    };
    const tags = envTags(env);
    assert.equal(tags['mlops.env.git.commit'], 'abc123');
    assert.equal(tags['mlops.env.dataset.columns'], '["a","b"]');
    assert.deepEqual(envFromTags(tags), env);
    assert.deepEqual(envFromTags({ 'mlflow.source.git.commit': 'def', 'mlflow.user': 'bo' }).git, { commit: 'def', dirty: false });
  });

  it('the digest changes with any pushed field, point or artifact', () => {
    const f = { name: 'r', status: 'FINISHED', startTime: 1, endTime: 2, params: { a: '1' }, tags: { t: 'x' } };
    const d = pushDigest(f, [point(1)], [{ path: 'a', size: 1, sha256: 'aa' }]);
    assert.equal(pushDigest({ ...f, tags: { t: 'x' }, params: { a: '1' } }, [point(1)], [{ path: 'a', size: 1, sha256: 'aa' }]), d);
    for (const other of [pushDigest({ ...f, endTime: 3 }, [point(1)], []), pushDigest(f, [point(2)], [{ path: 'a', size: 1, sha256: 'aa' }]), pushDigest(f, [point(1)], [{ path: 'a', size: 1, sha256: 'ab' }])]) assert.notEqual(other, d);
  });
});

describe('push --models: the history tag', () => {
  it('one JSON list of the version’s events; the oldest left out (and counted) when it would pass 5,000 characters', () => {
    const entry = (i: number, version: number): HistoryEntry => ({
      event: { id: `e${i}`, time: Date.UTC(2026, 0, 1, 0, i), user: 'ana', action: i === 0 ? 'register' : 'transition', model: 'M', version, reason: 'r'.repeat(60) },
      effect: `step ${i}`, transitions: [], aliasMoves: [],
    });
    const short = JSON.parse(historyTag([entry(0, 1), entry(1, 2), entry(2, 1)], 1)) as { effect: string }[];
    assert.deepEqual(short.map((h) => h.effect), ['step 0', 'step 2']);
    const long = historyTag(Array.from({ length: 200 }, (_, i) => entry(i, 1)), 1);
    assert.ok(long.length <= MAX_TAG_VALUE);
    const items = JSON.parse(long) as { omitted?: number; effect?: string }[];
    assert.ok(items[0].omitted! > 0 && items.at(-1)!.effect === 'step 199');
  });
});

describe('mlruns/: meta.yaml', () => {
  it('written as MLflow’s FileStore writes it (sorted keys, ids as text) and read back the same, whatever the name', () => {
    for (const name of ['wafer-yield', 'données-été ✓', "it's: a \"name\" # not a comment", 'tab\there', '- starts with a dash', 'del\u007fc1\u0085']) {
      const text = dumpMetaYaml({ name, experiment_id: '123456789012345678', creation_time: 1796158725324, artifact_location: 'file:///x/mlruns/1', tags: [], end_time: null });
      assert.deepEqual(text.split('\n').filter(Boolean).map((l) => l.split(':')[0]), ['artifact_location', 'creation_time', 'end_time', 'experiment_id', 'name', 'tags']);
      const back = parseMetaYaml(text);
      assert.equal(back.name, name);
      assert.equal(back.experiment_id, '123456789012345678');
      assert.equal(back.end_time, null);
    }
  });
});
