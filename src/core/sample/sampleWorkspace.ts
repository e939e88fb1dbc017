/**
 * "Create Sample Workspace" / `mlops init DIR --sample`: the seed's wafer-yield project — the training data, the
 * later production batches (normal, +10 °C temperature sensor, new chip design) and new wafer data, a config with
 * the seed's hyperparameter grid, the retraining pipeline, a train.py for Run Training Command, a README, and an
 * empty store. Files that already exist are left as they are. story.ts plays the seed's scenario in it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store, STORE_DIRNAME } from '../store/store';
import { writeFileAtomic } from '../util/atomicFs';
import { SAMPLE_TRAIN_PY } from './trainScript';
import { newChipDesignBatch, newWaferData, normalBatch, SEED_GRID, temperatureDriftBatch, toCsv, waferTraining } from './waferData';

export const SAMPLE_EXPERIMENT = 'YieldPrediction_RandomForest';

export function sampleFiles(): Record<string, string> {
  const train = waferTraining(1000);
  return {
    'data/wafer_yield.csv': toCsv(train),
    'data/batches/normal_batch.csv': toCsv(normalBatch(train)),
    'data/batches/temperature_drift_batch.csv': toCsv(temperatureDriftBatch(train)),
    'data/batches/new_chip_design_batch.csv': toCsv(newChipDesignBatch(train)),
    'data/new_wafer_data.csv': toCsv(newWaferData(1000)),
    'mlops.yaml': sampleConfig(),
    'yield.pipeline.yaml': SAMPLE_PIPELINE,
    'train.py': SAMPLE_TRAIN_PY,
    'README.md': SAMPLE_README,
  };
}

/** mlops.yaml: training defaults, the seed's grid as the sweep, and a monitor of the pipeline's model. */
function sampleConfig(): string {
  const grid = SEED_GRID.map((g) => `    - {n_estimators: ${g.n_estimators}, max_depth: ${g.max_depth === null ? 'none' : g.max_depth}}`).join('\n');
  return `# MLOps Workbench configuration (see the extension's README).
training:
  data: data/wafer_yield.csv
  target: yield
  task: regression
  engine: forest
  experiment: ${SAMPLE_EXPERIMENT}
  test_size: 0.2
  split: ordered          # the seed's split: first 80 % train, last 20 % test
  missing: error
  params:
    n_estimators: 100
    max_depth: 10
    seed: 42

sweep:
  experiment: ${SAMPLE_EXPERIMENT}
  # The seed notebook's hyperparameter grid (max_depth none = grow fully).
  grid:
${grid}

monitoring:
  monitors:
    # Production batches of YieldPredictor (registered by yield.pipeline.yaml) against the data it was trained on.
    # New files in data/batches/ are checked as they appear; the three there now are checked with
    # "MLOps: Check Drift" or \`mlops drift --reference data/wafer_yield.csv --current data/batches/<file>\`.
    - model: YieldPredictor
      current: data/batches/*.csv
      watch: true
      retrain: false          # true: a drift or performance alert starts yield.pipeline.yaml (trigger drift)
      drift_share: 0.5        # dataset drift when half of the columns drifted (Evidently's default)
      performance_threshold: 0.2   # alert when RMSE/MAE/R² is 20 % worse than at registration
`;
}

/** yield.pipeline.yaml: the seed notebook's six-stage pipeline for YieldPredictor. */
const SAMPLE_PIPELINE = `# Retraining pipeline for YieldPredictor (see the extension's README, "Pipelines").
name: yield-retrain
model: YieldPredictor
experiment: YieldPredictor_pipeline
data:
  source: data/wafer_yield.csv
  target: yield
  reference: data/wafer_yield.csv
trainer:
  kind: builtin
  engine: forest
  params: {n_estimators: 200, max_depth: 10, seed: 42}
  test_size: 0.2
  split: ordered
validation:
  min_rows: 100                 # the seed's minimum
  max_missing_share: 0
  ranges: {yield: [0, 100]}
  range_tolerance: 0.1
  duplicates: warn
gates:
  min_r2: 0.7                   # the seed's gate
  max_rmse: 3.5                 # the seed asks for 2.0, below this data's noise (sigma 3): it could never pass
  beat_production_by: 0.0       # must be at least as good as Production on the same test rows
smoke:
  rows: 50
  latency_calls: 200
  latency_budget_ms: 50
on_success: staging
triggers:
  data_update: true
  code_commit: {branch: main}
  drift: true
`;

const SAMPLE_README = `# Wafer yield sample workspace

The scenarios of the MLOps fundamentals notebook, as files:

- \`data/wafer_yield.csv\` — 1,000 wafers: \`Vdd_mean\`, \`Idd_mean\`, \`Frequency_mean\`, \`Temperature\`, \`Dies_tested\`
  and the target \`yield\` (%), generated with the notebook's formulas from a fixed seed.
- \`data/batches/normal_batch.csv\` — 50 production wafers (test rows plus small noise).
- \`data/batches/temperature_drift_batch.csv\` — the same wafers with the temperature sensor reading +10 °C.
- \`data/batches/new_chip_design_batch.csv\` — a new chip design: the relationship to yield changed.
- \`data/new_wafer_data.csv\` — 1,000 new wafers for the retraining pipeline.
- \`mlops.yaml\` — training defaults, the notebook's hyperparameter grid and a monitor of YieldPredictor's batches.
- \`yield.pipeline.yaml\` — the notebook's 6-stage CI/CD pipeline, with real gates and smoke tests.
- \`train.py\` — your own training script's place: it reports with \`mlops:metric\` lines. Run it with
  **MLOps: Run Training Command** (\`python3 train.py\`) or \`mlops train --command "python3 train.py"\`.

With the story played (\`npm start\`, **Create Sample Workspace** → "with the story played", or
\`mlops init DIR --sample --story\`) the store already holds the notebook's scenario, trained for real on these files:
the grid's sweep (the best run ★), a pipeline run that registered YieldPredictor v1, v1 in Production, a second
candidate in Staging, and the three batches checked against Production (the +10 °C and new-chip batches raise alerts).

Try: **MLOps: Run Sweep** (the notebook's 5 configurations), then open the best run, or in a terminal
\`mlops sweep --data data/wafer_yield.csv --target yield --grid 'n_estimators=50,100,200;max_depth=5,10,none'\`.
`;

export function createSampleWorkspace(dir: string): { written: string[]; kept: string[]; store: string } {
  const written: string[] = [];
  const kept: string[] = [];
  for (const [rel, content] of Object.entries(sampleFiles())) {
    const file = path.join(dir, rel);
    if (fs.existsSync(file)) {
      kept.push(rel);
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, content);
    written.push(rel);
  }
  const store = path.join(dir, STORE_DIRNAME);
  Store.open(store, { create: true });
  return { written, kept, store };
}
