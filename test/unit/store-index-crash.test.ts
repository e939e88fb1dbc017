/**
 * The persistent store index under crashes and concurrent writers, as crash.test.ts tests the store itself: real
 * writer processes killed with SIGKILL at random instants, and two writers at once, while an index follows the store
 * with its cheap refresh; after each kill both that index and a fresh one opened from the saved snapshot must equal a
 * full scan of the run folders.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { StoreIndex } from '../../src/core/tracking/storeIndex';
import { Tracker } from '../../src/core/tracking/tracker';
import { spawnBulkWriter, tempDir, WRITER } from './helpers';
import { scanRows } from './storeIndexHelpers';

const ITERATIONS = Number(process.env.MLOPS_CRASH_ITERATIONS ?? 25);

/** Start the looping writer, kill it `ms` after it is up; meanwhile refresh `index` every few ms. */
function killAfter(root: string, ms: number, index: StoreIndex): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WRITER, 'loop', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const refresher = setInterval(() => index.refresh(), 7);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('close', () => {
      clearTimeout(timer);
      clearInterval(refresher);
      resolve(out.split('\n').filter((l) => l.startsWith('ack ')).length);
    });
  });
}

describe('store index crash safety', () => {
  it(`a writer killed at random points never leaves the index different from the folders (${ITERATIONS} kills)`, async () => {
    const root = path.join(tempDir(), '.mlops');
    const store = Tracker.open(root, { create: true }).store;
    const live = new StoreIndex(store);
    live.open();
    let acked = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      acked += await killAfter(root, Math.floor(Math.random() * 120), live);
      const truth = scanRows(store);
      const r = live.refresh();
      assert.equal(r.full, false, 'the journal explains every change');
      assert.deepEqual(live.rowsForTest(), truth, `iteration ${it}: the long-lived index equals a full scan`);
      live.save();
      const fresh = new StoreIndex(store);
      const rep = fresh.open();
      assert.equal(rep.from, 'snapshot');
      assert.deepEqual(fresh.rowsForTest(), truth, `iteration ${it}: an index opened from the snapshot equals a full scan`);
    }
    assert.ok(acked > ITERATIONS, `the writer made progress (${acked} acknowledged writes)`);
    assert.ok(live.size > 0);
  });

  it('two writers at once (500 runs each) while an index follows: the index equals a full scan', async () => {
    const root = path.join(tempDir(), '.mlops');
    const store = Tracker.open(root, { create: true }).store;
    const index = new StoreIndex(store);
    index.open();
    const refresher = setInterval(() => index.refresh(), 5);
    const spawnBulk = (tag: string) => spawnBulkWriter(root, 500, tag);
    // Kill a third writer at a random moment too.
    const third = killAfter(root, 50 + Math.floor(Math.random() * 100), index);
    await Promise.all([spawnBulk('A'), spawnBulk('B'), third]);
    clearInterval(refresher);
    const r = index.refresh();
    assert.equal(r.full, false);
    const truth = scanRows(store);
    assert.ok(truth.length >= 1000);
    assert.deepEqual(index.rowsForTest(), truth);
    const ids = index.pageIds({ filter: "params.writer = 'A'", limit: 1e6 });
    assert.equal(ids.total, 500);
  });

  it('the journal compacted again and again while two writers write and two indexes follow: both equal a full scan', async () => {
    const root = path.join(tempDir(), '.mlops');
    const store = Tracker.open(root, { create: true }).store;
    const a = new StoreIndex(store);
    a.open();
    const b = new StoreIndex(Tracker.open(root).store);
    b.open();
    const before = process.env.MLOPS_JOURNAL_COMPACT_BYTES;
    process.env.MLOPS_JOURNAL_COMPACT_BYTES = '2000'; // every save of `a` replaces the journal
    let compactions = 0;
    let fullRefreshes = 0;
    const inode = () => fs.statSync(store.journalFile, { throwIfNoEntry: false })?.ino;
    const refresher = setInterval(() => {
      if (b.refresh().full) fullRefreshes++;
      a.refresh();
    }, 5);
    const compactor = setInterval(() => {
      const was = inode();
      a.save();
      if (inode() !== was) compactions++;
    }, 7);
    try {
      const spawnBulk = (tag: string) => spawnBulkWriter(root, 500, tag);
      await Promise.all([spawnBulk('A'), spawnBulk('B')]);
    } finally {
      clearInterval(refresher);
      clearInterval(compactor);
      if (before === undefined) delete process.env.MLOPS_JOURNAL_COMPACT_BYTES;
      else process.env.MLOPS_JOURNAL_COMPACT_BYTES = before;
    }
    a.refresh();
    b.refresh();
    const truth = scanRows(store);
    assert.ok(truth.length >= 1000);
    assert.ok(compactions >= 3, `the journal was replaced while the writers wrote (${compactions} times)`);
    assert.ok(fullRefreshes >= 1, 'the follower saw a replaced journal and validated');
    assert.deepEqual(a.rowsForTest(), truth);
    assert.deepEqual(b.rowsForTest(), truth);
    assert.deepEqual(fs.readdirSync(store.indexDir).filter((n) => n.includes('compacting') || n.startsWith('.tmp-')), [], 'no lock or temporary file left');
  });
});
