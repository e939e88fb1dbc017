/**
 * Column builders shared by the CSV and Parquet loaders: values collected in growing typed arrays, then turned into
 * a Dataset's typed columns with the missing-value policy applied (rows dropped, values imputed, or kept and
 * counted). The loaders differ in how they read cells; the rules after reading are these, once.
 */
import { printable } from '../store/names';
import type { UserInputError } from '../util/errors';
import type { CategoricalColumn, Column, DatasetInfo, MissingPolicy, NumericColumn } from './dataset';

export class Growable {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  /** Append many values at once. */
  pushAll(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) this.grow(this.length + values.length);
    this.data.set(values, this.length);
    this.length += values.length;
  }
  private grow(needed: number): void {
    let size = this.data.length * 2;
    while (size < needed) size *= 2;
    const next = new Float64Array(size);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  trimmed(): Float64Array {
    return this.data.length === this.length ? this.data : this.data.slice(0, this.length);
  }
}

export interface Builder {
  name: string;
  type: 'numeric' | 'categorical' | undefined; // undefined until the first non-missing value
  /** Where the first non-missing value is (a CSV row number, or a Parquet row), for messages. */
  firstRow: number;
  firstValue: string;
  values: Growable; // numbers, or category codes; NaN marks missing
  levels: Map<string, number>;
  forcedCategorical: boolean;
}

export function newBuilder(name: string, forcedCategorical: boolean): Builder {
  return { name, type: undefined, firstRow: 0, firstValue: '', values: new Growable(), levels: new Map(), forcedCategorical };
}

/** The code of a category level, added on first sight (levels keep their order of appearance). */
export function categoryCode(b: Builder, key: string): number {
  let code = b.levels.get(key);
  if (code === undefined) {
    code = b.levels.size;
    b.levels.set(key, code);
  }
  return code;
}

/** What reading a file gives: one builder per column, the data-row count and the data rows with a missing value. */
export interface ParsedColumns {
  builders: Builder[];
  dataRows: number;
  /** Data-row indexes with a missing value (for 'drop'). */
  missingRows: number[];
}

/** `missing: 'keep'` info: missing values left in place and counted per column. */
export type KeptMissing = { policy: 'keep'; droppedRows: 0; imputed: Record<string, never>; /** missing values per column */ counts: Record<string, number> };

/** The file's error for a rule broken after reading (no row: these are about whole columns). */
export type ColumnFailure = (detail: string, column?: string) => UserInputError;

/** The typed columns, with the missing-value policy applied (rows dropped, values imputed, or counted for 'keep'). */
export function finishColumns(p: ParsedColumns, policy: MissingPolicy | 'keep', fail: ColumnFailure): { columns: Column[]; rows: number; missing: DatasetInfo['missing'] | KeptMissing } {
  const { dataRows, missingRows } = p;
  const imputed: Record<string, number> = {};
  const missingCounts: Record<string, number> = {};
  let keep: Uint8Array | undefined;
  if (missingRows.length && policy === 'drop') {
    keep = new Uint8Array(dataRows).fill(1);
    for (const r of missingRows) keep[r] = 0;
    if (missingRows.length === dataRows) throw fail(`every data row has a missing value; nothing is left after dropping them`);
  }
  const columns: Column[] = p.builders.map((b) => {
    let values = b.values.trimmed();
    const type = b.type ?? 'numeric';
    if (b.type === undefined && policy !== 'keep') throw fail(`column '${printable(b.name)}' has no values at all`, b.name);
    if (keep) {
      const out = new Float64Array(dataRows - missingRows.length);
      let k = 0;
      for (let i = 0; i < dataRows; i++) if (keep[i]) out[k++] = values[i];
      values = out;
    } else if (missingRows.length && policy === 'median') {
      const count = countNaN(values);
      if (count) {
        const fill = type === 'numeric' ? median(values) : mostFrequent(values);
        for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = fill;
        imputed[b.name] = count;
      }
    }
    if (policy === 'keep') missingCounts[b.name] = countNaN(values);
    if (type === 'numeric') return { name: b.name, type: 'numeric', values } as NumericColumn;
    const levels = [...b.levels.keys()];
    const codes = Int32Array.from(values, (v) => (Number.isNaN(v) ? -1 : v));
    return { name: b.name, type: 'categorical', codes, levels } as CategoricalColumn;
  });
  const rows = keep ? dataRows - missingRows.length : dataRows;
  const missing = policy === 'keep' ? { policy, droppedRows: 0 as const, imputed: {}, counts: missingCounts } : { policy, droppedRows: keep ? missingRows.length : 0, imputed };
  return { columns, rows, missing };
}

function countNaN(values: Float64Array): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) count++;
  return count;
}

function median(values: Float64Array): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort();
  if (!xs.length) return 0;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

function mostFrequent(codes: Float64Array): number {
  const counts = new Map<number, number>();
  for (const c of codes) if (!Number.isNaN(c)) counts.set(c, (counts.get(c) ?? 0) + 1);
  let best = 0;
  let bestN = -1;
  for (const [c, n] of counts) if (n > bestN || (n === bestN && c < best)) [best, bestN] = [c, n];
  return best;
}
