/**
 * The `forest` engine: our random forest (regression and classification) on typed arrays, trees built in
 * parallel worker threads. See tree.ts for the split algorithm, format.ts for the model artifact.
 */
import type { Engine, ForestModel, ForestParams, Matrix, TrainControl } from '../engine';
import { trainForest } from './forest';
import { ENGINE_VERSION, RandomForestModel } from './model';

export { disposeForestWorkers } from './forest';
export { RandomForestModel } from './model';

export const forestEngine: Engine = {
  name: 'forest',
  version: ENGINE_VERSION,
  notes:
    'forest 1.1: scikit-learn semantics for every parameter — max_features (sqrt, log2, fraction, count, all) drawn at each split; ' +
    'bootstrap as per-row counts, with min_samples_split/min_samples_leaf counting distinct rows as scikit-learn does; ' +
    'max_depth none = unlimited; criterion mse (regression), gini or entropy (classification). ' +
    'Splits: exact, as scikit-learn (every feature sorted once per forest; a node scans its rows in sorted order; thresholds are midpoints of feature values); ' +
    'on data of more than 200,000 values the top levels (nodes of more than ~256 rows; every level when fewer than 3 would remain below them) search ≤256 quantile bins per feature with histograms, thresholds on bin edges. ' +
    'Deterministic for a seed whatever the number of workers (default: all cores; 0 = build in the calling thread). ' +
    'Impurity-based feature importance, kept in the model file.',
  train(x: Matrix, y: Float64Array, params: ForestParams, control?: TrainControl): Promise<ForestModel> {
    return trainForest(x, y, params, control);
  },
  deserialize(bytes: Uint8Array): ForestModel {
    return RandomForestModel.deserialize(bytes);
  },
};
