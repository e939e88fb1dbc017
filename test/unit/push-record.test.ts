/** The push record (`.mlops/sharing/pushed.jsonl`): appended once per run and target, a torn last line skipped. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PUSH_RECORD_FILE, readPushRecord, recordPushes } from '../../src/core/sharing/pushRecord';

describe('push record', () => {
  it('records each run once per target and MLflow run; the latest push of a run wins', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'push-record-'));
    assert.equal(readPushRecord(root).size, 0);
    recordPushes(root, [{ uri: 'http://a', localId: 'r1', mlflowRunId: 'm1' }, { uri: 'http://a', localId: 'r2', mlflowRunId: 'm2' }]);
    recordPushes(root, [{ uri: 'http://a', localId: 'r1', mlflowRunId: 'm1' }]);
    const file = path.join(root, PUSH_RECORD_FILE);
    assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 2, 'a run pushed again to the same MLflow run is not appended again');
    recordPushes(root, [{ uri: 'file:///x/mlruns', localId: 'r1', mlflowRunId: 'm9' }]);
    const m = readPushRecord(root);
    assert.deepEqual([...m.keys()].sort(), ['r1', 'r2']);
    assert.equal(m.get('r1')!.uri, 'file:///x/mlruns');
    assert.equal(m.get('r1')!.mlflowRunId, 'm9');
  });

  it('skips a torn last line (a push killed while appending) and keeps the rest', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'push-record-'));
    recordPushes(root, [{ uri: 'http://a', localId: 'r1', mlflowRunId: 'm1' }]);
    fs.appendFileSync(path.join(root, PUSH_RECORD_FILE), '{"uri":"http://a","localId":"r2","mlfl');
    const m = readPushRecord(root);
    assert.deepEqual([...m.keys()], ['r1']);
    // The next push starts a new line after the torn one, which stays skipped.
    recordPushes(root, [{ uri: 'http://a', localId: 'r2', mlflowRunId: 'm2' }]);
    assert.deepEqual([...readPushRecord(root).keys()].sort(), ['r1', 'r2']);
  });
});
