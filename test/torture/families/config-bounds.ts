/**
 * config-bounds: generated mlops.yaml files and pipeline definitions with out-of-range, wrong-type and alias-abuse
 * values (issue 18 #11, #21, #22). Each must be refused — by the core loader, and for a sample of them by the real
 * CLI with exit code 2 — within the time limit, with a message that names the file and the key, shows no
 * "[object Object]" and no stack. A few valid files are mixed in and must be accepted.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseConfig } from '../../../src/core/config/config';
import { parsePipeline, PipelineError } from '../../../src/core/pipeline/definition';
import { UserInputError } from '../../../src/core/util/errors';
import { CLI } from '../../unit/helpers';
import { prng, Tally, type TortureFamily } from '../family';

const LIMIT_MS = 500;

/** Values that are wrong for a numeric setting: out of range, wrong type, non-finite, huge, aliases to collections. */
// (YAML itself reads 0x10 and 0o20 as integers — the YAML spec's own notation — so they are not listed here.)
const BAD_NUMBERS = ['-1', '0', '1000000000', '1e400', '-1e400', '.inf', '-.inf', '.nan', '"0x10"', '"12"', 'abc', 'true', 'null', '[1, 2]', '{a: 1}', '*map', '*list', '1.5', '99999999999999999999'];

interface Setting {
  /** The key as it appears in messages. */
  key: string;
  /** YAML text with VALUE where the bad value goes. */
  yaml: string;
  /** Values (from BAD_NUMBERS) that are actually fine for this key, so not tried. */
  ok?: string[];
}

const CONFIG_SETTINGS: Setting[] = [
  { key: 'sweep.random', yaml: 'sweep:\n  space: {n_estimators: [5]}\n  random: VALUE\n' },
  { key: 'sweep.parallel', yaml: 'sweep:\n  space: {n_estimators: [5]}\n  parallel: VALUE\n' },
  { key: 'sweep.seed', yaml: 'sweep:\n  space: {n_estimators: [5]}\n  seed: VALUE\n', ok: ['0', '1000000000'] },
  { key: 'training.test_size', yaml: 'training:\n  test_size: VALUE\n' },
  { key: 'training.params.n_estimators', yaml: 'training:\n  params: {n_estimators: VALUE}\n', ok: ['"12"'] },
  { key: 'training.params.max_depth', yaml: 'training:\n  params: {max_depth: VALUE}\n', ok: ['null', '"12"'] },
  { key: 'training.params.min_samples_leaf', yaml: 'training:\n  params: {min_samples_leaf: VALUE}\n', ok: ['1000000000', '"12"'] },
  { key: 'training.params.min_samples_split', yaml: 'training:\n  params: {min_samples_split: VALUE}\n', ok: ['1000000000', '"12"'] },
  { key: 'training.params.seed', yaml: 'training:\n  params: {seed: VALUE}\n', ok: ['0', '1000000000', '"12"'] },
  { key: 'training.params.max_features', yaml: 'training:\n  params: {max_features: VALUE}\n', ok: ['"12"'] },
  { key: 'sweep.space.max_depth', yaml: 'sweep:\n  space: {max_depth: [VALUE]}\n', ok: ['null', '"12"'] },
  { key: 'sweep.grid[0].n_estimators', yaml: 'sweep:\n  grid:\n    - {n_estimators: VALUE}\n', ok: ['"12"'] },
  { key: 'performance_threshold', yaml: 'monitoring:\n  monitors:\n    - {model: M, performance_threshold: VALUE}\n', ok: ['1.5'] },
  { key: 'drift_share', yaml: 'monitoring:\n  monitors:\n    - {model: M, drift_share: VALUE}\n' },
];

const PIPELINE_SETTINGS: Setting[] = [
  { key: 'smoke.latency_calls', yaml: 'smoke: {latency_calls: VALUE}\n' },
  { key: 'smoke.rows', yaml: 'smoke: {rows: VALUE}\n' },
  { key: 'smoke.latency_budget_ms', yaml: 'smoke: {latency_budget_ms: VALUE}\n', ok: ['0', '1.5'] },
  { key: 'smoke.accuracy_tolerance', yaml: 'smoke: {accuracy_tolerance: VALUE}\n', ok: ['0', '1000000000', '1.5', '99999999999999999999'] },
  { key: 'validation.min_rows', yaml: 'validation: {min_rows: VALUE}\n', ok: ['0', '1000000000'] },
  { key: 'validation.max_missing_share', yaml: 'validation: {max_missing_share: VALUE}\n', ok: ['0'] },
  { key: 'gates.min_r2', yaml: 'gates: {min_r2: VALUE}\n', ok: ['-1', '0'] },
  { key: 'gates.max_rmse', yaml: 'gates: {max_rmse: VALUE}\n', ok: ['0', '1000000000', '1.5', '99999999999999999999'] },
  { key: 'gates.min_accuracy', yaml: 'gates: {min_accuracy: VALUE}\n', ok: ['0'] },
  { key: 'trainer.test_size', yaml: 'trainer: {kind: builtin, test_size: VALUE}\n' },
  { key: 'trainer.params.n_estimators', yaml: 'trainer: {kind: builtin, params: {n_estimators: VALUE}}\n', ok: ['"12"'] },
  { key: 'trainer.params.max_depth', yaml: 'trainer: {kind: builtin, params: {max_depth: VALUE}}\n', ok: ['null', '"12"'] },
  { key: 'trainer.params.seed', yaml: 'trainer: {kind: builtin, params: {seed: VALUE}}\n', ok: ['0', '1000000000', '"12"'] },
  { key: 'triggers.schedule.every', yaml: 'triggers: {schedule: {every: VALUE}}\n' },
];

/** A "billion laughs" document: each level aliases the previous one ten times. */
function laughs(levels: number, key: string): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `${key}${lines.join('\n')}\n`;
}

export const family: TortureFamily = {
  name: 'config-bounds',
  description: 'out-of-range, wrong-type and alias-abuse settings in mlops.yaml and pipelines are refused (exit 2) naming file and key',
  async run({ quick, seed }) {
    const rnd = prng(seed ^ 0xc0f1);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const tally = new Tally();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-torture-config-'));

    /** Apply a loader; it must throw a UserInputError naming the file and the key, quickly. */
    const refused = (label: string, file: string, key: string, load: () => unknown, kind: 'config' | 'pipeline') => {
      const t0 = Date.now();
      let problem: string | undefined;
      try {
        load();
        problem = 'accepted';
      } catch (e) {
        const msg = (e as Error)?.message ?? String(e);
        const ok = kind === 'config' ? e instanceof ConfigError : e instanceof PipelineError;
        if (!ok || !(e instanceof UserInputError)) problem = `threw ${(e as Error)?.name}: ${msg.slice(0, 160)}`;
        else if (!msg.includes(path.basename(file))) problem = `message does not name the file: ${msg.slice(0, 160)}`;
        else if (!msg.includes(key.replace(/^.*\./, ''))) problem = `message does not name the key ${key}: ${msg.slice(0, 200)}`;
        else if (/object Object/.test(msg)) problem = `message shows [object Object]: ${msg.slice(0, 160)}`;
      }
      if (!problem && Date.now() - t0 > LIMIT_MS) problem = `took ${Date.now() - t0} ms`;
      tally.check(label, problem);
    };


    const cases = quick ? 30 : 1500;
    for (let i = 0; i < cases; i++) {
      const isConfig = rnd() < 0.5;
      const s = pick(isConfig ? CONFIG_SETTINGS : PIPELINE_SETTINGS);
      const v = pick(BAD_NUMBERS.filter((x) => !(s.ok ?? []).includes(x)));
      if (isConfig) {
        // Anchors live in a section the parser reads (training.categorical), so aliases have something to point at.
        const anchors = v.startsWith('*') ? `training:\n  categorical: &list [a]\n  experiment: &map2 E\n` : '';
        let text = s.yaml.replace('VALUE', v === '*map' ? '{k: &map {a: 1}}' : v);
        if (v === '*list') text = anchors + text.replace('training:\n', '');
        const file = path.join(dir, `c${i}`, 'mlops.yaml');
        refused(`mlops.yaml ${s.key}: ${v}`, file, s.key, () => parseConfig(text, file), 'config');
      } else {
        const anchorDoc = v === '*map' ? 'experiment: &map {a: 1}\n' : v === '*list' ? 'experiment: &list [1, 2]\n' : '';
        const text = `name: p\nmodel: M\n${anchorDoc}data: {source: d.csv, target: y}\n${s.yaml.replace('VALUE', v)}`;
        const file = path.join(dir, `p${i}.pipeline.yaml`);
        refused(`pipeline ${s.key}: ${v}`, file, s.key, () => parsePipeline(text, file, { checkFiles: false }), 'pipeline');
      }
    }

    // Alias abuse: billion laughs in either file kind is refused quickly.
    for (const levels of quick ? [9] : [4, 6, 9, 12]) {
      const cfg = path.join(dir, `laughs${levels}`, 'mlops.yaml');
      refused(`mlops.yaml billion laughs ${levels}`, cfg, 'alias', () => parseConfig(laughs(levels, 'training:\n  categorical: &x [a]\nregistry:\n  ').replace(/\n(a\d)/g, '\n  $1'), cfg), 'config');
      const pf = path.join(dir, `laughs${levels}.pipeline.yaml`);
      refused(`pipeline billion laughs ${levels}`, pf, 'alias', () => parsePipeline(`name: p\nmodel: M\ndata: {source: d.csv, target: y}\ntrainer:\n  params:\n    ${laughs(levels, '').split('\n').join('\n    ')}`, pf, { checkFiles: false }), 'pipeline');
    }

    // Valid files are still accepted.
    for (const [label, load] of [
      ['valid mlops.yaml', () => parseConfig('training: {test_size: 0.25, params: {n_estimators: 100, max_depth: none, seed: 7}}\nsweep:\n  space: {n_estimators: &v [10, 20], max_depth: *v}\n  random: 3\n  parallel: 2\n  seed: 4294967295\n', path.join(dir, 'ok', 'mlops.yaml'))],
      ['valid pipeline', () => parsePipeline('name: ok\nmodel: M\ndata: {source: d.csv, target: y}\ntrainer: {params: {n_estimators: 10}}\nsmoke: {rows: 50, latency_calls: 200, latency_budget_ms: 50}\ntriggers: {schedule: {every: 24d}}\n', path.join(dir, 'ok.pipeline.yaml'), { checkFiles: false })],
    ] as const) {
      await tally.case(label, () => {
        load();
        return undefined;
      });
    }

    // Through the real CLI: exit 2, a one-line message naming the file and the key, no stack, nothing run.
    const cliCases = quick ? 3 : 16;
    const ws = path.join(dir, 'ws');
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'd.csv'), 'a,y\n' + Array.from({ length: 30 }, (_, i) => `${i},${i * 2}`).join('\n') + '\n');
    spawnSync(process.execPath, [CLI, 'init'], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
    for (let i = 0; i < cliCases; i++) {
      const pipeline = i % 2 === 1;
      const s = pick(pipeline ? PIPELINE_SETTINGS : CONFIG_SETTINGS.filter((x) => !x.key.includes('threshold') && !x.key.includes('drift')));
      const v = pick(BAD_NUMBERS.filter((x) => !(s.ok ?? []).includes(x) && !x.startsWith('*')));
      const body = s.yaml.replace('VALUE', v);
      let args: string[];
      let file: string;
      if (pipeline) {
        file = path.join(ws, `cli${i}.pipeline.yaml`);
        fs.writeFileSync(file, `name: cli${i}\nmodel: M\ndata: {source: d.csv, target: y}\n${body}`);
        args = ['pipeline', 'run', '--file', file];
      } else {
        file = path.join(ws, `cli${i}.yaml`);
        fs.writeFileSync(file, body.includes('training:') ? body : `${body}`);
        args = ['sweep', '--config', file, '-d', 'd.csv', '-t', 'y', '--grid', 'n_estimators=2'];
      }
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' }, timeout: 30_000 });
      const key = s.key.replace(/^.*\./, '');
      let problem: string | undefined;
      if (r.status !== 2) problem = `exit ${r.status} (${r.signal ?? ''}): ${(r.stderr || r.stdout).slice(0, 200)}`;
      else if (!r.stderr.includes(path.basename(file))) problem = `message does not name the file: ${r.stderr.slice(0, 200)}`;
      else if (!r.stderr.includes(key)) problem = `message does not name the key ${s.key}: ${r.stderr.slice(0, 200)}`;
      else if (/\n\s+at /.test(r.stderr)) problem = `stack trace: ${r.stderr.slice(0, 200)}`;
      else if (Date.now() - t0 > 15_000) problem = `took ${Date.now() - t0} ms`;
      tally.check(`CLI ${args[0]} ${s.key}: ${v}`, problem);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return tally;
  },
};
