import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { locateSource, redactUrl, sourceUri } from '../../src/core/sources/locate';
import { Tracker } from '../../src/core/tracking/tracker';
import { fixtureDir, skipUnlessFixtures } from '../mlflow/env';
import { tempDir } from './helpers';

describe('sources: what a --store spec names', () => {
  it('finds the workspace store from its folder or its .mlops folder', () => {
    const dir = tempDir();
    Tracker.open(path.join(dir, '.mlops'), { create: true });
    assert.deepEqual(locateSource(dir), { kind: 'workspace', root: path.join(dir, '.mlops') });
    assert.deepEqual(locateSource('.mlops', dir), { kind: 'workspace', root: path.join(dir, '.mlops') });
    assert.equal(sourceUri(locateSource(dir)), `file://${dir}/.mlops`);
  });

  it('reads MLflow URIs the way MLflow (SQLAlchemy) spells them', () => {
    assert.deepEqual(locateSource('sqlite:///mlflow.db', '/home/ann/proj'), { kind: 'mlflow-sqlite', file: '/home/ann/proj/mlflow.db' });
    assert.deepEqual(locateSource('sqlite:////srv/ml/mlflow.db'), { kind: 'mlflow-sqlite', file: '/srv/ml/mlflow.db' });
    assert.deepEqual(locateSource('http://127.0.0.1:5000/'), { kind: 'mlflow-server', url: 'http://127.0.0.1:5000' });
    assert.deepEqual(locateSource('https://mlflow.fab.example/team-a/'), { kind: 'mlflow-server', url: 'https://mlflow.fab.example/team-a' });
  });

  it('says what is wrong with a spec, without showing credentials', () => {
    assert.throws(() => locateSource('https://ann:s3cret@mlflow.fab.example'), (e: Error) => /MLFLOW_TRACKING_TOKEN/.test(e.message) && !e.message.includes('s3cret'));
    assert.equal(redactUrl('https://ann:s3cret@host/x'), 'https://***@host/x');
    assert.throws(() => locateSource('s3://bucket/mlruns'), /unsupported store URI/);
    assert.throws(() => locateSource('sqlite://'), /sqlite:\/\/\/relative\.db/);
    const dir = tempDir();
    assert.throws(() => locateSource(path.join(dir, 'nope')), /no such file or folder/);
    fs.writeFileSync(path.join(dir, 'mlflow.db'), 'not a database');
    assert.throws(() => locateSource(path.join(dir, 'mlflow.db')), /not an SQLite database/);
    assert.throws(() => locateSource(dir), /not a workspace store \(\.mlops\), an MLflow mlruns folder or an mlflow\.db file/);
  });

  it('recognises the real MLflow 2.12 and 3.9 stores', { skip: skipUnlessFixtures() }, () => {
    for (const v of ['2.12', '3.9'] as const) {
      const dir = fixtureDir(v)!;
      assert.deepEqual(locateSource(path.join(dir, 'mlruns')), { kind: 'mlflow-file', dir: path.join(dir, 'mlruns') });
      assert.deepEqual(locateSource(`file://${dir}/mlruns`), { kind: 'mlflow-file', dir: path.join(dir, 'mlruns') });
      assert.deepEqual(locateSource(path.join(dir, 'mlflow.db')), { kind: 'mlflow-sqlite', file: path.join(dir, 'mlflow.db') });
    }
  });
});
