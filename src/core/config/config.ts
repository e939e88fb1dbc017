/**
 * The workspace config file `mlops.yaml` (YAML, parsed with the `yaml` library): training defaults and sweep
 * grids. Errors name the file, line and column. Paths in it are relative to the file's folder.
 *
 *   training:
 *     data: data/wafer_yield.csv
 *     target: yield
 *     task: regression            # or classification (default: from the target's type)
 *     engine: forest              # or mljs
 *     experiment: YieldPrediction_RandomForest
 *     test_size: 0.2
 *     split: ordered              # or random
 *     missing: error              # or drop, median
 *     params: {n_estimators: 100, max_depth: 10, seed: 42}
 *   sweep:
 *     experiment: YieldPrediction_RandomForest
 *     parallel: 2
 *     grid:                       # a list of combinations ...
 *       - {n_estimators: 50, max_depth: 5}
 *     space:                      # ... or every combination of these values (or `random: N` of them)
 *       n_estimators: [50, 100, 200]
 *       max_depth: [5, 10, none]
 *     random: 4
 *   monitoring:
 *     monitors:                   # one per model watched in production
 *       - model: YieldPredictor   # its Production version (or model_uri: models:/YieldPredictor@champion)
 *         reference: data/wafer_yield.csv   # default: the data the registered version was trained on
 *         current: data/batches/*.csv       # production batches; each new file is a new batch
 *         watch: true             # check new batch files as they appear (off in Restricted Mode)
 *         retrain: false          # true: an alert starts the model's pipeline with trigger `drift`
 *         drift_share: 0.5        # dataset drift when this share of columns drifted
 *         performance_threshold: 0.2   # alert when a metric is this much worse than at registration
 *         missing_share: 0.1      # alert when a feature's missing share rises this much above the reference's
 *         columns:                # per-column method and/or threshold: METHOD, METHOD:THRESHOLD or a threshold
 *           Temperature: psi:0.2
 *           Dies_tested: 0.01
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { parseColumnOverride } from '../monitoring/columnOverride';
import { describeValue, escapeControl, printable } from '../store/names';
import type { Task } from '../training/engine';
import { MAX_PARALLEL, MAX_SWEEP_RUNS, parseHyperparameters } from '../training/params';
import { UserInputError } from '../util/errors';

export const CONFIG_FILE = 'mlops.yaml';

export type Scalar = string | number | boolean | null;

export interface TrainingConfig {
  data?: string;
  target?: string;
  task?: 'regression' | 'classification';
  engine?: string;
  experiment?: string;
  test_size?: number;
  split?: 'ordered' | 'random';
  missing?: 'error' | 'drop' | 'median';
  categorical?: string[];
  params?: Record<string, Scalar>;
}

export interface SweepConfig {
  experiment?: string;
  parallel?: number;
  grid?: Record<string, Scalar>[];
  space?: Record<string, Scalar[]>;
  random?: number;
  seed?: number;
}

export interface MonitorConfig {
  model: string;
  model_uri?: string;
  reference?: string;
  current?: string;
  watch?: boolean;
  retrain?: boolean;
  drift_share?: number;
  performance_threshold?: number;
  /** Alert when a feature's missing share in a batch exceeds the reference's by more than this (default 0.1). */
  missing_share?: number;
  /** Per-column overrides: `Temperature: psi:0.2` (METHOD, METHOD:THRESHOLD or :THRESHOLD). */
  columns?: Record<string, string>;
}

export interface WorkbenchConfig {
  file: string;
  dir: string;
  training: TrainingConfig;
  sweep?: SweepConfig;
  /** monitoring.monitors (validated; empty when the section is absent). */
  monitors: MonitorConfig[];
  /** Sections other issues add (registry, pipelines, monitoring) are kept as parsed. */
  raw: Record<string, unknown>;
}

export class ConfigError extends UserInputError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly col: number | undefined,
    readonly detail: string,
  ) {
    super(`${escapeControl(file)}${line !== undefined ? `:${line}${col !== undefined ? `:${col}` : ''}` : ''}: ${detail}`);
    this.name = 'ConfigError';
  }
}

const TRAINING_KEYS = ['data', 'target', 'task', 'engine', 'experiment', 'test_size', 'split', 'missing', 'categorical', 'params'];
const SWEEP_KEYS = ['experiment', 'parallel', 'grid', 'space', 'random', 'seed'];
const TOP_KEYS = ['training', 'sweep', 'registry', 'pipelines', 'monitoring'];
const MONITOR_KEYS = ['model', 'model_uri', 'reference', 'current', 'watch', 'retrain', 'drift_share', 'performance_threshold', 'missing_share', 'columns'];
/** The keys this parser knows, per section (schemas/mlops.schema.json describes the same; a unit test keeps them equal). */
export const CONFIG_KEYS = { top: TOP_KEYS, training: TRAINING_KEYS, sweep: SWEEP_KEYS, monitor: MONITOR_KEYS } as const;

/** The allowed range of every numeric setting (schemas/mlops.schema.json says the same; a unit test keeps them equal). */
export const CONFIG_BOUNDS = {
  sweep: { parallel: [1, MAX_PARALLEL], random: [1, MAX_SWEEP_RUNS], seed: [0, 4_294_967_295] },
  monitor: { performance_threshold: 1000 },
} as const;
/** Aliases one file may expand (YAML's "billion laughs" guard): far above any real config. */
export const MAX_YAML_ALIASES = 1000;

/** The document as plain values with aliases resolved; a file that expands too much is refused. */
export function yamlToJs(doc: Document, fail: (msg: string) => never): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    return fail(`cannot be read: ${(e as Error).message} (more than ${MAX_YAML_ALIASES} alias expansions)`);
  }
}

export function findConfig(dir: string): string | undefined {
  const f = path.join(dir, CONFIG_FILE);
  return fs.existsSync(f) ? f : undefined;
}

export function loadConfig(file: string): WorkbenchConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot be read (${(e as Error).message})`);
  }
  return parseConfig(text, file);
}

/** Throws a ConfigError at a node's line and column. */
type Fail = (n: YamlNode | null | undefined, msg: string) => never;
/** An alias (*name) stands for the node it names: positions and checks use that node. */
type Deref = (n: unknown) => YamlNode | null | undefined;

export function parseConfig(text: string, file: string): WorkbenchConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new ConfigError(file, pos.line, pos.col, e.message.split('\n')[0]);
  }
  const where = (n: YamlNode | null | undefined) => (n && n.range ? lc.linePos(n.range[0]) : { line: undefined, col: undefined });
  const fail: Fail = (n, msg) => {
    const p = where(n);
    throw new ConfigError(file, p.line, p.col, msg);
  };
  const deref: Deref = (n) => (isAlias(n) ? (n.resolve(doc) as YamlNode | undefined) : (n as YamlNode | null | undefined));
  const root = doc.contents;
  const out: WorkbenchConfig = { file, dir: path.dirname(file), training: {}, monitors: [], raw: {} };
  if (root === null || root === undefined) return out;
  if (!isMap(root)) fail(root as YamlNode, 'the file must be a mapping (key: value)');
  const js = yamlToJs(doc, (msg) => fail(undefined, msg)) as Record<string, unknown>;
  const map = root as import('yaml').YAMLMap;
  const sec = (key: string) => deref(map.get(key, true));
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!TOP_KEYS.includes(key)) fail(pair.key as YamlNode, `unknown section '${printable(key)}' (known: ${TOP_KEYS.join(', ')})`);
    out.raw[key] = js[key] ?? null;
    const value = deref(pair.value);
    if (key === 'training') out.training = section(value, TRAINING_KEYS, 'training', fail, js[key]) as TrainingConfig;
    if (key === 'sweep') out.sweep = section(value, SWEEP_KEYS, 'sweep', fail, js[key]) as SweepConfig;
  }
  checkTraining(out.training, sec('training'), fail, deref);
  const task = out.training.task === 'classification' ? 'classification' : 'regression';
  if (out.sweep) checkSweep(out.sweep, sec('sweep'), task, fail, deref);
  const monNode = sec('monitoring');
  if (monNode !== undefined && monNode !== null) out.monitors = monitors(monNode, fail, deref, (js.monitoring ?? {}) as Record<string, unknown>);
  return out;
}

const got = (v: unknown) => `got ${describeValue(v)}`;

/** The training section's values, each error at its key's value. */
function checkTraining(t: TrainingConfig, tNode: YamlNode | null | undefined, fail: Fail, deref: Deref): void {
  const at = (k: string) => (isMap(tNode) ? ((tNode.get(k, true) as YamlNode) ?? tNode) : tNode);
  if (t.task !== undefined && t.task !== 'regression' && t.task !== 'classification') fail(at('task'), `training.task must be regression or classification, not ${describeValue(t.task)}`);
  if (t.split !== undefined && t.split !== 'ordered' && t.split !== 'random') fail(at('split'), `training.split must be ordered or random, not ${describeValue(t.split)}`);
  if (t.missing !== undefined && !['error', 'drop', 'median'].includes(t.missing)) fail(at('missing'), `training.missing must be error, drop or median, not ${describeValue(t.missing)}`);
  if (t.test_size !== undefined && !(typeof t.test_size === 'number' && t.test_size > 0 && t.test_size < 1)) fail(at('test_size'), `training.test_size must be a number between 0 and 1 (exclusive), ${got(t.test_size)}`);
  for (const k of ['data', 'target', 'experiment', 'engine'] as const) if (t[k] !== undefined && typeof t[k] !== 'string') fail(at(k), `training.${k} must be text, ${got(t[k])}`);
  if (t.categorical !== undefined && !(Array.isArray(t.categorical) && t.categorical.every((c) => typeof c === 'string'))) fail(at('categorical'), `training.categorical must be a list of column names, ${got(t.categorical)}`);
  if (t.params !== undefined && (typeof t.params !== 'object' || t.params === null || Array.isArray(t.params))) fail(at('params'), `training.params must be a mapping of hyperparameters, ${got(t.params)}`);
  const task = t.task === 'classification' ? 'classification' : 'regression';
  if (t.params) checkParams(deref(at('params')), t.params, 'training.params', task, fail);
}

/** Each hyperparameter on its own, so the message points at its key (unknown) or its value (wrong). */
function checkParams(node: YamlNode | null | undefined, values: Record<string, unknown>, name: string, task: Task, fail: Fail): void {
  for (const [k, v] of Object.entries(values)) {
    const keyNode = isMap(node) ? ((node.items.find((p) => isScalar(p.key) && String(p.key.value) === k)?.key as YamlNode | undefined) ?? node) : node;
    // The value's own node (an alias where the alias is written): that is where the wrong value is given.
    const valueNode = isMap(node) ? ((node.get(k, true) as YamlNode | undefined) ?? keyNode) : node;
    try {
      parseHyperparameters({ [k]: v }, task);
    } catch (e) {
      if (/^Unknown hyperparameter/.test((e as Error).message)) fail(keyNode, `${name}: ${(e as Error).message}`);
      fail(valueNode, `${name}.${printable(k)}: ${(e as Error).message}`);
    }
  }
}

/** The sweep section: a grid or a space (each value a valid hyperparameter), and its numbers within bounds. */
function checkSweep(s: SweepConfig, sNode: YamlNode | null | undefined, task: Task, fail: Fail, deref: Deref): void {
  const sat = (k: string) => (isMap(sNode) ? (deref(sNode.get(k, true)) ?? sNode) : sNode);
  if (s.grid !== undefined && (!Array.isArray(s.grid) || s.grid.some((g) => typeof g !== 'object' || g === null || Array.isArray(g)))) fail(sat('grid'), 'sweep.grid must be a list of mappings, e.g. - {n_estimators: 50, max_depth: 5}');
  if (s.grid !== undefined && s.grid.length > MAX_SWEEP_RUNS) fail(sat('grid'), `sweep.grid lists ${s.grid.length} combinations; a sweep trains at most ${MAX_SWEEP_RUNS}`);
  if (s.space !== undefined && (typeof s.space !== 'object' || s.space === null || Array.isArray(s.space) || Object.values(s.space).some((v) => !Array.isArray(v) || !v.length))) fail(sat('space'), 'sweep.space must map each hyperparameter to a non-empty list of values');
  for (const [k, [min, max]] of Object.entries(CONFIG_BOUNDS.sweep)) {
    const v = (s as Record<string, unknown>)[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) fail(sat(k), `sweep.${k} must be a whole number from ${min} to ${max}, ${got(v)}`);
  }
  if (s.grid) {
    const gNode = sat('grid');
    s.grid.forEach((g, i) => checkParams(isSeq(gNode) ? deref(gNode.items[i]) : gNode, g, `sweep.grid[${i}]`, task, fail));
  }
  if (s.space) checkSpace(s.space, sat('space'), task, fail, deref);
  if (s.grid === undefined && s.space === undefined) fail(sNode, 'sweep needs a grid (list of combinations) or a space (values per hyperparameter)');
}

/** sweep.space: every listed value a valid value of its hyperparameter; an unknown hyperparameter at its key. */
function checkSpace(space: Record<string, Scalar[]>, spNode: YamlNode | null | undefined, task: Task, fail: Fail, deref: Deref): void {
  for (const [k, values] of Object.entries(space)) {
    const listNode = isMap(spNode) ? deref(spNode.get(k, true)) : spNode;
    values.forEach((v, i) => {
      const vNode = isSeq(listNode) ? ((listNode.items[i] as YamlNode | undefined) ?? listNode) : listNode;
      if (v !== null && typeof v === 'object') fail(vNode, `sweep.space.${printable(k)}[${i}] must be a number, text, true/false or none, ${got(v)}`);
      try {
        parseHyperparameters({ [k]: v }, task);
      } catch (e) {
        const keyNode = isMap(spNode) ? (spNode.items.find((p) => isScalar(p.key) && String(p.key.value) === k)?.key as YamlNode | undefined) : undefined;
        fail(/^Unknown hyperparameter/.test((e as Error).message) ? (keyNode ?? spNode) : vNode, `sweep.space${/^Unknown/.test((e as Error).message) ? '' : `.${printable(k)}[${i}]`}: ${(e as Error).message}`);
      }
    });
  }
}

function section(node: YamlNode | null | undefined, keys: string[], name: string, fail: (n: YamlNode | null | undefined, m: string) => never, value: unknown): Record<string, unknown> {
  if (node === null || node === undefined) return {};
  if (!isMap(node)) fail(node, `${name} must be a mapping, got ${describeValue(value)}`);
  const m = node as import('yaml').YAMLMap;
  for (const pair of m.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!keys.includes(k)) fail(pair.key as YamlNode, `unknown key '${name}.${printable(k)}' (known: ${keys.join(', ')})`);
  }
  return (value ?? {}) as Record<string, unknown>;
}

function monitors(node: YamlNode, fail: (n: YamlNode | null | undefined, m: string) => never, deref: (n: unknown) => YamlNode | null | undefined, value: Record<string, unknown>): MonitorConfig[] {
  section(node, ['monitors'], 'monitoring', fail, value);
  const list = deref((node as import('yaml').YAMLMap).get('monitors', true));
  if (list === undefined || list === null) return [];
  if (!isSeq(list)) fail(list, 'monitoring.monitors must be a list, e.g. - {model: YieldPredictor, current: data/batches/*.csv, watch: true}');
  const values = (Array.isArray(value.monitors) ? value.monitors : []) as unknown[];
  return (list as import('yaml').YAMLSeq).items.map((raw, i) => {
    const item = deref(raw) as YamlNode;
    const name = `monitoring.monitors[${i}]`;
    const m = { ...section(item, MONITOR_KEYS, name, fail, values[i]) };
    const at = (k: string) => (isMap(item) ? ((deref(item.get(k, true)) as YamlNode) ?? item) : item);
    if (typeof m.model !== 'string' || !m.model.trim()) fail(isMap(item) && m.model !== undefined ? at('model') : (item as YamlNode), `${name} needs a model (the registered model's name)`);
    for (const k of ['model_uri', 'reference', 'current'] as const) if (m[k] !== undefined && typeof m[k] !== 'string') fail(at(k), `${name}.${k} must be text`);
    for (const k of ['watch', 'retrain'] as const) if (m[k] !== undefined && typeof m[k] !== 'boolean') fail(at(k), `${name}.${k} must be true or false`);
    if (m.drift_share !== undefined && !(typeof m.drift_share === 'number' && m.drift_share > 0 && m.drift_share <= 1)) fail(at('drift_share'), `${name}.drift_share must be a number in (0, 1], got ${describeValue(m.drift_share)}`);
    if (m.missing_share !== undefined && !(typeof m.missing_share === 'number' && m.missing_share > 0 && m.missing_share <= 1)) fail(at('missing_share'), `${name}.missing_share must be a number in (0, 1], got ${describeValue(m.missing_share)}`);
    const maxThreshold = CONFIG_BOUNDS.monitor.performance_threshold;
    if (m.performance_threshold !== undefined && !(typeof m.performance_threshold === 'number' && m.performance_threshold > 0 && m.performance_threshold <= maxThreshold)) fail(at('performance_threshold'), `${name}.performance_threshold must be a number > 0 and ≤ ${maxThreshold} (0.2 = 20 % worse), got ${describeValue(m.performance_threshold)}`);
    if (m.watch === true && m.current === undefined) fail(at('watch'), `${name}.watch needs current: a glob of the batch files to watch`);
    if (m.columns !== undefined) {
      const cNode = at('columns');
      if (!isMap(cNode)) fail(cNode, `${name}.columns must map column names to METHOD[:THRESHOLD], e.g. Temperature: psi:0.2`);
      const columns: Record<string, string> = {};
      for (const pair of (cNode as import('yaml').YAMLMap).items) {
        const v = (deref(pair.value) ?? cNode) as YamlNode;
        // A bare number is a threshold for the default method: `Dies_tested: 0.01` = `:0.01`.
        const text = isScalar(v) ? (typeof v.value === 'number' ? `:${v.value}` : String(v.value)) : '';
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        try {
          parseColumnOverride(text);
        } catch (e) {
          fail(v, `${name}.columns.${key}: ${(e as Error).message}`);
        }
        columns[key] = text;
      }
      m.columns = columns;
    }
    return m as unknown as MonitorConfig;
  });
}

/** Resolve a config path (relative to the config file's folder). */
export function resolveConfigPath(cfg: WorkbenchConfig, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(cfg.dir, p);
}
