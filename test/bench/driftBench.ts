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
 *     (env SCIPY_PYTHON overrides); D and p are compared column by column;
 *  4. (issue 15) a whole check, checkDrift, on files: a 1,000,000-row batch × 200 numeric columns against a
 *     200,000-row reference, as CSV and as Parquet (snappy, row groups of 100,000), in a child process: wall time,
 *     CPU time and peak RSS (process.resourceUsage().maxRSS of the child). The files are generated once into
 *     test-output/bench-drift/ (about 2 GB of CSV and 1.6 GB of Parquet; delete the folder to reclaim it).
 *     BENCH_DRIFT_BIG_ROWS / _REF / _COLS change the sizes; BENCH_DRIFT_BIG=0 skips it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasetDrift, driftColumn, type ColumnDriftResult } from '../../src/core/monitoring/stats/columnDrift';
import { ks2samp, type KsResult } from '../../src/core/monitoring/stats/ks';
import { Rng } from '../../src/core/util/random';
import { writeParquetByRowGroup } from '../unit/parquetFiles';
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
  await columnBench();
  if (process.env.BENCH_DRIFT_BIG !== '0') await bigFileBench();
}

async function columnBench(): Promise<void> {
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

// ---------------------------------------------------------------------------------------------------------------
// 4. Whole checks on files, in a child process.

const BIG_DIR = path.join(REPO, 'test-output', 'bench-drift');

/** Column j of a generated table: normal values (4 decimals), some columns shifted in the batch. */
function bigColumns(rng: Rng, rows: number, cols: number, batch: boolean): Float64Array[] {
  return Array.from({ length: cols }, (_, j) => {
    const shift = batch && j % 10 === 0 ? 0.25 : 0;
    return Float64Array.from({ length: rows }, () => Math.round((rng.normal() * (1 + (j % 5)) + shift + j) * 1e4) / 1e4);
  });
}

/** A CSV and a Parquet file of the same generated data (kept between runs). */
async function bigFiles(name: string, rows: number, cols: number, batch: boolean): Promise<{ csv: string; parquet: string }> {
  fs.mkdirSync(BIG_DIR, { recursive: true });
  const base = path.join(BIG_DIR, `${name}-${rows}x${cols}`);
  const csv = `${base}.csv`;
  const parquet = `${base}.parquet`;
  const group = 100_000;
  const groups = Math.ceil(rows / group);
  const names = Array.from({ length: cols }, (_, j) => `f${j}`);
  const seed = (g: number) => new Rng((batch ? 1_000_003 : 7) + g);
  const groupRows = (g: number) => Math.min(group, rows - g * group);
  if (!fs.existsSync(csv)) {
    const fd = fs.openSync(`${csv}.tmp`, 'w');
    fs.writeSync(fd, names.join(',') + '\n');
    for (let g = 0; g < groups; g++) {
      const c = bigColumns(seed(g), groupRows(g), cols, batch);
      const lines: string[] = [];
      for (let i = 0; i < c[0].length; i++) lines.push(c.map((x) => x[i]).join(','));
      fs.writeSync(fd, lines.join('\n') + '\n');
    }
    fs.closeSync(fd);
    fs.renameSync(`${csv}.tmp`, csv);
  }
  if (!fs.existsSync(parquet)) {
    await writeParquetByRowGroup(`${parquet}.tmp`, names, groups, (g) => bigColumns(seed(g), groupRows(g), cols, batch));
    fs.renameSync(`${parquet}.tmp`, parquet);
  }
  return { csv, parquet };
}

/** checkDrift in a child process: wall and CPU time, peak RSS, the verdict. */
function childCheck(reference: string, current: string): { ms: number; cpuMs: number; maxRssMb: number; drifted: string } | { error: string } {
  const monitor = path.join(REPO, 'out', 'src', 'core', 'monitoring', 'monitor.js');
  const script = `const { checkDrift } = require(${JSON.stringify(monitor)});
const t0 = Date.now();
checkDrift(process.argv[1], process.argv[2]).then((r) => {
  const u = process.resourceUsage();
  console.log(JSON.stringify({ ms: Date.now() - t0, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMb: u.maxRSS / 1024, drifted: r.dataset.count + '/' + r.dataset.total }));
}, (e) => { console.error(e.message); process.exit(2); });`;
  const r = spawnSync(process.execPath, ['-e', script, reference, current], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.status}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function bigFileBench(): Promise<void> {
  const rows = Number(process.env.BENCH_DRIFT_BIG_ROWS ?? 1_000_000);
  const refRows = Number(process.env.BENCH_DRIFT_BIG_REF ?? 200_000);
  const cols = Number(process.env.BENCH_DRIFT_BIG_COLS ?? 200);
  console.log(`\nDrift check on files: ${refRows.toLocaleString()}-row reference × ${rows.toLocaleString()}-row batch × ${cols} numeric columns (child process; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)})`);
  const gen = Date.now();
  const ref = await bigFiles('reference', refRows, cols, false);
  const cur = await bigFiles('batch', rows, cols, true);
  console.log(`  (files ready in ${fmtMs(Date.now() - gen)}: batch ${(fs.statSync(cur.csv).size / 1e6).toFixed(0)} MB CSV, ${(fs.statSync(cur.parquet).size / 1e6).toFixed(0)} MB Parquet)`);
  for (const kind of ['csv', 'parquet'] as const) {
    const r = childCheck(ref[kind], cur[kind]);
    if ('error' in r) report('drift', `checkDrift ${kind.toUpperCase()} ${rows / 1e6} M × ${cols}`, 'failed', r.error);
    else report('drift', `checkDrift ${kind.toUpperCase()} ${rows / 1e6} M × ${cols}`, fmtMs(r.ms), `CPU ${fmtMs(r.cpuMs)}, peak RSS ${r.maxRssMb.toFixed(0)} MB, ${r.drifted} columns drifted; load average ${os.loadavg()[0].toFixed(1)}`);
  }
}
