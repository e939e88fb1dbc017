/**
 * Which workspace runs are linked to an MLflow run: pushed (the store's push record `.mlops/sharing/pushed.jsonl`,
 * written by core/sharing push — so a push from a terminal or CI marks the tree too) or imported from MLflow (the
 * run's own tags `mlflow.run_id` and `mlops.pull.source`, written by pull). The Experiments tree marks linked runs;
 * Open in MLflow Source follows the link. The record is read again when its size or time changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MLFLOW_RUN_ID_TAG, PULL_SOURCE_TAG } from '../../core/sharing/mlflowShape';
import { PUSH_RECORD_FILE, readPushRecord, type PushedLink } from '../../core/sharing/pushRecord';
import type { Run } from '../../core/store/types';
import type { WorkspaceStores } from '../workspaceStores';

export interface MlflowLink {
  /** The MLflow source's URI (server URL, file:///…/mlruns, sqlite:///…/mlflow.db). */
  uri: string;
  mlflowRunId: string;
  how: 'pushed' | 'imported';
}

export class MlflowLinks implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly cache = new Map<string, { key: string; links: Map<string, PushedLink> }>();

  constructor(private readonly stores: WorkspaceStores) {}

  /** The push records of every workspace store, each read again only when it changed. */
  private pushed(): Map<string, PushedLink>[] {
    return this.stores.all().map((s) => {
      const file = path.join(s.root, PUSH_RECORD_FILE);
      const st = fs.statSync(file, { throwIfNoEntry: false });
      const key = st ? `${st.size}:${st.mtimeMs}` : '';
      let c = this.cache.get(s.root);
      if (c?.key !== key) {
        c = { key, links: st ? readPushRecord(s.root) : new Map() };
        this.cache.set(s.root, c);
      }
      return c.links;
    });
  }

  /** A push finished (the core recorded it): the tree asks again. */
  pushRecorded(): void {
    this.emitter.fire();
  }

  linkOf(run: Pick<Run, 'id' | 'tags'>): MlflowLink | undefined {
    const imported = run.tags[MLFLOW_RUN_ID_TAG];
    const from = run.tags[PULL_SOURCE_TAG];
    if (imported && from) return { uri: from, mlflowRunId: imported, how: 'imported' };
    for (const record of this.pushed()) {
      const p = record.get(run.id);
      if (p) return { uri: p.uri, mlflowRunId: p.mlflowRunId, how: 'pushed' };
    }
    return undefined;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
