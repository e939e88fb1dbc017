/**
 * drift-robustness (issue 18 #17–#19): generated reference/batch pairs with extreme values — 1e200, ±1e308,
 * ±Infinity, NaN, subnormals, tiny and huge scales, constant and all-missing columns, 0–3-row samples, and a real
 * 5σ shift hidden behind a few outliers — through the core drift test (driftColumn, every method), checkDrift with
 * a model (performance on 1–3 rows, constant targets) and the real `mlops drift` CLI.
 *
 * Every case must end with finite scores or an explicit untested finding (a note, and in a report a data_quality
 * alert), never a NaN verdict or an exception; a real shift must be detected; each case within a time limit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDrift, type DriftReport } from '../../../src/core/monitoring/monitor';
import { type ColumnDriftResult, driftColumn, type DriftMethod } from '../../../src/core/monitoring/stats';
import { Registry } from '../../../src/core/registry/registry';
import { loadModelByUri } from '../../../src/core/registry/uri';
import { createSampleWorkspace } from '../../../src/core/sample/sampleWorkspace';
import { Tracker } from '../../../src/core/tracking/tracker';
import { trainRun } from '../../../src/core/training/train';
import { prng, Tally, type TortureFamily } from '../family';

const CLI = path.resolve(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');
/** Per case; generous because three helpers share two cores. */
const CASE_MS = 5000;
const EXTREMES = [1e200, -1e200, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, NaN, 5e-324, -0];
const SCALES = [1e-300, 1e-9, 1, 1e9, 1e300];
const METHODS: (DriftMethod | undefined)[] = [undefined, undefined, undefined, 'ks', 'wasserstein', 'jensenshannon', 'psi', 'chisquare', 'z'];
/** Methods that must see a 5σ location shift (z compares only the smallest value's share, so it may not). */
const SHIFT_METHODS = new Set<DriftMethod | undefined>([undefined, 'ks', 'wasserstein', 'jensenshannon', 'psi', 'chisquare']);

interface Sample {
  values: number[];
  label: string;
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A generated pair: reference and current (shifted by 5σ when `shift`), with extremes injected. */
interface Generated {
  ref: Sample;
  cur: Sample;
  shift: boolean;
  scale: number;
  dirty: number;
  constant: boolean;
  /** The pair without the injected extreme values. */
  clean: { ref: number[]; cur: number[] };
}

function generate(r: () => number): Generated {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const scale = pick(SCALES);
  const loc = pick([0, 0, 10, -1e3]);
  const nRef = pick([0, 1, 2, 3, 50, 500, 1500, 5000]);
  const nCur = pick([0, 1, 2, 3, 30, 300]);
  const constant = r() < 0.1;
  const allMissing = r() < 0.08 ? pick(['ref', 'cur'] as const) : null;
  const shift = nRef >= 50 && nCur >= 30 && !constant && !allMissing && r() < 0.5;
  const make = (n: number, sh: number) => Array.from({ length: n }, () => (constant ? loc * scale : (loc + gauss(r) + sh) * scale));
  const ref = make(nRef, 0);
  const cur = make(nCur, shift ? 5 : 0);
  let dirty = 0;
  const labels: string[] = [];
  const injected = { ref: new Set<number>(), cur: new Set<number>() };
  if (allMissing === 'ref') ref.fill(NaN);
  if (allMissing === 'cur') cur.fill(NaN);
  if (allMissing) labels.push(`all-missing ${allMissing}`);
  // A few extreme values: mostly in the reference (the issue's case), sometimes in the batch. With a shift, at
  // most 2 in the batch, so that the bulk of the batch still carries the shift.
  const k = r() < 0.75 ? 1 + Math.floor(r() * 3) : 0;
  for (let i = 0; i < k; i++) {
    const side = r() < 0.7 ? ref : cur;
    if (!side.length) continue;
    const v = pick(EXTREMES);
    const at = Math.floor(r() * side.length);
    side[at] = v;
    injected[side === ref ? 'ref' : 'cur'].add(at);
    labels.push(`${side === ref ? 'ref' : 'cur'}:${v}`);
    dirty++;
  }
  const label = `scale ${scale} loc ${loc} ref ${nRef} cur ${nCur}${constant ? ' constant' : ''}${shift ? ' SHIFT 5σ' : ''} ${labels.join(' ')}`.trim();
  const clean = { ref: ref.filter((_, i) => !injected.ref.has(i)), cur: cur.filter((_, i) => !injected.cur.has(i)) };
  return { ref: { values: ref, label }, cur: { values: cur, label }, shift, scale, dirty, constant, clean };
}

/** What is wrong with one column result, or undefined. */
function columnProblem(d: ColumnDriftResult): string | undefined {
  if (!d.tested) {
    if (!d.note || !/^not tested: /.test(d.note)) return `untested without a reason (note ${d.note})`;
    if (d.drifted) return 'untested but drifted';
    return undefined;
  }
  if (!Number.isFinite(d.score)) return `tested with a non-finite score ${d.score} (a NaN verdict)`;
  if (Number.isNaN(d.statistic)) return 'tested with a NaN statistic';
  if (d.pValue !== null && !(d.pValue >= 0 && d.pValue <= 1)) return `p-value ${d.pValue}`;
  if (d.psi !== null && !Number.isFinite(d.psi)) return `PSI ${d.psi}`;
  if (d.histogram.kind === 'numeric' && !d.histogram.edges.every(Number.isFinite)) return `histogram edges ${d.histogram.edges.slice(0, 4).join(',')}…`;
  for (const s of [d.referenceSummary, d.currentSummary]) {
    if (s.kind === 'numeric' && [s.mean, s.std, s.min, s.max].some((v) => v !== null && !Number.isFinite(v))) return `summary not finite: ${JSON.stringify(s)}`;
  }
  return undefined;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

const csvValue = (v: number) => (Number.isNaN(v) ? '' : String(v));

export const family: TortureFamily = {
  name: 'drift-robustness',
  description: 'extreme values, tiny/huge scales, constant/all-missing columns, 0-3-row samples and a 5σ shift behind outliers: finite scores or an untested finding, shift detected, no NaN verdict',
  async run({ quick, seed }) {
    const t = new Tally();
    const r = prng(seed ^ 0x5eed17);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-torture-drift-'));
    try {
      // 1. The core test, every method, on generated pairs.
      const nCore = quick ? 60 : 3000;
      for (let i = 0; i < nCore; i++) {
        const g = generate(r);
        const method = METHODS[Math.floor(r() * METHODS.length)];
        await t.case(`core #${i} ${method ?? 'default'} ${g.ref.label}`, async () => {
          const { value: d, ms } = await timed(() => driftColumn(g.ref.values, g.cur.values, 'numeric', method ? { method } : {}));
          if (ms > CASE_MS) return `took ${ms} ms`;
          const p = columnProblem(d);
          if (p) return p;
          if (g.shift && SHIFT_METHODS.has(method) && g.dirty <= 3 && !d.drifted) return `5σ shift not detected: ${d.method} score ${d.score} (threshold ${d.threshold})`;
          // The other side of the issue: a few outliers in the reference must not make drift out of a pair that
          // clearly has none (gross outliers in the batch may: they sit at the fence, 20 IQR out, and are reported)
          // in samples where they are a small fraction (Evidently's Wasserstein rule itself flags ~20 % of same-distribution 1500/300 pairs, so compare with
          // the verdict on the same pair without the injected values, and only when that is clearly no drift).
          if (!g.shift && g.dirty > 0 && g.clean.cur.length === g.cur.values.length && d.drifted && d.method === 'wasserstein' && g.clean.ref.length >= 50 && g.clean.cur.length >= 30) {
            const c = driftColumn(g.clean.ref, g.clean.cur, 'numeric', { method: 'wasserstein' });
            if (c.tested && c.score < c.threshold / 2) return `the outliers made drift: wasserstein ${d.score}, ${c.score} without them`;
          }
          return undefined;
        });
      }

      // 2. The real CLI on CSV files: the issue's exact case, then generated ones with a categorical and an all-missing column.
      const write = (name: string, header: string, rows: string[]) => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, [header, ...rows].join('\n') + '\n');
        return f;
      };
      const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' }, timeout: 30_000, maxBuffer: 256 * 1024 * 1024 });
      const nCli = quick ? 6 : 100;
      for (let i = 0; i < nCli; i++) {
        const g = i === 0 ? exactCase(r) : generate(r);
        const blankCol = r() < 0.3 ? (r() < 0.5 ? 'ref' : 'cur') : null;
        await t.case(`cli #${i} ${g.ref.label}${blankCol ? ` blank column in ${blankCol}` : ''}`, () => {
          const rows = (s: number[], side: 'ref' | 'cur') => s.map((v, k) => `${csvValue(v)},${['a', 'b', 'c'][k % 3]},${blankCol === side ? '' : k % 5}`);
          const ref = write(`ref-${i}.csv`, 'x,kind,blank', rows(g.ref.values, 'ref'));
          const cur = write(`cur-${i}.csv`, 'x,kind,blank', rows(g.cur.values, 'cur'));
          const t0 = Date.now();
          const res = cli('drift', '--reference', ref, '--current', cur, '--no-save', '--json');
          const ms = Date.now() - t0;
          if (res.error) return `spawn: ${res.error.message}`;
          if (ms > 6 * CASE_MS) return `took ${ms} ms`;
          if (/\n\s+at /.test(res.stderr)) return `stack trace: ${res.stderr.slice(0, 300)}`;
          if (g.ref.values.length === 0 || g.cur.values.length === 0) return res.status === 2 && /is not a number/.test(res.stderr) ? undefined : res.status === 2 && /no data rows/.test(res.stderr) ? undefined : `empty side: exit ${res.status} ${res.stderr.slice(0, 200)}`;
          // ±Infinity written as text is not a number for the CSV reader: bad input with the file, row and column.
          if (res.status === 2 && [...g.ref.values, ...g.cur.values].some((v) => v === Infinity || v === -Infinity)) return /\.csv, row \d+, column 'x': '-?Infinity' is not a number/.test(res.stderr) ? undefined : `exit 2 without the row: ${res.stderr.slice(0, 300)}`;
          if (res.status !== 0 && res.status !== 3) return `exit ${res.status}: ${res.stderr.slice(0, 300)}`;
          const report = JSON.parse(res.stdout) as DriftReport;
          const problem = reportProblem(report);
          if (problem) return problem;
          if ((res.status === 3) !== report.alerts.length > 0) return `exit ${res.status} with ${report.alerts.length} alerts`;
          const x = report.columns.find((c) => c.name === 'x')!;
          if (g.shift && g.dirty <= 3 && x.columnType === 'numeric' && !x.drifted) return `5σ shift not detected: ${x.method} ${x.score}`;
          if (g.shift && g.dirty <= 3 && res.status !== 3) return 'shift without exit 3';
          return undefined;
        });
      }

      // 3. checkDrift with a model: performance on 0–3 labelled rows and on a constant target never alerts on an undefined metric.
      const ws = path.join(dir, 'ws');
      createSampleWorkspace(ws);
      const tracker = Tracker.open(path.join(ws, '.mlops'));
      const trained = await trainRun(tracker, { data: path.join(ws, 'data', 'wafer_yield.csv'), target: 'yield', engine: 'mljs', params: { n_estimators: 3, max_depth: 3 } });
      const registry = new Registry(tracker.store, { identity: { osUser: 't', display: 't' } });
      registry.register(tracker, trained.run.id, 'M');
      const { version, loaded } = loadModelByUri(registry, 'models:/M/1');
      const model = { uri: 'models:/M/1', name: 'M', version: version.version, loaded };
      const lines = fs.readFileSync(path.join(ws, 'data', 'wafer_yield.csv'), 'utf8').trim().split('\n');
      const nModel = quick ? 8 : 80;
      for (let i = 0; i < nModel; i++) {
        const n = 1 + Math.floor(r() * 4); // 1..4 rows
        const constant = r() < 0.4;
        const missingTarget = r() < 0.3 ? Math.floor(r() * n) + 1 : 0;
        const picked = Array.from({ length: n }, () => lines[1 + Math.floor(r() * (lines.length - 1))]);
        const rows = picked.map((l, k) => l.replace(/,[^,]*$/, k < missingTarget ? ',' : constant ? ',90' : `,${l.split(',').at(-1)}`));
        await t.case(`model #${i}: ${n} rows${constant ? ', constant target' : ''}${missingTarget ? `, ${missingTarget} without target` : ''}`, async () => {
          const f = path.join(dir, `m-${i}.csv`);
          fs.writeFileSync(f, [lines[0], ...rows].join('\n') + '\n');
          const { value: rep, ms } = await timed(() => checkDrift(path.join(ws, 'data', 'wafer_yield.csv'), f, { model }));
          if (ms > CASE_MS) return `took ${ms} ms`;
          const problem = reportProblem(rep);
          if (problem) return problem;
          const perf = rep.performance;
          if (!perf) return 'no performance section';
          const labelled = n - missingTarget;
          if (perf.rows !== labelled) return `performance rows ${perf.rows}, expected ${labelled}`;
          if (labelled < 2 && (perf.checks.length || rep.alerts.some((a) => a.type === 'performance'))) return `a metric on ${labelled} labelled row(s): ${JSON.stringify(perf.checks)}`;
          const labelledValues = rows.slice(missingTarget).map((l) => l.split(',').at(-1));
          const isConstant = labelledValues.every((v) => v === labelledValues[0]);
          if (isConstant && perf.checks.some((c) => c.metric === 'r2')) return 'R² on a constant target';
          if (perf.checks.some((c) => !Number.isFinite(c.current) || !Number.isFinite(c.degradation))) return `non-finite check ${JSON.stringify(perf.checks)}`;
          return undefined;
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return t;
  },
};

/** The issue's case: 5,000 N(0,1) reference rows with one 1e200, a batch of 300 shifted by 5σ. */
function exactCase(r: () => number): Generated {
  const ref = Array.from({ length: 5000 }, () => gauss(r));
  ref[Math.floor(r() * 5000)] = 1e200;
  const cur = Array.from({ length: 300 }, () => gauss(r) + 5);
  const label = "issue 18's case: 5000 rows with one 1e200, batch shifted 5σ";
  return { ref: { values: ref, label }, cur: { values: cur, label }, shift: true, scale: 1, dirty: 1, constant: false, clean: { ref: ref.filter((v) => v !== 1e200), cur } };
}

/** What is wrong with a whole report: a column or prediction problem, an untested column without its finding. */
function reportProblem(report: DriftReport): string | undefined {
  for (const c of [...report.columns, ...(report.prediction ? [{ ...report.prediction, name: 'prediction' }] : [])]) {
    const p = columnProblem(c as ColumnDriftResult);
    if (p) return `${(c as { name: string }).name}: ${p}`;
    if (!c.tested && !report.alerts.some((a) => a.type === 'data_quality' && a.subject === (c as { name: string }).name)) return `${(c as { name: string }).name} untested without a data_quality alert`;
  }
  const untested = report.columns.filter((c) => !c.tested).length;
  if (report.dataset.untested !== untested) return `dataset.untested ${report.dataset.untested}, ${untested} untested columns`;
  for (const c of report.columns) {
    const cur = (c.missing.current + c.nonFinite.current) / report.current.rows;
    if (report.current.rows > 0 && cur === 1 && !report.alerts.some((a) => a.type === 'data_quality' && a.subject === c.name && a.severity === 'critical')) return `${c.name} 100 % missing without a critical alert`;
  }
  if (report.alerts.some((a) => typeof a.score !== 'number' || Number.isNaN(a.score))) return 'an alert with a NaN score';
  return undefined;
}
