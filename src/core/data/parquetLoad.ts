/**
 * A Parquet file as a Dataset, with the CSV loader's rules (csv.ts) and missing-value policies: column chunks are
 * read row group by row group and only for the asked columns (projection), into the shared column builders.
 */
import { printable } from '../store/names';
import { sha256FileAsync } from '../util/atomicFs';
import { type Builder, categoryCode, finishColumns, newBuilder } from './builders';
import { isMissing, parseNumber, type DatasetWithMissing, type LoadOptions } from './csv';
import type { Dataset, MissingPolicy } from './dataset';
import { type ChunkValues, type ParquetColumn, ParquetTable } from './parquet';

export interface ParquetLoadOptions extends LoadOptions {
  /** Read only these columns, in this order (default: all). */
  columns?: string[];
}

export function loadParquet(file: string, options: Omit<ParquetLoadOptions, 'missing'> & { missing: 'keep' }): Promise<DatasetWithMissing>;
export function loadParquet(file: string, options?: ParquetLoadOptions): Promise<Dataset>;
export async function loadParquet(file: string, options: Omit<ParquetLoadOptions, 'missing'> & { missing?: MissingPolicy | 'keep' } = {}): Promise<Dataset | DatasetWithMissing> {
  const policy = options.missing ?? 'error';
  const t = ParquetTable.open(file);
  try {
    const forced = new Set(options.categorical ?? []);
    const cols = selectParquetColumns(t, options.columns, forced);
    const builders = cols.map((c) => newBuilder(c.name, forced.has(c.name)));
    const missingRows: number[] = [];
    for (let g = 0; g < t.rowGroups.length; g++) {
      const { rows, firstRow } = t.rowGroups[g];
      const flags = policy === 'error' ? undefined : new Uint8Array(rows);
      cols.forEach((c, j) => addParquetChunk(t, c, g, t.readChunk(c, g), builders[j], policy, flags));
      if (flags) for (let i = 0; i < rows; i++) if (flags[i]) missingRows.push(firstRow + i);
      options.onProgress?.(firstRow + rows, 0);
    }
    if (t.rows === 0) throw t.error('has no data rows');
    const { columns, rows, missing } = finishColumns({ builders, dataRows: t.rows, missingRows }, policy, (detail, column) => t.error(detail, { column }));
    return { info: { path: file, sha256: await sha256FileAsync(file), rows, columns: columns.map((c) => ({ name: c.name, type: c.type })), missing }, columns } as Dataset | DatasetWithMissing;
  } finally {
    t.close();
  }
}

/** The asked columns (all by default), each present and readable; forced-categorical names must exist too. */
export function selectParquetColumns(t: ParquetTable, names: string[] | undefined, forced: Set<string> = new Set()): ParquetColumn[] {
  const list = () => printable(t.names.join(', '));
  for (const name of forced) if (!t.column(name)) throw t.error(`column '${printable(name)}' given as categorical is not in the file (columns: ${list()})`);
  const cols = (names ?? t.names).map((n) => {
    const c = t.column(n);
    if (!c) throw t.error(`no column '${printable(n)}' (columns: ${list()})`, { column: n });
    return c;
  });
  for (const c of cols) if (c.unsupported) throw t.error(`unsupported type ${c.typeName}: ${c.unsupported}`, { column: c.name });
  return cols;
}

/**
 * Add the values of column `c` in row group `g` to its builder, by the CSV rules; rows with a missing value are
 * flagged in `flags` (indexes within the group). Missing values are NaN (numbers) or NaN codes (categories).
 */
export function addParquetChunk(t: ParquetTable, c: ParquetColumn, g: number, chunk: ChunkValues, b: Builder, policy: MissingPolicy | 'keep', flags: Uint8Array | undefined): void {
  const firstRow = t.rowGroups[g].firstRow;
  const where = (i: number) => ({ rowGroup: g, row: firstRow + i + 1, column: c.name });
  const missingAt = (i: number, raw: string) => {
    if (policy === 'error') throw t.error(`missing value (${raw}); use the option to drop such rows or impute the median`, where(i));
    if (flags) flags[i] = 1;
  };
  if (chunk.kind === 'numeric' && !b.forcedCategorical) {
    const v = chunk.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== x) missingAt(i, 'null or NaN');
      else if (x === Infinity || x === -Infinity) throw t.error(`${x} is out of range (only finite numbers are read)`, where(i));
      else if (b.type === undefined) {
        b.type = 'numeric';
        b.firstRow = firstRow + i + 1;
        b.firstValue = String(x);
      }
    }
    b.values.pushAll(v);
    return;
  }
  const values = chunk.values;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const raw = typeof x === 'number' ? (Number.isNaN(x) ? null : String(x)) : x;
    if (raw === null || isMissing(raw)) {
      missingAt(i, raw === null ? 'null' : `'${printable(raw.trim())}'`);
      b.values.push(NaN);
      continue;
    }
    if (b.type === undefined) {
      b.type = !b.forcedCategorical && parseNumber(raw) !== undefined ? 'numeric' : 'categorical';
      b.firstRow = firstRow + i + 1;
      b.firstValue = printable(raw.trim());
    }
    b.values.push(b.type === 'numeric' ? textNumber(t, b, raw, where(i)) : categoryCode(b, raw.trim()));
  }
}

function textNumber(t: ParquetTable, b: Builder, raw: string, where: { rowGroup: number; row: number; column: string }): number {
  const v = parseNumber(raw);
  if (v === undefined || !Number.isFinite(v)) {
    const what = v === undefined ? 'is not a number' : 'is out of range (beyond ±1.8e308)';
    throw t.error(`'${printable(raw.trim().slice(0, 40))}' ${what} (the column is numeric: row ${b.firstRow} holds ${b.firstValue})`, where);
  }
  return v;
}
