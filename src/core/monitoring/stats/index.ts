/** Drift statistics: see columnDrift.ts for the per-column entry point and select.ts for the method table. */
export * from './chisquare';
export * from './columnDrift';
export * from './counts';
export * from './distributions';
export * from './histogram';
export * from './jensenshannon';
export * from './ks';
export {
  PSI_DEFAULT_BINS,
  PSI_DEFAULT_EPS,
  type PsiBin,
  type PsiOptions,
  type PsiResult,
  psiCategorical,
  psiEdges,
  psiNumeric,
  psiNumericSorted,
} from './psi';
export * from './samples';
export * from './select';
export * from './wasserstein';
export * from './ztest';
