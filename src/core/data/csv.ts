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
import { isDecimal, parseDecimal } from '../util/numbers';
import { type Builder, categoryCode, finishColumns, type KeptMissing, newBuilder, type ParsedColumns } from './builders';
import type { Column, Dataset, DatasetInfo, MissingPolicy } from './dataset';

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
    missing: KeptMissing;
  };
  columns: Column[];
}

export function loadCsv(file: string, options: Omit<LoadOptions, 'missing'> & { missing: 'keep' }): Promise<DatasetWithMissing>;
export function loadCsv(file: string, options?: LoadOptions): Promise<Dataset>;
export async function loadCsv(file: string, options: Omit<LoadOptions, 'missing'> & { missing?: MissingPolicy | 'keep' } = {}): Promise<Dataset | DatasetWithMissing> {
  const policy = options.missing ?? 'error';
  checkCsvFile(file);
  const parsed = await parseColumns(file, policy, new Set(options.categorical ?? []), options.onProgress);
  const { columns, rows, missing } = finishColumns(parsed, policy, (detail, column) => new CsvError(file, detail, undefined, column));
  return {
    info: { path: file, sha256: await sha256FileAsync(file), rows, columns: columns.map((c) => ({ name: c.name, type: c.type })), missing },
    columns,
  } as Dataset | DatasetWithMissing;
}

/** A CsvError unless `file` is a non-empty file. */
export function checkCsvFile(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new CsvError(file, 'file not found');
  }
  if (stat.isDirectory()) throw new CsvError(file, 'is a folder, not a CSV file');
  if (stat.size === 0) throw new CsvError(file, 'the file is empty (a header row and at least one data row are needed)');
}

/** Stream the file through PapaParse into column builders; the first rule a record breaks is thrown as a CsvError. */
async function parseColumns(file: string, policy: MissingPolicy | 'keep', forced: Set<string>, onProgress: LoadOptions['onProgress']): Promise<ParsedColumns> {
  let builders: Builder[] | undefined;
  let row = 0; // 1-based row number of the record being handled (header = 1)
  let failure: CsvError | undefined;
  const parsed: ParsedColumns = { builders: [], dataRows: 0, missingRows: [] };
  const handleRow = (fields: string[]) => {
    const missing = addRow(file, builders!, fields, row, policy);
    if (missing === undefined) return; // blank line
    if (missing) parsed.missingRows.push(parsed.dataRows);
    parsed.dataRows++;
    if (onProgress && parsed.dataRows % 50_000 === 0) onProgress(parsed.dataRows, 0);
  };
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(stream as unknown as File, {
      header: false,
      skipEmptyLines: false,
      dynamicTyping: false,
      chunk: (results, parser) => {
        try {
          for (const fields of results.data) {
            row++;
            if (row === 1) builders = headerBuilders(file, fields, forced);
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
  }).finally(() => closeStream(stream)); // a parse stopped at a bad row leaves the file open otherwise
  if (failure) throw failure;
  if (!builders) throw new CsvError(file, 'has no header row');
  if (parsed.dataRows === 0) throw new CsvError(file, 'has a header but no data rows');
  return { ...parsed, builders };
}

/** The header row: non-empty, unique names (a UTF-8 BOM removed), and every forced-categorical column present. */
function headerBuilders(file: string, fields: string[], forced: Set<string>): Builder[] {
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
  return fields.map((f) => newBuilder(f.trim(), forced.has(f.trim())));
}

/** Add one data row (row number `row`) to the builders: whether it had a missing value, undefined for a blank line. */
function addRow(file: string, bs: Builder[], fields: string[], row: number, policy: MissingPolicy | 'keep'): boolean | undefined {
  if (fields.length === 1 && fields[0].trim() === '' && bs.length > 1) return undefined; // blank line
  if (fields.length !== bs.length) {
    throw new CsvError(file, `has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${bs.length}`, row);
  }
  let rowMissing = false;
  for (let j = 0; j < bs.length; j++) {
    const b = bs[j];
    const raw = fields[j];
    // The usual cell of a numeric column, a decimal number, first: it is never a missing-value token, so isMissing's
    // trim, lower-casing and lookup are skipped (about a fifth of the parse of a numeric CSV).
    if (b.type === 'numeric') {
      const v = parseDecimal(raw);
      if (v !== undefined) {
        b.values.push(v);
        continue;
      }
    }
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
    b.values.push(b.type === 'numeric' ? numericCell(file, b, raw, row) : categoryCode(b, raw.trim()));
  }
  return rowMissing;
}

function numericCell(file: string, b: Builder, raw: string, row: number): number {
  const v = parseNumber(raw);
  if (v === undefined || !Number.isFinite(v)) {
    const what = v === undefined ? 'is not a number' : 'is out of range (beyond ±1.8e308)';
    throw new CsvError(file, `'${printable(raw.trim().slice(0, 40))}' ${what} (the column is numeric: row ${b.firstRow} holds ${b.firstValue})`, row, b.name);
  }
  return v;
}

/** Destroys a file stream and waits until its file is closed (destroy alone closes it later, after the caller moved on). */
export function closeStream(stream: fs.ReadStream): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.destroy();
  });
}
