/**
 * What the Compare webview asks of its panel, one case per message type (vscode-dvc's `webview/messages.ts`):
 * every field is checked first (the webview is untrusted), then the panel, an export or a command does the work.
 */
import * as vscode from 'vscode';
import { CHART_KINDS, normalizeSettings, type CompareSettings } from '../../core/compare/model';
import type { CompareFromWebview } from '../../shared/protocol';
import { errorMessage } from '../../core/util/errors';
import type { Log } from '../log';
import { fileSlug as pngSlug, type PngRequests, savePngInteractive } from '../webviews/pngExport';
import { comparisonFileSlug, exportInteractive, type ShownComparison } from './exports';

export type RenderedMessage = Extract<CompareFromWebview, { type: 'rendered' }>;

/** The panel, as its webview's messages see it. */
export interface CompareMessageTarget extends ShownComparison {
  readonly runIds: readonly string[];
  settings: CompareSettings;
  /** The last `rendered` report of the webview (checked). */
  lastRendered: RenderedMessage | undefined;
  /** How long the data of the last build took to read (ms), and whether it was read before the webview was ready. */
  readonly lastBuild?: { ms: number; withoutHistories?: boolean; early: boolean };
  readonly pngs: PngRequests;
  /** The webview (re)started: send it everything again. */
  onWebviewReady(): void;
  /** Build the data message again (the compared value changed) and post it if it differs. */
  update(): void;
  setLocked(locked: boolean): void;
  /** Open Run on one of the compared runs (by its key: a workspace run id or an MLflow source's run). */
  openRun(key: string): Promise<void>;
}

export function handleCompareMessage(panel: CompareMessageTarget, log: Log, m: CompareFromWebview): void {
  switch (m.type) {
    case 'ready':
      panel.onWebviewReady();
      break;
    case 'settings': {
      const before = JSON.stringify(panel.settings.compared);
      panel.settings = normalizeSettings(m.settings);
      // Another compared value (last, at a step, min, max): the runs' values come from their full histories, here.
      if (JSON.stringify(panel.settings.compared) !== before) panel.update();
      break;
    }
    case 'rendered':
      panel.lastRendered = checkRendered(m);
      logRendered(log, panel.lastRendered, panel.lastBuild);
      break;
    case 'export':
      if ((m.format === 'csv' || m.format === 'markdown') && (m.target === 'file' || m.target === 'clipboard')) void exportInteractive(log, panel, m.format, m.target);
      break;
    case 'savePng':
      if (typeof m.name === 'string' && typeof m.dataUrl === 'string') void savePngInteractive(log, 'Compare', m.name, `${comparisonFileSlug(panel.title)}-${pngSlug(m.name)}.png`, m.dataUrl);
      break;
    case 'png':
      panel.pngs.answer(m);
      break;
    case 'setLock':
      if (typeof m.locked === 'boolean') panel.setLocked(m.locked);
      break;
    case 'openRun':
      if (typeof m.runId === 'string' && panel.runIds.includes(m.runId)) {
        panel.openRun(m.runId).catch((e: unknown) => {
          log.error('Compare: Open Run failed', e);
          void vscode.window.showErrorMessage(`Open Run failed: ${errorMessage(e)}`);
        });
      }
      break;
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The webview's report that it drew the comparison, with every field checked (numbers finite, strings short). */
export function checkRendered(m: RenderedMessage): RenderedMessage {
  const r: RenderedMessage = {
    type: 'rendered',
    runs: num(m.runs),
    params: num(m.params),
    metrics: num(m.metrics),
    charts: num(m.charts),
    chart: CHART_KINDS.includes(m.chart) ? m.chart : 'bars',
    theme: typeof m.theme === 'string' ? m.theme.slice(0, 40) : '',
    renderMs: num(m.renderMs),
    sinceRequestMs: typeof m.sinceRequestMs === 'number' && Number.isFinite(m.sinceRequestMs) ? m.sinceRequestMs : null,
  };
  const ph = m.phases;
  if (ph && typeof ph === 'object') r.phases = { webviewStart: num(ph.webviewStart), script: num(ph.script), hostWorker: num(ph.hostWorker), data: num(ph.data), draw: num(ph.draw) };
  return r;
}

/** The timing of a render that a command asked for, in the log: command → drawn, and the webview's phases. */
function logRendered(log: Log, r: RenderedMessage, build?: { ms: number; withoutHistories?: boolean; early: boolean }): void {
  if (r.sinceRequestMs === null) return;
  const p = r.phases;
  const read = build ? ` (the runs read${build.withoutHistories ? ' without their histories' : ''} in ${build.ms} ms${build.early ? ', from the panel\'s creation' : ''})` : '';
  const phases = p ? `; webview start ${p.webviewStart} ms, script ${p.script} ms (of which ${p.hostWorker} ms waiting for VS Code's webview service worker), ready → data ${p.data} ms${read}, data → drawn ${p.draw} ms` : '';
  log.info(`Compare: ${r.runs} runs × ${r.metrics} metrics drawn ${Math.round(r.sinceRequestMs)} ms after the command (webview render ${Math.round(r.renderMs)} ms${phases}).`);
}
