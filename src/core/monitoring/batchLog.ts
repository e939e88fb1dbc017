/**
 * Which batch files a watched monitor has already seen, kept in the store so that a batch that lands while no
 * trusted window watches (VS Code closed, the workspace in Restricted Mode, the monitor switched off) is checked
 * the next time the monitor is armed, and none is checked twice.
 *
 * An append-only log (`monitoring/batches.jsonl`), one line per file: `baseline` (present when the monitor was
 * first armed: not checked, like files that were there before monitoring began) or `checked` (a drift check was
 * started for it). Append-only (src/core/util/jsonLog.ts, each line checksummed), so a killed process leaves at most a
 * partial line (skipped; the next append starts a new line) and two windows
 * writing at once cannot lose each other's lines. A line that does not parse is reported and skipped, never
 * rewritten.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendRecords, readJsonLog } from '../util/jsonLog';

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
    const { records, problems } = readJsonLog<BatchLogLine>(file, {
      validate: (o) => (o && typeof o.monitor === 'string' && typeof o.file === 'string' && (o.mark === 'baseline' || o.mark === 'checked') ? undefined : 'not a batch record (monitor, file, mark)'),
    });
    for (const p of problems) this.onProblem(file, `line ${p.line}: ${p.message} (the file is left as it is)`);
    for (const { value: o } of records) {
      let set = seen.get(o.monitor);
      if (!set) seen.set(o.monitor, (set = new Set()));
      set.add(o.file);
    }
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
    // One write for all of them; a torn tail left by a killed writer is ended first (issue 18 #1).
    appendRecords(batchLogFile(this.storeRoot), files.map((file) => ({ monitor, file, mark, at }) satisfies BatchLogLine), { checksum: true });
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
