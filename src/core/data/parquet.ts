/**
 * Parquet files, read with hyparquet (pure JavaScript, MIT) and hyparquet-compressors (snappy, gzip, brotli, zstd,
 * lz4): no native module, so the reader runs wherever the extension does (desktop, remote, VS Code server).
 *
 * Decision (issue 15), measured on a 1,000,000-row × 200-DOUBLE-column file written by DuckDB 1.5 (snappy, 9 row
 * groups, OPTIONAL columns as every common writer makes them; 1.2 GB), reading every column into a Float64Array one
 * column at a time, on 2 busy cores (load average 8–10):
 *
 * | reader                                            | snappy 1.2 GB      | zstd 0.7 GB        |
 * |---------------------------------------------------|--------------------|--------------------|
 * | hyparquet 1.33 parquetRead (onChunk)              | 50.5 s, 242 MB RSS | 99.4 s, 250 MB RSS |
 * | hyparquet page decoders, flat columns (this file) | 15.3 s, 155 MB RSS | 38.3 s, 141 MB RSS |
 * | parquet-wasm 0.8 + apache-arrow 21 (IPC)          | 15.9 s, 253 MB RSS | 22.8 s, 231 MB RSS |
 * | @duckdb/node-api 1.5.6 (native, 2 threads)        | 14.5 s, 204 MB RSS | 11.9 s, 201 MB RSS |
 *
 * DuckDB's native binary gains 5 % on snappy (the common codec) for a 70 MB per-platform package and VSIXs per
 * platform: not worth it. parquet-wasm is as fast on snappy but ships 5 MB of WebAssembly plus Arrow to decode its
 * output. hyparquet's own parquetRead turns every OPTIONAL column into a JavaScript array (its list assembly runs
 * even for flat columns without nulls: 41 % of the time); reading flat columns page by page with hyparquet's exported
 * page decoders (hyparquet/src/*.js, a public export of the package, pinned in package.json) avoids that and is as
 * fast as the others on snappy. Figures: /usr/bin/time -v, one run each.
 *
 * Rules (the CSV loader's, see csv.ts; each violation is a ParquetError naming the file, the row group, the row —
 * 1-based among the data rows, where a CSV's row 1 is its header — and the column; within a row group the columns
 * are read one after the other, so the error is the first one in that order):
 *  - numbers (INT32/INT64/FLOAT/DOUBLE, DECIMAL) are numeric columns; null and NaN are missing values; ±Infinity is
 *    refused, as a CSV's out-of-range number is;
 *  - text (BYTE_ARRAY: STRING, ENUM or unannotated) follows the CSV cell rules: the missing tokens ('', NA, NaN, …)
 *    are missing, and the first non-missing value fixes the type (a number makes the column numeric, then every
 *    value must be a number); BOOLEAN columns are categorical with levels 'true' / 'false';
 *  - dates, times, timestamps, intervals, nested columns (lists, maps, structs), JSON, UUID and binary columns are
 *    an "unsupported type" error when read (a projection that leaves them out reads the file).
 */
import * as fs from 'node:fs';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import type { ColumnDecoder, DecodedArray, FileMetaData, SchemaElement, SchemaTree } from 'hyparquet/src/types';
import { parquetHeader } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS, convert, convertWithDictionary } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';
import { compressors } from 'hyparquet-compressors';
import { escapeControl, printable } from '../store/names';
import { UserInputError } from '../util/errors';

export class ParquetError extends UserInputError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly where: { rowGroup?: number; rowGroups?: number; row?: number; column?: string } = {},
  ) {
    const { rowGroup, rowGroups, row, column } = where;
    super(`${escapeControl(file)}${rowGroup !== undefined ? `, row group ${rowGroup + 1} of ${rowGroups}` : ''}${row !== undefined ? `, row ${row}` : ''}${column !== undefined ? `, column '${printable(column)}'` : ''}: ${detail}`);
    this.name = 'ParquetError';
  }
}

/** Parquet by its extension (`.parquet`, any case); everything else is read as CSV. */
export function isParquetPath(file: string): boolean {
  return /\.parquet$/i.test(file);
}

/** How a column's values are read: numbers, text (CSV cell rules) or booleans (categorical). */
export type ParquetKind = 'numeric' | 'text' | 'boolean';

export interface ParquetColumn {
  name: string;
  kind: ParquetKind;
  /** The file's type, for messages: `DOUBLE`, `BYTE_ARRAY (STRING)`, `INT64 (TIMESTAMP)`, `group`. */
  typeName: string;
  /** Why the column cannot be read, when it cannot. */
  unsupported?: string;
  /** Index of the column chunk in each row group (flat columns only). */
  leaf: number;
}

export interface RowGroupInfo {
  rows: number;
  /** Row number (0-based in the file) of the group's first row. */
  firstRow: number;
  /** Compressed bytes of the group's column chunks. */
  bytes: number;
}

/** Values of one column chunk: numbers with NaN for null, or texts with null for null. */
export type ChunkValues = { kind: 'numeric'; values: Float64Array } | { kind: 'text'; values: (string | null)[] };

/** An open Parquet file: its schema and row groups from the footer; column chunks are read on demand. */
export class ParquetTable {
  readonly rows: number;
  readonly rowGroups: RowGroupInfo[];
  readonly columns: ParquetColumn[];
  private readonly metadata: FileMetaData;
  private fd: number | undefined;

  private constructor(readonly file: string, fd: number, metadata: FileMetaData) {
    this.fd = fd;
    this.metadata = metadata;
    this.rows = Number(metadata.num_rows);
    let firstRow = 0;
    this.rowGroups = metadata.row_groups.map((g) => {
      const info = { rows: Number(g.num_rows), firstRow, bytes: g.columns.reduce((s, c) => s + Number(c.meta_data?.total_compressed_size ?? 0), 0) };
      firstRow += info.rows;
      return info;
    });
    this.columns = describeColumns(metadata);
    const seen = new Set<string>();
    for (const c of this.columns) {
      if (seen.has(c.name)) throw new ParquetError(file, `duplicate column name '${printable(c.name)}'`, { column: c.name });
      seen.add(c.name);
    }
  }

  /** Open `file` and read its footer; a missing, empty, non-Parquet or damaged file is a ParquetError. */
  static open(file: string): ParquetTable {
    const fd = openDataFile(file);
    try {
      return new ParquetTable(file, fd, readFooter(file, fd));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  get names(): string[] {
    return this.columns.map((c) => c.name);
  }

  column(name: string): ParquetColumn | undefined {
    return this.columns.find((c) => c.name === name);
  }

  /** Compressed bytes of a column over all row groups (for progress). */
  columnBytes(c: ParquetColumn): number {
    return this.metadata.row_groups.reduce((s, g) => s + Number(g.columns[c.leaf]?.meta_data?.total_compressed_size ?? 0), 0);
  }

  /** A ParquetError at a place of this file (row numbers 1-based in the file). */
  error(detail: string, where: { rowGroup?: number; row?: number; column?: string } = {}): ParquetError {
    return new ParquetError(this.file, detail, { ...where, rowGroups: where.rowGroup !== undefined ? this.rowGroups.length : undefined });
  }

  /** The values of column `c` in row group `g`. */
  readChunk(c: ParquetColumn, g: number): ChunkValues {
    if (c.unsupported) throw this.error(`unsupported type ${c.typeName}: ${c.unsupported}`, { column: c.name });
    const chunk = this.metadata.row_groups[g].columns[c.leaf];
    const meta = chunk?.meta_data;
    if (!meta) throw this.error('the column chunk has no metadata (the file is damaged, or its columns are in other files)', { rowGroup: g, column: c.name });
    const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    const length = Number(meta.total_compressed_size);
    const buf = Buffer.allocUnsafe(length);
    const got = fs.readSync(this.fd!, buf, 0, length, start);
    if (got !== length) throw this.error(`the file ends inside this column chunk (${got} of ${length} bytes): it is truncated`, { rowGroup: g, column: c.name });
    const rows = this.rowGroups[g].rows;
    try {
      return decodeChunk(buf, decoderFor(this.metadata, meta.path_in_schema, meta.type, meta.codec), rows, c.kind);
    } catch (e) {
      throw this.error(`cannot be decoded (the file is damaged or uses an encoding that is not supported): ${printable((e as Error).message)}`, { rowGroup: g, column: c.name });
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The file descriptor of a readable, non-empty data file; ParquetErrors as loadCsv words them. */
function openDataFile(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ParquetError(file, 'file not found');
  }
  if (stat.isDirectory()) throw new ParquetError(file, 'is a folder, not a Parquet file');
  if (stat.size === 0) throw new ParquetError(file, 'the file is empty');
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    throw new ParquetError(file, `cannot be opened: ${printable((e as Error).message)}`);
  }
}

/** The footer's metadata, after the magic numbers and lengths are checked. */
function readFooter(file: string, fd: number): FileMetaData {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(4);
  const tail = Buffer.alloc(8);
  fs.readSync(fd, head, 0, 4, 0);
  if (size >= 8) fs.readSync(fd, tail, 0, 8, size - 8);
  const magic = tail.toString('latin1', 4, 8);
  if (size < 12 || head.toString('latin1') !== 'PAR1' || (magic !== 'PAR1' && magic !== 'PARE')) throw new ParquetError(file, 'is not a Parquet file (no PAR1 magic number at its start and end), or it is truncated');
  if (magic === 'PARE') throw new ParquetError(file, 'is an encrypted Parquet file, which is not supported');
  const length = tail.readUInt32LE(0);
  if (length + 12 > size) throw new ParquetError(file, `its footer length (${length} bytes) is larger than the file: it is damaged`);
  const footer = Buffer.alloc(length + 8);
  fs.readSync(fd, footer, 0, length + 8, size - 8 - length);
  try {
    return parquetMetadata(footer.buffer.slice(footer.byteOffset, footer.byteOffset + footer.byteLength) as ArrayBuffer, { geoparquet: false });
  } catch (e) {
    throw new ParquetError(file, `its footer cannot be read (the file is damaged): ${printable((e as Error).message)}`);
  }
}

const TEMPORAL = new Set(['DATE', 'TIME_MILLIS', 'TIME_MICROS', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', 'INTERVAL', 'TIME', 'TIMESTAMP']);

/** The top-level columns of the schema, with their kind or why they cannot be read. */
function describeColumns(metadata: FileMetaData): ParquetColumn[] {
  const root = parquetSchema(metadata) as SchemaTree;
  let leaf = 0;
  return root.children.map((node) => {
    const leaves = countLeaves(node);
    const col = describeColumn(node, leaf);
    leaf += leaves;
    return col;
  });
}

function countLeaves(node: SchemaTree): number {
  return node.children.length ? node.children.reduce((s, c) => s + countLeaves(c), 0) : 1;
}

function describeColumn(node: SchemaTree, leaf: number): ParquetColumn {
  const el: SchemaElement = node.element;
  const logical = el.logical_type?.type;
  const annotation = logical ?? el.converted_type;
  const typeName = node.children.length ? `group${annotation ? ` (${annotation})` : ''}` : `${el.type}${annotation ? ` (${annotation})` : ''}`;
  const base = { name: el.name, typeName, leaf };
  if (node.children.length || el.repetition_type === 'REPEATED') return { ...base, kind: 'text', unsupported: 'nested columns (lists, maps, structs) cannot be read; flatten them into columns of numbers or text' };
  if ((annotation && TEMPORAL.has(annotation)) || el.type === 'INT96') return { ...base, kind: 'text', unsupported: 'dates and times are not read; store them as numbers (e.g. seconds) or text, or leave the column out' };
  if (annotation === 'DECIMAL' || logical === 'FLOAT16') return { ...base, kind: 'numeric' };
  if (annotation && annotation !== 'UTF8' && annotation !== 'STRING' && annotation !== 'ENUM' && annotation !== 'INTEGER' && !/^U?INT_\d+$/.test(annotation)) {
    return { ...base, kind: 'text', unsupported: `${annotation} columns are not read (numbers and text are)` };
  }
  switch (el.type) {
    case 'BOOLEAN':
      return { ...base, kind: 'boolean' };
    case 'INT32':
    case 'INT64':
    case 'FLOAT':
    case 'DOUBLE':
      return { ...base, kind: 'numeric' };
    case 'BYTE_ARRAY':
      return { ...base, kind: 'text' };
    default:
      return { ...base, kind: 'text', unsupported: 'binary columns are not read (numbers and text are)' };
  }
}

function decoderFor(metadata: FileMetaData, path: string[], type: ColumnDecoder['type'], codec: ColumnDecoder['codec']): ColumnDecoder {
  const schemaPath = getSchemaPath(metadata.schema, path);
  return { pathInSchema: path, type, element: schemaPath[schemaPath.length - 1].element, schemaPath, codec, parsers: DEFAULT_PARSERS, compressors, utf8: true };
}

/**
 * Decode the pages of one flat column chunk: numbers into a Float64Array (NaN for null), anything else into an
 * array (null for null). Definition levels are applied here, so hyparquet's list assembly (slow for OPTIONAL
 * columns) is not used.
 */
function decodeChunk(buf: Buffer, dec: ColumnDecoder, rows: number, kind: ParquetKind): ChunkValues {
  const reader = { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 };
  const maxDef = getMaxDefinitionLevel(dec.schemaPath);
  const numeric = kind === 'numeric' ? new Float64Array(rows) : undefined;
  const text: (string | null)[] | undefined = numeric ? undefined : new Array(rows);
  let dictionary: DecodedArray | undefined;
  let at = 0;
  while (at < rows) {
    if (reader.offset >= buf.byteLength) throw new Error(`the column chunk ends after ${at} of ${rows} rows`);
    const header = parquetHeader(reader);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset + reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(bytes, header.uncompressed_page_size, dec.codec, compressors);
      const plain = readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, dec.type, header.dictionary_page_header!.num_values, dec.element.type_length);
      dictionary = convert(plain, dec);
      continue;
    }
    let page;
    let encoding;
    if (header.type === 'DATA_PAGE') {
      page = readDataPage(decompressPage(bytes, header.uncompressed_page_size, dec.codec, compressors), header.data_page_header!, dec);
      encoding = header.data_page_header!.encoding;
    } else if (header.type === 'DATA_PAGE_V2') {
      page = readDataPageV2(bytes, header, dec);
      encoding = header.data_page_header_v2!.encoding;
    } else continue; // index pages
    const values = convertWithDictionary(page.dataPage, dictionary, encoding, dec);
    const defs = page.definitionLevels ?? [];
    const n = defs.length || values.length;
    if (at + n > rows) throw new Error(`the pages hold more values than the row group's ${rows} rows`);
    if (numeric) scatterNumbers(numeric, at, values, defs, maxDef);
    else scatterText(text!, at, values, defs, maxDef);
    at += n;
  }
  return numeric ? { kind: 'numeric', values: numeric } : { kind: 'text', values: text! };
}

function scatterNumbers(out: Float64Array, at: number, values: DecodedArray, defs: number[], maxDef: number): void {
  if (!defs.length) {
    if (values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint32Array) out.set(values, at);
    else for (let i = 0; i < values.length; i++) out[at + i] = Number(values[i]);
    return;
  }
  let k = 0;
  for (let i = 0; i < defs.length; i++) out[at + i] = defs[i] === maxDef ? Number(values[k++]) : NaN;
}

function scatterText(out: (string | null)[], at: number, values: DecodedArray, defs: number[], maxDef: number): void {
  const text = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : String(v));
  if (!defs.length) {
    for (let i = 0; i < values.length; i++) out[at + i] = text(values[i]);
    return;
  }
  let k = 0;
  for (let i = 0; i < defs.length; i++) out[at + i] = defs[i] === maxDef ? text(values[k++]) : null;
}
