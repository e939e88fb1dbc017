/**
 * Predict with a registered model: `mlops predict --model URI --data CSV|PARQUET --out CSV`. The model's recorded encoding
 * is applied; the output is the input rows with a `prediction` column (and one probability column per class for
 * classifiers), written atomically.
 */
import { csvField } from '../compare/export';
import { loadTable } from '../data/table';
import { predictDataset } from '../training/modelBundle';
import { resolveOutputFile, writeOutputFileAtomic } from '../util/atomicFs';
import type { Registry } from './registry';
import { loadModelByUri } from './uri';

/** One output cell: RFC 4180 quoting, and text a spreadsheet would run as a formula neutralised (as Compare exports). */
function cell(v: string | number): string {
  return csvField(v);
}

/**
 * `out` is checked first (a folder, device, FIFO or missing folder is refused before any work); a symlink is
 * followed and the file it names is replaced atomically, never the link.
 */
export async function predictCsv(registry: Registry, uri: string, data: string, out: string, outLabel = 'Output file'): Promise<{ rows: number; model: string; version: number; out: string }> {
  resolveOutputFile(out, outLabel);
  const { version, loaded } = loadModelByUri(registry, uri);
  const ds = await loadTable(data);
  const pred = predictDataset(loaded, ds);
  const classes = loaded.meta.encoding.classes ?? [];
  const header = [...ds.columns.map((c) => c.name), 'prediction', ...(pred.proba ? classes.map((c) => `proba_${c}`) : [])];
  const lines = [header.map(cell).join(',')];
  for (let i = 0; i < ds.info.rows; i++) {
    const row: (string | number)[] = ds.columns.map((c) => (c.type === 'numeric' ? c.values[i] : c.levels[c.codes[i]]));
    row.push(pred.labels ? pred.labels[i] : pred.values[i]);
    if (pred.proba) for (let k = 0; k < classes.length; k++) row.push(Number(pred.proba[i * classes.length + k].toFixed(6)));
    lines.push(row.map(cell).join(','));
  }
  const written = writeOutputFileAtomic(out, lines.join('\n') + '\n', outLabel);
  return { rows: ds.info.rows, model: version.model, version: version.version, out: written };
}
