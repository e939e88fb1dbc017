/** A loaded table: one typed array per column, numeric or categorical (codes into a level list). */

export type ColumnType = 'numeric' | 'categorical';

export interface NumericColumn {
  name: string;
  type: 'numeric';
  values: Float64Array;
}

export interface CategoricalColumn {
  name: string;
  type: 'categorical';
  /** Index into `levels`, or -1 for a missing value (only after imputation was declined). */
  codes: Int32Array;
  levels: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface DatasetInfo {
  path: string;
  sha256: string;
  rows: number;
  columns: { name: string; type: ColumnType }[];
  /** Rows dropped or values imputed because of missing values (per column). */
  missing: { policy: MissingPolicy; droppedRows: number; imputed: Record<string, number> };
}

export interface Dataset {
  info: DatasetInfo;
  columns: Column[];
}

export type MissingPolicy = 'error' | 'drop' | 'median';

export function column(ds: Dataset, name: string): Column | undefined {
  return ds.columns.find((c) => c.name === name);
}
