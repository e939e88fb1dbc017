/**
 * Training through the full run path (CSV read in a worker, split, fit, evaluate, artifacts written):
 * 1,000 × 5 and 10,000 × 10, 100 trees of depth 10, with the default engine; ml-random-forest (mljs) on the
 * small set only (its 10,000 × 10 fit takes ~19 minutes on this machine).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tracker } from '../../src/core/tracking/tracker';
import type { EngineName } from '../../src/core/training/engine';
import { defaultEngineName } from '../../src/core/training/engines';
import { trainRun } from '../../src/core/training/train';
import { Rng } from '../../src/core/util/random';
import { fmtMs, median, report } from './harness';

export function syntheticCsv(dir: string, n: number, d: number, seed = 1): string {
  const rng = new Rng(seed);
  const lines = [[...Array.from({ length: d }, (_, j) => `x${j}`), 'y'].join(',')];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => rng.next());
    const y = x.reduce((s, v, j) => s + (j + 1) * v, 0) + 3 * Math.sin(6 * x[0]) + (rng.next() - 0.5);
    lines.push([...x.map((v) => v.toFixed(6)), y.toFixed(6)].join(','));
  }
  const f = path.join(dir, `synthetic_${n}x${d}.csv`);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

export async function trainingBench(): Promise<void> {
  console.log('\nTraining through the run path (100 trees, max_depth 10, ordered 80/20 split)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-train-'));
  const tracker = Tracker.open(path.join(dir, '.mlops'), { create: true });
  const cases: { n: number; d: number; engines: EngineName[]; repeats: number }[] = [
    { n: 1000, d: 5, engines: [defaultEngineName(), 'mljs'], repeats: 3 },
    { n: 10_000, d: 10, engines: [defaultEngineName()], repeats: 3 },
  ];
  for (const c of cases) {
    const csv = syntheticCsv(dir, c.n, c.d);
    for (const eng of [...new Set(c.engines)]) {
      const fits: number[] = [];
      const walls: number[] = [];
      let rmseTest = 0;
      const repeats = eng === 'mljs' ? 1 : c.repeats;
      for (let r = 0; r < repeats; r++) {
        const t0 = Date.now();
        const res = await trainRun(tracker, { data: csv, target: 'y', engine: eng, params: { n_estimators: 100, max_depth: 10 } });
        walls.push(Date.now() - t0);
        fits.push(res.metrics.fit_seconds * 1000);
        rmseTest = res.metrics.rmse_test;
      }
      report('training', `${c.n.toLocaleString()} × ${c.d}, engine ${eng}: fit (median of ${repeats})`, fmtMs(median(fits)), `whole run ${fmtMs(median(walls))}, rmse_test ${rmseTest.toFixed(3)}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
