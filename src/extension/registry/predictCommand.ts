/** Predict with Model: a models:/ URI, a CSV of feature rows → a CSV with their predictions. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick } from '../util/questions';
import { predictCsv } from '../../core/registry/predict';
import type { Registry } from '../../core/registry/registry';
import { registryOf, RegistryCommandContext } from './registryArgs';

export interface PredictArgs {
  uri: string;
  data: string;
  out: string;
  folder?: string;
}

/** The user's pick of a models:/ URI: each model's Production, its aliases, and every version. */
async function pickModelUri(registry: Registry): Promise<string | undefined> {
  const items = registry.listModels().flatMap((m) => [
    ...m.versions.filter((v) => v.stage === 'Production').slice(-1).map(() => ({ label: `models:/${m.name}/Production` })),
    ...Object.keys(m.aliases).map((a) => ({ label: `models:/${m.name}@${a}` })),
    ...m.versions.map((v) => ({ label: `models:/${m.name}/${v.version}`, description: v.stage })),
  ]);
  return (await showQuickPick(items, { title: 'Predict with which model?' }))?.label;
}

/** The user's pick of a CSV or Parquet file of feature rows, starting in the workspace folder. */
async function pickData(folder: vscode.Uri): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Data (CSV, Parquet)': ['csv', 'parquet'] }, defaultUri: folder, openLabel: 'Predict' });
  return picked?.[0]?.fsPath;
}

export async function predict({ stores, log }: RegistryCommandContext, arg?: PredictArgs) {
  const store = await stores.resolve(arg?.folder || undefined);
  if (!store) return undefined;
  const registry = registryOf(store);
  const uri = arg?.uri || (await pickModelUri(registry));
  if (!uri) return undefined;
  const data = arg?.data || (await pickData(store.folder.uri));
  if (!data) return undefined;
  const dataAbs = path.resolve(store.folder.uri.fsPath, data);
  const out = arg?.out ? path.resolve(store.folder.uri.fsPath, arg.out) : dataAbs.replace(/\.(csv|parquet)$/i, '') + '.predictions.csv';
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Predicting with ${uri}` }, () => predictCsv(registry, uri, dataAbs, out));
  log.info(`Predicted ${r.rows} rows with ${r.model} v${r.version} → ${out}`);
  if (!arg) void vscode.window.showTextDocument(vscode.Uri.file(out));
  return { ...r, out };
}
