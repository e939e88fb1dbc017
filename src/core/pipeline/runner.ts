/**
 * Runs a pipeline: the seed's six stages, for real.
 *   1 data validation  columns and types, missing share, ranges (configured, or the reference's ± tolerance),
 *                      minimum rows, duplicate rows, data hash
 *   2 training         a tracked run (built-in trainer or the user's command)
 *   3 evaluation       gates: min_r2, max_rmse, max_mae, min_accuracy, min_f1, and "beat the current Production
 *                      version by X % on the same test set" (that model is loaded and scored on the new test rows)
 *   4 registration     a new version linked to the run and the pipeline run
 *   5 deployment       the version moves to Staging
 *   6 smoke test       the registered artifact is loaded fresh through its URI; predictions on held-out rows must be
 *                      finite and plausible; single-row latency p50/p95 against a budget; the accuracy is checked
 *                      again on the loaded model. On failure the new version is archived (an automatic rollback event)
 *                      and the previous Staging/Production versions stay as they were.
 * A failing stage stops the pipeline (later stages skipped) and the record says why. Then, when every gate passed
 * and on_success is production, the version is promoted (the registry's promoter rule applies).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTable } from '../data/table';
import type { Column, Dataset } from '../data/dataset';
import { registryOptions } from '../registry/config';
import { Registry } from '../registry/registry';
import { loadModelByUri } from '../registry/uri';
import { findConfig, loadConfig } from '../config/config';
import type { Tracker } from '../tracking/tracker';
import type { Run } from '../store/types';
import { runCommandTrainer } from '../training/commandTrainer';
import { classificationMetrics, mae, r2, rmse } from '../training/metrics';
import { encodeForPrediction, prepare, split } from '../training/prepare';
import { trainRun } from '../training/train';
import { AbortError, UserInputError } from '../util/errors';
import type { PipelineDefinition } from './definition';
import { Check, newRecord, PipelineRecords, PipelineRunRecord, StageName, StageRecord, Trigger } from './record';
import { globFiles } from '../util/glob';

export interface PipelineControl {
  signal?: AbortSignal;
  onStage?: (stage: StageRecord, record: PipelineRunRecord) => void;
  onLog?: (line: string) => void;
  coalesced?: Trigger[];
}

export class StageFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageFailure';
  }
}

/** The data file a pipeline reads: the file itself, or the newest file matching the glob. */
export function resolveDataSource(def: PipelineDefinition): string {
  const src = def.data.source;
  if (!/[*?[]/.test(src)) return path.resolve(def.dir, src);
  const files = globFiles(def.dir, src);
  if (!files.length) throw new UserInputError(`${def.file}: no file matches data.source '${src}'.`);
  return files.map((f) => ({ f, m: fs.statSync(f).mtimeMs })).sort((a, b) => b.m - a.m || b.f.localeCompare(a.f))[0].f;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

function numericRange(c: Column): [number, number] | undefined {
  if (c.type !== 'numeric') return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of c.values) {
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Stage 1: every check named, each with its value. */
export async function validateData(def: PipelineDefinition, file: string): Promise<{ checks: Check[]; dataset: Dataset; details: Record<string, unknown> }> {
  const ds = await loadTable(file, { missing: 'median' });
  const reference = def.data.reference ? await loadTable(path.resolve(def.dir, def.data.reference), { missing: 'median' }) : undefined;
  const checks: Check[] = [];
  const n = ds.info.rows;
  const cols = new Map(ds.columns.map((c) => [c.name, c]));
  const required = def.validation.required_columns ?? (reference ? reference.columns.map((c) => c.name) : [def.data.target]);
  const missingCols = required.filter((c) => !cols.has(c));
  checks.push({ name: 'required columns', passed: missingCols.length === 0, detail: missingCols.length ? `missing: ${missingCols.join(', ')}` : `${required.length} present` });
  if (reference) {
    const wrong = reference.columns.filter((rc) => cols.has(rc.name) && cols.get(rc.name)!.type !== rc.type).map((rc) => `${rc.name} is ${cols.get(rc.name)!.type}, reference ${rc.type}`);
    checks.push({ name: 'column types', passed: wrong.length === 0, detail: wrong.length ? wrong.join('; ') : 'match the reference' });
  }
  const missing = Object.entries(ds.info.missing.imputed).map(([c, k]) => ({ c, share: k / n })).filter((x) => x.share > def.validation.max_missing_share);
  checks.push({ name: 'missing values', passed: missing.length === 0, detail: missing.length ? missing.map((x) => `${x.c} ${(x.share * 100).toFixed(1)} %`).join(', ') + ` (allowed ${(def.validation.max_missing_share * 100).toFixed(1)} %)` : `within ${(def.validation.max_missing_share * 100).toFixed(1)} %` });
  checks.push({ name: 'minimum rows', passed: n >= def.validation.min_rows, detail: `${n} rows (minimum ${def.validation.min_rows})` });
  // Ranges: configured bounds win; otherwise the reference's observed range ± tolerance × its width.
  const rangeProblems: string[] = [];
  for (const c of ds.columns) {
    const got = numericRange(c);
    if (!got) continue;
    let bounds = def.validation.ranges[c.name];
    let source = 'configured';
    if (!bounds && reference) {
      const rc = reference.columns.find((x) => x.name === c.name);
      const rr = rc ? numericRange(rc) : undefined;
      if (rr) {
        const w = (rr[1] - rr[0]) * def.validation.range_tolerance;
        bounds = [rr[0] - w, rr[1] + w];
        source = `reference ± ${(def.validation.range_tolerance * 100).toFixed(0)} %`;
      }
    }
    if (!bounds) continue;
    if (got[0] < bounds[0] || got[1] > bounds[1]) rangeProblems.push(`${c.name} spans [${+got[0].toFixed(4)}, ${+got[1].toFixed(4)}], ${source} range [${+bounds[0].toFixed(4)}, ${+bounds[1].toFixed(4)}]`);
  }
  checks.push({ name: 'value ranges', passed: rangeProblems.length === 0, detail: rangeProblems.length ? rangeProblems.join('; ') : 'every column within its range' });
  const seen = new Set<string>();
  let dups = 0;
  for (let i = 0; i < n; i++) {
    const key = ds.columns.map((c) => (c.type === 'numeric' ? c.values[i] : c.codes[i])).join('\u0001');
    if (seen.has(key)) dups++;
    else seen.add(key);
  }
  const dupFail = def.validation.duplicates === 'fail' && dups > 0;
  checks.push({ name: 'duplicate rows', passed: !dupFail, warning: dups > 0 && !dupFail && def.validation.duplicates === 'warn', detail: `${dups} duplicate row${dups === 1 ? '' : 's'}` });
  return { checks, dataset: ds, details: { file, sha256: ds.info.sha256, rows: n, columns: ds.info.columns.length } };
}

function sliceDataset(ds: Dataset, rows: Uint32Array): Dataset {
  return {
    info: { ...ds.info, rows: rows.length },
    columns: ds.columns.map((c) => (c.type === 'numeric' ? { ...c, values: Float64Array.from(rows, (i) => c.values[i]) } : { ...c, codes: Int32Array.from(rows, (i) => c.codes[i]) })),
  };
}

type Validation = Awaited<ReturnType<typeof validateData>>;
type ProductionModel = ReturnType<typeof loadModelByUri>;

/** One pipeline run's record and its stages' lifecycle: each change is saved and reported as it happens. */
class StageRunner {
  /** The stage that started last. */
  current: StageRecord | undefined;

  constructor(
    private readonly records: PipelineRecords,
    readonly rec: PipelineRunRecord,
    private readonly control: PipelineControl,
  ) {}

  log(line: string): void {
    this.control.onLog?.(line);
  }

  start(name: StageName): StageRecord {
    if (this.control.signal?.aborted) throw new AbortError('Pipeline cancelled');
    const s = this.rec.stages.find((x) => x.name === name)!;
    this.current = s;
    s.status = 'running';
    s.startTime = Date.now();
    this.records.save(this.rec);
    this.control.onStage?.(s, this.rec);
    this.log(`▶ ${s.title}`);
    return s;
  }

  finish(s: StageRecord, status: 'passed' | 'failed'): void {
    s.status = status;
    s.durationMs = Date.now() - s.startTime!;
    this.records.save(this.rec);
    this.control.onStage?.(s, this.rec);
    for (const c of s.checks) this.log(`   ${c.passed ? (c.warning ? '⚠' : '✓') : '✗'} ${c.name}: ${c.detail}`);
    this.log(`${status === 'passed' ? '✓' : '✗'} ${s.title} ${status} (${s.durationMs} ms)`);
  }

  /** Passed when every check passed; else failed, and the pipeline stops with a StageFailure naming the checks. */
  passOrStop(s: StageRecord): void {
    const failed = s.checks.filter((c) => !c.passed);
    if (failed.length) {
      this.finish(s, 'failed');
      throw new StageFailure(`${s.title} failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`);
    }
    this.finish(s, 'passed');
  }
}

export async function runPipeline(tracker: Tracker, def: PipelineDefinition, trigger: Trigger, control: PipelineControl = {}): Promise<PipelineRunRecord> {
  const records = new PipelineRecords(tracker.store);
  const cfgFile = findConfig(def.dir);
  const registry = new Registry(tracker.store, registryOptions(cfgFile ? loadConfig(cfgFile) : undefined));
  const rec = newRecord(def.name, def.file, def.model, trigger, control.coalesced);
  const st = new StageRunner(records, rec, control);
  records.save(rec);
  st.log(`Pipeline ${def.name} (${rec.id}) triggered by ${trigger}${rec.coalesced ? ` (+ ${rec.coalesced.join(', ')})` : ''}`);
  try {
    const { dataFile, v } = await validationStage(st, def);
    const run = await trainingStage(st, tracker, def, trigger, dataFile, v, control.signal);
    evaluationStage(st, def, registry, run, v);
    const version = registrationStage(st, tracker, def, registry, run, trigger);
    deploymentStage(st, def, registry, version);
    smokeTestStage(st, def, registry, run, version, v);
    rec.status = 'passed';
    if (def.on_success === 'production') promote(st, def, registry, version);
  } catch (e) {
    recordFailure(st, e, control.signal);
  }
  for (const s of rec.stages) if (s.status === 'pending') s.status = 'skipped';
  rec.endTime = Date.now();
  records.save(rec);
  return rec;
}

/** The stage that was running fails; the record says why (cancelled, a stage failed, or an error). */
function recordFailure(st: StageRunner, e: unknown, signal: AbortSignal | undefined): void {
  const { rec, current } = st;
  const cancelled = e instanceof AbortError || (e as Error)?.name === 'AbortError' || signal?.aborted;
  if (current && current.status === 'running') {
    current.status = 'failed';
    current.durationMs = Date.now() - current.startTime!;
    if (!cancelled) current.checks.push({ name: 'error', passed: false, detail: (e as Error).message });
  }
  rec.status = cancelled ? 'cancelled' : e instanceof StageFailure ? 'failed' : 'error';
  rec.failedStage = current?.name;
  rec.reason = cancelled ? `cancelled during ${current?.title ?? 'start'}` : (e as Error).message;
  st.log(`✗ Pipeline ${rec.status}: ${rec.reason}`);
}

/** 1. Data validation. */
async function validationStage(st: StageRunner, def: PipelineDefinition): Promise<{ dataFile: string; v: Validation }> {
  const s1 = st.start('data_validation');
  const dataFile = resolveDataSource(def);
  const v = await validateData(def, dataFile);
  s1.checks = v.checks;
  s1.details = v.details;
  st.rec.data = { file: path.relative(def.dir, dataFile).split(path.sep).join('/') || dataFile, sha256: v.dataset.info.sha256, rows: v.dataset.info.rows };
  st.passOrStop(s1);
  return { dataFile, v };
}

/** 2. Training: the user's command (which must complete) or the built-in trainer on the validated data. */
async function trainingStage(st: StageRunner, tracker: Tracker, def: PipelineDefinition, trigger: Trigger, dataFile: string, v: Validation, signal: AbortSignal | undefined): Promise<Run> {
  const s2 = st.start('training');
  const tags = { pipeline: def.name, pipeline_run: st.rec.id, trigger };
  let run: Run;
  if (def.trainer.kind === 'command') {
    const res = await runCommandTrainer(tracker, { command: def.trainer.command!, cwd: def.dir, experiment: def.experiment, params: def.trainer.params as Record<string, string>, tags, env: { MLOPS_DATA: dataFile, MLOPS_TARGET: def.data.target } }, { signal, onOutput: (l) => st.log(`   | ${l}`) });
    run = res.run;
    if (run.effectiveStatus !== 'completed') {
      s2.checks = [{ name: 'training command', passed: false, detail: `exit code ${res.exitCode}` }];
      s2.details = { runId: run.id };
      st.rec.runId = run.id;
      st.passOrStop(s2);
    }
  } else {
    const relData = path.relative(path.dirname(tracker.store.root), dataFile).split(path.sep).join('/');
    const res = await trainRun(tracker, { data: dataFile, dataLabel: relData.startsWith('..') ? dataFile : relData, dataset: v.dataset, target: def.data.target, task: def.data.task, engine: def.trainer.engine, params: def.trainer.params, testSize: def.trainer.test_size, split: def.trainer.split, missing: 'median', experiment: def.experiment, tags, source: 'pipeline' }, { signal });
    run = res.run;
  }
  st.rec.runId = run.id;
  s2.details = { runId: run.id, runName: run.name, experiment: run.experimentName, params: run.params, fit_seconds: run.metrics.fit_seconds };
  s2.checks = [{ name: 'run completed', passed: true, detail: `${run.name} (${run.id.slice(0, 8)})` }];
  st.finish(s2, 'passed');
  return run;
}

/** 3. Evaluation: the gates on the run's metrics, and beat_production_by against the Production model. */
function evaluationStage(st: StageRunner, def: PipelineDefinition, registry: Registry, run: Run, v: Validation): void {
  const s3 = st.start('evaluation');
  const m = run.metrics;
  const g = def.gates;
  const gate = (name: string, value: number | undefined, ok: (x: number) => boolean, want: string) =>
    s3.checks.push(value === undefined ? { name, passed: false, detail: `the run has no such metric (needed: ${want})` } : { name, passed: ok(value), detail: `${+value.toFixed(4)} (${want})` });
  if (g.min_r2 !== undefined) gate('min_r2', m.r2_test, (x) => x >= g.min_r2!, `≥ ${g.min_r2}`);
  if (g.max_rmse !== undefined) gate('max_rmse', m.rmse_test, (x) => x <= g.max_rmse!, `≤ ${g.max_rmse}`);
  if (g.max_mae !== undefined) gate('max_mae', m.mae_test, (x) => x <= g.max_mae!, `≤ ${g.max_mae}`);
  if (g.min_accuracy !== undefined) gate('min_accuracy', m.accuracy_test, (x) => x >= g.min_accuracy!, `≥ ${g.min_accuracy}`);
  if (g.min_f1 !== undefined) gate('min_f1', m.f1_test, (x) => x >= g.min_f1!, `≥ ${g.min_f1}`);
  s3.details = { metrics: m };
  if (g.beat_production_by !== undefined) s3.checks.push(beatProductionCheck(def, registry, run, v, g.beat_production_by, s3.details));
  if (!s3.checks.length) s3.checks.push({ name: 'gates', passed: true, detail: 'no gates configured' });
  st.passOrStop(s3);
}

/** beat_production_by: passes when there is no Production version; fails when it cannot be loaded. */
function beatProductionCheck(def: PipelineDefinition, registry: Registry, run: Run, v: Validation, by: number, details: Record<string, unknown>): Check {
  let prod: ProductionModel | undefined;
  try {
    prod = registry.state().models.get(def.model)?.versions.some((x) => x.stage === 'Production') ? loadModelByUri(registry, `models:/${def.model}/Production`) : undefined;
  } catch (e) {
    return { name: 'beat_production_by', passed: false, detail: `the Production model cannot be loaded: ${(e as Error).message}` };
  }
  if (!prod) return { name: 'beat_production_by', passed: true, detail: 'no Production version yet: nothing to beat' };
  // Score the Production model on exactly the new run's test rows.
  const m = run.metrics;
  const task = run.params.task === 'classification' ? 'classification' : 'regression';
  const { prep, parts } = testRowsOf(def, v.dataset, run, task);
  const pred = prod.loaded.model.predict(encodeForPrediction(sliceDataset(v.dataset, parts.test), prod.loaded.meta.encoding));
  const yTest = Float64Array.from(parts.test, (i) => prep.y[i]);
  if (task === 'regression') {
    const prodRmse = rmse(yTest, pred);
    const needed = prodRmse * (1 - by);
    details.production = { version: prod.version.version, rmse_test: prodRmse };
    return { name: 'beat_production_by', passed: m.rmse_test <= needed, detail: `rmse_test ${+m.rmse_test.toFixed(4)} vs Production v${prod.version.version} ${+prodRmse.toFixed(4)} on the same test rows (needs ≤ ${+needed.toFixed(4)}, ${(by * 100).toFixed(1)} % better)` };
  }
  const classes = prod.loaded.meta.encoding.classes ?? [];
  const mine = prep.encoding.classes ?? [];
  const mapped = Float64Array.from(pred, (k) => mine.indexOf(classes[k]));
  const prodAcc = classificationMetrics(yTest, mapped, mine.length).accuracy;
  const needed = prodAcc * (1 + by);
  details.production = { version: prod.version.version, accuracy_test: prodAcc };
  return { name: 'beat_production_by', passed: m.accuracy_test >= needed, detail: `accuracy_test ${+m.accuracy_test.toFixed(4)} vs Production v${prod.version.version} ${+prodAcc.toFixed(4)} (needs ≥ ${+needed.toFixed(4)})` };
}

/** The run's own split of the validated data (same test share, mode and seed), prepared for `task`. */
function testRowsOf(def: PipelineDefinition, ds: Dataset, run: Run, task: 'regression' | 'classification'): { prep: ReturnType<typeof prepare>; parts: ReturnType<typeof split> } {
  const prep = prepare(ds, def.data.target, task);
  const parts = split(ds.info.rows, def.trainer.test_size, def.trainer.split, Number(run.params.seed ?? 42), prep.y, task === 'classification', ds.info.path);
  return { prep, parts };
}

/** 4. Registration: a new version linked to the run and this pipeline run. */
function registrationStage(st: StageRunner, tracker: Tracker, def: PipelineDefinition, registry: Registry, run: Run, trigger: Trigger): number {
  const s4 = st.start('registration');
  const { rec } = st;
  const version = registry.register(tracker, run.id, def.model, { source: 'pipeline', tags: { pipeline: def.name, pipeline_run: rec.id, trigger }, description: `pipeline ${def.name}, run ${rec.id}` });
  rec.modelVersion = version.version;
  s4.details = { model: def.model, version: version.version, uri: `models:/${def.model}/${version.version}`, modelSha256: version.modelSha256 };
  s4.checks = [{ name: 'registered', passed: true, detail: `${def.model} v${version.version}` }];
  st.finish(s4, 'passed');
  return version.version;
}

/** 5. Deployment: the version moves to Staging. */
function deploymentStage(st: StageRunner, def: PipelineDefinition, registry: Registry, version: number): void {
  const s5 = st.start('deployment');
  registry.transition(def.model, version, 'Staging', { reason: `pipeline ${def.name} (${st.rec.id})`, source: 'pipeline' });
  s5.details = { environment: 'staging', version };
  s5.checks = [{ name: 'moved to Staging', passed: true, detail: `${def.model} v${version}` }];
  st.finish(s5, 'passed');
}

/** 6. Smoke test on the artifact loaded fresh from the registry; a failure archives the version (automatic rollback). */
function smokeTestStage(st: StageRunner, def: PipelineDefinition, registry: Registry, run: Run, version: number, v: Validation): void {
  const s6 = st.start('smoke_test');
  try {
    smokeChecks(s6, def, registry, run, version, v);
  } catch (e) {
    // A smoke test that cannot run is a failed smoke test: the version must not stay in Staging (issue 18 #5).
    s6.checks.push({ name: 'smoke test ran', passed: false, detail: `it stopped with an error: ${(e as Error)?.message ?? String(e)}` });
  }
  if (s6.checks.some((c) => !c.passed)) {
    const why = s6.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join('; ');
    registry.recordAutomatic({ action: 'transition', model: def.model, version, from: 'Staging', to: 'Archived', reason: `automatic rollback: smoke test failed (${why})`, source: `pipeline ${def.name} (${st.rec.id})` });
    s6.details.rollback = `v${version} archived; the previous Staging/Production versions are unchanged`;
    st.log(`   ↩ automatic rollback: ${def.model} v${version} archived`);
  }
  st.passOrStop(s6);
}

/** The smoke test's checks: finite, plausible predictions on held-out rows; single-row latency; accuracy again. */
function smokeChecks(s6: StageRecord, def: PipelineDefinition, registry: Registry, run: Run, version: number, v: Validation): void {
  const uri = `models:/${def.model}/${version}`;
  const fresh = loadModelByUri(registry, uri);
  const task = fresh.loaded.meta.task;
  const { prep, parts } = testRowsOf(def, v.dataset, run, task);
  const held = parts.test.slice(0, Math.max(1, Math.min(def.smoke.rows, parts.test.length)));
  const x = encodeForPrediction(sliceDataset(v.dataset, held), fresh.loaded.meta.encoding);
  const p = fresh.loaded.model.predict(x);
  const nonFinite = Array.from(p).filter((q) => !Number.isFinite(q)).length;
  s6.checks.push({ name: 'predictions finite', passed: nonFinite === 0, detail: `${p.length - nonFinite}/${p.length} finite` });
  const plausible = plausibilityCheck(def, fresh, p);
  if (plausible) s6.checks.push(plausible);
  const lat = singleRowLatencies(fresh.loaded.model, x, def.smoke.latency_calls);
  const p50 = lat.length ? percentile(lat, 50) : NaN;
  const p95 = lat.length ? percentile(lat, 95) : NaN;
  s6.details = { uri, rows: held.length, latency: { calls: lat.length, p50_ms: p50, p95_ms: p95, budget_ms: def.smoke.latency_budget_ms } };
  s6.checks.push(lat.length ? { name: 'latency p95', passed: p95 <= def.smoke.latency_budget_ms, detail: `p50 ${p50.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms (budget ${def.smoke.latency_budget_ms} ms, ${lat.length} calls)` } : { name: 'latency p95', passed: false, detail: `no latency measured (smoke.latency_calls is ${def.smoke.latency_calls})` });
  // Accuracy again, on the loaded model over the whole test set.
  const pt = fresh.loaded.model.predict(encodeForPrediction(sliceDataset(v.dataset, parts.test), fresh.loaded.meta.encoding));
  const yt = Float64Array.from(parts.test, (i) => prep.y[i]);
  const m = run.metrics;
  if (task === 'regression') {
    const again = rmse(yt, pt);
    s6.checks.push({ name: 'accuracy on the loaded model', passed: Math.abs(again - m.rmse_test) <= def.smoke.accuracy_tolerance * Math.max(1, m.rmse_test), detail: `rmse ${+again.toFixed(6)} vs ${+m.rmse_test.toFixed(6)} at evaluation; mae ${+mae(yt, pt).toFixed(4)}, r2 ${+r2(yt, pt).toFixed(4)}` });
  } else {
    const again = classificationMetrics(yt, pt, fresh.loaded.meta.encoding.classes!.length).accuracy;
    s6.checks.push({ name: 'accuracy on the loaded model', passed: Math.abs(again - m.accuracy_test) <= def.smoke.accuracy_tolerance, detail: `accuracy ${+again.toFixed(6)} vs ${+m.accuracy_test.toFixed(6)} at evaluation` });
  }
}

/** Regression: predictions within the target's range ± tolerance (when a range is known); classification: known classes. */
function plausibilityCheck(def: PipelineDefinition, fresh: ProductionModel, p: Float64Array): Check | undefined {
  if (fresh.loaded.meta.task !== 'regression') {
    const k = fresh.loaded.meta.encoding.classes?.length ?? 0;
    const bad = Array.from(p).filter((q) => !(Number.isInteger(q) && q >= 0 && q < k)).length;
    return { name: 'predictions plausible', passed: bad === 0, detail: `${bad} not a known class` };
  }
  const range = fresh.loaded.meta.targetRange;
  const tr = def.validation.ranges[def.data.target] ?? (range ? [range.min, range.max] : undefined);
  if (!tr) return undefined;
  const w = (tr[1] - tr[0]) * def.validation.range_tolerance;
  const lo = tr[0] - w;
  const hi = tr[1] + w;
  const out = Array.from(p).filter((q) => q < lo || q > hi).length;
  return { name: 'predictions plausible', passed: out === 0, detail: `${out} outside [${+lo.toFixed(3)}, ${+hi.toFixed(3)}]` };
}

/** Milliseconds of `calls` single-row predictions (cycling through the rows of x). */
function singleRowLatencies(model: ProductionModel['loaded']['model'], x: ReturnType<typeof encodeForPrediction>, calls: number): number[] {
  const lat: number[] = [];
  const one = (i: number) => ({ rows: 1, columns: x.columns.map((c) => c.subarray(i % x.rows, (i % x.rows) + 1)) });
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    model.predict(one(i));
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return lat;
}

/** on_success: production — promote the version (the registry's promoter rule applies; a refusal is recorded). */
function promote(st: StageRunner, def: PipelineDefinition, registry: Registry, version: number): void {
  const { rec } = st;
  try {
    registry.transition(def.model, version, 'Production', { reason: `pipeline ${def.name} (${rec.id}): every gate passed`, source: 'pipeline' });
    rec.promoted = { to: 'Production', ok: true, message: `${def.model} v${version} promoted to Production` };
  } catch (e) {
    rec.promoted = { to: 'Production', ok: false, message: (e as Error).message };
  }
  st.log(`${rec.promoted.ok ? '🚀' : '⚠'} ${rec.promoted.message}`);
}

/** The seed's stage table. */
export function stageTable(rec: PipelineRunRecord): string {
  const rows = rec.stages.map((s, i) => {
    const mark = s.status === 'passed' ? '✅' : s.status === 'failed' ? '❌' : s.status === 'skipped' ? '⏭️' : '…';
    const failed = s.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join('; ');
    return `${i + 1}. ${mark} ${s.title.padEnd(20)} ${s.status.padEnd(8)} ${s.durationMs !== null ? `${s.durationMs} ms` : ''}${failed ? `  — ${failed}` : ''}`;
  });
  return [`Pipeline ${rec.pipeline} · run ${rec.id} · trigger ${rec.trigger} · ${rec.status.toUpperCase()}`, ...rows, rec.modelVersion ? `Model: ${rec.model} v${rec.modelVersion}` : '', rec.reason ? `Reason: ${rec.reason}` : '', rec.promoted ? `Promotion: ${rec.promoted.message}` : ''].filter(Boolean).join('\n');
}
