/**
 * The CLI's progress on a real terminal: dist/cli.js runs in a tmux pane (a pseudo-terminal, 120×30) on a sample
 * workspace. `tmux capture-pane` is polled while it runs, so a bar seen with fewer runs done than planned proves it is
 * redrawn live; `tmux pipe-pane` records the raw bytes written to the terminal, so "not one escape code" is checked on
 * what the program wrote, not on what tmux shows. Without tmux the tests are skipped with the reason printed, unless
 * MLOPS_REQUIRE_TMUX is set (.ci/run installs tmux and sets it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, tempDir } from './helpers';

const ESC = '\x1b';
const SOCKET = `mlops-tty-${process.pid}`;
const dir = tempDir('mlops-tty-');
const ws = path.join(dir, 'ws');

const tmuxVersion = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
const missing = tmuxVersion.status === 0 ? undefined : 'tmux is not installed (apt-get install tmux)';
const required = (process.env.MLOPS_REQUIRE_TMUX ?? '') !== '' && process.env.MLOPS_REQUIRE_TMUX !== '0';
const skip = missing && !required ? missing : undefined;
if (skip) process.stdout.write(`# skipping the tmux tests: ${skip}\n`);

/** The environment of the tmux server, hence of every pane: nothing that changes colour or the store. */
function paneEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MLOPS_STORE: '', MLOPS_DEBUG: '' };
  for (const v of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'TMUX', 'TMUX_PANE', 'MLFLOW_TRACKING_URI']) delete env[v];
  return env;
}

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', env: paneEnv() });
  assert.equal(r.status, 0, `tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let sessions = 0;

interface PaneRun {
  /** Every screen seen while it ran (scrollback included), oldest first. */
  screens: string[];
  /** The last screen, after the command exited. */
  final: string;
  /** The bytes the command wrote to the terminal. */
  raw: string;
  code: number;
}

/** Runs `command` (a shell line, in the sample workspace) in a fresh tmux pane and watches it until it exits. */
async function inPane(command: string, timeoutMs = 180_000): Promise<PaneRun> {
  const name = `s${++sessions}`;
  const rawFile = path.join(dir, `${name}.raw`);
  // The pane waits for the signal, so that pipe-pane records from the command's first byte.
  tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '30', '-c', ws, `tmux wait-for go-${name}; ${command}; echo "[exit $?]"; sleep 600`);
  try {
    tmux('pipe-pane', '-o', '-t', name, `cat > ${JSON.stringify(rawFile)}`);
    tmux('wait-for', '-S', `go-${name}`);
    const screens: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', name);
      screens.push(screen);
      const exit = /^\[exit (\d+)\]$/m.exec(screen);
      if (exit) {
        const raw = await waitForRaw(rawFile);
        return { screens, final: screen, raw, code: Number(exit[1]) };
      }
      if (Date.now() > deadline) throw new Error(`${command}: not finished after ${timeoutMs} ms; the screen:\n${screen}`);
      await sleep(80);
    }
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', name]);
  }
}

/** The raw bytes, once the exit line has reached the file too. */
async function waitForRaw(file: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const raw = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (/\[exit \d+\]/.test(raw)) return raw;
    await sleep(50);
  }
  throw new Error(`${file}: the exit line never arrived`);
}

const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`;
const SWEEP = `${cli} sweep --parallel 1 -g 'n_estimators=300,400,500;max_depth=5,10'`;
const SMALL_SWEEP = `${cli} sweep --parallel 1 -g 'n_estimators=50;max_depth=5,10'`;

describe('mlops on a terminal (tmux)', { skip }, () => {
  before(() => {
    if (missing) assert.fail(`MLOPS_REQUIRE_TMUX is set but ${missing}`);
    const r = spawnSync(process.execPath, [CLI, 'init', ws, '--sample'], { encoding: 'utf8', env: paneEnv() });
    assert.equal(r.status, 0, r.stderr);
    // A session that outlives the tests' own: the server would exit with their last one, and a new session asked for
    // while it shuts down fails ("server exited unexpectedly").
    tmux('new-session', '-d', '-s', 'keeper', 'sleep 3600');
  });
  after(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  it('sweep: a live bar with runs done/planned and ETA, a ✓ line per run, then the results', async () => {
    const r = await inPane(SWEEP);
    assert.equal(r.code, 0, r.final);
    const bars = r.screens.flatMap((s) => s.split('\n')).filter((l) => /^Sweep [█░]+ \d\/6 runs/.test(l));
    const partial = bars.filter((l) => /^Sweep █*░+ [0-5]\/6 runs\s+\d+ %\s+ETA (\d+m)?\d+s|^Sweep ░+ 0\/6 runs\s+0 %\s+ETA --/.test(l));
    assert.ok(partial.length > 0, `no bar seen before the end; bars seen:\n${bars.join('\n')}\nlast screen:\n${r.final}`);
    assert.match(r.final, /^Sweep █{30} 6\/6 runs {2}100 % {2}took \d+s$/m);
    assert.equal(r.final.match(/^✓ rf_n\d+_d\d+ {2}rmse_test \d/gm)?.length, 6, r.final);
    assert.match(r.final, /^Sweep sweep-\S+: 6 completed, 0 failed, 0 cancelled$/m);
    assert.match(r.final, /^★ best by rmse_test: rf_n\d+_d\d+ \([0-9a-f]{32}\)$/m);
    assert.ok(r.raw.includes(`${ESC}[32m6 completed${ESC}[39m`), 'the completed count is green on the terminal');
    assert.ok(r.raw.includes(`${ESC}[36m█`), 'the bar is drawn in colour');
  });

  it('train: a bar of trees built; pipeline run: a bar of stages under the coloured stage log; drift: features tested, verdicts in colour', async () => {
    const train = await inPane(`${cli} train -p n_estimators=1500`);
    assert.equal(train.code, 0, train.final);
    const trees = train.screens.flatMap((s) => s.split('\n')).filter((l) => /^Training █*░+ \d+\/1500 trees/.test(l));
    assert.ok(trees.length > 0, `no partial trees bar seen; last screen:\n${train.final}`);
    assert.match(train.final, /^Training █{30} 1500\/1500 trees {2}100 % {2}took \d+s$/m);
    assert.match(train.final, /^Run \S+ \([0-9a-f]{32}\) completed in [\d.]+ s$/m);
    const pipe = await inPane(`${cli} pipeline run`);
    assert.equal(pipe.code, 0, pipe.final);
    assert.match(pipe.final, /^Pipeline: Smoke Test █{30} 6\/6 stages {2}100 % {2}took \d+s$/m);
    assert.match(pipe.final, /^✓ Model Registration passed \(\d+ ms\)$/m);
    assert.match(pipe.final, /^6\. ✅ Smoke Test {11}passed/m);
    assert.ok(pipe.raw.includes(`${ESC}[32m✓${ESC}[39m Smoke Test passed`), 'a passed stage is green');
    assert.ok(pipe.raw.includes(`${ESC}[32mPASSED${ESC}[39m`), "the pipeline's status is green on stdout");
    const drift = await inPane(`${cli} drift --reference data/wafer_yield.csv --current data/batches/temperature_drift_batch.csv --model models:/YieldPredictor/Staging --no-save`);
    assert.equal(drift.code, 3, drift.final); // alerts
    assert.match(drift.final, /^Testing features █{30} 5\/5 features {2}100 % {2}took \d+s$/m);
    assert.match(drift.final, /^Temperature +ks .* yes \(critical\) +0$/m);
    assert.ok(drift.raw.includes(`${ESC}[31myes (critical)${ESC}[39m`), 'a drifted column is red');
    assert.ok(drift.raw.includes(`${ESC}[31mYES${ESC}[39m`), 'prediction drift YES is red');
  });

  for (const [what, command] of [
    ['piped (| cat)', `${SMALL_SWEEP} 2>&1 | cat`],
    ['NO_COLOR=1', `NO_COLOR=1 ${SMALL_SWEEP}`],
    ['--quiet', `${SMALL_SWEEP} --quiet`],
  ] as const) {
    it(`sweep ${what} on the same terminal: the results without a bar or ✓ lines, and not one escape code`, async () => {
      const r = await inPane(command);
      assert.equal(r.code, 0, r.final);
      assert.ok(!r.raw.includes(ESC), `an escape code in: ${JSON.stringify(r.raw.slice(0, 400))}`);
      assert.doesNotMatch(r.raw, /█|░|✓/);
      assert.match(r.final, /^Sweep sweep-\S+: 2 completed, 0 failed, 0 cancelled$/m);
      assert.match(r.final, /^★ best by rmse_test: /m);
    });
  }

  it('sweep --json on the terminal: only the JSON, not one escape code', async () => {
    const r = await inPane(`${SMALL_SWEEP} --json`);
    assert.equal(r.code, 0, r.final);
    assert.ok(!r.raw.includes(ESC), `an escape code in: ${JSON.stringify(r.raw.slice(0, 400))}`);
    const json = JSON.parse(r.raw.replace(/\[exit \d+\]\s*$/, '')) as { runs: unknown[]; failed: unknown[] };
    assert.equal(json.runs.length, 2);
    assert.deepEqual(json.failed, []);
  });
});
