/**
 * The seed notebook's semiconductor wafer-yield scenarios, generated with its formulas from a fixed seed so the
 * files are identical on every machine (our own PRNG, not numpy's, so the numbers differ from the notebook's
 * printout while following the same distributions):
 *
 *   features  Vdd_mean ~ N(1.0, 0.05), Idd_mean ~ N(0.5, 0.1), Frequency_mean ~ N(1000, 50),
 *             Temperature ~ N(25, 10), Dies_tested ~ U{50..199}
 *   yield   = 85 − 20(Vdd−1) − 10(Idd−0.5) + 0.01(Freq−1000) − 0.5(Temp−25) + 0.05·Dies + N(0, 3), clipped to 0–100
 *
 * Batches (each from rows of the held-out 20 %, as the notebook builds them from X_test[:50]):
 *   normal           the first 50 test rows + small noise on every feature, N(0, 0.1 σ) in the feature's own units
 *                    (yield kept). The seed adds N(0, 0.1) to every column, which for Vdd_mean (σ 0.05) and
 *                    Idd_mean (σ 0.1) is no small noise: it doubles Vdd's spread and makes the model 25 % worse, so
 *                    a KS monitor rightly alerts on a batch the seed calls normal. Scaled to each feature, the batch
 *                    is what the seed means: production data like the training data, no alert.
 *   temperature      the same 50 rows with the temperature sensor reading +10 °C (yield kept)
 *   new chip design  the same 50 rows with the changed relationship (concept drift):
 *                    yield = 60 + 40·Vdd + 10·Idd − 0.05·Freq + 1·Temp + 0.03·Dies + N(0, 2)
 *   new wafer data   1,000 new rows for the pipeline's data-update scenario: Temperature ~ N(25, 5) and
 *                    yield = 50 + 30·Vdd + 20·Idd − 0.1·Freq + 2·Temp + 0.05·Dies + N(0, 2)
 */
import { Rng } from '../util/random';

export const WAFER_FEATURES = ['Vdd_mean', 'Idd_mean', 'Frequency_mean', 'Temperature', 'Dies_tested'] as const;
export const WAFER_TARGET = 'yield';
export const WAFER_SEED = 42;

export interface WaferTable {
  columns: string[];
  rows: number[][];
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function features(rng: Rng, tempSd = 10): number[] {
  const vdd = rng.normal() * 0.05 + 1.0;
  const idd = rng.normal() * 0.1 + 0.5;
  const freq = rng.normal() * 50 + 1000;
  const temp = rng.normal() * tempSd + 25;
  const dies = rng.int(50, 200);
  return [round(vdd, 5), round(idd, 5), round(freq, 3), round(temp, 3), dies];
}

function seedYield(x: number[], noise: number): number {
  const [vdd, idd, freq, temp, dies] = x;
  const y = 85 - 20 * (vdd - 1.0) - 10 * (idd - 0.5) + 0.01 * (freq - 1000) - 0.5 * (temp - 25) + 0.05 * dies + noise;
  return round(Math.min(100, Math.max(0, y)), 4);
}

export function waferTraining(n = 1000, seed = WAFER_SEED): WaferTable {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = features(rng);
    rows.push([...x, seedYield(x, rng.normal() * 3)]);
  }
  return { columns: [...WAFER_FEATURES, WAFER_TARGET], rows };
}

/** The held-out rows of the seed's ordered 80/20 split (its X_test). */
export function testRows(train: WaferTable): number[][] {
  return train.rows.slice(Math.floor(train.rows.length * 0.8));
}

/** The features' standard deviations in the seed's generator (Dies_tested ~ U{50..199}: sd = sqrt((150² − 1) / 12)). */
export const FEATURE_SD = [0.05, 0.1, 50, 10, Math.sqrt((150 * 150 - 1) / 12)];

export function normalBatch(train: WaferTable, seed = 50): WaferTable {
  const rng = new Rng(seed);
  const digits = [5, 5, 3, 3, 0];
  const rows = testRows(train)
    .slice(0, 50)
    .map((r) => [...r.slice(0, 5).map((v, j) => round(v + rng.normal() * 0.1 * FEATURE_SD[j], digits[j])), r[5]]);
  return { columns: [...WAFER_FEATURES, WAFER_TARGET], rows };
}

export function temperatureDriftBatch(train: WaferTable): WaferTable {
  const rows = testRows(train)
    .slice(0, 50)
    .map((r) => [r[0], r[1], r[2], round(r[3] + 10, 3), r[4], r[5]]);
  return { columns: [...WAFER_FEATURES, WAFER_TARGET], rows };
}

export function newChipDesignBatch(train: WaferTable, seed = 75): WaferTable {
  const rng = new Rng(seed);
  const rows = testRows(train)
    .slice(0, 50)
    .map((r) => {
      const [vdd, idd, freq, temp, dies] = r;
      const y = 60 + 40 * vdd + 10 * idd - 0.05 * freq + 1 * temp + 0.03 * dies + rng.normal() * 2;
      return [vdd, idd, freq, temp, dies, round(y, 4)];
    });
  return { columns: [...WAFER_FEATURES, WAFER_TARGET], rows };
}

export function newWaferData(n = 1000, seed = 100): WaferTable {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = features(rng, 5);
    const [vdd, idd, freq, temp, dies] = x;
    const y = 50 + 30 * vdd + 20 * idd - 0.1 * freq + 2 * temp + 0.05 * dies + rng.normal() * 2;
    rows.push([...x, round(y, 4)]);
  }
  return { columns: [...WAFER_FEATURES, WAFER_TARGET], rows };
}

export function toCsv(t: WaferTable): string {
  return [t.columns.join(','), ...t.rows.map((r) => r.join(','))].join('\n') + '\n';
}

/** The seed's hyperparameter grid (max_depth null = None). */
export const SEED_GRID: { n_estimators: number; max_depth: number | null }[] = [
  { n_estimators: 50, max_depth: 5 },
  { n_estimators: 100, max_depth: 5 },
  { n_estimators: 100, max_depth: 10 },
  { n_estimators: 200, max_depth: 10 },
  { n_estimators: 200, max_depth: null },
];
