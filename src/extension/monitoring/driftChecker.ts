/**
 * Running a drift check from the editor: the model (a models:/ URI, or the Production version of a model name), the
 * reference (a chosen file, else the training data recorded when the model was registered), the check itself in a
 * worker thread (a million-row batch never blocks the extension host), and its report and alerts recorded in the
 * store. A check started by a person shows a cancellable notification; one started by a watcher shows in the status
 * bar.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseColumnOverride } from '../../core/monitoring/columnOverride';
import { checkDriftInWorker, type DriftJobModel } from '../../core/monitoring/driftJob';
import { type DriftReport, recordDriftReport } from '../../core/monitoring/monitor';
import type { Registry } from '../../core/registry/registry';
import { resolveModelUri } from '../../core/registry/uri';
import { WorkerPool } from '../../core/worker/pool';
import type { WorkspaceStore } from '../workspaceStores';

export interface DriftCheckArgs {
  current: string;
  reference?: string;
  modelUri?: string;
  model?: string;
  retrain?: boolean;
  driftShare?: number;
  performanceThreshold?: number;
  missingShare?: number;
  columns?: Record<string, string>;
  /** Started by a person: a notification with Cancel (else a status-bar progress). */
  interactive?: boolean;
}

export class DriftChecker implements vscode.Disposable {
  private pool: WorkerPool | undefined;

  /** Check `args.current` and record the report and its alerts in `store`; returns the report and the model checked. */
  async run(store: WorkspaceStore, args: DriftCheckArgs): Promise<{ report: DriftReport; model?: DriftJobModel }> {
    const tracker = store.tracker(true)!;
    const registry = store.registry(true)!;
    const model = driftModel(registry, args);
    const reference = args.reference || trainingData(store, registry, model);
    if (!reference) throw new Error('No reference data: register the model from a training run, or choose a reference file.');
    const title = `Checking drift of ${path.basename(args.current)}`;
    const columns = Object.fromEntries(Object.entries(args.columns ?? {}).map(([k, v]) => [k, parseColumnOverride(v)]));
    const options = { model, columns, driftShare: args.driftShare, performanceThreshold: args.performanceThreshold, missingShare: args.missingShare };
    this.pool ??= new WorkerPool(1);
    const pool = this.pool;
    const report = args.interactive
      ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          let shown = 0;
          return checkDriftInWorker(pool, reference, args.current, options, ac.signal, (p) => {
            const pct = Math.floor(p.fraction * 100);
            progress.report({ message: `${pct} % — ${p.message}`, increment: pct - shown });
            shown = pct;
          });
        })
      : await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => checkDriftInWorker(pool, reference, args.current, options));
    recordDriftReport(tracker.store, report, model?.name);
    return { report, model };
  }

  dispose(): void {
    void this.pool?.dispose();
  }
}

/** The registered model version to check with: `args.modelUri`, else the Production version of `args.model`. */
function driftModel(registry: Registry, args: DriftCheckArgs): DriftJobModel | undefined {
  const uri = args.modelUri ?? (args.model ? `models:/${args.model}/Production` : undefined);
  if (!uri) return undefined;
  const version = resolveModelUri(registry, uri);
  return { uri, name: version.model, version: version.version, dir: registry.artifactDir(version), sha256: version.modelSha256 };
}

/** The training data recorded when the model version was registered (resolved in the store's folder). */
function trainingData(store: WorkspaceStore, registry: Registry, model: DriftJobModel | undefined): string | undefined {
  if (!model) return undefined;
  const ds = registry.getModel(model.name).versions.find((v) => v.version === model.version)?.run.dataset;
  return ds ? path.resolve(store.folder.uri.fsPath, ds) : undefined;
}
