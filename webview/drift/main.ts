/**
 * The drift report webview: asks for the report once ready, renders it (header and verdicts, performance, alerts,
 * the per-feature table, score charts against thresholds, histograms, prediction distributions, the monitor's
 * timeline) with the shared view model (src/core/monitoring/driftView.ts), keeps the user's choices (selected
 * feature, sort) in the webview state (restored after a reload) and mirrors them to the extension. Every user string
 * is set as text.
 */
import { boot } from '../common/boot'; // first: posts `ready` before the libraries below are evaluated
import '../common/base.css';
import './style.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import {
  defaultFeature,
  type DriftSortKey,
  type DriftViewSettings,
  histogramShares,
  nextSort,
  normalizeDriftSettings,
  scoreBars,
  timeline,
} from '../../src/core/monitoring/driftView';
import type { ScoreKind } from '../../src/core/monitoring/stats/select';
import type { DriftFromWebview, DriftToWebview, DriftWebviewState } from '../../src/shared/protocol';
import { clear, focusKey, h, restoreFocus } from '../common/dom';
import { countCspViolations } from '../common/csp';
import { onThemeChange, readTheme } from '../common/theme';
import { CHART_PNG_EVENT, chartCard, ChartSet, histogramConfig, SCORE_TEXT, scoresConfig, TIMELINE_TEXT, timelineConfig } from './charts';
import { truncate } from '../common/charts';
import { alertsSection, metaLine, performanceSection, summaryCards } from './header';
import { featureTable } from './table';

type DataMessage = Extract<DriftToWebview, { type: 'data' }>;
type Parts = { header?: boolean; table?: boolean; scores?: boolean; histogram?: boolean; timeline?: boolean };
const ALL: Parts = { header: true, table: true, scores: true, histogram: true, timeline: true };
const KINDS: ScoreKind[] = ['p_value', 'distance'];

const vscode = boot<DriftToWebview, DriftFromWebview, DriftWebviewState>();
const app = document.getElementById('app')!;
countCspViolations(app);

const saved = vscode.getState();
let settings: DriftViewSettings = normalizeDriftSettings(saved);
let data: DataMessage | null = null;
let theme = readTheme();
let requestedAt: number | null = null;
let measureFrom: number | null = null;
let renderSeq = 0;
let layoutBuilt = false;
const charts = new ChartSet();
// A chart card's PNG button: the image goes to the extension, which asks where to save it.
app.addEventListener(CHART_PNG_EVENT, (e) => {
  const name = (e as CustomEvent<string>).detail;
  const dataUrl = charts.png(name);
  if (dataUrl) vscode.post({ type: 'savePng', name, dataUrl });
});

// ------------------------------------------------------------------------------------------ state

function persist(): void {
  const folder = data?.folder ?? saved?.folder;
  const reportId = data?.report.id ?? saved?.reportId;
  if (folder && reportId) vscode.setState({ v: 1, folder, reportId, feature: settings.feature, sort: settings.sort });
}

function update(p: Partial<DriftViewSettings>, parts: Parts): void {
  settings = { ...settings, ...p };
  persist();
  vscode.post({ type: 'settings', settings });
  render(parts);
}

/** The shown feature: the chosen one if the report has it, else the most drifted. */
function selectedFeature(d: DataMessage): string | null {
  const names = d.report.columns.map((c) => c.name);
  return settings.feature !== null && names.includes(settings.feature) ? settings.feature : defaultFeature(d.report.columns);
}

const actions = {
  sortBy(key: DriftSortKey) {
    update({ sort: nextSort(settings.sort, key) }, { table: true });
  },
  select(feature: string) {
    if (feature === settings.feature && data && selectedFeature(data) === feature) return;
    update({ feature }, { table: true, histogram: true, timeline: true });
  },
};

// ------------------------------------------------------------------------------------------ layout (built once)

const els = {
  title: h('h1', {}),
  meta: h('div', {}),
  banners: h('div', { class: 'banners', role: 'status', 'aria-live': 'polite' }),
  retrain: h('vscode-button', { icon: 'run', 'data-fk': 'retrain', onclick: () => vscode.post({ type: 'retrain' }) }, 'Retrain'),
  cards: h('div', {}),
  performance: h('div', {}),
  alerts: h('div', {}),
  legend: h('p', { class: 'legend muted' }),
  table: h('div', { class: 'table-slot' }),
  scores: h('div', { class: 'chart-grid' }),
  featureSlot: h('span', { class: 'slot' }),
  featureStats: h('p', { class: 'muted feature-stats' }),
  distributions: h('div', { class: 'chart-grid' }),
  timelineNote: h('p', { class: 'muted' }),
  timeline: h('div', { class: 'chart-grid' }),
};
let featureSignature = '';

function button(label: string, icon: string, title: string, fk: string, msg: DriftFromWebview): HTMLElement {
  return h('vscode-button', { secondary: true, icon, title, 'aria-label': title, 'data-fk': fk, onclick: () => vscode.post(msg) }, label);
}

function buildLayout(): void {
  clear(app);
  layoutBuilt = true;
  app.append(
    h('header', { class: 'head' },
      els.title,
      els.meta,
      els.banners,
      h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Report actions' },
        button('Open as Markdown', 'markdown', 'Open the report as Markdown (preview)', 'open-markdown', { type: 'openMarkdown' }),
        button('Export JSON', 'json', 'Save the report as JSON', 'export-json', { type: 'exportJson' }),
        button('Copy summary', 'copy', 'Copy a plain-text summary of the report', 'copy-summary', { type: 'copySummary' }),
        els.retrain),
      els.cards),
    els.performance,
    els.alerts,
    h('section', { class: 'features', 'aria-labelledby': 'features-h' },
      h('h2', { id: 'features-h' }, 'Features'),
      els.legend,
      els.table),
    h('section', { class: 'scores', 'aria-labelledby': 'scores-h' },
      h('h2', { id: 'scores-h' }, 'Drift scores against thresholds'),
      els.scores),
    h('section', { class: 'distributions', 'aria-labelledby': 'dist-h' },
      h('h2', { id: 'dist-h' }, 'Distributions: reference vs this batch'),
      h('div', { class: 'controls' }, h('label', { class: 'control', id: 'feature-label' }, h('span', { class: 'control-label' }, 'Feature'), els.featureSlot), els.featureStats),
      els.distributions),
    h('section', { class: 'timeline', 'aria-labelledby': 'timeline-h' },
      h('h2', { id: 'timeline-h' }, 'Timeline'),
      els.timelineNote,
      els.timeline),
  );
}

// ------------------------------------------------------------------------------------------ parts

function renderHeader(d: DataMessage): void {
  const r = d.report;
  els.title.textContent = `Drift report — ${r.batch}`;
  document.title = `Drift: ${r.batch}`;
  clear(els.meta);
  els.meta.append(metaLine(r));
  clear(els.banners);
  if (d.newer) {
    els.banners.append(h('div', { class: 'banner newer' },
      h('span', { class: 'codicon codicon-info', 'aria-hidden': 'true' }),
      ' A newer report of this monitor is available: ',
      h('strong', {}, d.newer.batch),
      ` (${new Date(d.newer.time).toLocaleString()}). `,
      h('button', { class: 'link', 'data-fk': 'open-newer', onclick: () => vscode.post({ type: 'openReport', reportId: d.newer!.id }) }, 'Show the newer report')));
  }
  // Retrain: only with a model; disabled (with the reason) when no pipeline of the model has the drift trigger.
  els.retrain.hidden = !d.retrain;
  if (d.retrain) {
    const n = d.retrain.pipelines;
    els.retrain.toggleAttribute('disabled', n === 0);
    els.retrain.setAttribute('title', n ? `Start the ${n} pipeline${n === 1 ? '' : 's'} of ${d.retrain.model} with the drift trigger` : `No pipeline of ${d.retrain.model} has the drift trigger (triggers: drift: true)`);
  }
  clear(els.cards);
  els.cards.append(summaryCards(d));
  clear(els.performance);
  const perf = performanceSection(r);
  if (perf) els.performance.append(perf);
  clear(els.alerts);
  els.alerts.append(alertsSection(d.alerts));
  const drifted = r.columns.filter((c) => c.drifted).length;
  els.legend.textContent = `${r.columns.length} features, ${drifted} drifted (marked ⚠ and highlighted). Click a header to sort (again to reverse); click a feature to see its distribution.`;
}

function renderTable(d: DataMessage): void {
  clear(els.table);
  els.table.append(featureTable(d.report.columns, settings.sort, selectedFeature(d), actions));
}

function renderScores(d: DataMessage): void {
  clear(els.scores);
  const kinds = KINDS.filter((k) => d.report.columns.some((c) => c.scoreKind === k));
  for (const kind of KINDS) {
    const bars = scoreBars(d.report.columns, kind);
    const name = `scores-${kind}`;
    if (!bars.length) {
      charts.destroy(name);
      continue;
    }
    const drifted = bars.filter((b) => b.drifted).map((b) => b.name);
    const { figure, canvas } = chartCard(name, SCORE_TEXT[kind].title, SCORE_TEXT[kind].note, 70 + bars.length * 30, `Bar chart of ${bars.length} features' ${kind === 'p_value' ? 'p-values' : 'distances'} against their thresholds; drifted: ${drifted.join(', ') || 'none'}.`, kinds.length === 1);
    els.scores.append(figure);
    charts.create(name, canvas, scoresConfig(bars, kind, theme) as never, theme);
  }
  if (!els.scores.childElementCount) els.scores.append(h('p', { class: 'muted' }, 'No feature could be tested.'));
}

function featureControl(d: DataMessage, feature: string | null): void {
  const cols = d.report.columns;
  const sig = JSON.stringify(cols.map((c) => [c.name, c.drifted]));
  if (sig !== featureSignature) {
    featureSignature = sig;
    clear(els.featureSlot);
    els.featureSlot.append(h('vscode-single-select', {
      'aria-labelledby': 'feature-label',
      'data-fk': 'feature-select',
      class: 'feature-select',
      onchange: (e: Event) => actions.select((e.target as HTMLElementTagNameMap['vscode-single-select']).value),
    }, cols.map((c) => h('vscode-option', { value: c.name, selected: c.name === feature }, `${c.drifted ? '⚠ ' : ''}${c.name}`))));
  }
  const sel = els.featureSlot.querySelector('vscode-single-select') as HTMLElementTagNameMap['vscode-single-select'] | null;
  if (sel && feature !== null && sel.value !== feature) sel.value = feature;
}

function renderHistograms(d: DataMessage): number {
  const feature = selectedFeature(d);
  featureControl(d, feature);
  clear(els.distributions);
  const col = d.report.columns.find((c) => c.name === feature);
  let bins = 0;
  const hs = histogramShares(col?.histogram);
  if (col && hs) {
    bins = hs.labels.length;
    const note = hs.kind === 'numeric' ? 'Share of each side\'s values per bin; both sides use the same bin edges.' : `Share of each side's values per category${col.histogram.kind === 'categorical' && col.histogram.otherCategories ? `; ${col.histogram.otherCategories} rarer categories summed in the last bar` : ''}.`;
    const { figure, canvas } = chartCard('histogram', `${col.drifted ? '⚠ ' : ''}${truncate(col.name, 60)}: reference vs this batch`, note, 320, `Histogram of ${col.name}: reference and this batch as shares over ${bins} ${hs.kind === 'numeric' ? 'bins' : 'categories'}.`, true);
    els.distributions.append(figure);
    charts.create('histogram', canvas, histogramConfig(hs, col.name, theme) as never, theme);
    const rs = col.referenceSummary;
    const cs = col.currentSummary;
    els.featureStats.textContent = rs.kind === 'numeric' && cs.kind === 'numeric'
      ? `mean ${fmt(rs.mean)} → ${fmt(cs.mean)}, std ${fmt(rs.std)} → ${fmt(cs.std)}`
      : rs.kind === 'categorical' && cs.kind === 'categorical' ? `most frequent ${rs.top ?? '—'} → ${cs.top ?? '—'}` : '';
  } else {
    charts.destroy('histogram');
    els.featureStats.textContent = '';
    els.distributions.append(h('p', { class: 'muted' }, col ? `${col.name} has no values to draw.` : 'No feature.'));
  }
  const p = d.report.prediction;
  const ps = histogramShares(p?.histogram);
  if (p && ps) {
    const { figure, canvas } = chartCard('prediction', `${p.drifted ? '⚠ ' : ''}Predictions: reference vs this batch`, `The model's predictions on the reference and on this batch (${p.method}, ${p.drifted ? 'drifted' : 'no drift'}).`, 300, `Histogram of the model's predictions on the reference and on this batch over ${ps.labels.length} ${ps.kind === 'numeric' ? 'bins' : 'classes'}.`, true);
    els.distributions.append(figure);
    charts.create('prediction', canvas, histogramConfig(ps, 'prediction', theme) as never, theme);
  } else charts.destroy('prediction');
  return bins;
}

const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : String(Number(v.toPrecision(4))));

function renderTimeline(d: DataMessage): void {
  clear(els.timeline);
  const hist = d.history;
  const current = hist.findIndex((x) => x.id === d.report.id);
  const order = d.report.columns.map((c) => c.name);
  els.timelineNote.textContent = hist.length > 1
    ? `${hist.length} reports of this monitor (same ${d.report.model ? 'model and ' : ''}reference), oldest first; this batch is shaded, drifted points are triangles. Click a point, or a batch below, to open that batch's report.`
    : 'Only this report so far for this monitor (same model and reference): check more batches to see a trend.';
  for (const kind of KINDS) {
    const tl = timeline(hist, kind, order);
    const name = `timeline-${kind}`;
    if (!tl.series.length) {
      charts.destroy(name);
      continue;
    }
    const { figure, canvas } = chartCard(name, TIMELINE_TEXT[kind].title, kind === 'p_value' ? 'Higher = stronger evidence of drift; above the dashed threshold line = drifted.' : 'At or above the dashed threshold line = drifted.', 320, `Line chart of ${tl.series.length} features' ${kind === 'p_value' ? '−log10 p-values' : 'distances'} across ${tl.labels.length} batches.`, true);
    els.timeline.append(figure);
    charts.create(name, canvas, timelineConfig(tl, kind, theme, current, selectedFeature(d), (i) => {
      const id = tl.ids[i];
      if (id && id !== d.report.id) vscode.post({ type: 'openReport', reportId: id });
    }) as never, theme);
  }
  // The same choice from the keyboard (and for screen readers): one button per batch, this one marked as current.
  if (hist.length > 1) {
    els.timeline.append(h('nav', { class: 'batches', 'aria-label': 'Reports of this monitor, oldest first' },
      hist.map((x) => {
        const here = x.id === d.report.id;
        const drifted = x.columns.filter((c) => c.drifted).length;
        return h('button', {
          class: `batch${here ? ' current' : ''}`,
          'data-fk': `batch:${x.id}`,
          'aria-current': here ? 'true' : undefined,
          disabled: here,
          title: `${x.batch} · ${new Date(x.time).toLocaleString()} · ${x.rows} rows · ${drifted} drifted feature${drifted === 1 ? '' : 's'}`,
          onclick: () => vscode.post({ type: 'openReport', reportId: x.id }),
        }, drifted ? '⚠ ' : '', x.batch);
      })));
  }
}

// ------------------------------------------------------------------------------------------ render

function render(parts: Parts = ALL): void {
  if (!data) return;
  const t0 = measureFrom ?? performance.now();
  const seq = ++renderSeq;
  const fk = focusKey();
  const d = data;
  if (parts.header) renderHeader(d);
  if (parts.table) renderTable(d);
  if (parts.scores) renderScores(d);
  let bins = Number(app.dataset.histogramBins ?? 0);
  if (parts.histogram) bins = renderHistograms(d);
  if (parts.timeline) renderTimeline(d);
  restoreFocus(app, fk);
  void afterPaint().then(() => {
    if (seq !== renderSeq) return;
    const renderMs = performance.now() - t0;
    const sinceRequestMs = requestedAt !== null ? Date.now() - requestedAt : null;
    requestedAt = null;
    measureFrom = null;
    const rows = app.querySelectorAll('table.features tbody tr').length;
    const drifted = app.querySelectorAll('table.features tbody tr.drifted').length;
    const feature = selectedFeature(d);
    Object.assign(app.dataset, {
      rendered: String(seq),
      reportId: d.report.id,
      theme: theme.kind,
      rows: String(rows),
      drifted: String(drifted),
      charts: charts.names.join(','),
      feature: feature ?? '',
      histogramBins: String(bins),
      sort: settings.sort ? `${settings.sort.key}:${settings.sort.descending ? 'desc' : 'asc'}` : '',
    });
    vscode.post({
      type: 'rendered',
      reportId: d.report.id,
      rows,
      drifted,
      charts: charts.names.length,
      chartNames: charts.names,
      feature,
      histogramBins: bins,
      timelinePoints: d.history.length,
      sort: settings.sort,
      theme: theme.kind,
      renderMs,
      sinceRequestMs,
    });
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

function showGone(reason: string): void {
  if (!layoutBuilt) {
    clear(app);
    app.append(h('div', { class: 'banner gone' }, h('span', { class: 'codicon codicon-warning', 'aria-hidden': 'true' }), ' ', reason));
    return;
  }
  clear(els.banners);
  els.banners.append(h('div', { class: 'banner gone' }, h('span', { class: 'codicon codicon-warning', 'aria-hidden': 'true' }), ' ', reason, ' What is shown is the report as it was.'));
}

vscode.onMessage((msg) => {
  switch (msg.type) {
    case 'data': {
      measureFrom = performance.now();
      if (msg.settings) settings = normalizeDriftSettings(msg.settings);
      if (typeof msg.requestedAt === 'number') requestedAt = msg.requestedAt;
      data = msg;
      if (!layoutBuilt) buildLayout();
      persist();
      render(ALL);
      break;
    }
    case 'select':
      if (typeof msg.feature === 'string') actions.select(msg.feature);
      break;
    case 'gone':
      showGone(msg.reason);
      break;
    case 'requestPng':
      vscode.post({ type: 'png', requestId: msg.requestId, name: msg.chart, dataUrl: charts.png(msg.chart) });
      break;
  }
});

onThemeChange(() => {
  theme = readTheme();
  render({ scores: true, histogram: true, timeline: true });
});
