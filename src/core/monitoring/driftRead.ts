/**
 * Reading the two sides of a drift check one column at a time (data/columnSource.ts), with progress and Cancel: a
 * CSV side is parsed once keeping only the needed columns, a Parquet side reads each column when its turn comes,
 * and each column is dropped once tested (unless a model needs every feature for its predictions).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpoint, type ColumnSource, type KeptColumn, roundLikeFloat32 } from '../data/columnSource';
import type { Column } from '../data/dataset';
import { driftDatasetColumn, type DriftColumnOptions } from './stats';
import type { NamedColumnDrift } from './types';

/**
 * A drift check's progress: the share done (0..1) and what is being done ("Reading batch.csv", "Column 12 of 200:
 * Temperature"), with the phase's own count: rows read of a CSV side (a Parquet side is read column by column, in the
 * 'features' phase), or features tested.
 */
export type DriftProgress = { fraction: number; message: string } & ({ phase: 'reference' | 'current'; rows: number } | { phase: 'features'; done: number; total: number });

export interface DriftControl {
  /** Aborting stops the check at the next chunk of rows or column (AbortError); nothing has been written then. */
  signal?: AbortSignal;
  onProgress?: (p: DriftProgress) => void;
  /** Kept CSV values before numbers are kept as 32-bit floats (default FLOAT64_BUDGET_VALUES; for tests). */
  float64Budget?: number;
}

/**
 * Progress as work done over work to do, in bytes of file: reading a CSV side is its size (while it is parsed);
 * reading a Parquet side is its size, spread over the columns; the statistics count half of both sizes, spread
 * over the columns. Reported when the whole percent or the message changes.
 */
export class DriftProgressMeter {
  private readonly csvBytes: number;
  private readonly loopBytes: number;
  private csvDone = 0;
  private last = '';
  constructor(private readonly onProgress: DriftControl['onProgress'], sides: ColumnSource[]) {
    const size = (s: ColumnSource) => Math.max(1, fs.statSync(s.file).size);
    this.csvBytes = sides.filter((s) => s.readsUpFront).reduce((t, s) => t + size(s), 0);
    this.loopBytes = sides.filter((s) => !s.readsUpFront).reduce((t, s) => t + size(s), 0) + 0.5 * sides.reduce((t, s) => t + size(s), 0);
  }
  /** The progress callback of reading a side (fraction of that file, rows read so far); only a CSV side reports. */
  reading(side: ColumnSource, phase: 'reference' | 'current'): (fraction: number, rows?: number) => void {
    const before = this.csvDone;
    const size = Math.max(1, fs.statSync(side.file).size);
    const message = `Reading ${path.basename(side.file)}`;
    if (side.readsUpFront) this.emit(before, message, { phase, rows: 0 });
    return (f, rows = 0) => {
      this.csvDone = before + f * size;
      this.emit(this.csvDone, message, { phase, rows });
    };
  }
  /** Column `k` (0-based) of `n` is done to `f` (1 = tested). */
  column(k: number, n: number, name: string, f = 0): void {
    this.emit(this.csvBytes + ((k + f) / Math.max(1, n)) * this.loopBytes, `Column ${k + 1} of ${n}: ${name}`, { phase: 'features', done: f === 1 ? k + 1 : k, total: n });
  }
  done(n: number): void {
    this.emit(this.csvBytes + this.loopBytes, 'Done', { phase: 'features', done: n, total: n });
  }
  private emit(doneBytes: number, message: string, count: { phase: 'reference' | 'current'; rows: number } | { phase: 'features'; done: number; total: number }): void {
    if (!this.onProgress) return;
    const fraction = Math.min(1, doneBytes / Math.max(1, this.csvBytes + this.loopBytes));
    const key = `${Math.floor(fraction * 100)} ${message} ${count.phase === 'features' ? count.done : ''}`;
    if (key === this.last) return;
    this.last = key;
    this.onProgress({ fraction, message, ...count });
  }
}

/** Both sides at one precision: a side kept as 32-bit floats makes the other side's values rounded the same way. */
export function sameRounding(a: KeptColumn, b: KeptColumn): [Column, Column] {
  if (a.type !== 'numeric' || b.type !== 'numeric' || !!a.rounded === !!b.rounded) return [a, b];
  const round = (c: typeof a) => ({ ...c, values: c.values.map(roundLikeFloat32), rounded: true });
  return a.rounded ? [a, round(b)] : [round(a), b];
}

/**
 * Per-feature drift, one column at a time. With `keep`, the read columns are returned (for a model's predictions);
 * otherwise each is released once tested.
 */
export async function driftColumnsOf(ref: ColumnSource, cur: ColumnSource, features: string[], overrides: Record<string, DriftColumnOptions>, control: DriftControl, meter: DriftProgressMeter, keep: boolean): Promise<{ columns: NamedColumnDrift[]; kept: { ref: Column[]; cur: Column[] } }> {
  const columns: NamedColumnDrift[] = [];
  const kept = { ref: [] as Column[], cur: [] as Column[] };
  for (const [k, name] of features.entries()) {
    await checkpoint(control.signal);
    meter.column(k, features.length, name);
    const sub = { signal: control.signal, onProgress: (f: number) => meter.column(k, features.length, name, f / 2) };
    const [r, c] = sameRounding(await ref.column(name, sub), await cur.column(name, sub));
    columns.push({ name, ...driftDatasetColumn(r, c, overrides[name] ?? {}) });
    if (keep) {
      kept.ref.push(r);
      kept.cur.push(c);
    } else {
      ref.release(name);
      cur.release(name);
    }
    meter.column(k, features.length, name, 1);
  }
  return { columns, kept };
}
