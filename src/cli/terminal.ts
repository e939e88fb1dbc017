/**
 * The CLI on a terminal: progress bars (cli-progress) on stderr and colour (picocolors) for pass and fail.
 *
 * Only on a terminal: a stream that is not a TTY, `--json`, `--quiet`, `NO_COLOR` or `TERM=dumb` get plain text
 * without a single escape code — byte for byte what they got before bars existed. The decision is ours, per stream,
 * handed to picocolors' createColors: its own detection colours piped output when `CI` or `FORCE_COLOR` is set, and
 * node's test runner sets FORCE_COLOR=1 in test processes started from a terminal, so `FORCE_COLOR` is not honoured.
 * A bar is redrawn at most 10 times a second from the core's progress callbacks; nothing waits for the terminal.
 */
import { MultiBar, type Params, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { Colors } from 'picocolors/types';

export type { Colors };

/** The output flags that turn the terminal's extras off: a command's `--json`, the global `--quiet`. */
export interface OutputMode {
  json?: boolean;
  quiet?: boolean;
}

/** A command's output mode: its own `--json` and the global `--quiet`. */
export function outputMode(cmd: Command, json?: unknown): OutputMode {
  return { json: Boolean(json), quiet: Boolean((cmd.optsWithGlobals() as { quiet?: boolean }).quiet) };
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const set = (name: string) => (process.env[name] ?? '') !== '';

/** A terminal that takes redrawn lines and colour: a TTY, no --json or --quiet, NO_COLOR unset, TERM not dumb. */
export function isInteractive(stream: Stream, mode: OutputMode): boolean {
  return stream.isTTY === true && !mode.json && !mode.quiet && !set('NO_COLOR') && process.env.TERM !== 'dumb';
}

/** Colours for text written to `stream`: on an interactive terminal only (identity functions otherwise). */
export function colorsFor(stream: Stream, mode: OutputMode): Colors {
  return pc.createColors(isInteractive(stream, mode));
}

/** Pass green, fail red, in between yellow: the colour of a status word (run, stage, pipeline, gate, alert). */
export function paintStatus(c: Colors, status: string, text = status): string {
  const s = status.toLowerCase();
  if (/^(passed|completed|ok|no|identical)$/.test(s)) return c.green(text);
  if (/^(failed|error|yes|critical|degraded|differ)/.test(s)) return c.red(text);
  if (/^(cancelled|skipped|warning|running|pending|not tested)/.test(s)) return c.yellow(text);
  return text;
}

/** A log line's leading mark in colour: ✓ green, ✗ red, ⚠ yellow, ▶ cyan (the pipeline's stage log). */
export function paintMarks(c: Colors, line: string): string {
  return line.replace(/^(\s*)([✓✗⚠▶])/u, (_m, indent: string, mark: string) => indent + (mark === '✓' ? c.green(mark) : mark === '✗' ? c.red(mark) : mark === '⚠' ? c.yellow(mark) : c.cyan(mark)));
}

/** One phase of work: `done` of `total` `unit`s (a bar), or with no total a running count (rows read so far). */
export interface ProgressState {
  label: string;
  done: number;
  total?: number;
  unit: string;
}

interface Payload {
  label: string;
  unit: string;
  counted: boolean;
}

/** Seconds as `42s` or `3m05s`. */
function seconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  return t < 60 ? `${t}s` : `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
}

/**
 * A progress bar on stderr when it is an interactive terminal (see isInteractive), else nothing: `update` is then a
 * no-op and `log` writes plain lines, so piped output stays as it was. Lines logged while the bar is drawn appear
 * above it. Call `stop()` when the work ends (also on failure): it leaves the last state on its own line.
 */
export class Progress {
  readonly live: boolean;
  /** Colours for stderr (the bar's stream). */
  readonly colors: Colors;
  private multi: MultiBar | undefined;
  private bar: SingleBar | undefined;
  private phase = '';

  constructor(
    mode: OutputMode,
    private readonly stream: Stream = process.stderr,
  ) {
    this.live = isInteractive(stream, mode);
    this.colors = colorsFor(stream, mode);
  }

  update(s: ProgressState): void {
    if (!this.live) return;
    const payload: Payload = { label: s.label, unit: s.unit, counted: s.total === undefined };
    const total = s.total ?? 0;
    const phase = `${s.unit}\u0000${total}`; // a new unit or total restarts the bar (and its ETA); a new label does not
    if (!this.multi || !this.bar) {
      // forceRedraw: a line logged above the bar clears the bar's line, and cli-progress redraws only a changed bar.
      this.multi = new MultiBar({ stream: this.stream as NodeJS.WritableStream, format: this.format, fps: 10, etaBuffer: 20, linewrap: true, hideCursor: false, forceRedraw: true });
      this.bar = this.multi.create(total, s.done, payload);
    } else if (phase !== this.phase) this.bar.start(total, s.done, payload);
    else this.bar.update(s.done, payload);
    this.phase = phase;
  }

  /** A line above the bar while it is drawn; else straight to the stream (as plain as it is given). */
  log(line: string): void {
    if (this.multi?.isActive) this.multi.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  stop(): void {
    if (!this.multi) return;
    this.multi.update(); // flush lines logged since the last redraw
    this.multi.stop();
    this.multi = undefined;
    this.bar = undefined;
    this.phase = '';
  }

  /** `Training ██████░░░░ 30/100 trees  30 %  ETA 4s`, fitted to the terminal's width (escape codes included). */
  private readonly format = (_options: unknown, p: Params, payload: Payload): string => {
    const c = this.colors;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    if (payload.counted) return `${payload.label}  ${p.value.toLocaleString('en-US')} ${payload.unit}`.slice(0, width);
    const elapsed = (Date.now() - p.startTime) / 1000;
    const eta = typeof p.eta === 'number' && p.value > 0 ? `ETA ${seconds(p.eta)}` : 'ETA --';
    const tail = `${p.value}/${p.total} ${payload.unit}  ${String(Math.floor(p.progress * 100)).padStart(3)} %  ${p.value >= p.total ? `took ${seconds(elapsed)}` : eta}`;
    const overhead = c.cyan('').length + c.dim('').length;
    const label = payload.label.slice(0, Math.max(8, width - tail.length - 12 - overhead));
    const size = Math.min(30, width - label.length - tail.length - 2 - overhead);
    if (size < 5) return `${label} ${tail}`.slice(0, width);
    const filled = Math.round(p.progress * size);
    return `${label} ${c.cyan('█'.repeat(filled))}${c.dim('░'.repeat(size - filled))} ${tail}`;
  };
}
