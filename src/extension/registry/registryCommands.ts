/**
 * Registry commands: Register Model (from a run, or the best run of an experiment), transitions (promote to
 * Staging/Production, archive, any stage), Rollback Production, aliases, Open Source Run, Show History (with
 * "which version was in Production at T"), Predict with Model, and the status-bar item for the current model.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bestRunOfExperiment } from '../../core/tracking/metricDirection';
import type { Experiment, Run } from '../../core/store/types';
import { UserInputError } from '../../core/util/errors';
import { predictCsv } from '../../core/registry/predict';
import { HistoryEntry, ModelVersion, RegisteredModel, Registry, Stage, STAGES } from '../../core/registry/registry';
import { errorMessage } from '../../core/util/errors';
import type { ExperimentsNode } from '../experiments/experimentsTree';
import { mdCell } from '../format';
import type { Log } from '../log';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { RegistryNode, RegistryTreeProvider } from './registryTree';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId, StateKey, StatusBarId } from '../keys';

type VersionNode = Extract<RegistryNode, { kind: 'version' }>;
type ModelNode = Extract<RegistryNode, { kind: 'model' }>;

interface Deps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  tree: RegistryTreeProvider;
  log: Log;
}

export const HISTORY_SCHEME = 'mlops-history';

/** A Markdown document of a model's history: every event, and who was in Production when. */
export function historyMarkdown(name: string, entries: HistoryEntry[], atQuery?: { time: number; versions: number[] }): string {
  const lines = [`# ${mdCell(name)} — registry history`, ''];
  if (atQuery) {
    lines.push(`**At ${new Date(atQuery.time).toISOString()}**, Production held ${atQuery.versions.length ? atQuery.versions.map((v) => `v${v}`).join(', ') : 'no version'}.`, '');
  }
  // Production intervals, from the replayed effects.
  const intervals: { version: number; from: number; to?: number }[] = [];
  for (const h of entries) {
    for (const m of h.effect.matchAll(/v(\d+): (\w+) → (\w+)/g)) {
      const v = Number(m[1]);
      if (m[3] === 'Production') intervals.push({ version: v, from: h.event.time });
      if (m[2] === 'Production') {
        const open = [...intervals].reverse().find((i) => i.version === v && i.to === undefined);
        if (open) open.to = h.event.time;
      }
    }
  }
  if (intervals.length) {
    lines.push('## In Production', '', '| version | from | until |', '|---|---|---|');
    for (const i of intervals) lines.push(`| v${i.version} | ${new Date(i.from).toISOString()} | ${i.to ? new Date(i.to).toISOString() : 'now'} |`);
    lines.push('');
  }
  lines.push('## Events', '', '| time | user | action | effect | reason |', '|---|---|---|---|---|');
  for (const h of entries) lines.push(`| ${new Date(h.event.time).toISOString()} | ${mdCell(h.event.user)} | ${h.event.action} | ${mdCell(h.effect)} | ${mdCell(h.event.reason ?? '')} |`);
  return lines.join('\n') + '\n';
}

export class HistoryDocuments implements vscode.TextDocumentContentProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  constructor(private readonly stores: WorkspaceStores) {}
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
  refresh(uri: vscode.Uri): void {
    this.emitter.fire(uri);
  }
}

export function registerRegistryCommands({ context, stores, tree, log }: Deps): { statusBar: vscode.StatusBarItem; history: HistoryDocuments } {
  const reg = commandRegistrar(context, log);

  const registryFor = (store: WorkspaceStore, create = false): Registry => {
    const r = store.registry(create);
    if (!r) throw new Error(`There is no MLOps store in ${store.folder.name} yet.`);
    return r;
  };

  async function pickVersion(title: string, filter?: (v: ModelVersion) => boolean): Promise<{ store: WorkspaceStore; model: RegisteredModel; version: ModelVersion } | undefined> {
    const items = stores.all().flatMap((store) =>
      (store.registry()?.listModels() ?? []).flatMap((model) =>
        model.versions.filter((v) => !filter || filter(v)).map((version) => ({ label: `${model.name} v${version.version}`, description: `${version.stage}${version.aliases.length ? ' · ' + version.aliases.map((a) => '@' + a).join(' ') : ''}`, detail: version.run.name, store, model, version })),
      ),
    );
    if (!items.length) {
      void vscode.window.showInformationMessage('No registered model versions match.');
      return undefined;
    }
    return vscode.window.showQuickPick(items, { title });
  }

  async function pickModel(title: string): Promise<{ store: WorkspaceStore; model: RegisteredModel } | undefined> {
    const items = stores.all().flatMap((store) => (store.registry()?.listModels() ?? []).map((model) => ({ label: model.name, description: `${model.versions.length} versions`, store, model })));
    if (!items.length) {
      void vscode.window.showInformationMessage('No registered models yet. Register one from a run (Register Model).');
      return undefined;
    }
    return items.length === 1 ? items[0] : vscode.window.showQuickPick(items, { title });
  }

  const versionArg = async (arg: VersionNode | { model: string; version: number; folder?: string } | undefined, title: string, filter?: (v: ModelVersion) => boolean) => {
    if (arg && 'kind' in arg && arg.kind === 'version') return { store: arg.store, model: arg.model, version: arg.version };
    if (arg && 'version' in arg && typeof arg.version === 'number') {
      const a = arg as { model: string; version: number; folder?: string };
      const store = a.folder !== undefined ? await stores.resolve(a.folder) : stores.all()[0];
      if (!store) throw new UserInputError('There is no workspace folder.');
      const model = registryFor(store).getModel(a.model);
      const version = model.versions.find((v) => v.version === a.version);
      if (!version) throw new Error(`Model '${a.model}' has no version ${a.version}.`);
      return { store, model, version };
    }
    return pickVersion(title, filter);
  };

  const transition = async (arg: VersionNode | { model: string; version: number; folder?: string; reason?: string } | undefined, to: Stage | undefined, askReason: boolean) => {
    const target = await versionArg(arg as never, to ? `Move which version to ${to}?` : 'Transition which version?', (v) => v.stage !== to);
    if (!target) return undefined;
    let stage = to;
    if (!stage) {
      const picked = await vscode.window.showQuickPick(STAGES.filter((s) => s !== target.version.stage), { title: `${target.model.name} v${target.version.version}: move from ${target.version.stage} to…` });
      if (!picked) return undefined;
      stage = picked as Stage;
    }
    let reason = (arg as { reason?: string } | undefined)?.reason;
    if (reason === undefined && askReason) {
      reason = await vscode.window.showInputBox({ title: `${target.model.name} v${target.version.version} → ${stage}`, prompt: 'Reason (optional, recorded in the history)' });
      if (reason === undefined) return undefined;
    }
    const v = registryFor(target.store).transition(target.model.name, target.version.version, stage, { reason: reason || undefined });
    log.info(`${target.model.name} v${v.version} → ${v.stage}${reason ? ` (${reason})` : ''}`);
    target.store.reload();
    return v;
  };

  reg(CommandId.registerModel, async (arg?: Extract<ExperimentsNode, { kind: 'run' }> | { runId: string; name: string; folder?: string }) => {
    let store: WorkspaceStore | undefined;
    let run: Run | undefined;
    let name: string | undefined;
    if (arg && 'kind' in arg) {
      store = arg.store;
      run = arg.run;
    } else if (arg && 'runId' in arg) {
      const at = stores.locateRun(arg.runId); // an id or a unique prefix
      store = at.store;
      run = at.store.tracker()?.getRun(at.runId);
      name = arg.name;
    } else {
      const items = stores.all().flatMap((s) => s.snapshot.runs.filter((r) => r.artifacts.some((a) => a.path === 'model/model.bin')).map((r) => ({ label: r.name, description: r.experimentName, store: s, run: r })));
      const picked = await vscode.window.showQuickPick(items, { title: 'Register which run?' });
      if (!picked) return undefined;
      store = picked.store;
      run = picked.run;
    }
    if (!store || !run) throw new Error('Run not found.');
    if (!name) {
      const existing = registryFor(store, true).listModels().map((m) => m.name);
      const NEW = '$(add) New model…';
      const choice = existing.length ? await vscode.window.showQuickPick([...existing, NEW], { title: `Register ${run.name} as a version of…` }) : NEW;
      if (!choice) return undefined;
      name = choice === NEW ? await vscode.window.showInputBox({ title: 'Model name', value: 'YieldPredictor', validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$/.test(v.trim()) ? undefined : "Letters, digits, '_', '-', '.', spaces") }) : choice;
      if (!name) return undefined;
    }
    const v = registryFor(store, true).register(store.tracker()!, run.id, name, { source: 'extension' });
    log.info(`Registered ${v.model} v${v.version} from run ${run.name}`);
    store.reload();
    void vscode.window.showInformationMessage(`Registered ${v.model} v${v.version} from run ${run.name}.`, 'Promote to Staging').then((c) => {
      if (c) void vscode.commands.executeCommand(CommandId.promoteToStaging, { model: v.model, version: v.version, folder: store!.folder.uri.fsPath });
    });
    return v;
  });

  reg(CommandId.registerBestRun, async (arg?: Extract<ExperimentsNode, { kind: 'experiment' }> | { experiment: string; name: string; folder?: string }) => {
    let store: WorkspaceStore | undefined;
    let runs: Run[] = [];
    let experiment: Experiment | undefined;
    let name: string | undefined;
    if (arg && 'kind' in arg) {
      store = arg.store;
      runs = arg.runs;
      experiment = arg.experiment;
    } else {
      const items = stores.all().flatMap((s) => s.snapshot.experiments.map((e) => ({ label: e.name, store: s, experiment: e, runs: s.snapshot.runs.filter((r) => r.experimentId === e.id) })));
      const a = arg as { experiment: string; name: string; folder?: string } | undefined;
      const picked = a ? items.find((i) => i.label === a.experiment && (!a.folder || i.store.folder.uri.fsPath === a.folder)) : await vscode.window.showQuickPick(items, { title: 'Register the best run of which experiment?' });
      if (!picked) return undefined;
      store = picked.store;
      runs = picked.runs;
      experiment = picked.experiment;
      name = a?.name;
    }
    // The run the Experiments tree stars (one ranking, in core).
    const { metric, best } = bestRunOfExperiment(experiment, runs);
    if (!best || !store || !metric) throw new UserInputError(`No completed run with a metric in ${experiment ? `experiment ${experiment.name}` : 'that experiment'}.`);
    if (!best.artifacts.some((x) => x.path === 'model/model.bin')) throw new UserInputError(`The best run of ${experiment?.name ?? 'that experiment'} by ${metric.key} is ${best.name}, which saved no model to register. Register another run with Register Model.`);
    return vscode.commands.executeCommand(CommandId.registerModel, name ? { runId: best.id, name, folder: store.folder.uri.fsPath } : { kind: 'run', store, run: best, isBest: true });
  });

  reg(CommandId.promoteToStaging, (arg?: VersionNode) => transition(arg, 'Staging', false));
  reg(CommandId.promoteToProduction, (arg?: VersionNode) => transition(arg, 'Production', !arg || 'kind' in (arg ?? {})));
  reg(CommandId.archiveVersion, (arg?: VersionNode) => transition(arg, 'Archived', false));
  reg(CommandId.transitionVersion, (arg?: VersionNode, stage?: Stage) => transition(arg, stage, !stage));

  /** The model a command is about: a tree node, an {model, folder} argument, or the user's pick. */
  const modelArg = async (arg: unknown, title: string): Promise<{ store: WorkspaceStore; name: string } | undefined> => {
    if (arg && typeof arg === 'object' && 'kind' in arg) {
      const n = arg as ModelNode | VersionNode;
      return { store: n.store, name: n.model.name };
    }
    if (arg && typeof arg === 'object' && typeof (arg as { model?: unknown }).model === 'string') {
      const a = arg as { model: string; folder?: string };
      const store = stores.all().find((s) => !a.folder || s.folder.uri.fsPath === a.folder);
      return store ? { store, name: a.model } : undefined;
    }
    const p = await pickModel(title);
    return p ? { store: p.store, name: p.model.name } : undefined;
  };

  reg(CommandId.rollbackProduction, async (arg?: ModelNode | VersionNode | { model: string; folder?: string; reason?: string }) => {
    const target = await modelArg(arg, 'Roll back which model?');
    if (!target) return undefined;
    const { store, name } = target;
    let reason = (arg as { reason?: string } | undefined)?.reason;
    if (reason === undefined) {
      reason = await vscode.window.showInputBox({ title: `Rollback ${name}: put back the previous Production version`, prompt: 'Reason (recorded in the history)' });
      if (reason === undefined) return undefined;
    }
    const t0 = Date.now();
    const r = registryFor(store).rollback(name, { reason: reason || undefined });
    log.info(`Rollback ${name}: v${r.restored.version} in Production, archived v${r.archived.join(', v')} (${Date.now() - t0} ms)`);
    store.reload();
    void vscode.window.showInformationMessage(`Rolled back ${name}: v${r.restored.version} is in Production.`);
    return r;
  });

  reg(CommandId.setAlias, async (arg?: VersionNode | { model: string; version: number; alias: string; folder?: string }) => {
    const target = await versionArg(arg as never, 'Set an alias on which version?');
    if (!target) return undefined;
    const alias = (arg as { alias?: string } | undefined)?.alias ?? (await vscode.window.showInputBox({ title: `Alias for ${target.model.name} v${target.version.version}`, value: 'champion', prompt: 'An alias points to one version; setting it here moves it' }));
    if (!alias) return undefined;
    registryFor(target.store).setAlias(target.model.name, alias, target.version.version);
    target.store.reload();
    return alias;
  });

  reg(CommandId.removeAlias, async (arg?: VersionNode | { model: string; alias: string; folder?: string }) => {
    let store: WorkspaceStore | undefined;
    let model: string | undefined;
    let alias = (arg as { alias?: string } | undefined)?.alias;
    if (arg && 'kind' in arg) {
      store = arg.store;
      model = arg.model.name;
      alias ??= arg.version.aliases.length === 1 ? arg.version.aliases[0] : await vscode.window.showQuickPick(arg.version.aliases, { title: 'Remove which alias?' });
    } else if (arg && 'model' in arg) {
      store = stores.all().find((s) => !arg.folder || s.folder.uri.fsPath === arg.folder);
      model = arg.model as string;
    }
    if (!store || !model || !alias) return undefined;
    registryFor(store).setAlias(model, alias, null);
    store.reload();
    return alias;
  });

  reg(CommandId.editDescription, async (arg?: VersionNode | ModelNode | { model: string; version?: number; description: string; folder?: string }) => {
    let store: WorkspaceStore | undefined;
    let model: string | undefined;
    let version: number | undefined;
    let current = '';
    if (arg && 'kind' in arg) {
      store = arg.store;
      model = arg.model.name;
      version = arg.kind === 'version' ? arg.version.version : undefined;
      current = arg.kind === 'version' ? arg.version.description : arg.model.description;
    } else if (arg) {
      store = stores.all().find((s) => !arg.folder || s.folder.uri.fsPath === arg.folder);
      model = arg.model;
      version = arg.version;
    } else {
      const p = await pickVersion('Edit the description of which version?');
      if (!p) return undefined;
      [store, model, version, current] = [p.store, p.model.name, p.version.version, p.version.description];
    }
    if (!store || !model) return undefined;
    const text = (arg as { description?: string } | undefined)?.description ?? (await vscode.window.showInputBox({ title: `Description of ${model}${version ? ` v${version}` : ''}`, value: current }));
    if (text === undefined) return undefined;
    registryFor(store).describe(model, version, text);
    store.reload();
    return text;
  });

  reg(CommandId.setVersionTag, async (arg?: VersionNode | { model: string; version: number; key: string; value: string; folder?: string }) => {
    const target = await versionArg(arg as never, 'Tag which version?');
    if (!target) return undefined;
    let key = (arg as { key?: string } | undefined)?.key;
    let value = (arg as { value?: string } | undefined)?.value;
    if (key === undefined) {
      const kv = await vscode.window.showInputBox({ title: `Tag ${target.model.name} v${target.version.version}`, prompt: 'KEY=VALUE', validateInput: (v) => (/^[^=\s]+=.*$/.test(v) ? undefined : 'Use KEY=VALUE') });
      if (!kv) return undefined;
      [key, value] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
    }
    registryFor(target.store).setTags(target.model.name, target.version.version, { [key]: value ?? '' });
    target.store.reload();
    return { [key]: value };
  });

  reg(CommandId.openSourceRun, async (arg?: VersionNode) => {
    const target = await versionArg(arg, 'Open the source run of which version?');
    if (!target) return undefined;
    return vscode.commands.executeCommand(CommandId.openRun, target.version.run.id);
  });

  const history = new HistoryDocuments(stores);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, history));

  reg(CommandId.showHistory, async (arg?: ModelNode | VersionNode | { model: string; folder?: string; at?: string }) => {
    const target = await modelArg(arg, 'Show the history of which model?');
    if (!target) return undefined;
    const { store, name } = target;
    const at = (arg as { at?: string } | undefined)?.at;
    const query = new URLSearchParams({ folder: store.folder.uri.toString(), model: name, ...(at ? { at: String(Date.parse(at)) } : {}) });
    const uri = vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${name} history.md`, query: query.toString() });
    history.refresh(uri);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
    return uri;
  });

  reg(CommandId.productionAt, async (arg?: ModelNode | { model: string; folder?: string; time?: string }) => {
    const target = await modelArg(arg, 'Which model?');
    if (!target) return undefined;
    const { store, name } = target;
    const time = (arg as { time?: string } | undefined)?.time ?? (await vscode.window.showInputBox({ title: `Which version of ${name} was in Production at…`, value: new Date().toISOString().slice(0, 10), prompt: 'An ISO 8601 time (a bare date means the end of that day)', validateInput: (v) => (Number.isNaN(Date.parse(v)) ? 'Not an ISO 8601 time' : undefined) }));
    if (!time) return undefined;
    const t = /^\d{4}-\d{2}-\d{2}$/.test(time.trim()) ? Date.parse(time) + 86_400_000 - 1 : Date.parse(time);
    const versions = registryFor(store).at(name, t, { stage: 'Production' }).versions;
    const msg = `At ${new Date(t).toISOString()}, ${name} had ${versions.length ? versions.map((v) => `v${v}`).join(', ') : 'no version'} in Production.`;
    void vscode.window.showInformationMessage(msg, 'Show History').then((c) => {
      if (c) void vscode.commands.executeCommand(CommandId.showHistory, { model: name, folder: store!.folder.uri.fsPath, at: new Date(t).toISOString() });
    });
    return versions;
  });

  reg(CommandId.predict, async (arg?: { uri: string; data: string; out: string; folder?: string }) => {
    const store = arg?.folder ? stores.all().find((s) => s.folder.uri.fsPath === arg.folder) : await stores.pick();
    if (!store) return undefined;
    const registry = registryFor(store);
    let uri = arg?.uri;
    if (!uri) {
      const items = registry.listModels().flatMap((m) => [
        ...m.versions.filter((v) => v.stage === 'Production').slice(-1).map(() => ({ label: `models:/${m.name}/Production` })),
        ...Object.keys(m.aliases).map((a) => ({ label: `models:/${m.name}@${a}` })),
        ...m.versions.map((v) => ({ label: `models:/${m.name}/${v.version}`, description: v.stage })),
      ]);
      uri = (await vscode.window.showQuickPick(items, { title: 'Predict with which model?' }))?.label;
      if (!uri) return undefined;
    }
    let data = arg?.data;
    if (!data) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { CSV: ['csv'] }, defaultUri: store.folder.uri, openLabel: 'Predict' });
      data = picked?.[0]?.fsPath;
      if (!data) return undefined;
    }
    const dataAbs = path.resolve(store.folder.uri.fsPath, data);
    const out = arg?.out ? path.resolve(store.folder.uri.fsPath, arg.out) : dataAbs.replace(/\.csv$/i, '') + '.predictions.csv';
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Predicting with ${uri}` }, () => predictCsv(registry, uri!, dataAbs, out));
    log.info(`Predicted ${r.rows} rows with ${r.model} v${r.version} → ${out}`);
    if (!arg) void vscode.window.showTextDocument(vscode.Uri.file(out));
    return { ...r, out };
  });

  // ---------------------------------------------------------------- status bar: the current model's Production version
  const statusBar = vscode.window.createStatusBarItem(StatusBarId.productionModel, vscode.StatusBarAlignment.Left, 50);
  statusBar.name = 'MLOps: Production model';
  statusBar.command = CommandId.focusRegistry;
  context.subscriptions.push(statusBar);
  const chosenKey = StateKey.statusBarModel;
  const updateStatus = () => {
    const all = stores.all().flatMap((s) => (s.registry()?.listModels() ?? []).map((m) => ({ s, m })));
    if (!all.length) {
      statusBar.hide();
      return;
    }
    const chosen = context.workspaceState.get<string>(chosenKey);
    const cur = all.find((x) => x.m.name === chosen) ?? all[0];
    const prod = cur.m.versions.filter((v) => v.stage === 'Production').map((v) => `v${v.version}`);
    statusBar.text = `$(rocket) ${cur.m.name} ${prod.length ? prod.join(', ') : '(none in Production)'}`;
    const md = new vscode.MarkdownString(`**${mdCell(cur.m.name)}** — Production: ${prod.join(', ') || 'none'}\n\nClick to open the Model Registry${all.length > 1 ? '; run *MLOps: Select Status Bar Model* to show another model' : ''}.`);
    statusBar.tooltip = md;
    statusBar.show();
  };
  context.subscriptions.push(stores.onDidChange(updateStatus), tree.onDidChangeTreeData(updateStatus));
  updateStatus();
  reg(CommandId.selectStatusBarModel, async (name?: string) => {
    const names = stores.all().flatMap((s) => s.registry()?.listModels().map((m) => m.name) ?? []);
    const pick = name ?? (await vscode.window.showQuickPick(names, { title: 'Show which model in the status bar?' }));
    if (!pick) return undefined;
    await context.workspaceState.update(chosenKey, pick);
    updateStatus();
    return pick;
  });
  reg(CommandId.focusRegistry, () => vscode.commands.executeCommand(BuiltinCommand.focusRegistryView));
  reg(CommandId.refreshRegistry, () => {
    stores.reloadAll();
    tree.refresh();
  });
  return { statusBar, history };
}
