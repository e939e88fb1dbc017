/** The batch log of watched monitors: baseline on first arming, missed batches afterwards, append-only, corruption reported. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BatchLog, batchLogFile, monitorKey } from '../../src/core/monitoring/batchLog';
import { tempDir } from './helpers';

describe('monitoring: batch log', () => {
  const key = monitorKey('YieldPredictor', 'data/batches/*.csv');

  it('first arming records the files present as the baseline and checks none; later ones return what was missed', () => {
    const root = tempDir();
    const log = new BatchLog(root);
    assert.equal(log.knows(key), false);
    assert.deepEqual(log.arm(key, ['data/batches/a.csv', 'data/batches/b.csv']), [], 'the baseline is not checked');
    assert.equal(log.knows(key), true);
    assert.deepEqual(log.arm(key, ['data/batches/a.csv', 'data/batches/b.csv', 'data/batches/c.csv']), ['data/batches/c.csv']);
    log.mark(key, ['data/batches/c.csv'], 'checked');
    assert.deepEqual(log.arm(key, ['data/batches/a.csv', 'data/batches/b.csv', 'data/batches/c.csv']), [], 'nothing twice');
    // Another monitor over the same folder has its own baseline.
    const other = monitorKey('Other', 'data/batches/*.csv');
    assert.deepEqual(log.arm(other, ['data/batches/a.csv', 'data/batches/c.csv', 'data/batches/d.csv']), []);
    assert.deepEqual(log.arm(key, ['data/batches/d.csv']), ['data/batches/d.csv']);
    const lines = fs.readFileSync(batchLogFile(root), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.monitor, l.mark, l.file]), [
      [key, 'baseline', 'data/batches/a.csv'],
      [key, 'baseline', 'data/batches/b.csv'],
      [key, 'checked', 'data/batches/c.csv'],
      [other, 'baseline', 'data/batches/a.csv'],
      [other, 'baseline', 'data/batches/c.csv'],
      [other, 'baseline', 'data/batches/d.csv'],
    ]);
    assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.at))));
  });

  it('a monitor armed over an empty folder counts the first batch that appears as new', () => {
    const log = new BatchLog(tempDir());
    assert.deepEqual(log.arm(key, []), []);
    assert.equal(log.knows(key), true);
    assert.deepEqual(log.arm(key, ['data/batches/first.csv']), ['data/batches/first.csv']);
  });

  it('a broken line is reported and skipped, a partial last line (killed writer) ignored, and the file never rewritten', () => {
    const root = tempDir();
    const file = batchLogFile(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const good = JSON.stringify({ monitor: key, file: 'data/batches/a.csv', mark: 'baseline', at: '2026-11-29T10:00:00Z' });
    const text = `${good}\n{not json\n${JSON.stringify({ monitor: key, mark: 'checked' })}\n{"monitor":"${key}","file":"data/batches/b.csv","ma`;
    fs.writeFileSync(file, text);
    const problems: string[] = [];
    const log = new BatchLog(root, (f, m) => problems.push(`${path.basename(f)}: ${m}`));
    assert.deepEqual(log.arm(key, ['data/batches/a.csv', 'data/batches/b.csv']), ['data/batches/b.csv'], 'the partial line does not count');
    assert.deepEqual(problems, ['batches.jsonl: line 2: incomplete record (an interrupted write); skipped (the file is left as it is)', 'batches.jsonl: line 3: not a batch record (monitor, file, mark); skipped (the file is left as it is)']);
    assert.ok(fs.readFileSync(file, 'utf8').startsWith(text), 'appended to, never rewritten');
  });

  it('two processes marking at once lose no line', async () => {
    const root = tempDir();
    const mod = path.join(__dirname, '..', '..', 'src', 'core', 'monitoring', 'batchLog.js');
    const script = (who: string) => `const { BatchLog } = require(${JSON.stringify(mod)}); const l = new BatchLog(${JSON.stringify(root)}); for (let i = 0; i < 200; i++) l.mark('m', ['${who}-' + i], 'checked');`;
    // Started together and running at the same time (each writes 200 lines, one append per line).
    const codes = await Promise.all(['p', 'q'].map((w) => new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', script(w)], { stdio: 'inherit' }).on('exit', resolve))));
    assert.deepEqual(codes, [0, 0]);
    const seen = new BatchLog(root).read().get('m')!;
    assert.equal(seen.size, 400);
  });
});
