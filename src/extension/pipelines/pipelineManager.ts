/**
 * Pipelines in the editor: finds `*.pipeline.yaml` files, shows their problems as diagnostics at the right line,
 * runs them (stage-by-stage progress with Cancel, a log per run, a notification with "Open Report" on failure) and
 * fires their automatic triggers — data_update (a debounced watcher on the data glob: one run per burst of
 * changes), code_commit (a new commit on the configured branch, from the built-in Git extension's API, with a
 * polling fallback), schedule (an interval or a cron expression while VS Code is open; missed runs are not
 * replayed) and drift (called by monitoring). A PipelineScheduler makes sure a pipeline never runs twice at once.
 * Automatic triggers are off in Restricted Mode and can be paused with one command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cronMatches, findPipelines, isPipelineFile, parseDuration, parsePipeline, PipelineDefinition, PipelineError } from '../../core/pipeline/definition';
import { PipelineRunRecord, Trigger } from '../../core/pipeline/record';
import { runPipeline, stageTable } from '../../core/pipeline/runner';
import { PipelineScheduler } from '../../core/pipeline/scheduler';
import { gitInfo } from '../../core/tracking/environment';
import { errorMessage } from '../../core/util/errors';
import type { Log } from '../log';
import { GlobWatcher, globSignature } from '../util/globWatcher';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { CommandId, ConfigKey, ContextKey, setContext, setting } from '../keys';

/** Edits of a pipeline file settle this long before it is parsed again (a save that writes twice parses once). */
const DEFINITION_DEBOUNCE_MS = 100;
/**
 * Pipeline files are also looked for this often (the scan's few levels of folders, a stat each), since file events
 * are not always delivered: on network folders and in some containers, and even on the VS Code server when a burst of
 * writes (the sample's story) fills its watcher's queue — the CI saw the sample's pipeline missing from the view.
 */
const DEFINITION_POLL_MS = 3000;

export interface PipelineEntry {
  file: string;
  store: WorkspaceStore;
  def?: PipelineDefinition;
  error?: string;
}

export class PipelineManager implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('mlops-pipelines');
  private entries = new Map<string, PipelineEntry>();
  private disposables: vscode.Disposable[] = [];
  private triggerDisposables: vscode.Disposable[] = [];
  private definitionWatchers: vscode.Disposable[] = [];
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  readonly scheduler: PipelineScheduler;
  private channels = new Map<string, vscode.OutputChannel>();
  private lastCommits = new Map<string, string>();
  /** Records of the runs this window started (tests and the report read them). */
  readonly finished: PipelineRunRecord[] = [];
  private pausedFlag = false;
  /** The pipeline files and their modification times, as the last scan or poll saw them. */
  private definitionsSeen = '';

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly log: Log,
    private readonly context: vscode.ExtensionContext,
  ) {
    this.pausedFlag = context.workspaceState.get(ContextKey.pipelinesPaused, false);
    this.scheduler = new PipelineScheduler(
      (file, trigger, coalesced, signal) => this.execute(file, trigger, coalesced, signal),
      (e) => {
        log.info(`Pipeline ${path.basename(e.file)}: ${e.kind} (${e.trigger})${e.reason ? ` — ${e.reason}` : ''}`);
        this.emitter.fire();
      },
    );
    this.scheduler.paused = this.pausedFlag;
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => isPipelineFile(e.document.fileName) && this.reparse(e.document.fileName, e.document.getText())),
      vscode.workspace.onDidOpenTextDocument((d) => isPipelineFile(d.fileName) && this.reparse(d.fileName, d.getText())),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.watchDefinitions();
        this.scan();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.armTriggers()),
      stores.onDidChange(() => this.emitter.fire()),
    );
    const poll = setInterval(() => this.pollDefinitions(), DEFINITION_POLL_MS);
    this.disposables.push({ dispose: () => clearInterval(poll) });
    this.watchDefinitions();
    this.scan();
  }

  /** The pipeline files of every folder with their modification times: what the poll compares. */
  private definitionsNow(): string {
    return this.stores
      .all()
      .flatMap((s) => findPipelines(s.folder.uri.fsPath))
      .map((f) => `${f}:${fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? ''}`)
      .join('\n');
  }

  /** Scan again when a pipeline file appeared, changed or went away without a file event saying so. */
  private pollDefinitions(): void {
    try {
      if (this.definitionsNow() !== this.definitionsSeen) this.scan();
    } catch (e) {
      this.log.warn(`Looking for pipeline files failed: ${errorMessage(e)}`);
    }
  }

  /** Pipeline files created, changed or deleted on disk: a changed one is parsed again, otherwise the folders are scanned. */
  private watchDefinitions(): void {
    for (const w of this.definitionWatchers) w.dispose();
    this.definitionWatchers = this.stores.all().map(
      (s) => new GlobWatcher(s.folder, '**/*.pipeline.{yaml,yml,json}', { debounceMs: DEFINITION_DEBOUNCE_MS, settle: 'file', matches: isPipelineFile }, (file) => (this.entries.has(file) && fs.existsSync(file) ? this.reparse(file) : this.scan())),
    );
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  async setPaused(p: boolean): Promise<void> {
    this.pausedFlag = p;
    this.scheduler.paused = p;
    await this.context.workspaceState.update(ContextKey.pipelinesPaused, p);
    void setContext(ContextKey.pipelinesPaused, p);
    this.log.info(p ? 'Automatic pipeline triggers paused.' : 'Automatic pipeline triggers resumed.');
    this.emitter.fire();
  }

  all(): PipelineEntry[] {
    return [...this.entries.values()].sort((a, b) => a.file.localeCompare(b.file));
  }

  get(file: string): PipelineEntry | undefined {
    return this.entries.get(file);
  }

  scan(): void {
    const next = new Map<string, PipelineEntry>();
    for (const store of this.stores.all()) {
      for (const file of findPipelines(store.folder.uri.fsPath)) next.set(file, this.parseEntry(file, store));
    }
    for (const f of this.entries.keys()) if (!next.has(f)) this.diagnostics.delete(vscode.Uri.file(f));
    this.entries = next;
    this.definitionsSeen = this.definitionsNow();
    this.armTriggers();
    this.emitter.fire();
  }

  private parseEntry(file: string, store: WorkspaceStore, text?: string): PipelineEntry {
    const uri = vscode.Uri.file(file);
    try {
      const def = parsePipeline(text ?? fs.readFileSync(file, 'utf8'), file);
      this.diagnostics.set(uri, []);
      return { file, store, def };
    } catch (e) {
      if (e instanceof PipelineError) {
        this.diagnostics.set(
          uri,
          e.problems.map((p) => {
            const pos = new vscode.Position(Math.max(0, p.line - 1), Math.max(0, p.col - 1));
            const d = new vscode.Diagnostic(new vscode.Range(pos, pos.translate(0, 200)), p.message, vscode.DiagnosticSeverity.Error);
            d.source = 'mlops';
            return d;
          }),
        );
      }
      return { file, store, error: errorMessage(e) };
    }
  }

  private reparse(file: string, text?: string): void {
    const e = this.entries.get(file);
    const store = e?.store ?? this.stores.all().find((s) => file.startsWith(s.folder.uri.fsPath + path.sep));
    if (!store) return;
    this.entries.set(file, this.parseEntry(file, store, text));
    this.armTriggers();
    this.emitter.fire();
  }

  // ---------------------------------------------------------------- running

  private channel(def: PipelineDefinition): vscode.OutputChannel {
    let c = this.channels.get(def.file);
    if (!c) {
      c = vscode.window.createOutputChannel(`MLOps Pipeline: ${def.name}`);
      this.channels.set(def.file, c);
    }
    return c;
  }

  /** Request a run through the queue (manual runs too, so they never overlap an automatic one). */
  trigger(file: string, trigger: Trigger): Promise<PipelineRunRecord | undefined> {
    const e = this.entries.get(file);
    if (!e?.def) {
      void vscode.window.showErrorMessage(`Pipeline ${path.basename(file)} is invalid: ${e?.error ?? 'not found'}`);
      return Promise.resolve(undefined);
    }
    if (trigger !== 'manual' && !vscode.workspace.isTrusted) {
      this.log.warn(`Pipeline ${e.def.name}: ${trigger} trigger ignored in Restricted Mode.`);
      return Promise.resolve(undefined);
    }
    if (e.def.trainer.kind === 'command' && !vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(`Pipeline ${e.def.name} runs a workspace command (${e.def.trainer.command}); that needs a trusted workspace.`);
      return Promise.resolve(undefined);
    }
    return this.scheduler.trigger(file, trigger);
  }

  cancel(file: string): boolean {
    return this.scheduler.cancel(file);
  }

  private async execute(file: string, trigger: Trigger, coalesced: Trigger[], signal: AbortSignal): Promise<PipelineRunRecord> {
    const e = this.entries.get(file)!;
    const def = e.def!;
    const tracker = e.store.tracker(true)!;
    const ch = this.channel(def);
    const lines: string[] = [];
    const write = (l: string) => {
      lines.push(l);
      ch.appendLine(l);
    };
    write(`\n=== ${new Date().toISOString()} · ${def.name} · trigger ${trigger}${coalesced.length ? ` (+${coalesced.join(', ')})` : ''}`);
    const rec = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pipeline ${def.name} (${trigger})`, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      signal.addEventListener('abort', () => ac.abort());
      token.onCancellationRequested(() => ac.abort());
      return runPipeline(tracker, def, trigger, {
        signal: ac.signal,
        coalesced,
        onLog: write,
        onStage: (s, r) => {
          if (s.status === 'running') progress.report({ message: `${r.stages.indexOf(s) + 1}/6 ${s.title}…`, increment: 100 / 6 });
          e.store.reload();
        },
      });
    });
    // Keep the run's log beside its record.
    try {
      fs.writeFileSync(path.join(tracker.store.root, 'pipelines', rec.pipeline.replace(/[^A-Za-z0-9_.-]+/g, '-'), `${rec.id}.log`), lines.join('\n') + '\n');
    } catch {
      /* the record itself is what matters */
    }
    write(stageTable(rec));
    this.finished.push(rec);
    e.store.reload();
    if (rec.status === 'passed') {
      void vscode.window.showInformationMessage(`Pipeline ${def.name} passed: ${def.model} v${rec.modelVersion} in ${rec.promoted?.ok ? 'Production' : 'Staging'}.`, 'Open Report').then((c) => c && vscode.commands.executeCommand(CommandId.openPipelineReport, rec));
    } else if (rec.status !== 'cancelled') {
      void vscode.window.showErrorMessage(`Pipeline ${def.name} ${rec.status} at ${rec.stages.find((s) => s.name === rec.failedStage)?.title ?? '?'}: ${rec.reason}`, 'Open Report').then((c) => c && vscode.commands.executeCommand(CommandId.openPipelineReport, rec));
    }
    return rec;
  }

  // ---------------------------------------------------------------- automatic triggers

  private armTriggers(): void {
    for (const d of this.triggerDisposables) d.dispose();
    this.triggerDisposables = [];
    if (!vscode.workspace.isTrusted) return; // Restricted Mode: no automatic triggers
    for (const e of this.entries.values()) {
      const def = e.def;
      if (!def) continue;
      if (def.triggers.data_update) this.armDataUpdate(e, def);
      if (def.triggers.code_commit) this.armCodeCommit(e, def);
      if (def.triggers.schedule) this.armSchedule(e, def);
    }
  }

  private armDataUpdate(e: PipelineEntry, def: PipelineDefinition): void {
    const folder = e.store.folder.uri.fsPath;
    const rel = path.relative(folder, path.resolve(def.dir, def.data.source)).split(path.sep).join('/');
    // Debounced: one run per burst of changes; and only when the data differ from what the last run was given
    // (late file events or the poll seeing the same change again do not start another run).
    let triggeredSig = globSignature(folder, rel);
    const options = { debounceMs: () => setting<number>(ConfigKey.pipelinesDebounceMs), pollMs: setting<number>(ConfigKey.pipelinesDataPollMs) };
    const watcher = new GlobWatcher(e.store.folder, rel, options, () => {
      const sig = globSignature(folder, rel);
      if (sig === triggeredSig) return;
      triggeredSig = sig;
      void this.trigger(e.file, 'data_update');
    });
    this.triggerDisposables.push(watcher);
  }

  private armCodeCommit(e: PipelineEntry, def: PipelineDefinition): void {
    const folder = e.store.folder.uri.fsPath;
    const branch = def.triggers.code_commit?.branch;
    const check = () => {
      const g = gitInfo(folder);
      if (!g) return;
      const prev = this.lastCommits.get(e.file);
      this.lastCommits.set(e.file, g.commit);
      if (prev && prev !== g.commit && (!branch || g.branch === branch)) {
        this.log.info(`Pipeline ${def.name}: new commit ${g.commit.slice(0, 8)} on ${g.branch}`);
        void this.trigger(e.file, 'code_commit');
      }
    };
    check();
    // The built-in Git extension tells us when HEAD moves; a poll covers folders it does not track.
    const gitExt = vscode.extensions.getExtension<{ getAPI(v: 1): { repositories: { rootUri: vscode.Uri; state: { onDidChange: vscode.Event<void> } }[]; onDidOpenRepository: vscode.Event<unknown> } }>('vscode.git');
    try {
      const api = gitExt?.isActive ? gitExt.exports.getAPI(1) : undefined;
      const hook = () => {
        for (const r of api?.repositories ?? []) if (folder.startsWith(r.rootUri.fsPath)) this.triggerDisposables.push(r.state.onDidChange(check));
      };
      hook();
      if (api) this.triggerDisposables.push(api.onDidOpenRepository(hook));
    } catch {
      /* no git extension: polling only */
    }
    const timer = setInterval(check, setting<number>(ConfigKey.pipelinesGitPollMs));
    this.triggerDisposables.push({ dispose: () => clearInterval(timer) });
  }

  private armSchedule(e: PipelineEntry, def: PipelineDefinition): void {
    const s = def.triggers.schedule!;
    if (s.every) {
      const ms = parseDuration(s.every)!;
      const timer = setInterval(() => void this.trigger(e.file, 'schedule'), ms);
      this.triggerDisposables.push({ dispose: () => clearInterval(timer) });
    }
    if (s.cron) {
      let lastMinute = -1;
      const timer = setInterval(() => {
        const now = new Date();
        const minute = Math.floor(now.getTime() / 60_000);
        if (minute !== lastMinute && cronMatches(s.cron!, now)) {
          lastMinute = minute;
          void this.trigger(e.file, 'schedule');
        }
      }, 15_000);
      this.triggerDisposables.push({ dispose: () => clearInterval(timer) });
    }
  }

  /** Monitoring's hook: start every pipeline of `model` that has the drift trigger. */
  triggerDrift(model: string): Promise<(PipelineRunRecord | undefined)[]> {
    return Promise.all(this.all().filter((e) => e.def?.model === model && e.def.triggers.drift).map((e) => this.trigger(e.file, 'drift')));
  }

  dispose(): void {
    this.scheduler.cancelAll();
    for (const d of [...this.disposables, ...this.triggerDisposables, ...this.definitionWatchers]) d.dispose();
    for (const c of this.channels.values()) c.dispose();
    this.diagnostics.dispose();
    this.emitter.dispose();
  }
}
