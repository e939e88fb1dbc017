/**
 * Activation time in the real extension host (the VS Code server in headless Chromium): the integration test
 * test/integration/0-activation.test.ts, run alone (MLOPS_TEST_GREP) a few times for an empty workspace and for stores
 * of 1,000 and 10,000 runs. It prints the medians of the time from the start of activate() to the four tree views
 * registered (goal: under 50 ms with 10,000 runs), of the whole activate(), and of the first read of the store (which
 * happens after activation). Each store is written once, here, and linked into the harness's fresh workspace.
 *
 *   BENCH_ACTIVATION_REPEATS  runs per size (default 3; each starts a VS Code server and a browser: 15–30 s)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeBigStore } from './bigStore';
import { fmtMs, median, report, time } from './harness';

const REPO = path.join(__dirname, '..', '..', '..');
const OUT = path.join(REPO, 'test-output', 'bench-activation');

interface Figures {
  runs: number | null;
  treesMs: number;
  totalMs: number;
  firstTreeReadMs?: number;
}

/** One integration run of the activation test; its figures, or an error naming the harness's last lines. */
function activateOnce(runs: number, store: string | undefined): Figures {
  const result = path.join(OUT, 'result.json');
  fs.rmSync(result, { force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MLOPS_TEST_GREP: '^Activation records',
    MLOPS_TEST_WORKSPACE: path.join(OUT, 'workspace'),
    MLOPS_ACTIVATION_RUNS: String(runs),
    MLOPS_ACTIVATION_RESULT: result,
  };
  if (store) env.MLOPS_ACTIVATION_STORE = store;
  else delete env.MLOPS_ACTIVATION_STORE;
  const r = spawnSync(process.execPath, [path.join(REPO, 'test', 'host', 'run-integration.mjs')], { cwd: REPO, env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || !fs.existsSync(result)) {
    throw new Error(`the activation test failed (exit ${r.status ?? r.signal}):\n${`${r.stdout}${r.stderr}`.split('\n').slice(-25).join('\n')}`);
  }
  const figures = JSON.parse(fs.readFileSync(result, 'utf8')) as Figures;
  if (figures.runs !== runs) throw new Error(`the activation test measured ${figures.runs} runs, not ${runs} (was the extension already active?)`);
  return figures;
}

export function activationBench(): void {
  const repeats = Number(process.env.BENCH_ACTIVATION_REPEATS ?? 3);
  console.log(`\nActivation: activate() → tree views registered, in the VS Code server's extension host, median of ${repeats} (goal < 50 ms with 10,000 runs)`);
  if (!fs.existsSync(path.join(REPO, 'out', 'test', 'integration', 'index.js'))) throw new Error('out/test/integration is missing: npm run compile-tests');
  fs.mkdirSync(OUT, { recursive: true });
  for (const runs of [0, 1_000, 10_000]) {
    let store: string | undefined;
    if (runs > 0) {
      store = path.join(OUT, `store-${runs}`);
      fs.rmSync(store, { recursive: true, force: true });
      const written = time(() => writeBigStore(store!, runs));
      console.log(`  (store of ${runs} runs written in ${fmtMs(written.ms)})`);
    }
    const all = Array.from({ length: repeats }, () => activateOnce(runs, store));
    const label = runs ? `${runs.toLocaleString('en-US')} runs` : 'empty workspace';
    const trees = all.map((f) => f.treesMs);
    report('activation', `${label}: activate() → trees registered`, fmtMs(median(trees)), `runs: ${trees.map((x) => x.toFixed(1)).join(', ')} ms`);
    report('activation', `${label}: whole activate()`, fmtMs(median(all.map((f) => f.totalMs))));
    if (runs > 0) report('activation', `${label}: first store read, after activation`, fmtMs(median(all.map((f) => f.firstTreeReadMs ?? NaN))));
    if (store) fs.rmSync(store, { recursive: true, force: true });
  }
}
