/**
 * `npm run bench -- drift`: data drift on a 100,000-row reference × 1,000,000-row current × 20 numeric columns
 * (issue 7).
 *
 * Columns (fixed seed): normal reference; the current is the same distribution for some columns and shifted or
 * rescaled by small to large amounts for others (so every asymptotic kstwo branch is used), and 4 columns are
 * rounded to 2 decimals (ties). Times:
 *  1. driftColumn with the default method (reference > 1000 rows → normed Wasserstein) plus PSI, histogram and
 *     summaries — the full per-column report;
 *  2. the same with the method forced to 'ks';
 *  3. ks2samp alone (copy + sort + merge walk + p-value), and scipy.stats.ks_2samp on the same arrays (written to
 *     a temp dir, timed inside Python around the ks_2samp calls only) when /usr/bin/python3 has scipy
 *     (env SCIPY_PYTHON overrides); D and p are compared column by column.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasetDrift, driftColumn, type ColumnDriftResult } from '../../src/core/monitoring/stats/columnDrift';
import { ks2samp, type KsResult } from '../../src/core/monitoring/stats/ks';
import { Rng } from '../../src/core/util/random';
import { fmtMs, report, time } from './harness';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(REPO, 'scripts', 'scipy-reference.py');

interface Column {
  reference: Float64Array;
  current: Float64Array;
  label: string;
}

function makeColumns(nRef: number, nCur: number, cols: number): Column[] {
  const rng = new Rng(20240707);
  // (shift, scale, ties) per column: none, tiny, small, clear, large drift
  const kinds: [number, number, boolean][] = [
    [0, 1, false], [0, 1, false], [0, 1, true], [0.002, 1, false], [0.005, 1, false],
    [0.008, 1, false], [0.01, 1, true], [0.015, 1, false], [0.02, 1, false], [0.03, 1, false],
    [0, 1.01, false], [0, 1.02, true], [0, 1.05, false], [0.05, 1, false], [0.1, 1, false],
    [0.2, 1, true], [0.5, 1, false], [0, 1.5, false], [1, 1, false], [0, 1, false],
  ];
  const out: Column[] = [];
  for (let j = 0; j < cols; j++) {
    const [shift, scale, ties] = kinds[j % kinds.length];
    const reference = new Float64Array(nRef);
    const current = new Float64Array(nCur);
    for (let i = 0; i < nRef; i++) reference[i] = rng.normal();
    for (let i = 0; i < nCur; i++) current[i] = rng.normal() * scale + shift;
    if (ties) {
      for (let i = 0; i < nRef; i++) reference[i] = Math.round(reference[i] * 100) / 100;
      for (let i = 0; i < nCur; i++) current[i] = Math.round(current[i] * 100) / 100;
    }
    out.push({ reference, current, label: `shift ${shift}, scale ${scale}${ties ? ', ties' : ''}` });
  }
  return out;
}

function scipyPython(): string | undefined {
  const py = process.env.SCIPY_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(py, ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? py : undefined;
}

export async function driftBench(): Promise<void> {
  const nRef = Number(process.env.BENCH_DRIFT_REF ?? 100_000);
  const nCur = Number(process.env.BENCH_DRIFT_CUR ?? 1_000_000);
  const nCols = Number(process.env.BENCH_DRIFT_COLS ?? 20);
  console.log(`\nDrift: ${nRef.toLocaleString()}-row reference × ${nCur.toLocaleString()}-row current × ${nCols} numeric columns`);
  const gen = time(() => makeColumns(nRef, nCur, nCols));
  const columns = gen.value;
  console.log(`  (data generated in ${fmtMs(gen.ms)})`);

  // warm-up (JIT) on a small slice
  driftColumn(columns[0].reference.subarray(0, 5000), columns[0].current.subarray(0, 20000), 'numeric');
  ks2samp(columns[0].reference.subarray(0, 5000), columns[0].current.subarray(0, 20000));

  const full = time(() => columns.map((c) => driftColumn(c.reference, c.current, 'numeric')));
  const results: ColumnDriftResult[] = full.value;
  const ds = datasetDrift(results);
  report('drift', `driftColumn, default method (${results[0].method})`, fmtMs(full.ms), `${nCols} columns, ${fmtMs(full.ms / nCols)} each (+ PSI, histogram, summaries); ${ds.count}/${ds.total} drifted → dataset drift ${ds.drifted}`);

  const ksFull = time(() => columns.map((c) => driftColumn(c.reference, c.current, 'numeric', { method: 'ks' })));
  report('drift', `driftColumn, method 'ks'`, fmtMs(ksFull.ms), `${fmtMs(ksFull.ms / nCols)} each; ${ksFull.value.filter((r) => r.drifted).length}/${nCols} drifted at p ≤ 0.05`);

  const ours = time(() => columns.map((c) => ks2samp(c.reference, c.current)));
  const ks: KsResult[] = ours.value;
  report('drift', `ks2samp (sort + merge walk + p-value)`, fmtMs(ours.ms), `${fmtMs(ours.ms / nCols)} each, p-value method ${ks[0].method}`);

  const py = scipyPython();
  if (!py) {
    report('drift', 'scipy ks_2samp on the same arrays', 'n/a', 'no scipy (apt-get install python3-scipy, or set SCIPY_PYTHON)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-drift-'));
  try {
    const meta = { columns: columns.map((c, j) => ({ reference: `ref${j}.f64`, current: `cur${j}.f64`, label: c.label })) };
    columns.forEach((c, j) => {
      fs.writeFileSync(path.join(dir, `ref${j}.f64`), new Uint8Array(c.reference.buffer, c.reference.byteOffset, c.reference.byteLength));
      fs.writeFileSync(path.join(dir, `cur${j}.f64`), new Uint8Array(c.current.buffer, c.current.byteOffset, c.current.byteLength));
    });
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
    const r = spawnSync(py, [SCRIPT, 'bench', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      report('drift', 'scipy ks_2samp on the same arrays', 'failed', (r.stderr || r.stdout).trim().split('\n').pop());
      return;
    }
    const sp = JSON.parse(r.stdout) as { scipy: string; totalMs: number; columns: { statistic: number; pValue: number; ms: number }[] };
    report('drift', `scipy ${sp.scipy} ks_2samp, same arrays`, fmtMs(sp.totalMs), `${fmtMs(sp.totalMs / nCols)} each (timed inside Python)`);
    report('drift', 'ratio scipy / ours (ks2samp)', `${(sp.totalMs / ours.ms).toFixed(2)}×`, sp.totalMs >= ours.ms ? 'ours is faster' : 'scipy is faster');
    let maxD = 0;
    let maxRel = 0;
    sp.columns.forEach((s, j) => {
      maxD = Math.max(maxD, Math.abs(s.statistic - ks[j].statistic));
      if (s.pValue > 1e-300) maxRel = Math.max(maxRel, Math.abs(ks[j].pValue - s.pValue) / s.pValue);
      else maxRel = Math.max(maxRel, ks[j].pValue > 1e-300 ? Infinity : 0);
    });
    report('drift', 'vs scipy: max |ΔD|, max relative Δp', `${maxD.toExponential(1)}, ${maxRel.toExponential(1)}`, `p from ${Math.min(...sp.columns.map((c) => c.pValue)).toExponential(2)} to ${Math.max(...sp.columns.map((c) => c.pValue)).toFixed(3)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
