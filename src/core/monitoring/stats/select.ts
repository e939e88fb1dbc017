/**
 * Drift method selection, thresholds and the drift decision, as Evidently does by default
 * (`legacy/calculations/stattests/registry.py::_get_default_stattest`, v0.7.21; unchanged since 2022):
 *
 * | reference size (finite) | column                        | distinct (ref ∪ cur) | method        | drift if | thr  |
 * |-------------------------|-------------------------------|----------------------|---------------|----------|------|
 * | ≤ 1000                  | numeric                       | > 5                  | ks            | p ≤ thr  | 0.05 |
 * | ≤ 1000                  | categorical, or numeric ≤ 5   | > 2                  | chisquare     | p < thr  | 0.05 |
 * | ≤ 1000                  | any                           | ≤ 2                  | z             | p < thr  | 0.05 |
 * | > 1000                  | numeric                       | > 5                  | wasserstein   | d ≥ thr  | 0.1  |
 * | > 1000                  | categorical, or numeric ≤ 5   | any                  | jensenshannon | d ≥ thr  | 0.1  |
 *
 * The operators are Evidently's, including the asymmetry (KS `<=`, chi-square and Z `<`, distances `>=`).
 * 'psi' is opt-in as a drift method (Evidently's default threshold 0.1, drift if PSI ≥ thr), computed with this
 * module's reference-decile bins (see psi.ts). Method and threshold can be overridden per column.
 */
import type { ColumnType } from '../../data/dataset';

export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';
export type ScoreKind = 'p_value' | 'distance';
export type DriftOperator = '<=' | '<' | '>=';

export interface DriftMethodInfo {
  label: string;
  scoreKind: ScoreKind;
  defaultThreshold: number;
  /** The score is compared with the threshold by this operator: `score OP threshold` means drift. */
  operator: DriftOperator;
  /** Whether the method needs a numeric column (KS and Wasserstein do). */
  numericOnly: boolean;
}

export const DRIFT_METHODS: Readonly<Record<DriftMethod, DriftMethodInfo>> = {
  ks: { label: 'K-S p-value', scoreKind: 'p_value', defaultThreshold: 0.05, operator: '<=', numericOnly: true },
  chisquare: { label: 'chi-square p-value', scoreKind: 'p_value', defaultThreshold: 0.05, operator: '<', numericOnly: false },
  z: { label: 'Z-test p-value', scoreKind: 'p_value', defaultThreshold: 0.05, operator: '<', numericOnly: false },
  wasserstein: { label: 'Wasserstein distance (normed)', scoreKind: 'distance', defaultThreshold: 0.1, operator: '>=', numericOnly: true },
  jensenshannon: { label: 'Jensen-Shannon distance', scoreKind: 'distance', defaultThreshold: 0.1, operator: '>=', numericOnly: false },
  psi: { label: 'PSI', scoreKind: 'distance', defaultThreshold: 0.1, operator: '>=', numericOnly: false },
};

export function isDriftMethod(s: string): s is DriftMethod {
  return Object.prototype.hasOwnProperty.call(DRIFT_METHODS, s);
}

/** Evidently's reference size limit for p-value tests. */
export const SMALL_REFERENCE_MAX = 1000;

/**
 * The default method for a column.
 * @param referenceSize finite (non-missing) reference values
 * @param nUnique distinct non-missing values of reference ∪ current
 */
export function defaultMethod(columnType: ColumnType, referenceSize: number, nUnique: number): DriftMethod {
  if (referenceSize <= SMALL_REFERENCE_MAX) {
    if (columnType === 'numeric' && nUnique > 5) return 'ks';
    return nUnique > 2 ? 'chisquare' : 'z';
  }
  if (columnType === 'numeric' && nUnique > 5) return 'wasserstein';
  return 'jensenshannon';
}

export function defaultThreshold(method: DriftMethod): number {
  return DRIFT_METHODS[method].defaultThreshold;
}

/** Drift decision with the method's operator (NaN scores never drift). */
export function isDrifted(method: DriftMethod, score: number, threshold: number): boolean {
  switch (DRIFT_METHODS[method].operator) {
    case '<=':
      return score <= threshold;
    case '<':
      return score < threshold;
    case '>=':
      return score >= threshold;
  }
}

export interface DriftDecision {
  method: DriftMethod;
  scoreKind: ScoreKind;
  /** p-value for p-value tests, distance otherwise. */
  score: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
}

/** The drift decision for a computed score; threshold defaults to the method's. */
export function decide(method: DriftMethod, score: number, threshold?: number): DriftDecision {
  const info = DRIFT_METHODS[method];
  const thr = threshold ?? info.defaultThreshold;
  const d: DriftDecision = { method, scoreKind: info.scoreKind, score, threshold: thr, drifted: isDrifted(method, score, thr) };
  if (info.scoreKind === 'p_value') d.pValue = score;
  return d;
}

export interface MethodChoice {
  method: DriftMethod;
  threshold: number;
}

/** The method and threshold for a column: per-column overrides, else Evidently's defaults. */
export function chooseMethod(
  columnType: ColumnType,
  referenceSize: number,
  nUnique: number,
  override: { method?: DriftMethod; threshold?: number } = {},
): MethodChoice {
  const method = override.method ?? defaultMethod(columnType, referenceSize, nUnique);
  if (DRIFT_METHODS[method].numericOnly && columnType !== 'numeric') {
    throw new RangeError(`Drift method '${method}' needs a numeric column`);
  }
  const threshold = override.threshold ?? defaultThreshold(method);
  if (!Number.isFinite(threshold) || threshold < 0) throw new RangeError(`Drift threshold must be a finite number ≥ 0, got ${threshold}`);
  return { method, threshold };
}
