/**
 * Column sources for drift checks on production-size data: one column at a time, all rows, missing values kept
 * (NaN, or category code −1), so a check never holds more than the columns it needs.
 *
 *  - Parquet: nothing is read up front but the footer; each column is read from the file when asked (its chunks in
 *    every row group), at full precision, and dropped after use.
 *  - CSV: rows are text, so the file is parsed once (streamed) and only the asked columns are kept, in chunks of
 *    65,536 values. Past FLOAT64_BUDGET_VALUES kept values (512 MB as doubles) the source keeps numbers as 32-bit
 *    floats (7 significant digits; values beyond the float32 range or below its smallest normal number are kept
 *    exactly) and says so (`rounded`): the drift check then rounds the other side of that column the same way, so
 *    equal values stay equal. Below the budget nothing is rounded.
 *
 * The cell rules are the CSV loader's (csv.ts) and Parquet loader's (parquetLoad.ts), with missing: 'keep'.
 */
import * as fs from 'node:fs';
import Papa from 'papaparse';
import { printable } from '../store/names';
import { sha256FileAsync } from '../util/atomicFs';
import { AbortError } from '../util/errors';
import { newBuilder } from './builders';
import { checkCsvFile, closeStream, CsvError, isMissing, parseNumber, readCsvHeader } from './csv';
import type { CategoricalColumn, ColumnType } from './dataset';
import { isParquetPath, ParquetTable } from './parquet';
import { addParquetChunk, selectParquetColumns } from './parquetLoad';

/** A numeric column as read for drift: NaN = missing; `rounded` when the values were kept as 32-bit floats. */
export interface KeptNumericColumn {
  name: string;
  type: 'numeric';
  values: Float64Array;
  rounded?: boolean;
}
export type KeptColumn = KeptNumericColumn | CategoricalColumn;

export interface ReadControl {
  signal?: AbortSignal;
  /** The share of this step done, 0..1, and the rows read so far (CSV). */
  onProgress?: (fraction: number, rows?: number) => void;
}

export interface ColumnSource {
  readonly file: string;
  /** Column names (CSV header, Parquet schema), known once opened. */
  readonly names: string[];
  /** Data rows (known after prepare()). */
  readonly rows: number;
  /** Whether prepare() reads the whole file (CSV) or nothing (Parquet). */
  readonly readsUpFront: boolean;
  /** Read what serving `columns` needs: a CSV is parsed keeping those columns; a Parquet file needs nothing. */
  prepare(columns: string[], control?: ReadControl): Promise<void>;
  column(name: string, control?: ReadControl): Promise<KeptColumn>;
  /** The column's type without reading its values when the file says it (a Parquet number column). */
  knownType(name: string): ColumnType | undefined;
  release(name: string): void;
  sha256(): Promise<string>;
  close(): void;
}

/** Kept values (numbers and category codes) past which a CSV source keeps numbers as 32-bit floats. */
export const FLOAT64_BUDGET_VALUES = 64 * 1024 * 1024;

/** Open a data file (by extension) and read its column names: a missing or unreadable file fails here. */
export function openColumnSource(file: string, options: { float64Budget?: number } = {}): ColumnSource {
  return isParquetPath(file) ? new ParquetColumnSource(file) : new CsvColumnSource(file, options.float64Budget ?? FLOAT64_BUDGET_VALUES);
}

/** Yield to the event loop (so an abort can arrive) and throw AbortError when aborted. */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise((r) => setImmediate(r));
  if (signal?.aborted) throw new AbortError('Drift check cancelled');
}

// ---------------------------------------------------------------------------------------------------------------

class ParquetColumnSource implements ColumnSource {
  readonly readsUpFront = false;
  private readonly table: ParquetTable;
  constructor(readonly file: string) {
    this.table = ParquetTable.open(file);
  }
  get names(): string[] {
    return this.table.names;
  }
  get rows(): number {
    return this.table.rows;
  }
  async prepare(columns: string[]): Promise<void> {
    selectParquetColumns(this.table, columns); // present and of a readable type
    if (this.table.rows === 0) throw this.table.error('has no data rows');
  }
  knownType(name: string): ColumnType | undefined {
    return this.table.column(name)?.kind === 'numeric' ? 'numeric' : undefined;
  }
  async column(name: string, control: ReadControl = {}): Promise<KeptColumn> {
    const [c] = selectParquetColumns(this.table, [name]);
    const b = newBuilder(name, false);
    b.values.data = new Float64Array(this.table.rows);
    for (let g = 0; g < this.table.rowGroups.length; g++) {
      await checkpoint(control.signal);
      addParquetChunk(this.table, c, g, this.table.readChunk(c, g), b, 'keep', undefined);
      control.onProgress?.((g + 1) / this.table.rowGroups.length);
    }
    const values = b.values.trimmed();
    if (b.type !== 'categorical') return { name, type: 'numeric', values };
    return { name, type: 'categorical', codes: Int32Array.from(values, (v) => (Number.isNaN(v) ? -1 : v)), levels: [...b.levels.keys()] };
  }
  release(): void {}
  sha256(): Promise<string> {
    return sha256FileAsync(this.file);
  }
  close(): void {
    this.table.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------

const CHUNK = 65_536;
const F32_MAX = 3.4028234663852886e38;
const F32_MIN_NORMAL = 1.1754943508222875e-38;

/** A value as a 32-bit float keeps it: rounded to float32 when within its normal range; otherwise (and NaN) unchanged. */
export function roundLikeFloat32(v: number): number {
  const a = Math.abs(v);
  return a === 0 || (a >= F32_MIN_NORMAL && a <= F32_MAX) ? Math.fround(v) : v;
}

/** One kept CSV column: values (numbers or category codes, NaN = missing) in chunks of doubles or 32-bit floats. */
class KeptValues {
  type: 'numeric' | 'categorical' | undefined;
  firstRow = 0;
  firstValue = '';
  readonly levels = new Map<string, number>();
  private chunks: (Float64Array | Float32Array)[] = [];
  private length = 0;
  /** In float32 mode: values kept exactly (beyond the float32 range), by row index. */
  private exact: Map<number, number> | undefined;
  constructor(readonly name: string, readonly index: number) {}

  get rounded(): boolean {
    return this.exact !== undefined;
  }

  push(v: number): void {
    const at = this.length % CHUNK;
    if (at === 0) this.chunks.push(this.exact ? new Float32Array(CHUNK) : new Float64Array(CHUNK));
    const chunk = this.chunks[this.chunks.length - 1];
    if (this.exact && this.keptExactly(v)) this.exact.set(this.length, v);
    chunk[at] = v;
    this.length++;
  }

  /** Keep the values as 32-bit floats from now on (the ones so far converted). */
  toFloat32(): void {
    if (this.exact) return;
    this.exact = new Map();
    this.chunks = this.chunks.map((c, k) => {
      c.forEach((v, i) => {
        if (this.keptExactly(v)) this.exact!.set(k * CHUNK + i, v);
      });
      return Float32Array.from(c);
    });
  }

  /** In float32 mode, numbers beyond the float32 range and category codes past 2^24 are kept exactly. */
  private keptExactly(v: number): boolean {
    return v === v && Math.fround(v) !== v && (this.type === 'categorical' || roundLikeFloat32(v) !== Math.fround(v));
  }

  values(): Float64Array {
    const out = new Float64Array(this.length);
    this.chunks.forEach((c, k) => out.set(k * CHUNK + c.length <= this.length ? c : c.subarray(0, this.length - k * CHUNK), k * CHUNK));
    for (const [i, v] of this.exact ?? []) out[i] = v;
    return out;
  }

  release(): void {
    this.chunks = [];
  }
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact up to 1e22

/**
 * The value of a plain decimal (optional sign, at most 15 digits, an optional point; no exponent, no spaces), or NaN
 * for anything else. Exactly Number(s) for those: the digits make an integer below 2^53 and 10^k is exact for
 * k ≤ 22, so the one division is correctly rounded (Clinger's fast path) — about twice as fast as Number() on a CSV
 * of such numbers.
 */
export function plainDecimal(s: string): number {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  const neg = c === 45;
  if (neg || c === 43) i = 1;
  let m = 0;
  let digits = 0;
  let point = -1;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) point = digits;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = point < 0 || point === digits ? m : m / POW10[digits - point];
  return neg ? -v : v;
}

/** A cell of a kept column (missing: 'keep'): a number, a category code, or NaN; the CSV loader's rules and errors. */
function keptCell(file: string, s: KeptValues, raw: string, row: number): number {
  if (s.type === 'numeric') {
    const p = plainDecimal(raw);
    if (p === p) return p;
    // Fast path for plain numbers: what Number() reads here is what parseNumber reads (decimal notation), except
    // 0x / 0o / 0b prefixes, which go the slow way (and are refused there).
    const c = raw.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 45 || c === 46 || c === 43) {
      const v = +raw;
      const c1 = raw.charCodeAt(1) | 32;
      if (v - v === 0 && !(c === 48 && (c1 === 120 || c1 === 111 || c1 === 98))) return v;
    }
  }
  if (isMissing(raw)) return NaN;
  if (s.type === undefined) {
    s.type = parseNumber(raw) !== undefined ? 'numeric' : 'categorical';
    s.firstRow = row;
    s.firstValue = printable(raw.trim());
  }
  if (s.type === 'categorical') {
    const key = raw.trim();
    let code = s.levels.get(key);
    if (code === undefined) s.levels.set(key, (code = s.levels.size));
    return code;
  }
  const v = parseNumber(raw);
  if (v === undefined || !Number.isFinite(v)) {
    const what = v === undefined ? 'is not a number' : 'is out of range (beyond ±1.8e308)';
    throw new CsvError(file, `'${printable(raw.trim().slice(0, 40))}' ${what} (the column is numeric: row ${s.firstRow} holds ${s.firstValue})`, row, s.name);
  }
  return v;
}

class CsvColumnSource implements ColumnSource {
  readonly readsUpFront = true;
  readonly names: string[];
  rows = 0;
  private kept = new Map<string, KeptValues>();

  constructor(readonly file: string, private readonly float64Budget: number) {
    checkCsvFile(file);
    this.names = readCsvHeader(file);
    if (!this.names.length) throw new CsvError(file, 'has no header row');
  }

  knownType(): ColumnType | undefined {
    return undefined;
  }

  async prepare(columns: string[], control: ReadControl = {}): Promise<void> {
    const size = Math.max(1, fs.statSync(this.file).size);
    let header: string[] | undefined;
    let row = 0;
    let read = 0;
    let nextCheck = CHUNK;
    let failure: Error | undefined;
    const stream = fs.createReadStream(this.file, { encoding: 'utf8', highWaterMark: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (text) => (read += text.length));
      Papa.parse<string[]>(stream as unknown as File, {
        header: false,
        skipEmptyLines: false,
        dynamicTyping: false,
        chunk: (results, parser) => {
          try {
            if (control.signal?.aborted) throw new AbortError('Drift check cancelled');
            for (const fields of results.data) {
              row++;
              if (row === 1) header = this.startColumns(fields, columns);
              else if (this.addRow(fields, row, header!.length) && this.rows >= nextCheck) {
                nextCheck += CHUNK;
                this.checkBudget();
              }
            }
            control.onProgress?.(Math.min(1, read / size), this.rows);
          } catch (e) {
            failure = e as Error;
            parser.abort();
          }
        },
        complete: () => resolve(),
        error: (err: Error) => reject(new CsvError(this.file, `cannot be read: ${printable(err.message)}`)),
      });
    }).finally(() => closeStream(stream)); // an aborted parse leaves the file open otherwise
    if (failure) throw failure;
    if (!header) throw new CsvError(this.file, 'has no header row');
    if (this.rows === 0) throw new CsvError(this.file, 'has a header but no data rows');
    this.checkBudget();
  }

  /** The header row checked as loadCsv checks it; the asked columns start being kept. */
  private startColumns(fields: string[], columns: string[]): string[] {
    if (fields.length) fields[0] = fields[0].replace(/^\ufeff/, '');
    const seen = new Map<string, number>();
    fields.forEach((f, i) => {
      const name = f.trim();
      if (!name) throw new CsvError(this.file, `column ${i + 1} has an empty name in the header`, 1);
      if (seen.has(name)) throw new CsvError(this.file, `duplicate column name '${printable(name)}' (columns ${seen.get(name)! + 1} and ${i + 1})`, 1, name);
      seen.set(name, i);
    });
    for (const name of columns) {
      const i = seen.get(name);
      if (i === undefined) throw new CsvError(this.file, `no column '${printable(name)}' in the header (columns: ${printable(fields.join(', '))})`, 1, name);
      this.kept.set(name, new KeptValues(name, i));
    }
    return fields;
  }

  /** One data row: false for a blank line. */
  private addRow(fields: string[], row: number, width: number): boolean {
    if (fields.length === 1 && fields[0].trim() === '' && width > 1) return false;
    if (fields.length !== width) throw new CsvError(this.file, `has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${width}`, row);
    for (const s of this.kept.values()) s.push(keptCell(this.file, s, fields[s.index], row));
    this.rows++;
    return true;
  }

  /** Past the budget, keep numbers as 32-bit floats. */
  private checkBudget(): void {
    if (this.rows * this.kept.size > this.float64Budget) for (const s of this.kept.values()) s.toFloat32();
  }

  async column(name: string): Promise<KeptColumn> {
    const s = this.kept.get(name);
    if (!s) throw new CsvError(this.file, `column '${printable(name)}' was not read`, undefined, name);
    const values = s.values();
    if (s.type !== 'categorical') return { name, type: 'numeric', values, rounded: s.rounded || undefined };
    return { name, type: 'categorical', codes: Int32Array.from(values, (v) => (Number.isNaN(v) ? -1 : v)), levels: [...s.levels.keys()] };
  }

  release(name: string): void {
    this.kept.get(name)?.release();
  }

  sha256(): Promise<string> {
    return sha256FileAsync(this.file);
  }

  close(): void {
    this.kept.clear();
  }
}

