/**
 * Hyperparameters with the seed's (scikit-learn's) names, parsed from strings (CLI, config files, quick picks)
 * or JSON values, validated with messages that name the parameter.
 */
import { UserInputError } from '../util/errors';
import type { EngineName, ForestParams, MaxFeatures, Task } from './engine';

export interface Hyperparameters {
  n_estimators: number;
  max_depth: number | null;
  max_features: string | number;
  min_samples_split: number;
  min_samples_leaf: number;
  bootstrap: boolean;
  seed: number;
}

export const HYPERPARAMETER_KEYS = ['n_estimators', 'max_depth', 'max_features', 'min_samples_split', 'min_samples_leaf', 'bootstrap', 'seed'] as const;

export function defaultHyperparameters(task: Task): Hyperparameters {
  return { n_estimators: 100, max_depth: null, max_features: task === 'classification' ? 'sqrt' : 'all', min_samples_split: 2, min_samples_leaf: 1, bootstrap: true, seed: 42 };
}

function int(key: string, v: unknown, min: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw new UserInputError(`${key} must be an integer ≥ ${min}, got '${String(v)}'.`);
  return n;
}

/** Parse user-given values over the defaults. Unknown keys are an error naming the known ones. */
export function parseHyperparameters(raw: Record<string, unknown>, task: Task): Hyperparameters {
  const h = defaultHyperparameters(task);
  for (const [key, v] of Object.entries(raw)) {
    switch (key) {
      case 'n_estimators':
        h.n_estimators = int(key, v, 1);
        if (h.n_estimators > 10_000) throw new UserInputError(`n_estimators ${h.n_estimators} is more than 10,000.`);
        break;
      case 'max_depth':
        h.max_depth = v === null || (typeof v === 'string' && /^(none|null)$/i.test(v.trim())) ? null : int(key, v, 1);
        break;
      case 'max_features': {
        const s = String(v).trim().toLowerCase();
        if (['sqrt', 'log2', 'all', 'auto'].includes(s)) h.max_features = s === 'auto' ? 'all' : s;
        else {
          const n = Number(s);
          if (!Number.isFinite(n) || n <= 0) throw new UserInputError(`max_features must be sqrt, log2, all, a fraction in (0, 1] or a count ≥ 1, got '${String(v)}'.`);
          if (n > 1 && !Number.isInteger(n)) throw new UserInputError(`max_features above 1 must be a whole count of features, got '${String(v)}'.`);
          h.max_features = n;
        }
        break;
      }
      case 'min_samples_split':
        h.min_samples_split = int(key, v, 2);
        break;
      case 'min_samples_leaf':
        h.min_samples_leaf = int(key, v, 1);
        break;
      case 'bootstrap': {
        const s = String(v).trim().toLowerCase();
        if (!['true', 'false', '1', '0'].includes(s)) throw new UserInputError(`bootstrap must be true or false, got '${String(v)}'.`);
        h.bootstrap = s === 'true' || s === '1';
        break;
      }
      case 'seed':
      case 'random_state':
        h.seed = int(key, v, 0);
        break;
      default:
        throw new UserInputError(`Unknown hyperparameter '${key}'. Known: ${HYPERPARAMETER_KEYS.join(', ')}.`);
    }
  }
  return h;
}

export function maxFeaturesOf(v: string | number): MaxFeatures {
  if (v === 'sqrt' || v === 'log2' || v === 'all') return v;
  const n = Number(v);
  return n <= 1 ? { fraction: n } : { count: n };
}

export function forestParams(h: Hyperparameters, task: Task, nClasses?: number, workers?: number): ForestParams {
  return {
    task,
    nEstimators: h.n_estimators,
    maxDepth: h.max_depth,
    maxFeatures: maxFeaturesOf(h.max_features),
    minSamplesSplit: h.min_samples_split,
    minSamplesLeaf: h.min_samples_leaf,
    bootstrap: h.bootstrap,
    seed: h.seed,
    criterion: task === 'regression' ? 'mse' : 'gini',
    nClasses,
    workers,
  };
}

export function parseEngine(v: unknown): EngineName {
  const s = String(v ?? 'forest').trim().toLowerCase();
  if (s === 'forest' || s === 'mljs') return s;
  throw new UserInputError(`Unknown engine '${String(v)}': use forest (the default) or mljs (ml-random-forest).`);
}
