/**
 * The CLI's terminal rules (src/cli/terminal.ts) in-process, on fake streams: a bar and colour only on a TTY without
 * --json, --quiet, NO_COLOR or TERM=dumb; nothing else ever gets an escape code. The real terminal is
 * cli-tty.test.ts (tmux).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { table } from '../../src/cli/format';
import { colorsFor, isInteractive, paintMarks, paintStatus, Progress } from '../../src/cli/terminal';

const ESC = '\x1b';
/** Splits the bar's output into what the terminal shows as lines: CR, LF, cursor-to-column and clear-line codes. */
const LINE_BREAKS = new RegExp(`\r|\n|${ESC}\\[\\d*[GK]`);
const SGR = new RegExp(`${ESC}\\[\\d+m`, 'g');

/** A stream that records what is written, a TTY or not. */
function fakeStream(isTTY: boolean, columns = 100): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(w, { isTTY, columns, text: () => chunks.join('') });
}

const saved: Record<string, string | undefined> = {};
const VARS = ['NO_COLOR', 'FORCE_COLOR', 'TERM', 'CI'];

describe('CLI terminal output', () => {
  beforeEach(() => {
    for (const v of VARS) saved[v] = process.env[v];
    for (const v of VARS) delete process.env[v];
    process.env.TERM = 'xterm-256color';
  });
  afterEach(() => {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });

  it('is interactive only on a TTY without --json, --quiet, NO_COLOR or TERM=dumb', () => {
    assert.equal(isInteractive(fakeStream(true), {}), true);
    assert.equal(isInteractive(fakeStream(false), {}), false);
    assert.equal(isInteractive(fakeStream(true), { json: true }), false);
    assert.equal(isInteractive(fakeStream(true), { quiet: true }), false);
    process.env.NO_COLOR = '1';
    assert.equal(isInteractive(fakeStream(true), {}), false);
    process.env.NO_COLOR = ''; // the spec: an empty NO_COLOR is as if unset
    assert.equal(isInteractive(fakeStream(true), {}), true);
    process.env.TERM = 'dumb';
    assert.equal(isInteractive(fakeStream(true), {}), false);
  });

  it('colours only an interactive terminal: not a pipe, even with CI or FORCE_COLOR set', () => {
    assert.equal(colorsFor(fakeStream(true), {}).red('x'), `${ESC}[31mx${ESC}[39m`);
    process.env.CI = 'true';
    process.env.FORCE_COLOR = '1';
    assert.equal(colorsFor(fakeStream(false), {}).red('x'), 'x');
    assert.equal(colorsFor(fakeStream(true), { json: true }).red('x'), 'x');
    const c = colorsFor(fakeStream(true), {});
    assert.equal(paintStatus(c, 'passed'), `${ESC}[32mpassed${ESC}[39m`);
    assert.equal(paintStatus(c, 'failed'), `${ESC}[31mfailed${ESC}[39m`);
    assert.equal(paintStatus(c, 'skipped'), `${ESC}[33mskipped${ESC}[39m`);
    assert.equal(paintMarks(c, '   ✗ min_r2: 0.6'), `   ${ESC}[31m✗${ESC}[39m min_r2: 0.6`);
    const plain = colorsFor(fakeStream(false), {});
    assert.equal(paintStatus(plain, 'failed'), 'failed');
    assert.equal(paintMarks(plain, '✓ Training passed'), '✓ Training passed');
  });

  it('draws a bar with counts, percentage and ETA on a TTY, and logs lines above it', async () => {
    const tty = fakeStream(true, 60);
    const p = new Progress({}, tty);
    assert.equal(p.live, true);
    p.update({ label: 'Sweep', done: 0, total: 5, unit: 'runs' });
    await new Promise((r) => setTimeout(r, 30));
    p.update({ label: 'Sweep', done: 3, total: 5, unit: 'runs' });
    await new Promise((r) => setTimeout(r, 250)); // the bar is redrawn (10 fps) with 3/5
    p.log('✓ rf_n100_d5'); // clears the bar's line: the bar must be drawn again below it, though 3/5 did not change
    p.stop();
    const text = tty.text();
    assert.ok(text.includes(ESC), 'a terminal gets escape codes (cursor and colour)');
    assert.match(text, /Sweep \S*█+\S*░+\S* 3\/5 runs\s+60 %\s+ETA \d+s/);
    assert.ok(text.includes('✓ rf_n100_d5\n'), 'the logged line is written');
    assert.ok(text.indexOf('✓ rf_n100_d5') < text.lastIndexOf('3/5 runs'), 'the bar is drawn again after the logged line');
    // Every line the bar draws fits the 60 columns, escape codes included (no wrapping, no cut colour codes).
    for (const line of text.split(LINE_BREAKS)) assert.ok(line.length < 60, `${line.length}: ${JSON.stringify(line)}`);
  });

  it('counts without a total (rows read) draw no bar; a new unit restarts the bar', () => {
    const tty = fakeStream(true);
    const p = new Progress({}, tty);
    p.update({ label: 'Reading wafer.csv', done: 50000, unit: 'rows' });
    p.stop();
    assert.match(tty.text(), /Reading wafer\.csv {2}50,000 rows/);
    assert.doesNotMatch(tty.text(), /█|░/);
    const tty2 = fakeStream(true);
    const q = new Progress({}, tty2);
    q.update({ label: 'Reading wafer.csv', done: 1000, unit: 'rows' });
    q.update({ label: 'Training', done: 10, total: 100, unit: 'trees' });
    q.stop();
    assert.match(tty2.text(), /Training \S*█+\S*░+\S* 10\/100 trees/);
  });

  for (const [what, stream, mode, env] of [
    ['a pipe', fakeStream(false), {}, {}],
    ['--json', fakeStream(true), { json: true }, {}],
    ['--quiet', fakeStream(true), { quiet: true }, {}],
    ['NO_COLOR', fakeStream(true), {}, { NO_COLOR: '1' }],
  ] as const) {
    it(`with ${what}: no bar, log lines plain, not one escape code`, () => {
      Object.assign(process.env, env);
      const p = new Progress(mode, stream);
      assert.equal(p.live, false);
      p.update({ label: 'Sweep', done: 2, total: 5, unit: 'runs' });
      p.log(paintMarks(p.colors, '✓ Training passed (3 ms)'));
      p.stop();
      assert.equal(stream.text(), '✓ Training passed (3 ms)\n');
    });
  }

  it('table(): painted cells keep the columns aligned; without paint the text is as before', () => {
    const rows = [['Temperature', 'yes (critical)', '0'], ['Vdd', 'no', '12']];
    const plain = table(['column', 'drifted', 'missing'], rows);
    assert.equal(plain, ['column       drifted         missing', '-----------  --------------  -------', 'Temperature  yes (critical)  0', 'Vdd          no              12'].join('\n'));
    const c = colorsFor(fakeStream(true), {});
    const painted = table(['column', 'drifted', 'missing'], rows, (cell, _r, col) => (col === 1 ? paintStatus(c, cell) : cell));
    assert.notEqual(painted, plain);
    assert.equal(painted.replace(SGR, ''), plain);
  });
});
