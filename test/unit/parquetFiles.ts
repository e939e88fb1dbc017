/**
 * Writing Parquet files for tests and the bench with hyparquet-writer (a dev dependency): small files in one call,
 * big ones row group by row group so the data never sit in memory whole.
 */
import * as fs from 'node:fs';
import * as writer from 'hyparquet-writer';
import { ParquetWriter, parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';

export type { ColumnSource } from 'hyparquet-writer';

/** A small Parquet file of the given columns (row groups of `rowGroupSize` rows). */
export function writeParquet(file: string, columnData: ColumnSource[], options: { rowGroupSize?: number; codec?: 'SNAPPY' | 'UNCOMPRESSED' } = {}): string {
  const buf = parquetWriteBuffer({ columnData, rowGroupSize: options.rowGroupSize ?? 100_000, codec: options.codec });
  fs.writeFileSync(file, new Uint8Array(buf));
  return file;
}

/**
 * A big Parquet file of nullable DOUBLE columns, written one row group at a time: `fill(rowGroup)` gives the
 * group's columns (each a Float64Array, NaN written as null).
 */
export async function writeParquetByRowGroup(file: string, names: string[], rowGroups: number, fill: (g: number) => Float64Array[]): Promise<void> {
  // fileWriter is in hyparquet-writer's Node entry (its types list only the common entry).
  const { fileWriter } = writer as unknown as { fileWriter: (f: string) => ConstructorParameters<typeof ParquetWriter>[0]['writer'] };
  const schema: SchemaElement[] = [{ name: 'root', num_children: names.length }, ...names.map((name): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }))];
  const pw = new ParquetWriter({ writer: fileWriter(file), schema, statistics: false });
  for (let g = 0; g < rowGroups; g++) {
    const cols = fill(g);
    const columnData = names.map((name, j) => ({ name, data: cols[j].some(Number.isNaN) ? Array.from(cols[j], (v) => (Number.isNaN(v) ? null : v)) : cols[j] }));
    await pw.write({ columnData, rowGroupSize: cols[0].length });
  }
  await pw.finish();
}
