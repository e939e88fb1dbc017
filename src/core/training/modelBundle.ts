/**
 * A trained model as stored in a run (and, copied, in the registry): `model/model.json` (what the model is:
 * engine, task, encoding, target range, training metrics) and `model/model.bin` (the engine's own artifact).
 * Loading checks the SHA-256 of model.bin against model.json, so a changed file is refused.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserInputError } from '../util/errors';
import type { Dataset } from '../data/dataset';
import type { EngineName, ForestModel, Task } from './engine';
import { engine } from './engines';
import { encodeForPrediction, FeatureEncoding } from './prepare';

export const MODEL_DIR = 'model';
export const MODEL_META = 'model/model.json';
export const MODEL_BIN = 'model/model.bin';

export interface ModelMeta {
  format: 1;
  engine: EngineName;
  engineVersion: string;
  task: Task;
  encoding: FeatureEncoding;
  /** Range of the training target (regression), for plausibility checks of predictions. */
  targetRange?: { min: number; max: number };
  binSha256: string;
  binBytes: number;
  runId?: string;
  trainedAt: number;
  hyperparameters: Record<string, unknown>;
  metrics?: Record<string, number>;
}

export interface LoadedModel {
  meta: ModelMeta;
  model: ForestModel;
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Load a model from a folder holding model.json and model.bin. */
export function loadModelFrom(dir: string): LoadedModel {
  const metaFile = path.join(dir, 'model.json');
  const binFile = path.join(dir, 'model.bin');
  if (!fs.existsSync(metaFile) || !fs.existsSync(binFile)) throw new UserInputError(`No model in ${dir} (model.json and model.bin are needed).`);
  let meta: ModelMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as ModelMeta;
  } catch (e) {
    throw new UserInputError(`${metaFile}: unreadable model description (${(e as Error).message}).`);
  }
  const bytes = fs.readFileSync(binFile);
  if (sha256(bytes) !== meta.binSha256) throw new UserInputError(`${binFile}: its SHA-256 does not match model.json; the model file was changed.`);
  return { meta, model: engine(meta.engine).deserialize(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) };
}

export interface Predictions {
  /** Regression values, or class indexes. */
  values: Float64Array;
  /** Classification: class labels for each row. */
  labels?: string[];
  /** Classification: probabilities row-major n × classes. */
  proba?: Float64Array;
}

export function predictDataset(m: LoadedModel, ds: Dataset): Predictions {
  const x = encodeForPrediction(ds, m.meta.encoding);
  const values = m.model.predict(x);
  if (m.meta.task === 'classification') {
    const classes = m.meta.encoding.classes ?? [];
    return { values, labels: Array.from(values, (v) => classes[v]), proba: m.model.predictProba(x) };
  }
  return { values };
}
