/**
 * The Compare Runs webview: asks for data once ready, renders the comparison (tables, charts) with the shared
 * comparison model, keeps the user's settings in the webview state (restored after a reload) and mirrors them to
 * the extension (for exports). Controls are @vscode-elements/elements components (buttons, dropdowns, checkboxes,
 * tabs, collapsibles, the runs table); every user string is set as text.
 */
import { boot } from './boot'; // first: posts `ready` before the libraries below are evaluated
import '../common/base.css';
import './style.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  buildComparison,
  type ChartSettings,
  type Comparison,
  type CompareSettings,
  defaultSettings,
  directionOf,
  normalizeSettings,
  shownMetrics,
  shownParams,
  sortRuns,
} from '../../src/core/compare/model';
import { type ComparedValue, comparedLabel } from '../../src/core/compare/series';
import type { CompareFromWebview, CompareRunView, CompareToWebview, CompareWebviewState } from '../../src/shared/protocol';
import { clear, focusKey, h, restoreFocus } from '../common/dom';
import { countCspViolations } from '../common/csp';
import { ChartsView } from './charts';
import { metricsTable, paramsTable, type TableActions, tagsTable } from './tables';
import { onThemeChange, readTheme } from '../common/theme';

type DataMessage = Extract<CompareToWebview, { type: 'data' }>;

const vscode = boot<CompareWebviewState>();
const app = document.getElementById('app')!;
countCspViolations(app);
const saved = vscode.getState();
let settings: CompareSettings = saved ? normalizeSettings(saved.settings) : defaultSettings();
let locked = saved?.locked === true;
let data: DataMessage | null = null;
let theme = readTheme();
let requestedAt: number | null = null;
let phasesReported = false;
let renderSeq = 0;
// Epoch times of the webview's start-up, for the command → drawn breakdown of the first render.
const bootAt = { document: performance.timeOrigin, ready: vscode.readyAt, data: 0 };
/** performance.now() when the data message arrived: `rendered` reports the time from it to the painted frame. */
let measureFrom: number | null = null;

// ------------------------------------------------------------------------------------------ state

/** Run names by key as last shown: after a reload, a run whose source is gone is still named. */
function runNames(): Record<string, string> | undefined {
  if (!data) return saved?.names;
  const names: Record<string, string> = {};
  for (const g of data.gone) names[g.id] = g.name;
  for (const r of data.runs) names[r.id] = r.name;
  return names;
}

function persist(): void {
  const names = runNames();
  vscode.setState({ v: 1, runIds: data?.runIds ?? saved?.runIds ?? [], title: data?.title ?? saved?.title ?? 'Compare', settings, ...(locked ? { locked } : {}), ...(names ? { names } : {}) });
}

function update(p: Partial<CompareSettings>, parts: { tables?: boolean; charts?: boolean } = { tables: true, charts: true }): void {
  settings = { ...settings, ...p };
  persist();
  vscode.post({ type: 'settings', settings });
  render(parts);
}

function updateCharts(p: Partial<ChartSettings>): void {
  update({ charts: { ...settings.charts, ...p } }, { charts: true });
}

const actions: TableActions = {
  sortBy(by, key) {
    const s = settings.sort;
    if (s && s.by === by && s.key === key) update({ sort: { ...s, descending: !s.descending } });
    else update({ sort: { by, key, descending: by === 'metric' ? directionOf(key, data?.directions ?? {}, settings) === 'max' : false } });
  },
  flipDirection(key) {
    const current = directionOf(key, data?.directions ?? {}, settings);
    const next = current === 'min' ? 'max' : 'min';
    const overrides = { ...settings.directionOverrides };
    if (data?.directions[key] === next) delete overrides[key];
    else overrides[key] = next;
    update({ directionOverrides: overrides });
  },
  toggleBaseline(runId) {
    update({ baseline: settings.baseline === runId ? null : runId });
  },
  hide(runId) {
    update({ hidden: [...new Set([...settings.hidden, runId])] });
  },
  openRun(runId) {
    vscode.post({ type: 'openRun', runId });
  },
};

// ------------------------------------------------------------------------------------------ layout (built once)

const els = {
  title: h('h1', {}),
  summary: h('p', { class: 'muted summary' }),
  gone: h('div', { class: 'gone-list', role: 'status', 'aria-live': 'polite' }),
  sortSlot: h('span', { class: 'slot' }),
  sortDir: h('vscode-button', { secondary: true, icon: 'arrow-up', 'aria-label': 'Reverse the order', title: 'Reverse the order', 'data-fk': 'sort-dir', onclick: () => settings.sort && update({ sort: { ...settings.sort, descending: !settings.sort.descending } }) }),
  baselineSlot: h('span', { class: 'slot' }),
  runsCollapsible: h('vscode-collapsible', { heading: 'Runs', class: 'runs-section' }),
  runsBody: h('div', { class: 'runs-body' }),
  paramsCount: h('span', { class: 'count muted' }),
  paramsBody: h('div', { class: 'section-body' }),
  metricsCount: h('span', { class: 'count muted' }),
  metricsBody: h('div', { class: 'section-body' }),
  tagsCollapsible: h('vscode-collapsible', { heading: 'Tags', class: 'tags-section' }),
  tagsBody: h('div', { class: 'section-body' }),
  lock: h('vscode-button', { secondary: true, 'data-fk': 'lock', onclick: () => vscode.post({ type: 'setLock', locked: !locked }) }),
  paramsDiff: h('vscode-checkbox', { label: 'Differences only', 'data-fk': 'params-diff', onchange: (e: Event) => update({ paramsDiffOnly: (e.target as HTMLElementTagNameMap['vscode-checkbox']).checked }, { tables: true }) }),
  metricsDiff: h('vscode-checkbox', { label: 'Differences only', 'data-fk': 'metrics-diff', onchange: (e: Event) => update({ metricsDiffOnly: (e.target as HTMLElementTagNameMap['vscode-checkbox']).checked }, { tables: true }) }),
};
let sortSignature = '';
let comparedSignature = '';
const comparedSlot = h('span', { class: 'compared-control' });
let baselineSignature = '';

const charts = new ChartsView({
  change: (p) => updateCharts(p),
  savePng: (name, dataUrl) => vscode.post({ type: 'savePng', name, dataUrl }),
});

function exportButton(label: string, icon: string, title: string, msg: Extract<CompareFromWebview, { type: 'export' }>): HTMLElement {
  return h('vscode-button', { secondary: true, icon, title, 'aria-label': title, 'data-fk': `export-${msg.format}-${msg.target}`, onclick: () => vscode.post(msg) }, label);
}

/** The Lock toggle: a locked tab keeps its runs; a new comparison then opens in another tab. */
function showLock(): void {
  els.lock.setAttribute('icon', locked ? 'lock' : 'unlock');
  els.lock.textContent = locked ? 'Locked' : 'Lock tab';
  const tip = locked
    ? 'This tab is locked: new comparisons open in another tab. Click to unlock.'
    : 'Lock this tab: keep these runs here, new comparisons open in another tab (otherwise a new comparison replaces this one).';
  els.lock.setAttribute('title', tip);
  els.lock.setAttribute('aria-label', tip);
  els.lock.setAttribute('aria-pressed', String(locked));
}

function buildLayout(): void {
  clear(app);
  els.runsCollapsible.append(els.runsBody);
  els.runsCollapsible.addEventListener('vsc-collapsible-toggle', () => render({ tables: true }));
  els.tagsCollapsible.append(els.tagsBody);
  els.tagsCollapsible.addEventListener('vsc-collapsible-toggle', () => render({ tables: true }));
  app.append(
    h('header', { class: 'head' },
      els.title,
      els.summary,
      els.gone,
      h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Comparison settings and export' },
        h('span', { class: 'group' }, h('span', { class: 'control-label', id: 'sort-label' }, 'Sort'), els.sortSlot, els.sortDir),
        h('span', { class: 'group' }, h('span', { class: 'control-label', id: 'baseline-label' }, 'Baseline'), els.baselineSlot),
        h('span', { class: 'group export' },
          exportButton('CSV', 'table', 'Save the comparison as CSV (one row per run)', { type: 'export', format: 'csv', target: 'file' }),
          exportButton('Markdown', 'markdown', 'Save the comparison as Markdown tables', { type: 'export', format: 'markdown', target: 'file' }),
          exportButton('Copy CSV', 'copy', 'Copy the comparison as CSV', { type: 'export', format: 'csv', target: 'clipboard' }),
          exportButton('Copy Markdown', 'copy', 'Copy the comparison as Markdown tables (for a pull request or a report)', { type: 'export', format: 'markdown', target: 'clipboard' }),
        ),
        h('span', { class: 'group' }, els.lock),
      ),
    ),
    h('section', { class: 'runs', 'aria-label': 'Runs' }, els.runsCollapsible),
    h('section', { class: 'params', 'aria-labelledby': 'params-h' }, h('div', { class: 'section-head' }, h('h2', { id: 'params-h' }, 'Parameters'), els.paramsCount, els.paramsDiff), els.paramsBody),
    h('section', { class: 'metrics', 'aria-labelledby': 'metrics-h' },
      h('div', { class: 'section-head' }, h('h2', { id: 'metrics-h' }, 'Metrics'), els.metricsCount, comparedSlot, els.metricsDiff),
      h('p', { class: 'legend muted' }, h('span', { class: 'swatch best' }, '★'), ' best value · ', h('span', { class: 'dir-legend' }, '↓ min'), ' lower is better, ', h('span', { class: 'dir-legend' }, '↑ max'), ' higher is better (click to flip) · pin a run (', h('span', { class: 'codicon codicon-pin' }), ') to see deltas (Δ) against it'),
      els.metricsBody),
    h('section', { class: 'tags', 'aria-label': 'Tags' }, els.tagsCollapsible),
    h('section', { class: 'charts', 'aria-labelledby': 'charts-h' }, h('h2', { id: 'charts-h' }, 'Charts'), charts.element),
  );
}

// ------------------------------------------------------------------------------------------ toolbar

function sortControl(runs: CompareRunView[], cmp: Comparison<CompareRunView>): void {
  const value = !settings.sort ? 'given' : settings.sort.by === 'metric' || settings.sort.by === 'param' ? `${settings.sort.by}:${settings.sort.key}` : settings.sort.by;
  const options: { value: string; label: string }[] = [
    { value: 'given', label: 'Order given' },
    { value: 'name', label: 'Run name' },
    { value: 'startTime', label: 'Start time' },
    ...cmp.metrics.map((m) => ({ value: `metric:${m.key}`, label: `${m.key} (metric)` })),
    ...cmp.params.map((p) => ({ value: `param:${p.key}`, label: `${p.key} (param)` })),
  ];
  if (!options.some((o) => o.value === value) && settings.sort?.key) options.push({ value, label: `${settings.sort.key} (${settings.sort.by})` });
  const sig = JSON.stringify([options, value, runs.length]);
  if (sig !== sortSignature) {
    sortSignature = sig;
    clear(els.sortSlot);
    els.sortSlot.append(
      h('vscode-single-select', {
        'aria-labelledby': 'sort-label',
        'data-fk': 'sort',
        class: 'sort-select',
        onchange: (e: Event) => {
          const v = (e.target as HTMLElementTagNameMap['vscode-single-select']).value;
          if (v === 'given') return update({ sort: null });
          if (v === 'name' || v === 'startTime') return update({ sort: { by: v, descending: v === 'startTime' } });
          const i = v.indexOf(':');
          const by = v.slice(0, i) as 'metric' | 'param';
          const key = v.slice(i + 1);
          update({ sort: { by, key, descending: by === 'metric' ? directionOf(key, data?.directions ?? {}, settings) === 'max' : false } });
        },
      }, options.map((o) => h('vscode-option', { value: o.value, selected: o.value === value }, o.label))),
    );
  }
  els.sortDir.setAttribute('icon', settings.sort?.descending ? 'arrow-down' : 'arrow-up');
  els.sortDir.toggleAttribute('disabled', !settings.sort);
  els.sortDir.setAttribute('title', settings.sort ? (settings.sort.descending ? 'Descending: click for ascending' : 'Ascending: click for descending') : 'Pick something to sort by first');
}

function baselineControl(runs: CompareRunView[]): void {
  const value = settings.baseline && runs.some((r) => r.id === settings.baseline) ? settings.baseline : '';
  const sig = JSON.stringify([runs.map((r) => [r.id, r.name]), value]);
  if (sig === baselineSignature) return;
  baselineSignature = sig;
  clear(els.baselineSlot);
  els.baselineSlot.append(
    h('vscode-single-select', {
      'aria-labelledby': 'baseline-label',
      'data-fk': 'baseline',
      class: 'baseline-select',
      onchange: (e: Event) => update({ baseline: (e.target as HTMLElementTagNameMap['vscode-single-select']).value || null }),
    },
    h('vscode-option', { value: '', selected: value === '' }, 'None'),
    runs.map((r) => h('vscode-option', { value: r.id, selected: r.id === value }, r.name))),
  );
}

/** The step all runs with a history reached (the smallest of their last steps): where "value at step" starts. */
function defaultStep(runs: CompareRunView[]): number {
  let step: number | undefined;
  for (const r of runs) {
    let last: number | undefined;
    for (const s of Object.values(r.history)) if (s.length) last = Math.max(last ?? -Infinity, s[s.length - 1][0]);
    if (last !== undefined) step = Math.min(step ?? Infinity, last);
  }
  return step ?? 0;
}

/**
 * What each metric's value is (mlflow/mlflow#4267): the last value, the value at a step, or the min / max over the
 * history. The extension computes the values from the full histories and sends a new data message; the best-value
 * stars, the deltas, the sort and the charts all follow.
 */
function comparedControl(runs: CompareRunView[]): void {
  const c = settings.compared;
  const sig = JSON.stringify(c);
  if (sig === comparedSignature) return;
  comparedSignature = sig;
  const options: { value: ComparedValue['kind']; label: string }[] = [
    { value: 'last', label: 'Last value' },
    { value: 'step', label: 'Value at step…' },
    { value: 'min', label: 'Min over history' },
    { value: 'max', label: 'Max over history' },
  ];
  const select = h('vscode-single-select', {
    'aria-labelledby': 'compared-label',
    'data-fk': 'compared',
    class: 'compared-select',
    onchange: (e: Event) => {
      const kind = (e.target as HTMLElementTagNameMap['vscode-single-select']).value as ComparedValue['kind'];
      setCompared(kind === 'step' ? { kind, step: c.kind === 'step' ? c.step : defaultStep(data?.runs ?? runs) } : { kind });
    },
  }, options.map((o) => h('vscode-option', { value: o.value, selected: o.value === c.kind }, o.label)));
  const step = c.kind === 'step'
    ? h('vscode-textfield', {
        type: 'number',
        value: String(c.step),
        'aria-label': 'Step',
        'data-fk': 'compared-step',
        class: 'compared-step',
        onchange: (e: Event) => {
          const n = Number((e.target as HTMLElementTagNameMap['vscode-textfield']).value);
          if (Number.isFinite(n)) setCompared({ kind: 'step', step: Math.trunc(n) });
        },
      })
    : null;
  comparedSlot.replaceChildren(h('span', { class: 'control-label', id: 'compared-label' }, 'Compare'), select, step ?? '');
}

function setCompared(c: ComparedValue): void {
  // The values come back in a data message (the extension reads them from the full histories).
  update({ compared: c }, { tables: true });
}

// ------------------------------------------------------------------------------------------ runs list

function runsList(all: CompareRunView[]): HTMLElement {
  const hidden = new Set(settings.hidden);
  const ordered = sortRuns(all, settings.sort);
  const table = h('vscode-table', { zebra: true, 'bordered-rows': true, class: 'runs-table', 'aria-label': 'Compared runs' },
    h('vscode-table-header', { slot: 'header' }, ['Shown', 'Run', 'Source', 'Experiment', 'Status', 'Started', 'Duration', 'Baseline'].map((c) => h('vscode-table-header-cell', {}, c))),
    h('vscode-table-body', { slot: 'body' }, ordered.map((r) =>
      h('vscode-table-row', {},
        h('vscode-table-cell', {}, h('vscode-checkbox', {
          checked: !hidden.has(r.id),
          'aria-label': `Show ${r.name}`,
          'data-fk': `runs:show:${r.id}`,
          onchange: (e: Event) => {
            const show = (e.target as HTMLElementTagNameMap['vscode-checkbox']).checked;
            update({ hidden: show ? settings.hidden.filter((x) => x !== r.id) : [...new Set([...settings.hidden, r.id])] });
          },
        })),
        h('vscode-table-cell', {}, h('button', { class: 'link', 'data-fk': `runs:open:${r.id}`, title: 'Open run', onclick: () => actions.openRun(r.id) }, r.name)),
        h('vscode-table-cell', { title: r.source ?? '' }, r.source ?? ''),
        h('vscode-table-cell', {}, r.experiment),
        h('vscode-table-cell', {}, h('span', { class: `status-${r.interrupted ? 'failed' : r.status}` }, r.interrupted ? 'interrupted' : r.status)),
        h('vscode-table-cell', {}, new Date(r.startTime).toLocaleString()),
        h('vscode-table-cell', { class: 'num' }, `${(r.durationMs / 1000).toFixed(1)} s`),
        h('vscode-table-cell', {}, h('button', {
          class: `icon-btn codicon ${settings.baseline === r.id ? 'codicon-pinned' : 'codicon-pin'}`,
          'aria-pressed': settings.baseline === r.id ? 'true' : 'false',
          'aria-label': settings.baseline === r.id ? `Unpin baseline ${r.name}` : `Pin ${r.name} as the baseline`,
          title: settings.baseline === r.id ? 'Unpin the baseline' : 'Pin as the baseline',
          'data-fk': `runs:pin:${r.id}`,
          onclick: () => actions.toggleBaseline(r.id),
        })),
      ),
    )),
  );
  (table as unknown as { columns: string[] }).columns = ['70px', '24%', '18%', '16%', '10%', '16%', '8%', '80px'];
  return h('div', {},
    h('div', { class: 'runs-actions' },
      h('vscode-button', { secondary: true, icon: 'eye', 'data-fk': 'runs:show-all', disabled: hidden.size === 0, onclick: () => update({ hidden: [] }) }, 'Show all'),
      h('vscode-button', { secondary: true, icon: 'eye-closed', 'data-fk': 'runs:hide-all', disabled: hidden.size >= all.length, onclick: () => update({ hidden: all.map((r) => r.id) }) }, 'Hide all'),
    ),
    table,
  );
}

// ------------------------------------------------------------------------------------------ render

function summaryText(cmp: Comparison<CompareRunView>, d: DataMessage): string {
  const exps = [...new Set(d.runs.map((r) => r.experiment))];
  const parts = [`${cmp.runs.length} of ${d.runs.length} run${d.runs.length === 1 ? '' : 's'} shown`];
  parts.push(exps.length === 1 ? `experiment ${exps[0]}` : `${exps.length} experiments`);
  const sources = new Set(d.runs.map((r) => r.source ?? ''));
  if (sources.size > 1) parts.push(`${sources.size} sources`);
  const sweepsIds = [...new Set(d.runs.map((r) => r.tags.sweep_id).filter(Boolean))];
  if (sweepsIds.length === 1 && d.runs.every((r) => r.tags.sweep_id === sweepsIds[0])) parts.push(`sweep ${sweepsIds[0]}`);
  if (d.compared && d.compared.kind !== 'last') parts.push(`metrics: ${comparedLabel(d.compared)}`);
  if (cmp.baseline) parts.push(`baseline ${cmp.baseline.name}`);
  if (settings.sort) parts.push(`sorted by ${settings.sort.key ?? (settings.sort.by === 'name' ? 'name' : 'start time')} ${settings.sort.descending ? '▼' : '▲'}`);
  return parts.join(' · ');
}

function goneList(d: DataMessage): void {
  clear(els.gone);
  for (const g of d.gone) {
    const id = (g.runId ?? g.id).slice(0, 8);
    els.gone.append(h('div', { class: 'gone' }, h('span', { class: 'codicon codicon-warning' }), ' Run ', h('strong', {}, g.name), g.reason
      ? ` (${id}) is left out of the comparison: ${g.reason}.`
      : ` (${id}) was deleted or can no longer be read: it is left out of the comparison.`));
  }
}

/** The charts being drawn (they are created a frame after their tab is shown): a PNG export waits for them. */
let lastChartsDrawn: Promise<number> = Promise.resolve(0);

function render(parts: { tables?: boolean; charts?: boolean } = { tables: true, charts: true }): void {
  if (!data) return;
  const t0 = measureFrom ?? performance.now();
  const seq = ++renderSeq;
  const fk = focusKey();
  const d = data;
  const cmp = buildComparison(d.runs, settings, d.directions);
  let chartsDrawn: Promise<number> = Promise.resolve(Number(app.dataset.charts ?? 0));
  if (parts.tables) {
    els.title.textContent = d.title;
    document.title = d.title;
    els.summary.textContent = d.runs.length ? summaryText(cmp, d) : 'Nothing left to compare.';
    goneList(d);
    sortControl(d.runs, cmp);
    comparedControl(d.runs);
    baselineControl(d.runs);
    els.paramsDiff.checked = settings.paramsDiffOnly;
    els.metricsDiff.checked = settings.metricsDiffOnly;
    const differingParams = cmp.params.filter((p) => p.differs).length;
    const differingMetrics = cmp.metrics.filter((m) => m.differs).length;
    els.paramsCount.textContent = `${differingParams} of ${cmp.params.length} differ`;
    els.metricsCount.textContent = `${differingMetrics} of ${cmp.metrics.length} differ`;
    els.runsCollapsible.setAttribute('description', `${cmp.runs.length} shown${cmp.hidden.length ? `, ${cmp.hidden.length} hidden` : ''} — show, hide, pin a baseline`);
    clear(els.runsBody);
    if (els.runsCollapsible.open) els.runsBody.append(runsList(d.runs));
    clear(els.paramsBody);
    els.paramsBody.append(paramsTable(cmp, settings, actions));
    clear(els.metricsBody);
    els.metricsBody.append(metricsTable(cmp, settings, actions));
    clear(els.tagsBody);
    if (els.tagsCollapsible.open) els.tagsBody.append(tagsTable(cmp, actions));
  }
  if (parts.charts) chartsDrawn = lastChartsDrawn = charts.render({ cmp, runIndex: new Map(d.runIds.map((id, i) => [id, i])), chartSettings: settings.charts, primaryMetric: d.primaryMetric, compared: d.compared ?? { kind: 'last' }, theme, historiesPending: d.historiesPending === true });
  restoreFocus(app, fk);
  void chartsDrawn.then(async (chartCount) => {
    await afterPaint();
    if (seq !== renderSeq) return;
    const renderMs = performance.now() - t0;
    const drawnAt = Date.now();
    const sinceRequestMs = requestedAt !== null ? drawnAt - requestedAt : null;
    // VS Code loads the webview's document through its service worker: how long the frame's navigation waited for it.
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    // The start-up phases belong to the panel's first render only (a reused tab gets data, not a new document).
    const phases = requestedAt !== null && !phasesReported
      ? {
          webviewStart: Math.round(bootAt.document - requestedAt),
          script: Math.round(bootAt.ready - bootAt.document),
          hostWorker: nav && nav.workerStart > 0 ? Math.round(nav.workerStart) : 0,
          data: Math.round(bootAt.data - bootAt.ready),
          draw: Math.round(drawnAt - bootAt.data),
        }
      : undefined;
    if (phases) app.dataset.phases = JSON.stringify(phases);
    if (requestedAt !== null) phasesReported = true;
    requestedAt = null;
    measureFrom = null;
    app.dataset.rendered = String(seq);
    app.dataset.renderMs = renderMs.toFixed(1);
    if (sinceRequestMs !== null) app.dataset.sinceRequestMs = String(sinceRequestMs);
    app.dataset.theme = theme.kind;
    app.dataset.chart = settings.charts.tab;
    app.dataset.historiesPending = String(d.historiesPending === true);
    vscode.post({
      type: 'rendered',
      runs: cmp.runs.length,
      params: shownParams(cmp, settings).length,
      metrics: shownMetrics(cmp, settings).length,
      charts: chartCount,
      chart: settings.charts.tab,
      theme: theme.kind,
      renderMs,
      sinceRequestMs,
      phases,
    });
    app.dataset.charts = String(chartCount);
  });
}

/** Resolves once custom elements have rendered and the frame is painted (or soon, if the panel is hidden). */
async function afterPaint(): Promise<void> {
  const pending = [...app.querySelectorAll('*')].filter((e) => e.tagName.startsWith('VSCODE-')).map((e) => (e as unknown as { updateComplete?: Promise<unknown> }).updateComplete).filter(Boolean);
  await Promise.all(pending);
  await Promise.race([
    new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
    new Promise<void>((r) => setTimeout(r, 1000)),
  ]);
}

async function answerPng(msg: Extract<CompareToWebview, { type: 'requestPng' }>): Promise<void> {
  if (settings.charts.tab !== msg.chart) updateCharts({ tab: msg.chart });
  await lastChartsDrawn;
  await afterPaint();
  const p = charts.png(msg.index);
  vscode.post({ type: 'png', requestId: msg.requestId, name: p?.name ?? msg.chart, dataUrl: p?.dataUrl ?? null });
}

vscode.onMessage((msg) => {
  switch (msg.type) {
    case 'data': {
      // The whole message after a light one (historiesPending): the same comparison with its step histories. Only
      // the history chart needs them; nothing else is drawn again.
      if (data?.historiesPending && !msg.historiesPending && !msg.settings && msg.title === data.title && msg.runIds.join() === data.runIds.join()) {
        data = msg;
        if (settings.charts.tab === 'history') {
          measureFrom = performance.now();
          render({ charts: true });
        } else app.dataset.historiesPending = 'false';
        break;
      }
      measureFrom = performance.now();
      if (!bootAt.data) bootAt.data = Date.now();
      const first = !data;
      if (msg.settings) settings = normalizeSettings(msg.settings);
      if (typeof msg.requestedAt === 'number') requestedAt = msg.requestedAt;
      data = msg;
      if (first) {
        buildLayout();
        showLock();
      }
      persist();
      render();
      break;
    }
    case 'requestPng':
      void answerPng(msg);
      break;
    case 'lock':
      locked = msg.locked === true;
      showLock();
      persist();
      break;
  }
});

onThemeChange(() => {
  theme = readTheme();
  render({ charts: true });
});

