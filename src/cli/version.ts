/**
 * `mlops --version`: the workbench version, the workspace store format it reads and writes (STORE_FORMAT in
 * src/core/store/store.ts) and, when a store is found the way commands find it (--store, $MLOPS_STORE, .mlops from the
 * current folder upward, $MLFLOW_TRACKING_URI), which one and its format. It only reads: nothing is created.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store, STORE_FORMAT } from '../core/store/store';
import { VERSION } from '../core/version';
import { mlflowKindWord, resolveStore, type GlobalOptions, type StoreChoice } from './context';

/** How the store was found, in words. */
function origin(opts: GlobalOptions): string {
  if (opts.store) return '--store';
  if (process.env.MLOPS_STORE) return 'MLOPS_STORE';
  if (Store.findUp(process.cwd())) return 'found from the current folder upward';
  return 'MLFLOW_TRACKING_URI';
}

/** The format recorded in a workspace store's store.json, in words (missing, unreadable, newer than this version). */
function workspaceFormat(root: string): string {
  const marker = path.join(root, 'store.json');
  let text: string;
  try {
    text = fs.readFileSync(marker, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'no store there yet' : `store.json unreadable (${code ?? (e as Error).message})`;
  }
  let format: unknown;
  try {
    format = (JSON.parse(text) as { format?: unknown } | null)?.format;
  } catch {
    return 'store.json is not valid JSON';
  }
  if (typeof format !== 'number') return 'store.json has no format number';
  return format > STORE_FORMAT ? `format ${format}, newer than this version reads` : `format ${format}`;
}

function storeLine(choice: StoreChoice, opts: GlobalOptions): string {
  if (choice.kind === 'mlflow') return `store: ${choice.uri} (MLflow ${mlflowKindWord(choice)} source, read-only; ${origin(opts)})`;
  return `store: ${choice.root} (${workspaceFormat(choice.root)}; ${origin(opts)})`;
}

/** The lines `--version` prints. Without a store: the version and the supported format only. */
export function versionText(opts: GlobalOptions): string {
  const lines = [`mlops ${VERSION}`, `store format: ${STORE_FORMAT}`];
  let choice: StoreChoice | undefined;
  try {
    choice = resolveStore(opts, false);
  } catch {
    choice = undefined; // no store found (or a tracking URI that names none): nothing more to say
  }
  if (choice) lines.push(storeLine(choice, opts));
  return `${lines.join('\n')}\n`;
}

/** The value of `--store` anywhere in argv (`--store X` or `--store=X`), for `--version` given before it. */
export function storeArgument(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return undefined;
    if (argv[i] === '--store') return argv[i + 1];
    if (argv[i].startsWith('--store=')) return argv[i].slice('--store='.length);
  }
  return undefined;
}
