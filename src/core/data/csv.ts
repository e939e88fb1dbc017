/**
 * CSV loading into typed columns, streamed (PapaParse, a well-kept parser) so a 100 MB file is never held as text
 * and each value is stored once, in a growing typed array. Runs in a worker thread when called through
 * loadCsvInWorker(); this module itself has no VS Code or worker dependency.
 *
 * Rules (each violation is a CsvError naming the file, the row — the header is row 1 — and the column):
 *  - a header row is required; column names must be non-empty and unique;
 *  - every row has as many fields as the header (blank lines are skipped);
 *  - a column's type is fixed by its first non-missing value: a number makes it numeric (then every value must
 *    be a number), anything else makes it categorical; `categorical` forces columns to be categorical;
 *  - missing values ('', NA, N/A, NaN, null, None) are an error by default; policy 'drop' drops those rows,
 *    'median' imputes the column median (the most frequent level for categorical columns); 'keep' (for drift
 *    monitoring) keeps them as NaN (numeric) or code −1 (categorical) and reports per-column counts in
 *    info.missing.counts; a column with no value at all is then numeric, all NaN, instead of an error;
 *  - a UTF-8 BOM and CRLF line ends are accepted.
 */
import * as fs from 'node:fs';
import Papa from 'papaparse';
import { escapeControl, printable } from '../store/names';
import { sha256FileAsync } from '../util/atomicFs';
import { UserInputError } from '../util/errors';
import { isDecimal } from '../util/numbers';
import type { CategoricalColumn, Column, Dataset, DatasetInfo, MissingPolicy, NumericColumn } from './dataset';

export class CsvError extends UserInputError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly row?: number,
    readonly column?: string,
  ) {
    // The file name and column are user text: control characters (a NUL in a header) are shown escaped.
    super(`${escapeControl(file)}${row !== undefined ? `, row ${row}` : ''}${column !== undefined ? `, column '${printable(column)}'` : ''}: ${detail}`);
    this.name = 'CsvError';
  }
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);

export function isMissing(s: string): boolean {
  return MISSING.has(s.trim().toLowerCase());
}

/**
 * A cell's number: decimal notation only (src/core/util/numbers.ts: no hex, Infinity or NaN — NaN and empty cells
 * are missing values). A decimal beyond ±1.8e308 gives ±Infinity here, and the loader refuses it as out of range.
 */
export function parseNumber(s: string): number | undefined {
  const t = s.trim();
  return isDecimal(t) ? Number(t) : undefined;
}

/**
 * The column names of a CSV's header row (quoted names with commas included), read from the start of the file without
 * loading the rest: for pickers that offer a target column. Empty when the file has no header.
 */
export function readCsvHeader(file: string): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n).replace(/^\ufeff/, '');
    const first = Papa.parse<string[]>(text, { preview: 1 }).data[0] ?? [];
    return first.map((f) => f.trim()).filter(Boolean);
  } finally {
    fs.closeSync(fd);
  }
}

export interface LoadOptions {
  missing?: MissingPolicy;
  /** Columns to treat as categorical even when their values look numeric. */
  categorical?: string[];
  /** Called every ~50,000 rows with the rows read so far and the bytes read. */
  onProgress?: (rows: number, bytes: number) => void;
}

/** What loadCsv returns with `missing: 'keep'`: missing values left in place and counted per column. */
export interface DatasetWithMissing {
  info: Omit<DatasetInfo, 'missing'> & {
    missing: { policy: 'keep'; droppedRows: 0; imputed: Record<string, never>; /** missing values per column */ counts: Record<string, number> };
  };
  columns: Column[];
}

class Growable {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  trimmed(): Float64Array {
    return this.data.length === this.length ? this.data : this.data.slice(0, this.length);
  }
}

interface Builder {
  name: string;
  type: 'numeric' | 'categorical' | undefined; // undefined until the first non-missing value
  firstRow: number;
  firstValue: string;
  values: Growable; // numbers, or category codes; NaN marks missing
  levels: Map<string, number>;
  forcedCategorical: boolean;
}

export function loadCsv(file: string, options: Omit<LoadOptions, 'missing'> & { missing: 'keep' }): Promise<DatasetWithMissing>;
export function loadCsv(file: string, options?: LoadOptions): Promise<Dataset>;
export async function loadCsv(file: string, options: Omit<LoadOptions, 'missing'> & { missing?: MissingPolicy | 'keep' } = {}): Promise<Dataset | DatasetWithMissing> {
  const policy = options.missing ?? 'error';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new CsvError(file, 'file not found');
  }
  if (stat.isDirectory()) throw new CsvError(file, 'is a folder, not a CSV file');
  if (stat.size === 0) throw new CsvError(file, 'the file is empty (a header row and at least one data row are needed)');
  const forced = new Set(options.categorical ?? []);

  let builders: Builder[] | undefined;
  let row = 0; // 1-based row number of the record being handled (header = 1)
  let dataRows = 0;
  let failure: CsvError | undefined;
  const missingRows: number[] = []; // data-row indexes with a missing value (for 'drop')

  const handleHeader = (fields: string[]) => {
    if (fields.length) fields[0] = fields[0].replace(/^\ufeff/, '');
    const seen = new Map<string, number>();
    fields.forEach((f, i) => {
      const name = f.trim();
      if (!name) throw new CsvError(file, `column ${i + 1} has an empty name in the header`, 1);
      const prev = seen.get(name);
      if (prev !== undefined) throw new CsvError(file, `duplicate column name '${printable(name)}' (columns ${prev + 1} and ${i + 1})`, 1, name);
      seen.set(name, i);
    });
    for (const name of forced) if (!seen.has(name)) throw new CsvError(file, `column '${printable(name)}' given as categorical is not in the header (columns: ${printable(fields.join(', '))})`);
    builders = fields.map((f) => ({ name: f.trim(), type: undefined, firstRow: 0, firstValue: '', values: new Growable(), levels: new Map(), forcedCategorical: forced.has(f.trim()) }));
  };

  const handleRow = (fields: string[]) => {
    const bs = builders!;
    if (fields.length === 1 && fields[0].trim() === '' && bs.length > 1) return; // blank line
    if (fields.length !== bs.length) {
      throw new CsvError(file, `has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${bs.length}`, row);
    }
    let rowMissing = false;
    for (let j = 0; j < bs.length; j++) {
      const b = bs[j];
      const raw = fields[j];
      if (isMissing(raw)) {
        if (policy === 'error') {
          throw new CsvError(file, `missing value ('${printable(raw.trim())}'); use the option to drop such rows or impute the median`, row, b.name);
        }
        rowMissing = true;
        b.values.push(NaN);
        continue;
      }
      if (b.type === undefined) {
        b.type = !b.forcedCategorical && parseNumber(raw) !== undefined ? 'numeric' : 'categorical';
        b.firstRow = row;
        b.firstValue = printable(raw.trim());
      }
      if (b.type === 'numeric') {
        const v = parseNumber(raw);
        if (v === undefined || !Number.isFinite(v)) {
          const what = v === undefined ? 'is not a number' : 'is out of range (beyond ±1.8e308)';
          throw new CsvError(file, `'${printable(raw.trim().slice(0, 40))}' ${what} (the column is numeric: row ${b.firstRow} holds ${b.firstValue})`, row, b.name);
        }
        b.values.push(v);
      } else {
        const key = raw.trim();
        let code = b.levels.get(key);
        if (code === undefined) {
          code = b.levels.size;
          b.levels.set(key, code);
        }
        b.values.push(code);
      }
    }
    if (rowMissing) missingRows.push(dataRows);
    dataRows++;
    if (options.onProgress && dataRows % 50_000 === 0) options.onProgress(dataRows, 0);
  };

  await new Promise<void>((resolve, reject) => {
    const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
    Papa.parse<string[]>(stream as unknown as File, {
      header: false,
      skipEmptyLines: false,
      dynamicTyping: false,
      chunk: (results, parser) => {
        try {
          for (const fields of results.data) {
            row++;
            if (row === 1) handleHeader(fields);
            else handleRow(fields);
          }
        } catch (e) {
          failure = e as CsvError;
          parser.abort();
        }
      },
      complete: () => resolve(),
      error: (err: Error) => reject(new CsvError(file, `cannot be read: ${printable(err.message)}`)),
    });
  });
  if (failure) throw failure;
  if (!builders) throw new CsvError(file, 'has no header row');
  if (dataRows === 0) throw new CsvError(file, 'has a header but no data rows');

  // Missing values: drop rows or impute.
  const imputed: Record<string, number> = {};
  const missingCounts: Record<string, number> = {};
  let keep: Uint8Array | undefined;
  if (missingRows.length && policy === 'drop') {
    keep = new Uint8Array(dataRows).fill(1);
    for (const r of missingRows) keep[r] = 0;
    if (missingRows.length === dataRows) throw new CsvError(file, `every data row has a missing value; nothing is left after dropping them`);
  }
  const columns: Column[] = builders.map((b) => {
    let values = b.values.trimmed();
    const type = b.type ?? 'numeric';
    if (b.type === undefined && policy !== 'keep') throw new CsvError(file, `column '${printable(b.name)}' has no values at all`, undefined, b.name);
    if (keep) {
      const out = new Float64Array(dataRows - missingRows.length);
      let k = 0;
      for (let i = 0; i < dataRows; i++) if (keep[i]) out[k++] = values[i];
      values = out;
    } else if (missingRows.length && policy === 'median') {
      let count = 0;
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) count++;
      if (count) {
        const fill = type === 'numeric' ? median(values) : mostFrequent(values);
        for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = fill;
        imputed[b.name] = count;
      }
    }
    if (policy === 'keep') {
      let count = 0;
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) count++;
      missingCounts[b.name] = count;
    }
    if (type === 'numeric') return { name: b.name, type: 'numeric', values } as NumericColumn;
    const levels = [...b.levels.keys()];
    const codes = Int32Array.from(values, (v) => (Number.isNaN(v) ? -1 : v));
    return { name: b.name, type: 'categorical', codes, levels } as CategoricalColumn;
  });
  const rows = keep ? dataRows - missingRows.length : dataRows;
  if (policy === 'keep') {
    return {
      info: {
        path: file,
        sha256: await sha256FileAsync(file),
        rows,
        columns: columns.map((c) => ({ name: c.name, type: c.type })),
        missing: { policy, droppedRows: 0, imputed: {}, counts: missingCounts },
      },
      columns,
    };
  }
  return {
    info: {
      path: file,
      sha256: await sha256FileAsync(file),
      rows,
      columns: columns.map((c) => ({ name: c.name, type: c.type })),
      missing: { policy, droppedRows: keep ? missingRows.length : 0, imputed },
    },
    columns,
  };
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
