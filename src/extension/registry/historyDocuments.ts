/** The read-only `mlops-history:` documents Show History opens in the Markdown preview. */
import * as vscode from 'vscode';
import { errorMessage } from '../../core/util/errors';
import { mdCell } from '../format';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { historyMarkdown } from './historyMarkdown';

export const HISTORY_SCHEME = 'mlops-history';

/** A model's history as a Markdown document, addressed by folder, model and an optional time (epoch ms). */
export class HistoryDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly registration: vscode.Disposable;

  constructor(private readonly stores: WorkspaceStores) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const q = new URLSearchParams(uri.query);
    const store = this.stores.all().find((s) => s.folder.uri.toString() === q.get('folder')) ?? this.stores.all()[0];
    const name = q.get('model') ?? '';
    const reg = store ? store.registry() : undefined;
    if (!reg) return '# No registry in this workspace\n';
    try {
      const at = q.get('at');
      const atQuery = at ? { time: Number(at), versions: reg.at(name, Number(at), { stage: 'Production' }).versions } : undefined;
      return historyMarkdown(name, reg.history(name), atQuery);
    } catch (e) {
      return `# ${mdCell(name)}\n\n${mdCell(errorMessage(e))}\n`;
    }
  }

  /** The document of a model's history (answering "what was in Production at `at`", an ISO time), re-rendered. */
  uriFor(store: WorkspaceStore, name: string, at?: string): vscode.Uri {
    const query = new URLSearchParams({ folder: store.folder.uri.toString(), model: name, ...(at ? { at: String(Date.parse(at)) } : {}) });
    const uri = vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${name} history.md`, query: query.toString() });
    this.emitter.fire(uri);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }
}
