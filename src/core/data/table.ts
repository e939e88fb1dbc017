/**
 * Data files by type: `.parquet` (any case) is Parquet, anything else CSV. Training, prediction, pipelines and drift
 * open their data through here, so both formats follow the same rules (csv.ts) and give the same Dataset.
 */
import { type DatasetWithMissing, loadCsv, type LoadOptions, readCsvHeader } from './csv';
import type { Dataset, MissingPolicy } from './dataset';
import { isParquetPath, ParquetTable } from './parquet';
import { loadParquet } from './parquetLoad';

export { isParquetPath } from './parquet';

/** The data file extensions a user may pick (file dialogs, globs). */
export const DATA_FILE_EXTENSIONS = ['csv', 'parquet'] as const;

export function loadTable(file: string, options: Omit<LoadOptions, 'missing'> & { missing: 'keep' }): Promise<DatasetWithMissing>;
export function loadTable(file: string, options?: LoadOptions): Promise<Dataset>;
export function loadTable(file: string, options: Omit<LoadOptions, 'missing'> & { missing?: MissingPolicy | 'keep' } = {}): Promise<Dataset | DatasetWithMissing> {
  if (isParquetPath(file)) return loadParquet(file, options as LoadOptions);
  return loadCsv(file, options as LoadOptions);
}

/** The column names of a data file (a CSV's header row, a Parquet file's schema), without reading its rows. */
export function readTableHeader(file: string): string[] {
  if (!isParquetPath(file)) return readCsvHeader(file);
  const t = ParquetTable.open(file);
  try {
    return t.names;
  } finally {
    t.close();
  }
}
