/**
 * The "Get started with MLOps Workbench" walkthrough (package.json contributes.walkthroughs, id WALKTHROUGH_ID).
 *
 * - It opens by itself once: on the first activation in a workspace without a store (unless the user asked VS Code
 *   to open nothing at startup, `workbench.startupEditor: none`). Global state remembers that it did. **MLOps: Get
 *   Started** opens it at any time.
 * - Its steps complete on what really happened, whoever did it (a command, the CLI in a terminal, another window):
 *   WalkthroughProgress watches the workspace stores and sets a context key (ContextKey.walkthrough…) when a sample
 *   workspace is open, a sweep finished, a version moved into Production, a pipeline run ended (passed or failed) or a
 *   drift check was recorded. Only what happened after this window activated counts, and never what the sample's
 *   story recorded (its sample-story.json says until when): a sample with the story played does not check the steps
 *   that the user is to try. Comparing and connecting MLflow complete on their commands (package.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE } from '../../core/config/config';
import { listReports } from '../../core/monitoring/monitor';
import { PipelineRecords } from '../../core/pipeline/record';
import { readStoryRecord, STORY_ABANDONED_MS } from '../../core/sample/story';
import type { Log } from '../log';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId, ContextKey, setContext, startupEditor, StateKey, WALKTHROUGH_ID } from '../keys';
import { Disposable } from '../util/dispose';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';

/** What a step waits for, and the context key that says it happened. */
export const WALKTHROUGH_FACTS = {
  sampleOpen: ContextKey.walkthroughSampleOpen,
  sweepFinished: ContextKey.walkthroughSweepFinished,
  promoted: ContextKey.walkthroughPromoted,
  pipelineRan: ContextKey.walkthroughPipelineRan,
  driftChecked: ContextKey.walkthroughDriftChecked,
} as const;
export type WalkthroughFact = keyof typeof WALKTHROUGH_FACTS;

/** Store changes come in bursts (a sweep writes many files): look once they settle. */
const CHECK_DEBOUNCE_MS = 300;

export class WalkthroughProgress extends Disposable {
  private readonly done = new Set<WalkthroughFact>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly log: Log,
    /** Only what happened after this time counts (default: now, the window's activation). */
    private readonly since = Date.now(),
  ) {
    super();
    this.register(stores.onDidChange(() => this.schedule()));
    this.register({ dispose: () => this.timer && clearTimeout(this.timer) });
    this.schedule();
  }

  /** The facts seen so far (for the tests). */
  get facts(): WalkthroughFact[] {
    return [...this.done].sort();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.check();
    }, CHECK_DEBOUNCE_MS);
  }

  /** Look at every store for what has not been seen yet. */
  check(): void {
    for (const store of this.stores.all()) {
      this.checkStore(store).catch((e: unknown) => this.log.warn(`Walkthrough: could not read ${store.root}: ${(e as Error).message}`));
    }
  }

  private async checkStore(store: WorkspaceStore): Promise<void> {
    if (!store.exists) return;
    const folder = store.folder.uri.fsPath;
    if (!this.done.has('sampleOpen') && isSampleWorkspace(folder)) this.mark('sampleOpen');
    // What the sample's story records is not the user's doing: nothing counts while it plays, only what follows it.
    const story = readStoryRecord(store.root);
    if (story && !story.finishedAt && Date.now() - story.startedAt < STORY_ABANDONED_MS) return;
    const after = Math.max(this.since, story?.finishedAt ?? 0);
    if (!this.done.has('sweepFinished') && (await sweepFinishedAfter(store, after))) this.mark('sweepFinished');
    if (!this.done.has('promoted') && (store.registry()?.readEvents().events ?? []).some((e) => e.time > after && ((e.action === 'transition' && e.to === 'Production') || e.action === 'rollback'))) this.mark('promoted');
    const tracker = store.tracker();
    if (tracker && !this.done.has('pipelineRan') && new PipelineRecords(tracker.store).list().runs.some((r) => (r.status === 'passed' || r.status === 'failed') && (r.endTime ?? 0) > after)) this.mark('pipelineRan');
    if (!this.done.has('driftChecked') && listReports(store.root).some((r) => r.time > after)) this.mark('driftChecked');
  }

  private mark(fact: WalkthroughFact): void {
    this.done.add(fact);
    this.log.info(`Walkthrough: ${fact}`);
    void setContext(WALKTHROUGH_FACTS[fact], true);
  }
}

/** A folder holding the sample workspace's files (Create Sample Workspace, `mlops init --sample`, `npm start`). */
export function isSampleWorkspace(folder: string): boolean {
  return ['data/wafer_yield.csv', 'yield.pipeline.yaml', CONFIG_FILE].every((f) => fs.existsSync(path.join(folder, f)));
}

/** A sweep (runs sharing a sweep_id tag) whose runs have all ended, at least one completed, that started after `t`. */
async function sweepFinishedAfter(store: WorkspaceStore, t: number): Promise<boolean> {
  // Asked of the store's index (in the worker): the sweeps with a run started after t, then those sweeps' runs.
  const recent = await store.runsMatching(`tags.sweep_id like '%' and start_time > ${Math.floor(t)}`, 5000);
  const ids = [...new Set(recent.map((r) => r.tags.sweep_id))].slice(0, 20);
  const runs = ids.length ? await store.runsMatching(ids.map((id) => `tags.sweep_id = '${id.replace(/[\\']/g, (c) => `\\${c}`)}'`).join(' or '), 5000) : [];
  const sweeps = new Map<string, { started: number; running: boolean; completed: boolean }>();
  for (const r of runs) {
    const id = r.tags.sweep_id;
    if (!id) continue;
    const s = sweeps.get(id) ?? { started: 0, running: false, completed: false };
    s.started = Math.max(s.started, r.startTime);
    s.running ||= r.effectiveStatus === 'running';
    s.completed ||= r.effectiveStatus === 'completed';
    sweeps.set(id, s);
  }
  return [...sweeps.values()].some((s) => s.started > t && !s.running && s.completed);
}

/** MLOps: Get Started, the progress of the steps, and the walkthrough opened by itself the first time. */
export function registerWalkthrough(context: vscode.ExtensionContext, stores: WorkspaceStores, log: Log): WalkthroughProgress {
  const progress = new WalkthroughProgress(stores, log);
  context.subscriptions.push(progress);
  const open = () => vscode.commands.executeCommand(BuiltinCommand.openWalkthrough, `${context.extension.id}#${WALKTHROUGH_ID}`, false);
  commandRegistrar(context, log)(CommandId.getStarted, open);
  if (!context.globalState.get<boolean>(StateKey.walkthroughOpened) && !stores.all().some((s) => s.exists) && startupEditor() !== 'none') {
    void context.globalState.update(StateKey.walkthroughOpened, true);
    log.info('First activation in a workspace without a store: opening the Get Started walkthrough.');
    void Promise.resolve(open()).catch((e: unknown) => log.warn(`Could not open the walkthrough: ${(e as Error).message}`));
  }
  return progress;
}
