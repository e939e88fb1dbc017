/**
 * Pipeline definitions: `*.pipeline.yaml` (or .yml / .json) files in the workspace, one per model. Parsed with the
 * `yaml` library and checked key by key, so every problem has a line and column (shown as editor diagnostics and
 * as the CLI's error). The JSON Schema in schemas/pipeline.schema.json describes the same format for completion.
 *
 *   name: yield-retrain
 *   model: YieldPredictor
 *   experiment: YieldPredictor_pipeline
 *   data:
 *     source: data/wafer_yield.csv      # a file, or a glob (the newest matching file is used)
 *     target: yield
 *     reference: data/wafer_yield.csv   # optional: ranges are checked against it
 *   trainer:
 *     kind: builtin                     # or command (then `command: python train.py`)
 *     engine: forest
 *     params: {n_estimators: 200, max_depth: 10}
 *     test_size: 0.2
 *     split: ordered
 *   validation: {min_rows: 100, max_missing_share: 0, ranges: {yield: [0, 100]}, range_tolerance: 0.1, duplicates: warn}
 *   gates: {min_r2: 0.7, max_rmse: 3.5, beat_production_by: 0.02}
 *   smoke: {rows: 50, latency_calls: 200, latency_budget_ms: 50}
 *   on_success: staging                 # or production (promote when every gate passed)
 *   triggers:
 *     data_update: true
 *     code_commit: {branch: main}
 *     schedule: {every: 6h}             # or {cron: "0 6 * * *"}
 *     drift: true
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlias, isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import { yamlToJs } from '../config/config';
import { checkModelName } from '../registry/registry';
import { checkKey, checkName, describeValue, escapeControl, printable } from '../store/names';
import { parseHyperparameters } from '../training/params';
import { UserInputError } from '../util/errors';

export interface PipelineDefinition {
  file: string;
  dir: string;
  name: string;
  model: string;
  experiment: string;
  data: { source: string; target: string; reference?: string; task?: 'regression' | 'classification' };
  trainer: { kind: 'builtin' | 'command'; engine?: 'forest' | 'mljs'; params: Record<string, unknown>; command?: string; test_size: number; split: 'ordered' | 'random' };
  validation: { min_rows: number; max_missing_share: number; required_columns?: string[]; ranges: Record<string, [number, number]>; range_tolerance: number; duplicates: 'warn' | 'fail' | 'ignore' };
  gates: { min_r2?: number; max_rmse?: number; max_mae?: number; min_accuracy?: number; min_f1?: number; beat_production_by?: number };
  smoke: { rows: number; latency_calls: number; latency_budget_ms: number; accuracy_tolerance: number };
  on_success: 'staging' | 'production';
  triggers: { data_update: boolean; code_commit?: { branch?: string }; schedule?: { every?: string; cron?: string }; drift: boolean };
}

export interface PipelineProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export class PipelineError extends UserInputError {
  constructor(readonly problems: PipelineProblem[]) {
    super(problems.map((p) => `${escapeControl(p.file)}:${p.line}:${p.col}: ${p.message}`).join('\n'));
    this.name = 'PipelineError';
  }
}

/** The allowed range of every numeric setting: [min, max], both included (schemas/pipeline.schema.json says the same). */
export const PIPELINE_BOUNDS = {
  'validation.min_rows': [0, 1_000_000_000],
  'gates.min_r2': [-1_000_000, 1],
  'gates.max_rmse': [0, Number.MAX_VALUE],
  'gates.max_mae': [0, Number.MAX_VALUE],
  'smoke.rows': [1, 100_000],
  'smoke.latency_calls': [1, 10_000],
  'smoke.latency_budget_ms': [0, 600_000],
  'smoke.accuracy_tolerance': [0, Number.MAX_VALUE],
} as const;
/** A schedule fires at most every 24 days: a longer interval does not fit a timer (2^31 ms) and would fire at once. */
export const MAX_SCHEDULE_MS = 24 * 86_400_000;

const SCHEMA: Record<string, Record<string, string> | string> = {
  name: 'string', model: 'string', experiment: 'string', on_success: 'enum:staging,production',
  data: { source: 'string', target: 'string', reference: 'string', task: 'enum:regression,classification' },
  trainer: { kind: 'enum:builtin,command', engine: 'enum:forest,mljs', params: 'map', command: 'string', test_size: 'fraction', split: 'enum:ordered,random' },
  validation: { min_rows: 'int', max_missing_share: 'share', required_columns: 'strings', ranges: 'ranges', range_tolerance: 'share', duplicates: 'enum:warn,fail,ignore' },
  gates: { min_r2: 'number', max_rmse: 'number', max_mae: 'number', min_accuracy: 'share', min_f1: 'share', beat_production_by: 'share' },
  smoke: { rows: 'int', latency_calls: 'int', latency_budget_ms: 'number', accuracy_tolerance: 'number' },
  triggers: { data_update: 'bool', code_commit: 'commit', schedule: 'schedule', drift: 'bool' },
};
const fmtBound = (n: number) => (n === Number.MAX_VALUE ? 'any size' : n.toLocaleString('en-US').replace(/,/g, ''));

export function isPipelineFile(file: string): boolean {
  return /\.pipeline\.(ya?ml|json)$/i.test(file);
}

/** Records a problem at a node's line and column (line 1, column 1 without a node). */
type At = (n: YamlNode | null | undefined, message: string) => void;
/** An alias (*name) stands for the node it names. */
type Deref = (n: unknown) => YamlNode | null;
type Raw = Record<string, Record<string, unknown> | string | undefined>;

/** Parse and check a pipeline file. Throws PipelineError with every problem found (line and column each). */
export function parsePipeline(text: string, file: string, options: { checkFiles?: boolean } = {}): PipelineDefinition {
  const problems: PipelineProblem[] = [];
  const { root, js, at, deref } = readYaml(text, file, problems);
  checkSchema(root, SCHEMA, '', js, at, deref);
  const raw = js as Raw;
  const pipelineName = typeof raw.name === 'string' ? raw.name : path.basename(file).replace(/\.pipeline\.(ya?ml|json)$/i, '');
  checkNames(root, raw, pipelineName, at);
  checkTrainerParams(root, raw, at, deref);
  checkRequired(root, raw, path.dirname(file), options.checkFiles !== false, at);
  if (problems.length) throw new PipelineError(problems);
  return definitionOf(raw, file, pipelineName);
}

/** The document's root mapping and its plain values; a syntax error, another root or too many aliases throw. */
function readYaml(text: string, file: string, problems: PipelineProblem[]): { root: YAMLMap; js: Record<string, unknown>; at: At; deref: Deref } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at: At = (n, message) => {
    const p = n?.range ? lc.linePos(n.range[0]) : { line: 1, col: 1 };
    problems.push({ file, line: p.line, col: p.col, message });
  };
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    problems.push({ file, line: p.line, col: p.col, message: e.message.split('\n')[0] });
  }
  if (problems.length) throw new PipelineError(problems);
  const root = doc.contents as YamlNode | null;
  if (!isMap(root)) {
    at(root, 'a pipeline file must be a mapping (key: value)');
    throw new PipelineError(problems);
  }
  let js: Record<string, unknown> = {};
  try {
    js = yamlToJs(doc, (msg) => {
      throw new Error(msg);
    }) as Record<string, unknown>;
  } catch (e) {
    at(root, (e as Error).message);
    throw new PipelineError(problems);
  }
  const deref: Deref = (n) => (isAlias(n) ? ((n.resolve(doc) as YamlNode | undefined) ?? null) : ((n as YamlNode | null | undefined) ?? null));
  return { root, js, at, deref };
}

/** Every key of a mapping against the schema: unknown keys, nested sections, and each value's type. */
function checkSchema(map: YAMLMap, schema: Record<string, unknown>, prefix: string, values: Record<string, unknown>, at: At, deref: Deref): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as YamlNode | null;
    const type = schema[key];
    if (type === undefined) {
      at(pair.key as YamlNode, `unknown key '${prefix}${printable(key)}' (known: ${Object.keys(schema).join(', ')})`);
      continue;
    }
    const v = values[key] === undefined ? null : values[key];
    if (typeof type === 'object') {
      const m = deref(value);
      if (!isMap(m)) at(value ?? (pair.key as YamlNode), `'${prefix}${key}' must be a mapping, got ${describeValue(v)}`);
      else checkSchema(m, type as Record<string, unknown>, `${prefix}${key}.`, (v ?? {}) as Record<string, unknown>, at, deref);
      continue;
    }
    checkValue(String(type), `${prefix}${key}`, v, value ?? (pair.key as YamlNode), at, deref);
  }
}

/** One value against its schema type (`node`: where it is written, or its key when it has no value). */
function checkValue(t: string, name: string, v: unknown, node: YamlNode, at: At, deref: Deref): void {
  const bad = (what: string) => at(node, `'${name}' must be ${what}, got ${describeValue(v)}`);
  const bounds = (PIPELINE_BOUNDS as Record<string, readonly [number, number]>)[name];
  if (t === 'string' && (typeof v !== 'string' || !v.trim())) bad('text');
  else if (t === 'int' && !(typeof v === 'number' && Number.isInteger(v) && v >= bounds[0] && v <= bounds[1])) bad(`a whole number from ${fmtBound(bounds[0])} to ${fmtBound(bounds[1])}`);
  else if (t === 'number' && !(typeof v === 'number' && Number.isFinite(v) && v >= bounds[0] && v <= bounds[1])) bad(bounds[1] === Number.MAX_VALUE ? `a number ≥ ${fmtBound(bounds[0])}` : `a number from ${fmtBound(bounds[0])} to ${fmtBound(bounds[1])}`);
  else if (t === 'share' && !(typeof v === 'number' && v >= 0 && v <= 1)) bad('a number between 0 and 1');
  else if (t === 'fraction' && !(typeof v === 'number' && v > 0 && v < 1)) bad('a number between 0 and 1 (exclusive)');
  else if (t === 'bool' && typeof v !== 'boolean') bad('true or false');
  else if (t === 'map' && !(v && typeof v === 'object' && !Array.isArray(v))) bad('a mapping');
  else if (t === 'strings' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) bad('a list of column names');
  else if (t.startsWith('enum:') && !t.slice(5).split(',').includes(String(v))) bad(`one of ${t.slice(5).split(',').join(', ')}`);
  else if (t === 'ranges') checkRanges(name, v, deref(node), bad, at);
  else if (t === 'commit' && !(v === true || v === false || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).every((k) => k === 'branch')))) bad('true, false or {branch: NAME}');
  else if (t === 'schedule') checkSchedule(name, v, node, bad, at);
}

/** validation.ranges: a mapping of column: [min, max]. */
function checkRanges(name: string, v: unknown, rm: YamlNode | null, bad: (what: string) => void, at: At): void {
  if (!isMap(rm)) return bad('a mapping of column: [min, max]');
  for (const rp of rm.items) {
    const col = String((rp.key as { value?: unknown })?.value);
    const rv = (v as Record<string, unknown>)[col];
    if (!(Array.isArray(rv) && rv.length === 2 && rv.every((x) => typeof x === 'number' && Number.isFinite(x)) && rv[0] <= rv[1])) at((rp.value as YamlNode) ?? (rp.key as YamlNode), `'${name}.${printable(col)}' must be [min, max] (finite numbers, min ≤ max), got ${Array.isArray(rv) ? `[${rv.map(describeValue).join(', ')}]` : describeValue(rv)}`);
  }
}

/** triggers.schedule: {every: DURATION} or {cron: EXPRESSION}. */
function checkSchedule(name: string, v: unknown, node: YamlNode, bad: (what: string) => void, at: At): void {
  if (!(v && typeof v === 'object' && !Array.isArray(v))) return bad('{every: 6h} or {cron: "0 6 * * *"}');
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'every' && k !== 'cron')) bad('{every: DURATION} or {cron: EXPRESSION}');
  if (o.every !== undefined && (typeof o.every !== 'string' || parseDuration(o.every) === undefined)) at(node, `'${name}.every' must be a duration from 1s to 24d such as 30m, 6h or 1d, got ${describeValue(o.every)}`);
  if (o.cron !== undefined && !validCron(String(o.cron))) at(node, `'${name}.cron' must be a 5-field cron expression (minute hour day month weekday)`);
}

/** Names: checked as the store and the registry check them, so nothing fails (or hides) after training. */
function checkNames(root: YAMLMap, raw: Raw, pipelineName: string, at: At): void {
  const node = (k: string) => (root.get(k, true) as YamlNode | undefined) ?? root;
  const nameProblem = checkPipelineName(pipelineName);
  if (nameProblem) at(node('name'), raw.name === undefined ? `the pipeline's name comes from the file name, and ${nameProblem}; set name: in the file or rename it` : `'name' ${nameProblem}`);
  if (typeof raw.model === 'string' && raw.model.trim()) {
    try {
      checkModelName(raw.model);
    } catch (e) {
      at(node('model'), `'model': ${printable((e as Error).message)}`);
    }
  }
  if (typeof raw.experiment === 'string') {
    try {
      checkName('Experiment name', raw.experiment);
    } catch (e) {
      at(node('experiment'), `'experiment': ${(e as Error).message}`);
    }
  }
}

/** trainer.params: hyperparameters of the built-in trainer, or (kind command) any param keys with scalar values. */
function checkTrainerParams(root: YAMLMap, raw: Raw, at: At, deref: Deref): void {
  const trainerNode = deref(root.get('trainer', true));
  const trainerJs = (raw.trainer ?? {}) as Record<string, unknown>;
  const paramsNode = isMap(trainerNode) ? deref(trainerNode.get('params', true)) : null;
  if (!isMap(paramsNode) || !trainerJs.params || typeof trainerJs.params !== 'object') return;
  const dataTask = (raw.data as Record<string, unknown> | undefined)?.task === 'classification' ? 'classification' : 'regression';
  for (const pair of paramsNode.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = (trainerJs.params as Record<string, unknown>)[k];
    const keyNode = pair.key as YamlNode;
    const valueNode = (pair.value as YamlNode | null) ?? keyNode;
    if (trainerJs.kind === 'command') {
      // Your command's own parameters: any key a run accepts, scalar values.
      try {
        checkKey('Param', k);
      } catch (e) {
        at(keyNode, `'trainer.params': ${(e as Error).message}`);
        continue;
      }
      if (v !== null && typeof v === 'object') at(valueNode, `'trainer.params.${k}' must be a number, text, true/false or null, got ${describeValue(v)}`);
      continue;
    }
    try {
      parseHyperparameters({ [k]: v }, dataTask);
    } catch (e) {
      const msg = (e as Error).message;
      if (/^Unknown hyperparameter/.test(msg)) at(keyNode, `'trainer.params': ${msg}`);
      else at(valueNode, `'trainer.params.${printable(k)}': ${msg}`);
    }
  }
}

/** The required keys, and (with checkFiles) that data.source (unless a glob) and data.reference exist. */
function checkRequired(root: YAMLMap, raw: Raw, dir: string, checkFiles: boolean, at: At): void {
  for (const req of ['model', 'data']) if (raw[req] === undefined) at(root, `missing required key '${req}'`);
  const data = (raw.data ?? {}) as Record<string, unknown>;
  const dataNode = root.get('data', true) as YamlNode;
  if (raw.data && !data.source) at(dataNode, "missing required key 'data.source'");
  if (raw.data && !data.target) at(dataNode, "missing required key 'data.target'");
  const trainer = (raw.trainer ?? {}) as Record<string, unknown>;
  if (trainer.kind === 'command' && !trainer.command) at(root.get('trainer', true) as YamlNode, "trainer.kind command needs 'trainer.command'");
  if (!checkFiles) return;
  const dataKey = (k: string) => (dataNode as YAMLMap | undefined)?.get?.(k, true) as YamlNode;
  if (typeof data.source === 'string' && !/[*?[]/.test(data.source) && !fs.existsSync(path.resolve(dir, data.source))) at(dataKey('source'), `data file ${data.source} does not exist`);
  if (typeof data.reference === 'string' && !fs.existsSync(path.resolve(dir, data.reference))) at(dataKey('reference'), `reference file ${data.reference} does not exist`);
}

/** The checked file's definition, with every default filled in. */
function definitionOf(raw: Raw, file: string, pipelineName: string): PipelineDefinition {
  const model = String(raw.model).trim();
  const data = (raw.data ?? {}) as Record<string, unknown>;
  const trainer = (raw.trainer ?? {}) as Record<string, unknown>;
  const v = (raw.validation ?? {}) as Record<string, unknown>;
  const g = (raw.gates ?? {}) as Record<string, number>;
  const s = (raw.smoke ?? {}) as Record<string, number>;
  const tr = (raw.triggers ?? {}) as Record<string, unknown>;
  return {
    file,
    dir: path.dirname(file),
    name: checkName('Pipeline name', pipelineName),
    model,
    experiment: typeof raw.experiment === 'string' ? raw.experiment : `${model}_pipeline`,
    data: { source: String(data.source), target: String(data.target), reference: data.reference as string | undefined, task: data.task as 'regression' | undefined },
    trainer: {
      kind: (trainer.kind as 'builtin' | 'command') ?? 'builtin',
      engine: trainer.engine as 'forest' | undefined,
      params: (trainer.params as Record<string, unknown>) ?? {},
      command: trainer.command as string | undefined,
      test_size: (trainer.test_size as number) ?? 0.2,
      split: (trainer.split as 'ordered') ?? 'ordered',
    },
    validation: {
      min_rows: (v.min_rows as number) ?? 100,
      max_missing_share: (v.max_missing_share as number) ?? 0,
      required_columns: v.required_columns as string[] | undefined,
      ranges: (v.ranges as Record<string, [number, number]>) ?? {},
      range_tolerance: (v.range_tolerance as number) ?? 0.1,
      duplicates: (v.duplicates as 'warn') ?? 'warn',
    },
    gates: g,
    smoke: { rows: s.rows ?? 50, latency_calls: s.latency_calls ?? 200, latency_budget_ms: s.latency_budget_ms ?? 50, accuracy_tolerance: s.accuracy_tolerance ?? 1e-9 },
    on_success: (raw.on_success as 'staging') ?? 'staging',
    triggers: {
      data_update: tr.data_update === true,
      code_commit: tr.code_commit === true ? {} : tr.code_commit && typeof tr.code_commit === 'object' ? (tr.code_commit as { branch?: string }) : undefined,
      schedule: tr.schedule as { every?: string; cron?: string } | undefined,
      drift: tr.drift === true,
    },
  };
}

export function loadPipeline(file: string): PipelineDefinition {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserInputError(`${file}: cannot be read (${(e as Error).message})`);
  }
  return parsePipeline(text, file);
}

/** Pipeline files under a folder (not in node_modules, .git or the store). */
export function findPipelines(dir: string, depth = 3): string[] {
  const out: string[] = [];
  const walk = (d: string, level: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (level < depth && !['node_modules', '.git', '.mlops', 'test-output', '.vscode-test'].includes(e.name)) walk(path.join(d, e.name), level + 1);
      } else if (isPipelineFile(e.name)) out.push(path.join(d, e.name));
    }
  };
  walk(dir, 0);
  return out.sort();
}

/** A duration such as 30m, 6h or 1d in ms; undefined unless it is from 1 s to 24 days (MAX_SCHEDULE_MS). */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$/i.exec(s);
  if (!m) return undefined;
  const mult = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2].toLowerCase() as 's'];
  const ms = Number(m[1]) * mult;
  return ms >= 1000 && ms <= MAX_SCHEDULE_MS ? ms : undefined;
}

/**
 * Why a pipeline name cannot be used (undefined when it can). Pipeline names name the folder of their run records,
 * so besides the rules of every name (checkName: not empty, no NUL, NFC) they must not start with '.' (a hidden
 * folder, never listed) nor contain '/', '\\' or control characters (they would escape or mangle the folder).
 */
export function checkPipelineName(name: string): string | undefined {
  try {
    checkName('Pipeline name', name);
  } catch (e) {
    return (e as Error).message.replace(/^Pipeline name /, '').replace(/\.$/, '');
  }
  const t = name.trim();
  if (t.startsWith('.')) return `'${printable(t)}' must not start with '.'`;
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[/\\\0-\x1f\x7f]/.test(t)) return `'${printable(t)}' must not contain '/', '\\' or control characters`;
  return undefined;
}

function cronField(f: string, min: number, max: number): boolean {
  return f.split(',').every((part) => {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return false;
    if (m[1] !== '*') {
      const [a, b] = m[1].split('-').map(Number);
      if (a < min || a > max || (b !== undefined && (b < a || b > max))) return false;
    }
    return true;
  });
}

export function validCron(expr: string): boolean {
  const f = expr.trim().split(/\s+/);
  return f.length === 5 && cronField(f[0], 0, 59) && cronField(f[1], 0, 23) && cronField(f[2], 1, 31) && cronField(f[3], 1, 12) && cronField(f[4], 0, 6);
}

function matchField(f: string, v: number): boolean {
  return f.split(',').some((part) => {
    const [range, stepS] = part.split('/');
    const step = stepS ? Number(stepS) : 1;
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [0, 59];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(Number) as [number, number];
    else [lo, hi] = [Number(range), stepS ? 59 : Number(range)];
    return v >= lo && v <= hi && (v - lo) % step === 0;
  });
}

/** Does a 5-field cron expression match this minute (local time)? */
export function cronMatches(expr: string, d: Date): boolean {
  const [mi, h, dom, mon, dow] = expr.trim().split(/\s+/);
  return matchField(mi, d.getMinutes()) && matchField(h, d.getHours()) && matchField(dom, d.getDate()) && matchField(mon, d.getMonth() + 1) && matchField(dow, d.getDay());
}
