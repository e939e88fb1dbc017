/**
 * The sample's story: the seed notebook's scenario played for real in a sample workspace, through the core functions
 * the commands use (`mlops sweep`, `mlops pipeline run`, `mlops models transition|register`, `mlops drift` and their
 * editor commands), so every number in it comes from training on the sample's data:
 *
 *  1. sweep      the seed's hyperparameter grid (mlops.yaml sweep.grid, 5 runs) in YieldPrediction_RandomForest; the
 *                best by rmse_test is the ★ run
 *  2. pipeline   yield.pipeline.yaml, triggered by code_commit (the seed's first pipeline scenario): its six stages
 *                validate the data, train, pass the gates, register YieldPredictor v1 and deploy it to Staging, smoke test
 *  3. promote    v1 Staging → Production (the seed's "Promote to Production")
 *  4. candidate  the sweep's ★ run registered as v2 and moved to Staging (the seed's "Deploy v2 to Staging (Candidate
 *                for Production)")
 *  5. monitor    the three production batches of data/batches/ checked against models:/YieldPredictor/Production with
 *                the monitor's settings from mlops.yaml; the reports and alerts are recorded and the batches marked
 *                checked in the batch log (an editor opening the workspace does not check them again)
 *
 * Deterministic: the config fixes the seed (42), the ordered split and the engine (forest), so two plays give the
 * same metrics and drift statistics; only ids, names, times and the timing metrics (fit_seconds, latencies) differ.
 *
 * It plays only into a store that holds nothing yet: a store with runs, registered models or an earlier story is
 * left as it is (the result says why). When it has played, `sample-story.json` in the store records when and what.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, resolveConfigPath, CONFIG_FILE, type MonitorConfig, type WorkbenchConfig } from '../config/config';
import { resolveTrainingOptions, sweepExperiment } from '../config/trainingOptions';
import { BatchLog, monitorKey } from '../monitoring/batchLog';
import { parseColumnOverride } from '../monitoring/columnOverride';
import { checkDrift, recordDriftReport, type DriftReport } from '../monitoring/monitor';
import { findPipelines, loadPipeline } from '../pipeline/definition';
import type { PipelineRunRecord } from '../pipeline/record';
import { runPipeline } from '../pipeline/runner';
import { registryOptions } from '../registry/config';
import { Registry, type ModelVersion } from '../registry/registry';
import { loadModelByUri } from '../registry/uri';
import { STORE_DIRNAME } from '../store/store';
import type { Run } from '../store/types';
import { Tracker } from '../tracking/tracker';
import { HYPERPARAMETER_KEYS } from '../training/params';
import { runSweep, type Combination, type SweepResult } from '../training/sweep';
import { writeJsonAtomic } from '../util/atomicFs';
import { AbortError } from '../util/errors';
import { globFiles } from '../util/glob';
import { SAMPLE_EXPERIMENT } from './sampleWorkspace';

/** The file in the store that says the story was played (and when). */
export const STORY_FILE = 'sample-story.json';
export const STORY_MODEL = 'YieldPredictor';

export interface StoryControl {
  signal?: AbortSignal;
  /** One line per step as it starts and ends ("Sweep: 5 runs of the seed's grid…"). */
  onProgress?: (message: string, fraction: number) => void;
  /** How runs and registry events name their origin (runs' environment.source). Default 'sample-story'. */
  source?: string;
}

export interface StoryStep {
  step: 'sweep' | 'pipeline' | 'promote' | 'candidate' | 'monitor';
  seconds: number;
  summary: string;
}

export interface StoryBatch {
  batch: string;
  reportId: string;
  alerts: { type: string; severity: string; subject: string }[];
  drifted: string[];
}

export interface StoryResult {
  played: true;
  dir: string;
  sweep: { id: string; runs: number; best: { id: string; name: string; params: Record<string, unknown>; rmse_test: number } };
  pipeline: { id: string; status: PipelineRunRecord['status']; stages: { name: string; status: string }[]; version?: number };
  production: number;
  staging: number;
  batches: StoryBatch[];
  steps: StoryStep[];
  seconds: number;
}

export interface StorySkipped {
  played: false;
  dir: string;
  /** Why nothing was played (an earlier story, runs or models already in the store). */
  reason: string;
}

/**
 * The record in the store: written when the story starts (startedAt only) and again when it has played (the rest).
 * Readers use it to tell the story's runs, versions and reports from what the user did after it.
 */
export interface StoryRecord {
  format: 1;
  startedAt: number;
  finishedAt?: number;
  seconds?: number;
  sweepId?: string;
  pipelineRunId?: string;
  production?: number;
  staging?: number;
  reports?: string[];
}

/** A story that started this long ago without finishing was interrupted (it takes seconds). */
export const STORY_ABANDONED_MS = 10 * 60_000;

export function storyFile(storeRoot: string): string {
  return path.join(storeRoot, STORY_FILE);
}

/** The story record of a store (undefined when the story never started there, or when the file is unreadable). */
export function readStoryRecord(storeRoot: string): StoryRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(storyFile(storeRoot), 'utf8')) as StoryRecord;
    return r && r.format === 1 && typeof r.startedAt === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Why the story must not play into this store, or undefined when it may (the store holds nothing yet). */
export function storyBlocker(storeRoot: string): string | undefined {
  const rec = readStoryRecord(storeRoot);
  if (rec?.finishedAt) return `the story was already played here (${new Date(rec.finishedAt).toISOString()})`;
  if (rec) return `a story started here at ${new Date(rec.startedAt).toISOString()} did not finish`;
  const tracker = Tracker.open(storeRoot);
  const runs = tracker.store.listRunIds().length;
  if (runs) return `the store already holds ${runs} run(s)`;
  const models = new Registry(tracker.store).listModels().length;
  if (models) return `the store already holds ${models} registered model(s)`;
  return undefined;
}

const elapsed = (t0: number) => (Date.now() - t0) / 1000;

/**
 * Play the story in `dir`, a sample workspace (createSampleWorkspace wrote its files and store). Returns what it did,
 * or why it did nothing. Errors (a failed step, a cancellation) are thrown; what was recorded until then stays.
 */
export async function playStory(dir: string, control: StoryControl = {}): Promise<StoryResult | StorySkipped> {
  const storeRoot = path.join(dir, STORE_DIRNAME);
  const blocker = storyBlocker(storeRoot);
  if (blocker) return { played: false, dir, reason: blocker };
  const started = Date.now();
  writeJsonAtomic(storyFile(storeRoot), { format: 1, startedAt: started } satisfies StoryRecord);
  const say = (m: string, f: number) => control.onProgress?.(m, f);
  const source = control.source ?? 'sample-story';
  const cfg = loadConfig(path.join(dir, CONFIG_FILE));
  const tracker = Tracker.open(storeRoot);
  const registry = new Registry(tracker.store, registryOptions(cfg));
  const steps: StoryStep[] = [];

  // 1. The seed's grid as a sweep (what `mlops sweep` and Run Sweep do with the sample's mlops.yaml).
  let t0 = Date.now();
  const sweep = await playSweep(dir, cfg, tracker, source, control, (m, f) => say(`Sweep: ${m}`, 0.05 + 0.45 * f));
  const best = sweep.best;
  if (sweep.cancelled) throw new AbortError(STORY_CANCELLED);
  if (!best || sweep.failed.length) throw new Error(`The sample's sweep did not complete: ${sweep.failed.map((f) => f.error).join('; ')}`);
  steps.push({ step: 'sweep', seconds: elapsed(t0), summary: `${sweep.runs.length} runs; ★ ${best.name} rmse_test ${best.metrics.rmse_test.toFixed(3)}` });

  // 2. The retraining pipeline (what `mlops pipeline run --trigger code_commit` and Run Pipeline do).
  t0 = Date.now();
  say('Pipeline: validation, training, evaluation, registration, deployment, smoke test…', 0.5);
  const pipelineFile = findPipelines(dir, 1).find((f) => path.basename(f) === 'yield.pipeline.yaml');
  if (!pipelineFile) throw new Error(`No yield.pipeline.yaml in ${dir}.`);
  const rec = await runPipeline(tracker, loadPipeline(pipelineFile), 'code_commit', { signal: control.signal });
  if (rec.status === 'cancelled') throw new AbortError(STORY_CANCELLED);
  if (rec.status !== 'passed' || rec.modelVersion === undefined) throw new Error(`The sample's pipeline ${rec.status}: ${rec.reason ?? ''}`);
  steps.push({ step: 'pipeline', seconds: elapsed(t0), summary: `${rec.stages.filter((s) => s.status === 'passed').length}/6 stages passed; ${STORY_MODEL} v${rec.modelVersion} in Staging` });
  checkAborted(control.signal);

  // 3. Promote the pipeline's version to Production (Promote to Production, `mlops models transition`).
  t0 = Date.now();
  say(`Registry: ${STORY_MODEL} v${rec.modelVersion} → Production`, 0.75);
  const production = registry.transition(STORY_MODEL, rec.modelVersion, 'Production', { reason: "Passed the pipeline's gates and smoke test in Staging (the seed's promotion)", source });
  steps.push({ step: 'promote', seconds: elapsed(t0), summary: `${STORY_MODEL} v${production.version} in Production` });

  // 4. The next candidate, in Staging (Register Model + Promote to Staging): the best run of the sweep whose
  // hyperparameters differ from Production's, as the seed registers its second-best experiment as v2 (when the ★ run
  // has Production's hyperparameters it would be the same model again: same data, split and seed).
  t0 = Date.now();
  const pick = candidateRun(sweep, production);
  say(`Registry: ${pick.run.name} as a candidate in Staging`, 0.8);
  const candidate = registry.register(tracker, pick.run.id, STORY_MODEL, { description: pick.why, source });
  const staged = registry.transition(STORY_MODEL, candidate.version, 'Staging', { reason: 'Candidate for Production (the seed deploys v2 to Staging)', source });
  steps.push({ step: 'candidate', seconds: elapsed(t0), summary: `${STORY_MODEL} v${staged.version} (${pick.run.name}) in Staging` });
  checkAborted(control.signal);

  // 5. The production batches against Production (Check Drift, `mlops drift --model models:/YieldPredictor/Production`).
  t0 = Date.now();
  const batches = await checkBatches(dir, cfg, tracker, registry, production, (m, f) => say(`Monitoring: ${m}`, 0.85 + 0.15 * f));
  steps.push({ step: 'monitor', seconds: elapsed(t0), summary: batches.map((b) => `${path.basename(b.batch)}: ${b.alerts.length} alert(s)`).join('; ') });

  const finished = Date.now();
  const record: Required<StoryRecord> = { format: 1, startedAt: started, finishedAt: finished, seconds: (finished - started) / 1000, sweepId: sweep.sweepId, pipelineRunId: rec.id, production: production.version, staging: staged.version, reports: batches.map((b) => b.reportId) };
  writeJsonAtomic(storyFile(storeRoot), record);
  tracker.store.touch();
  say('Done', 1);
  return {
    played: true,
    dir,
    sweep: { id: sweep.sweepId, runs: sweep.runs.length, best: { id: best.id, name: best.name, params: best.params, rmse_test: best.metrics.rmse_test } },
    pipeline: { id: rec.id, status: rec.status, stages: rec.stages.map((s) => ({ name: s.name, status: s.status })), version: rec.modelVersion },
    production: production.version,
    staging: staged.version,
    batches,
    steps,
    seconds: record.seconds,
  };
}

/** What a cancelled story leaves, and how to start over. */
export const STORY_CANCELLED = 'The story was cancelled: the sample keeps what it recorded until then. Start over in a fresh folder (npm start: MLOPS_SAMPLE_RESET=1).';

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(STORY_CANCELLED);
}

/** The sweep's best run whose hyperparameters differ from the Production version's (the ★ run when they all do). */
export function candidateRun(sweep: SweepResult & { best?: Run }, production: ModelVersion): { run: Run; why: string } {
  const key = sweep.bestMetric?.key ?? 'rmse_test';
  const sign = sweep.bestMetric?.direction === 'max' ? -1 : 1;
  const ranked = sweep.runs.filter((r) => Number.isFinite(r.metrics[key])).sort((a, b) => sign * (a.metrics[key] - b.metrics[key]));
  const hyper = (p: Record<string, unknown> | undefined) => JSON.stringify(HYPERPARAMETER_KEYS.map((k) => p?.[k] ?? null));
  const prod = hyper(production.run.params);
  const run = ranked.find((r) => hyper(r.params) !== prod) ?? ranked[0];
  const star = sweep.best!;
  const why =
    run.id === star.id
      ? `The best run of sweep ${sweep.sweepId} (★ by ${key}): a candidate for Production.`
      : `The runner-up of sweep ${sweep.sweepId} by ${key}: its ★ run ${star.name} has the hyperparameters of Production (v${production.version}), so this is the best other configuration, a candidate for Production.`;
  return { run, why };
}

/** The sweep of mlops.yaml (its training options and grid), as `mlops sweep` runs it. */
async function playSweep(dir: string, cfg: WorkbenchConfig, tracker: Tracker, source: string, control: StoryControl, say: (m: string, f: number) => void): Promise<SweepResult & { best?: Run }> {
  const base = resolveTrainingOptions({}, cfg, { cwd: dir, workspace: dir, source });
  const combinations: Combination[] | undefined = cfg.sweep?.grid;
  if (!combinations?.length) throw new Error(`${CONFIG_FILE} of the sample has no sweep.grid.`);
  const experiment = sweepExperiment(undefined, cfg.sweep, base) ?? SAMPLE_EXPERIMENT;
  return runSweep(tracker, { ...base, experiment, combinations, baseParams: base.params, parallel: cfg.sweep?.parallel }, { signal: control.signal, onProgress: (done, total, m) => say(`${done}/${total} ${m}`, done / total) });
}

/**
 * Check every batch of the YieldPredictor monitor against the Production version, as the editor's monitor would
 * (its reference, thresholds and column overrides; the training data of the version when it names no reference).
 */
async function checkBatches(dir: string, cfg: WorkbenchConfig, tracker: Tracker, registry: Registry, production: ModelVersion, say: (m: string, f: number) => void): Promise<StoryBatch[]> {
  const monitor: MonitorConfig | undefined = cfg.monitors.find((m) => m.model === STORY_MODEL && m.current);
  if (!monitor?.current) throw new Error(`${CONFIG_FILE} of the sample has no monitor of ${STORY_MODEL} with a batch glob.`);
  const glob = relative(dir, resolveConfigPath(cfg, monitor.current));
  const files = globFiles(dir, glob).sort();
  const uri = monitor.model_uri ?? `models:/${STORY_MODEL}/Production`;
  const { version, loaded } = loadModelByUri(registry, uri);
  if (version.version !== production.version) throw new Error(`${uri} is v${version.version}, not the story's v${production.version}.`);
  const reference = monitor.reference ? resolveConfigPath(cfg, monitor.reference) : version.run.dataset ? path.resolve(dir, version.run.dataset) : undefined;
  if (!reference) throw new Error(`No reference data for ${STORY_MODEL} v${version.version}.`);
  const columns = Object.fromEntries(Object.entries(monitor.columns ?? {}).map(([k, v]) => [k, parseColumnOverride(v)]));
  const out: StoryBatch[] = [];
  const batchLog = new BatchLog(tracker.store.root);
  for (const [i, file] of files.entries()) {
    const rel = relative(dir, file);
    say(`${rel} against ${STORY_MODEL} v${version.version}`, i / files.length);
    batchLog.mark(monitorKey(monitor.model, glob), [rel], 'checked');
    const report: DriftReport = await checkDrift(reference, file, {
      model: { uri, name: version.model, version: version.version, loaded },
      columns,
      driftShare: monitor.drift_share,
      performanceThreshold: monitor.performance_threshold,
      missingShare: monitor.missing_share,
    });
    recordDriftReport(tracker.store, report, version.model);
    out.push({ batch: rel, reportId: report.id, alerts: report.alerts.map((a) => ({ type: a.type, severity: a.severity, subject: a.subject })), drifted: report.columns.filter((c) => c.drifted).map((c) => c.name) });
  }
  return out;
}

/** `abs` relative to `dir`, `/`-separated (how globs and the batch log name files). */
function relative(dir: string, abs: string): string {
  return path.relative(dir, abs).split(path.sep).join('/');
}
