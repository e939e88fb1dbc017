/** The status-bar item with the Production version(s) of one model: the one the user chose, else the first. */
import * as vscode from 'vscode';
import { showQuickPick } from '../util/questions';
import { mdCell } from '../format';
import { CommandId, StateKey, StatusBarId } from '../keys';
import type { MlflowSources } from '../sources/mlflowSources';
import type { SourceModel } from '../../core/sources/types';

/** A model the item can show: a workspace store's (id = its name, as before) or an MLflow source's (id = label/name). */
interface Candidate {
  id: string;
  name: string;
  where?: string;
  production: number[];
}

export class ProductionStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[];

  /**
   * `treeChanged`: the Model Registry tree's refresh event, fired when it has loaded what changed; `workspaceModels`:
   * the workspace stores' models as the tree loaded them through their RunSource.
   */
  constructor(
    private readonly state: vscode.Memento,
    treeChanged: vscode.Event<unknown>,
    private readonly workspaceModels: () => SourceModel[],
    private readonly mlflow?: MlflowSources,
  ) {
    this.item = vscode.window.createStatusBarItem(StatusBarId.productionModel, vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'MLOps: Production model';
    this.item.command = CommandId.focusRegistry;
    this.subscriptions = [treeChanged(() => this.update())];
    this.update();
  }

  /** Workspace models first (as before), then the models of MLflow sources that are loaded (loading them when asked). */
  private candidates(): Candidate[] {
    const out: Candidate[] = this.workspaceModels().map((m) => ({ id: m.name, name: m.name, production: m.versions.filter((v) => v.stage === 'Production').map((v) => v.version) }));
    for (const entry of this.mlflow?.all() ?? []) {
      for (const m of this.mlflow?.modelsNow(entry) ?? []) {
        out.push({ id: `${entry.uri}#${m.name}`, name: m.name, where: `MLflow · ${entry.label}`, production: m.versions.filter((v) => v.stage === 'Production').map((v) => v.version) });
      }
    }
    return out;
  }

  update(): void {
    const all = this.candidates();
    if (!all.length) {
      this.item.hide();
      return;
    }
    const chosen = this.state.get<string>(StateKey.statusBarModel);
    const cur = all.find((m) => m.id === chosen) ?? all[0];
    const prod = cur.production.map((v) => `v${v}`);
    this.item.text = `$(rocket) ${cur.name} ${prod.length ? prod.join(', ') : '(none in Production)'}`;
    const where = cur.where ? ` (${mdCell(cur.where)})` : '';
    this.item.tooltip = new vscode.MarkdownString(`**${mdCell(cur.name)}**${where} — Production: ${prod.join(', ') || 'none'}\n\nClick to open the Model Registry${all.length > 1 ? '; run *MLOps: Select Status Bar Model* to show another model' : ''}.`);
    this.item.show();
  }

  /** Show `name` (or the model the user picks) from now on, in this workspace. */
  async select(name?: string): Promise<string | undefined> {
    const items = this.candidates().map((c) => ({ label: c.name, description: c.where, id: c.id }));
    const pick = name ?? (await showQuickPick(items, { title: 'Show which model in the status bar?' }))?.id;
    if (!pick) return undefined;
    await this.state.update(StateKey.statusBarModel, pick);
    this.update();
    return pick;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.item.dispose();
  }
}
