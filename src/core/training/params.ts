/**
 * Hyperparameters with the seed's (scikit-learn's) names, parsed from strings (CLI, config files, quick picks)
 * or JSON values, validated with messages that name the parameter.
 */
import { describeValue, printable } from '../store/names';
import { UserInputError } from '../util/errors';
import { parseDecimal } from '../util/numbers';
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

/** Most runs one sweep may train (a grid search, or --random N): beyond it, sample with --random. */
export const MAX_SWEEP_RUNS = 10_000;
/** Most sweep runs trained at the same time. */
export const MAX_PARALLEL = 256;

/** The allowed range of each numeric hyperparameter (the JSON schemas say the same). */
export const HYPERPARAMETER_BOUNDS = {
  n_estimators: [1, 10_000],
  max_depth: [1, 1_000],
  min_samples_split: [2, 1_000_000_000],
  min_samples_leaf: [1, 1_000_000_000],
  /** max_features as a count of features (a fraction is in (0, 1]). */
  max_features: [1, 1_000_000],
  seed: [0, 4_294_967_295],
} as const;

export type HyperparameterKey = (typeof HYPERPARAMETER_KEYS)[number];

/** `min–max`, or `≥ min` when the maximum is only a guard. */
function span([min, max]: readonly [number, number]): string {
  return max >= 1_000_000_000 ? `≥ ${min}` : `${min}–${max}`;
}

/** What each hyperparameter accepts, for prompts and help texts (the ranges are HYPERPARAMETER_BOUNDS). */
export const HYPERPARAMETER_HINTS: Record<HyperparameterKey, string> = {
  n_estimators: span(HYPERPARAMETER_BOUNDS.n_estimators),
  max_depth: `${span(HYPERPARAMETER_BOUNDS.max_depth)} or none`,
  max_features: 'sqrt, log2, all, a fraction in (0, 1] or a count',
  min_samples_split: span(HYPERPARAMETER_BOUNDS.min_samples_split),
  min_samples_leaf: span(HYPERPARAMETER_BOUNDS.min_samples_leaf),
  bootstrap: 'true or false',
  seed: span(HYPERPARAMETER_BOUNDS.seed),
};

/** Every hyperparameter with what it accepts: `n_estimators (1–10000), max_depth (1–1000 or none), …`. */
export function hyperparameterSummary(): string {
  return HYPERPARAMETER_KEYS.map((k) => `${k} (${HYPERPARAMETER_HINTS[k]})`).join(', ');
}

/** `n_estimators=100, max_depth=none` (a prompt's answer): values stay text, none/null is null. */
export function parseHyperparameterList(text: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const part of listItems(text)) {
    const [k, v] = part.split('=');
    params[k] = /^(none|null)$/i.test(v) ? null : v;
  }
  return params;
}

/** Why a KEY=VALUE list cannot be used (the first problem), or undefined when every pair is a valid hyperparameter. */
export function hyperparameterListProblem(text: string): string | undefined {
  if (!listItems(text).every((s) => /^[a-z_]+=\S+$/.test(s))) return 'Use KEY=VALUE pairs separated by commas';
  try {
    parseHyperparameters(parseHyperparameterList(text), 'regression');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function listItems(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A number given as a number, or as text in decimal notation only ('0x10' is not 16). */
function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'string' ? parseDecimal(v) : undefined;
}

function int(key: string, v: unknown, [min, max]: readonly [number, number]): number {
  const n = numberOf(v);
  if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
    throw new UserInputError(`${key} must be an integer ≥ ${min} and ≤ ${max.toLocaleString('en-US')}, got ${describeValue(v)}.`);
  }
  return n;
}

/** Parse user-given values over the defaults. Unknown keys are an error naming the known ones. */
export function parseHyperparameters(raw: Record<string, unknown>, task: Task): Hyperparameters {
  const h = defaultHyperparameters(task);
  for (const [key, v] of Object.entries(raw)) {
    switch (key) {
      case 'n_estimators':
        h.n_estimators = int(key, v, HYPERPARAMETER_BOUNDS.n_estimators);
        break;
      case 'max_depth':
        h.max_depth = v === null || (typeof v === 'string' && /^(none|null)$/i.test(v.trim())) ? null : int(key, v, HYPERPARAMETER_BOUNDS.max_depth);
        break;
      case 'max_features': {
        const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
        if (s !== undefined && ['sqrt', 'log2', 'all', 'auto'].includes(s)) h.max_features = s === 'auto' ? 'all' : s;
        else {
          const n = numberOf(v);
          const max = HYPERPARAMETER_BOUNDS.max_features[1];
          if (n === undefined || !Number.isFinite(n) || n <= 0) throw new UserInputError(`max_features must be sqrt, log2, all, a fraction in (0, 1] or a count ≥ 1, got ${describeValue(v)}.`);
          if (n > 1 && !Number.isInteger(n)) throw new UserInputError(`max_features above 1 must be a whole count of features, got ${describeValue(v)}.`);
          if (n > max) throw new UserInputError(`max_features as a count must be ≤ ${max.toLocaleString('en-US')}, got ${describeValue(v)}.`);
          h.max_features = n;
        }
        break;
      }
      case 'min_samples_split':
        h.min_samples_split = int(key, v, HYPERPARAMETER_BOUNDS.min_samples_split);
        break;
      case 'min_samples_leaf':
        h.min_samples_leaf = int(key, v, HYPERPARAMETER_BOUNDS.min_samples_leaf);
        break;
      case 'bootstrap': {
        const s = typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' ? String(v).trim().toLowerCase() : '';
        if (!['true', 'false', '1', '0'].includes(s)) throw new UserInputError(`bootstrap must be true or false, got ${describeValue(v)}.`);
        h.bootstrap = s === 'true' || s === '1';
        break;
      }
      case 'seed':
      case 'random_state':
        h.seed = int(key, v, HYPERPARAMETER_BOUNDS.seed);
        break;
      default:
        throw new UserInputError(`Unknown hyperparameter '${printable(key)}'. Known: ${HYPERPARAMETER_KEYS.join(', ')}.`);
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
