/**
 * Crash and concurrency tests of the store: a writer killed with SIGKILL at random instants must leave every
 * completed write intact and readable; two writers at once must never corrupt or lose each other's runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Tracker } from '../../src/core/tracking/tracker';
import { spawnBulkWriter, tempDir, WRITER } from './helpers';

const ITERATIONS = Number(process.env.MLOPS_CRASH_ITERATIONS ?? 40);

function killAfter(root: string, ms: number): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WRITER, 'loop', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // The kill clock starts once the writer is up, so kills land inside the writes, not in Node's startup.
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('close', () => {
      clearTimeout(timer);
      // Only lines that were completely printed count as acknowledged.
      resolve(out.split('\n').slice(0, -1).filter((l) => l.startsWith('ack ')));
    });
  });
}

describe('crash safety', () => {
  it(`a writer killed at random points leaves every acknowledged write intact (${ITERATIONS} kills)`, async () => {
    const root = path.join(tempDir(), '.mlops');
    Tracker.open(root, { create: true });
    let acked = 0;
    const expected = new Map<string, { metrics: number; tag: boolean; artifact: boolean; ended: boolean }>();
    for (let it = 0; it < ITERATIONS; it++) {
      const lines = await killAfter(root, Math.floor(Math.random() * 150));
      for (const line of lines) {
        const [, what, id, step] = line.split(' ');
        if (what === 'created') expected.set(id, { metrics: 0, tag: false, artifact: false, ended: false });
        const e = expected.get(id)!;
        if (what === 'metric') e.metrics = Number(step) + 1;
        if (what === 'tag') e.tag = true;
        if (what === 'artifact') e.artifact = true;
        if (what === 'ended') e.ended = true;
        acked++;
      }
      const t = Tracker.open(root);
      const snap = t.snapshot();
      assert.deepEqual(snap.problems, [], `iteration ${it}: no corrupt files`);
      const byId = new Map(snap.runs.map((r) => [r.id, r]));
      for (const [id, e] of expected) {
        const r = byId.get(id);
        assert.ok(r, `iteration ${it}: acknowledged run ${id} is readable`);
        const points = t.metricHistory(id).filter((p) => p.key === 'loss');
        assert.ok(points.length >= e.metrics, `run ${id}: ${points.length} metric values, ${e.metrics} acknowledged`);
        if (e.tag) assert.equal(r.tags.phase, 'tagged');
        if (e.artifact) {
          const a = r.artifacts.find((x) => x.path === 'result.json');
          assert.ok(a, 'acknowledged artifact recorded');
          const parsed = JSON.parse(fs.readFileSync(t.artifactPath(id, 'result.json'), 'utf8'));
          assert.equal(parsed.payload.length, 2000);
        }
        if (e.ended) assert.equal(r.effectiveStatus, 'completed');
        // Not acknowledged as ended: it may have ended just before the kill, else it shows as interrupted.
        else assert.ok(r.effectiveStatus === 'completed' || (r.effectiveStatus === 'failed' && r.interrupted), `unfinished run ${id} shows as interrupted, not running`);
      }
    }
    assert.ok(acked > ITERATIONS, `the writer made progress (${acked} acknowledged writes)`);
  });

  it('two processes writing 500 runs each at the same time give 1000 valid runs', async () => {
    const root = path.join(tempDir(), '.mlops');
    const spawnBulk = (tag: string) => spawnBulkWriter(root, 500, tag);
    await Promise.all([spawnBulk('A'), spawnBulk('B')]);
    const t = Tracker.open(root);
    const snap = t.snapshot();
    assert.deepEqual(snap.problems, []);
    assert.equal(snap.runs.length, 1000);
    assert.equal(snap.experiments.length, 1, 'both writers share one experiment document');
    for (const tag of ['A', 'B']) {
      const mine = snap.runs.filter((r) => r.params.writer === tag);
      assert.equal(mine.length, 500);
      assert.deepEqual(new Set(mine.map((r) => r.params.i)).size, 500);
      for (const r of mine) {
        assert.equal(r.effectiveStatus, 'completed');
        assert.deepEqual(r.metrics, { a: r.params.i, b: (r.params.i as number) * 2, c: r.params.i });
      }
    }
  });
});
