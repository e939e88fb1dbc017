/**
 * Which batch files a watched monitor has already seen, kept in the store so that a batch that lands while no
 * trusted window watches (VS Code closed, the workspace in Restricted Mode, the monitor switched off) is checked
 * the next time the monitor is armed, and none is checked twice.
 *
 * An append-only log (`monitoring/batches.jsonl`), one line per file: `baseline` (present when the monitor was
 * first armed: not checked, like files that were there before monitoring began) or `checked` (a drift check was
 * started for it). Append-only, so a killed process leaves at most a partial last line (ignored) and two windows
 * writing at once cannot lose each other's lines. A line that does not parse is reported and skipped, never
 * rewritten.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendLine, splitCompleteLines } from '../util/atomicFs';

export type BatchMark = 'baseline' | 'checked';

export interface BatchLogLine {
  /** The monitor: its model and batch glob (relative to the workspace folder). */
  monitor: string;
  /** The batch file, relative to the workspace folder, `/`-separated. */
  file: string;
  mark: BatchMark;
  at: string;
}

export function monitorKey(model: string, glob: string): string {
  return `${model} ${glob}`;
}

export function batchLogFile(storeRoot: string): string {
  return path.join(storeRoot, 'monitoring', 'batches.jsonl');
}

export class BatchLog {
  constructor(
    private readonly storeRoot: string,
    private readonly onProblem: (file: string, message: string) => void = () => {},
  ) {}

  /** Every file seen per monitor (baseline or checked). */
  read(): Map<string, Set<string>> {
    const seen = new Map<string, Set<string>>();
    const file = batchLogFile(this.storeRoot);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return seen;
      throw e;
    }
    const { lines } = splitCompleteLines(text);
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let o: Partial<BatchLogLine>;
      try {
        o = JSON.parse(line) as Partial<BatchLogLine>;
      } catch {
        this.onProblem(file, `line ${i + 1}: not JSON; skipped (the file is left as it is)`);
        return;
      }
      if (typeof o.monitor !== 'string' || typeof o.file !== 'string' || (o.mark !== 'baseline' && o.mark !== 'checked')) {
        this.onProblem(file, `line ${i + 1}: not a batch record (monitor, file, mark); skipped`);
        return;
      }
      let set = seen.get(o.monitor);
      if (!set) seen.set(o.monitor, (set = new Set()));
      set.add(o.file);
    });
    return seen;
  }

  /** Whether the monitor was ever armed (has any line). */
  knows(monitor: string): boolean {
    return this.read().has(monitor);
  }

  mark(monitor: string, files: string[], mark: BatchMark): void {
    if (!files.length) return;
    fs.mkdirSync(path.dirname(batchLogFile(this.storeRoot)), { recursive: true });
    const at = new Date().toISOString();
    for (const file of files) appendLine(batchLogFile(this.storeRoot), JSON.stringify({ monitor, file, mark, at } satisfies BatchLogLine));
  }

  /**
   * Arm a monitor over the batch files present now. The first time, they become its baseline (recorded, not
   * checked) and nothing is returned; later, the files it has not seen are returned: batches that arrived while it
   * was not watched, to be checked. A monitor armed over an empty folder records an empty baseline (a line with
   * no file) so that the first batch to appear later counts as new.
   */
  arm(monitor: string, present: string[]): string[] {
    const seen = this.read().get(monitor);
    if (!seen) {
      this.mark(monitor, present.length ? present : [''], 'baseline');
      return [];
    }
    return present.filter((f) => !seen.has(f));
  }
}
