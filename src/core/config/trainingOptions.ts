/**
 * The training options of one run, from three sources in one order: what the caller chose (the CLI's flags, the
 * editor's command arguments and answers) over the `training` section of mlops.yaml over the defaults (trainRun's).
 * `mlops train`/`mlops sweep` and the editor's Train Model/Run Sweep all build their TrainOptions here.
 */
import * as path from 'node:path';
import type { MissingPolicy } from '../data/dataset';
import { CONFIG_FILE, ConfigError, resolveConfigPath, type SweepConfig, type TrainingConfig, type WorkbenchConfig } from './config';
import type { Task } from '../training/engine';
import { parseEngine } from '../training/params';
import type { SplitMode } from '../training/prepare';
import type { TrainOptions } from '../training/train';
import { UserInputError } from '../util/errors';
import { parseDecimal } from '../util/numbers';

/** What the caller chose; undefined = not chosen (mlops.yaml, then the default, applies). */
export interface TrainingChoices {
  /** The CSV, relative to `TrainingPlace.cwd` (or absolute). */
  data?: string;
  target?: string;
  task?: string;
  engine?: string;
  /** Hyperparameters over training.params, key by key. */
  params?: Record<string, unknown>;
  /** `params` is the whole set (an answer pre-filled from training.params): training.params is not merged in. */
  paramsComplete?: boolean;
  /** A number, or text as typed (then it must be a decimal number between 0 and 1). */
  testSize?: number | string;
  split?: string;
  missing?: string;
  categorical?: string[];
  experiment?: string;
  runName?: string;
}

/** Where the choices were made. */
export interface TrainingPlace {
  /** The folder a relative `data` is resolved against (the CLI: the current folder). */
  cwd: string;
  /** The workspace: a data file inside it is recorded by its path relative to it. */
  workspace: string;
  /** The run's environment.source ('cli', 'extension'). */
  source: string;
  /** How the caller names its choices in messages (the CLI: its flags, e.g. `--data CSV`); default: the key. */
  names?: Partial<Record<'data' | 'target' | 'testSize', string>>;
}

/** training.data of the config as an absolute path (relative paths are relative to the config's folder). */
export function configuredTrainingData(cfg: WorkbenchConfig | undefined): string | undefined {
  return cfg?.training.data ? resolveConfigPath(cfg, cfg.training.data) : undefined;
}

/** The data set's path as runs record it: relative to the workspace (with '/') when inside it, else absolute. */
export function dataLabel(workspace: string, data: string): string {
  const rel = path.relative(workspace, data);
  return rel.startsWith('..') || path.isAbsolute(rel) ? data : rel.split(path.sep).join('/');
}

/**
 * TrainOptions from the caller's choices over mlops.yaml's training section. A missing data set or target, or a value
 * that cannot be used, is a UserInputError naming the choice and the config key (and the config file when the value
 * came from it).
 */
export function resolveTrainingOptions(given: TrainingChoices, cfg: WorkbenchConfig | undefined, where: TrainingPlace): TrainOptions {
  const t: TrainingConfig = cfg?.training ?? {};
  const name = (k: 'data' | 'target' | 'testSize') => where.names?.[k] ?? k;
  const configFile = cfg?.file ?? CONFIG_FILE;
  const dataArg = given.data ?? configuredTrainingData(cfg);
  if (!dataArg) throw new UserInputError(`A data set is needed: ${name('data')} (or training.data in ${configFile}).`);
  const target = given.target ?? t.target;
  if (!target) throw new UserInputError(`A target column is needed: ${name('target')} (or training.target in ${configFile}).`);
  const data = path.resolve(where.cwd, dataArg);
  return {
    data,
    dataLabel: dataLabel(where.workspace, data),
    target,
    task: (given.task ?? t.task) as Task | undefined,
    engine: engineOf(given.engine, cfg),
    params: given.paramsComplete ? { ...given.params } : { ...(t.params ?? {}), ...(given.params ?? {}) },
    testSize: testSizeOf(given.testSize, name('testSize')) ?? t.test_size,
    split: (given.split ?? t.split) as SplitMode | undefined,
    missing: (given.missing ?? t.missing) as MissingPolicy | undefined,
    categorical: given.categorical ?? t.categorical,
    experiment: given.experiment ?? t.experiment,
    runName: given.runName,
    source: where.source,
  };
}

/** The chosen engine, else training.engine (an unknown one from the file is an error naming the file and key). */
function engineOf(chosen: string | undefined, cfg: WorkbenchConfig | undefined): TrainOptions['engine'] {
  if (chosen !== undefined) return parseEngine(chosen);
  const configured = cfg?.training.engine;
  if (configured === undefined) return undefined;
  try {
    return parseEngine(configured);
  } catch (e) {
    throw new ConfigError(cfg!.file, undefined, undefined, `training.engine: ${(e as Error).message}`);
  }
}

/** A test share typed as text must be a decimal number in (0, 1); a number is checked by trainRun. */
function testSizeOf(v: number | string | undefined, name: string): number | undefined {
  if (typeof v !== 'string') return v;
  const n = parseDecimal(v);
  if (n === undefined || !(n > 0 && n < 1)) throw new UserInputError(`${name} must be a decimal number between 0 and 1 (exclusive), got '${v}'.`);
  return n;
}

/** A sweep's experiment: the chosen one, else sweep.experiment, else the runs' training experiment. */
export function sweepExperiment(chosen: string | undefined, sweep: SweepConfig | undefined, base: TrainOptions): string | undefined {
  return chosen ?? sweep?.experiment ?? base.experiment;
}
