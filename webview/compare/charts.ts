/**
 * The compare charts (chart.js, registering only the controllers, elements, scales and plugins used):
 *   bars        a horizontal bar chart per chosen metric across the shown runs, best first (best green, baseline
 *               purple); past 40 runs it scrolls in its own box, a bar per run tall enough for its label
 *   history     a chosen metric by step, a line per run that logged it at several steps (hundreds of runs: each line
 *               downsampled, thin and translucent, the best run's and the baseline's drawn on top)
 *   scatter     any param against any metric, a point per run
 *   pcp         parallel coordinates over chosen params and one metric (chartjs-chart-pcp), coloured by the metric;
 *               thin lines when runs are many, the hovered run's line highlighted and drawn on top
 *   importance  feature importance as grouped bars (features × runs)
 * Colours, fonts and grid lines come from the VS Code theme (see theme.ts); charts are rebuilt on theme change.
 * Chart text (run names, keys) is drawn on the canvas, never parsed as HTML.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type TooltipItem,
} from 'chart.js';
import { LinearAxis, LineSegment, ParallelCoordinatesController, PCPScale } from 'chartjs-chart-pcp';
import { CHART_KINDS, type ChartKind, type ChartSettings, compareParamValues, type Comparison, formatDelta, formatNumber, formatValue, isBetter, type MetricRow } from '../../src/core/compare/model';
import { type ComparedValue, comparedLabel, lttb } from '../../src/core/compare/series';
import type { CompareRunView, ParamValue } from '../../src/shared/protocol';
import { background, pngButton, truncate } from '../common/charts';
import { clear, h } from '../common/dom';
import { mix, parseColor, rgba, type ThemeColors } from '../common/theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Legend, Title, Tooltip, ParallelCoordinatesController, PCPScale, LineSegment);
Chart.registry.addElements(LinearAxis);

export const CHART_TITLES: Record<ChartKind, string> = {
  bars: 'Metrics',
  history: 'History',
  scatter: 'Scatter',
  pcp: 'Parallel coordinates',
  importance: 'Feature importance',
};

/** At most this many runs in the grouped importance bars (more are unreadable); the first ones in display order. */
const MAX_IMPORTANCE_RUNS = 12;
const MAX_IMPORTANCE_FEATURES = 15;
const MAX_LEGEND = 16;

export interface ChartInputs {
  cmp: Comparison<CompareRunView>;
  /** Each run's place in the comparison as given: its colour, whatever the sort. */
  runIndex: Map<string, number>;
  chartSettings: ChartSettings;
  primaryMetric: string | null;
  /** Which value of each metric the runs' metrics hold (named in the bar charts' titles). */
  compared: ComparedValue;
  theme: ThemeColors;
  /** The step histories are on their way (see the data message's `historiesPending`): runs carry their keys only. */
  historiesPending?: boolean;
}

/** Bar charts past this many runs scroll in a box of BAR_BOX_HEIGHT px. */
const BAR_SCROLL_FROM = 40;
const BAR_BOX_HEIGHT = 560;
/** Past this many runs, lines (history, parallel coordinates) are thin and translucent. */
const MANY_LINES = 50;
/** The most points the history chart draws over all its lines (see renderHistory). */
const HISTORY_POINTS = 60_000;

/** A theme colour at `alpha` (colours chart.js cannot parse are kept as they are). */
function fade(color: string, alpha: number): string {
  const c = parseColor(color);
  return c ? rgba(c, alpha) : color;
}

/** Draws the active (hovered) elements again over the rest: a hovered line of 500 is not hidden under the others. */
const hoveredOnTop: Plugin = {
  id: 'mlopsHoveredOnTop',
  afterDatasetsDraw(chart) {
    const active = chart.getActiveElements();
    if (!active.length) return;
    const { ctx } = chart;
    const indexes = new Set(active.map((a) => a.index));
    chart.getSortedVisibleDatasetMetas().forEach((meta) => {
      for (const i of indexes) (meta.data[i] as unknown as { draw?(c: CanvasRenderingContext2D, area: unknown): void } | undefined)?.draw?.(ctx, chart.chartArea);
    });
  },
};

export interface ChartsHost {
  /** The user changed a chart choice (tab, metric, param). */
  change(partial: Partial<ChartSettings>): void;
  savePng(name: string, dataUrl: string): void;
}

interface Drawn {
  chart: Chart;
  name: string;
  /** The chart as a PNG when the canvas shows only part of it (a windowed bar chart). */
  png?: () => string;
}

/** Writes a label beside each point of the first dataset. */
function pointLabels(labels: string[], color: string): Plugin {
  return {
    id: 'mlopsPointLabels',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.fillStyle = color;
      ctx.font = `11px ${Chart.defaults.font.family}`;
      ctx.textBaseline = 'middle';
      meta.data.forEach((el, i) => {
        const { x, y } = el.getProps(['x', 'y'], true) as { x: number; y: number };
        const text = labels[i] ?? '';
        const w = ctx.measureText(text).width;
        const right = x + 9 + w > chart.chartArea.right;
        ctx.textAlign = right ? 'right' : 'left';
        ctx.fillText(text, right ? x - 9 : x + 9, y);
      });
      ctx.restore();
    },
  };
}

function dirText(m: MetricRow): string {
  return m.direction === 'min' ? 'lower is better' : 'higher is better';
}

/** A param's values on an axis: numbers as they are; anything else as ordered categories. */
function paramScale(values: (ParamValue | undefined)[]): { numeric: boolean; labels: string[]; at(v: ParamValue | undefined): number | null } {
  const defined = values.filter((v): v is ParamValue => v !== undefined);
  if (defined.length && defined.every((v) => typeof v === 'number')) return { numeric: true, labels: [], at: (v) => (typeof v === 'number' ? v : null) };
  const distinct: ParamValue[] = [];
  for (const v of defined) if (!distinct.some((d) => formatValue(d) === formatValue(v))) distinct.push(v);
  distinct.sort(compareParamValues);
  const labels = distinct.map((v) => formatValue(v));
  return { numeric: false, labels, at: (v) => (v === undefined ? null : labels.indexOf(formatValue(v))) };
}

export class ChartsView {
  readonly element: HTMLElement;
  private tabs: HTMLElementTagNameMap['vscode-tabs'];
  private panels = new Map<ChartKind, { controls: HTMLElement; grid: HTMLElement; signature: string }>();
  private drawn: Drawn[] = [];
  /** Charts of the cards being built, created once the panel is laid out. */
  private pending: (() => void)[] = [];
  private token = 0;
  private activeTab: ChartKind = 'bars';
  private inputs: ChartInputs | undefined;

  constructor(private readonly host: ChartsHost) {
    this.tabs = h('vscode-tabs', { class: 'chart-tabs', 'aria-label': 'Charts' });
    for (const kind of CHART_KINDS) {
      this.tabs.append(h('vscode-tab-header', { slot: 'header', id: `tab-${kind}`, 'data-kind': kind }, CHART_TITLES[kind]));
      const controls = h('div', { class: 'chart-controls' });
      const grid = h('div', { class: 'chart-grid' });
      this.tabs.append(h('vscode-tab-panel', { 'data-kind': kind, 'aria-labelledby': `tab-${kind}` }, controls, grid));
      this.panels.set(kind, { controls, grid, signature: '' });
    }
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const kind = CHART_KINDS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex];
      if (kind && kind !== this.activeTab) this.host.change({ tab: kind });
    });
    this.element = this.tabs;
  }

  get tab(): ChartKind {
    return this.activeTab;
  }

  /**
   * Draw the charts of the selected tab (the others are drawn when shown). The cards are built at once; the
   * charts are created once vscode-tabs has rendered (before that its panels are not laid out, and a chart
   * created at 0 × 0 — parallel coordinates in particular — does not recover). Resolves with how many were drawn.
   */
  async render(inputs: ChartInputs): Promise<number> {
    this.inputs = inputs;
    this.destroy();
    const token = this.token;
    const kind = inputs.chartSettings.tab;
    this.activeTab = kind;
    const index = CHART_KINDS.indexOf(kind);
    if (this.tabs.selectedIndex !== index) this.tabs.selectedIndex = index;
    // vscode-tabs shows the selected panel on its next update; show it now, so charts are created at their real
    // size (a chart created in a hidden panel starts at 0 × 0, and parallel coordinates never recover from that).
    this.tabs.querySelectorAll('vscode-tab-panel').forEach((p, i) => {
      (p as HTMLElement).hidden = i !== index;
    });
    for (const [k, p] of this.panels) if (k !== kind) clear(p.grid);
    const t = inputs.theme;
    Chart.defaults.color = t.fg;
    Chart.defaults.borderColor = t.grid;
    Chart.defaults.font.family = t.font;
    Chart.defaults.font.size = 12;
    const panel = this.panels.get(kind)!;
    clear(panel.grid);
    switch (kind) {
      case 'bars':
        this.renderBars(panel, inputs);
        break;
      case 'history':
        this.renderHistory(panel, inputs);
        break;
      case 'scatter':
        this.renderScatter(panel, inputs);
        break;
      case 'pcp':
        this.renderPcp(panel, inputs);
        break;
      case 'importance':
        this.renderImportance(panel, inputs);
        break;
    }
    const pending = this.pending;
    this.pending = [];
    await this.tabs.updateComplete;
    await Promise.all([...this.tabs.querySelectorAll('vscode-tab-panel')].map((p) => (p as unknown as { updateComplete: Promise<unknown> }).updateComplete));
    if (token !== this.token) return 0;
    // The charts are created in the next frame: the tab's own change (header, panel, controls) is painted first, so
    // that the two never add up to one long frame (at 500 runs a chart alone takes most of a frame's 100 ms).
    await new Promise<void>((r) => {
      requestAnimationFrame(() => setTimeout(r, 0));
      setTimeout(r, 100); // a hidden panel gets no animation frames
    });
    if (token !== this.token) return 0;
    for (const create of pending) create();
    return this.drawn.length;
  }

  destroy(): void {
    this.token++;
    this.pending = [];
    for (const d of this.drawn) d.chart.destroy();
    this.drawn = [];
  }

  /** The `index`-th chart of the shown tab as a PNG data URL. */
  png(index: number): { name: string; dataUrl: string } | null {
    const d = this.drawn[index];
    return d ? { name: d.name, dataUrl: d.png ? d.png() : d.chart.toBase64Image('image/png', 1) } : null;
  }

  // ------------------------------------------------------------------------------ controls

  /** Rebuild a tab's controls only when their options changed, so an open dropdown is not torn down. */
  private controls(panel: { controls: HTMLElement; signature: string }, signature: string, build: () => (HTMLElement | null)[]): void {
    if (panel.signature === signature && panel.controls.childElementCount) return;
    panel.signature = signature;
    clear(panel.controls);
    for (const el of build()) if (el) panel.controls.append(el);
  }

  private select(label: string, id: string, options: { value: string; label: string }[], value: string | null, onChange: (v: string) => void): HTMLElement {
    const sel = h('vscode-single-select', { id, 'aria-label': label, 'data-fk': id, onchange: (e: Event) => onChange((e.target as HTMLElementTagNameMap['vscode-single-select']).value) },
      options.map((o) => h('vscode-option', { value: o.value, selected: o.value === value }, o.label)));
    return h('label', { class: 'control' }, h('span', { class: 'control-label' }, label), sel);
  }

  private multi(label: string, id: string, options: string[], values: string[], onChange: (v: string[]) => void): HTMLElement {
    const sel = h('vscode-multi-select', { id, 'aria-label': label, 'data-fk': id, onchange: (e: Event) => onChange([...(e.target as HTMLElementTagNameMap['vscode-multi-select']).value]) },
      options.map((o) => h('vscode-option', { value: o, selected: values.includes(o) }, o)));
    return h('label', { class: 'control' }, h('span', { class: 'control-label' }, label), sel);
  }

  private card(grid: HTMLElement, name: string, height: number, config: ChartConfiguration, summary: string, wide = false): void {
    const canvas = h('canvas', { role: 'img', 'aria-label': summary });
    const box = h('div', { class: 'chart-box' }, canvas);
    box.style.height = `${Math.round(height)}px`;
    const finished = this.finish(config);
    this.addCard(grid, name, box, wide, () => ({ chart: new Chart(canvas, finished), name }));
  }

  /** A card with its PNG button around `body`; `create` makes its chart once the panel is laid out. */
  private addCard(grid: HTMLElement, name: string, body: HTMLElement, wide: boolean, create: () => Drawn): void {
    const index = this.drawn.length + this.pending.length;
    const save = pngButton(name, `png:${this.activeTab}:${name}`, () => {
      const p = this.png(index);
      if (p) this.host.savePng(p.name, p.dataUrl);
    });
    grid.append(h('figure', { class: `chart-card${wide ? ' wide' : ''}`, 'data-chart': name }, h('div', { class: 'chart-actions' }, save), body));
    this.pending.push(() => this.drawn.push(create()));
  }

  /** The options every chart here shares: the theme's background in PNGs, no animation, the card's size. */
  private finish<C extends ChartConfiguration>(config: C): C {
    config.plugins = [...(config.plugins ?? []), background(this.inputs!.theme.bg)];
    const opts = (config.options ??= {}) as Record<string, unknown>;
    Object.assign(opts, { animation: false, responsive: true, maintainAspectRatio: false });
    return config;
  }

  private empty(grid: HTMLElement, text: string): void {
    grid.append(h('p', { class: 'muted empty' }, text));
  }

  private axisTitle(text: string, t: ThemeColors) {
    return { display: true, text, color: t.fg, font: { weight: 'bold' as const } };
  }

  private titlePlugin(text: string, t: ThemeColors) {
    return { display: true, text, color: t.fg, align: 'start' as const, font: { size: 13, weight: 'bold' as const } };
  }

  // ------------------------------------------------------------------------------ bars

  private renderBars(panel: { controls: HTMLElement; grid: HTMLElement; signature: string }, inp: ChartInputs): void {
    const { cmp, theme: t } = inp;
    const keys = cmp.metrics.map((m) => m.key);
    const chosen = inp.chartSettings.barMetrics.filter((k) => keys.includes(k));
    const metrics = chosen.length ? chosen : [inp.primaryMetric && keys.includes(inp.primaryMetric) ? inp.primaryMetric : keys[0]].filter(Boolean);
    this.controls(panel, `bars|${keys.join(',')}|${metrics.join(',')}`, () => [
      this.multi('Metrics', 'bar-metrics', keys, metrics, (v) => this.host.change({ barMetrics: v })),
    ]);
    if (!cmp.runs.length || !keys.length) return this.empty(panel.grid, cmp.runs.length ? 'No metrics logged.' : 'Every run is hidden.');
    const valueName = inp.compared.kind === 'last' ? '' : `, ${comparedLabel(inp.compared)}`;
    for (const key of metrics) {
      const m = cmp.metrics.find((x) => x.key === key)!;
      const finite = (i: number) => m.values[i] !== undefined && Number.isFinite(m.values[i]);
      // Best first (ties keep the table's order), runs without a value last: at 500 runs the best is at the top.
      const order = cmp.runs.map((_r, i) => i).sort((a, b) => {
        if (finite(a) !== finite(b)) return finite(a) ? -1 : 1;
        if (!finite(a)) return a - b;
        const va = m.values[a]!;
        const vb = m.values[b]!;
        return isBetter(va, vb, m.direction) ? -1 : isBetter(vb, va, m.direction) ? 1 : a - b;
      });
      const values = order.map((i) => (finite(i) ? m.values[i]! : null));
      const colors = order.map((i) => (m.isBest[i] ? t.best : cmp.baseline?.id === cmp.runs[i].id ? t.baseline : t.bar));
      const labels = order.map((i) => cmp.runs[i].name);
      const allPositive = values.every((v) => v === null || v >= 0);
      const shown = values.filter((v): v is number => v !== null);
      // The value range of all bars, so that every window of a long chart has the same axis.
      const range = shown.length ? { suggestedMin: Math.min(...shown), suggestedMax: Math.max(...shown) } : {};
      const bestIdx = m.isBest.indexOf(true);
      const n = cmp.runs.length;
      // The bars from `from` (inclusive) to `to` (exclusive) of the sorted runs. A window of a long chart keeps the
      // whole chart's value axis (suggestedMin/Max: the same nice ticks in every window) and its label width.
      const configOf = (from: number, to: number, labelWidth?: number): ChartConfiguration<'bar'> => ({
        type: 'bar',
        data: { labels: labels.slice(from, to), datasets: [{ label: key, data: values.slice(from, to), backgroundColor: colors.slice(from, to), borderColor: colors.slice(from, to), borderWidth: 1, barPercentage: 0.8, categoryPercentage: 0.9 }] },
        options: {
          indexAxis: 'y',
          scales: {
            x: {
              beginAtZero: allPositive,
              ...(from > 0 || to < n ? range : {}),
              grid: { color: t.grid },
              ticks: { color: t.muted },
              title: this.axisTitle(`${key} (${dirText(m)})`, t),
            },
            y: {
              grid: { display: false },
              ticks: { color: t.fg, autoSkip: false, callback(this: { getLabelForValue(v: number): string }, v) { return truncate(this.getLabelForValue(Number(v))); } },
              ...(labelWidth !== undefined ? { afterFit: (scale: { width: number }) => { scale.width = labelWidth; } } : {}),
            },
          },
          plugins: {
            legend: { display: false },
            title: this.titlePlugin(`${key}${valueName} — best first${to - from < n ? `: ${(from + 1).toLocaleString('en')}–${to.toLocaleString('en')} of ${n.toLocaleString('en')} runs (scroll for more)` : ''}`, t),
            tooltip: {
              callbacks: {
                label: (item: TooltipItem<'bar'>) => {
                  const i = order[from + item.dataIndex];
                  const v = m.values[i];
                  let s = `${key}: ${v === undefined ? 'not logged' : formatNumber(v)}`;
                  if (m.isBest[i]) s += ' ★ best';
                  const d = m.deltas[i];
                  if (d !== undefined && cmp.baseline && cmp.baseline.id !== cmp.runs[i].id) s += ` (Δ ${formatDelta(d)} vs baseline)`;
                  return s;
                },
              },
            },
          },
        },
      });
      const summary = `Bar chart of ${key}${valueName} across ${n} runs, best first${bestIdx >= 0 ? `; best ${cmp.runs[bestIdx].name} ${formatNumber(m.values[bestIdx]!)}` : ''}.`;
      // Thinner bars as runs add up: 50 runs at 22 px made a 1,160 px canvas (a screen and a half to scroll, and
      // allocating and painting it was a third of the panel's draw time); at 15 px it is 810 px.
      const perBar = n <= 10 ? 22 : n <= 25 ? 18 : n <= 100 ? 15 : 14;
      if (n <= BAR_SCROLL_FROM) this.card(panel.grid, key, 60 + n * perBar, configOf(0, n) as ChartConfiguration, summary, metrics.length === 1);
      else this.windowedBars(panel.grid, key, { n, perBar, labels, configOf }, summary, metrics.length === 1);
    }
  }

  /**
   * A bar chart of many runs, one bar per run, that scrolls in a box of BAR_BOX_HEIGHT px and draws only the bars in
   * view. The box holds a spacer as tall as the whole chart (60 px + a bar's height per run) and, stuck to the top of
   * the view, one chart of the bars in view, whose data follow the scroll position. Not one canvas of the whole chart:
   * at 500 runs that was 7,060 px tall, and creating and painting it took 160–210 ms in headless Chromium, a frame of
   * over 100 ms when its tab was shown. chart.js has no windowed category axis (its category `min`/`max` still lays
   * out and draws every bar), so the window is the data itself. The PNG export draws the whole chart once, off screen.
   */
  private windowedBars(
    grid: HTMLElement,
    name: string,
    bars: { n: number; perBar: number; labels: string[]; configOf: (from: number, to: number, labelWidth?: number) => ChartConfiguration<'bar'> },
    summary: string,
    wide: boolean,
  ): void {
    const { n, perBar } = bars;
    const fullHeight = 60 + n * perBar;
    const inView = Math.min(n, Math.floor((BAR_BOX_HEIGHT - 60) / perBar));
    const labelWidth = this.labelWidth(bars.labels);
    let from = 0;
    const canvas = h('canvas', { role: 'img', 'aria-label': summary });
    const box = h('div', { class: 'chart-box chart-window' }, canvas);
    box.style.height = `${BAR_BOX_HEIGHT}px`;
    const spacer = h('div', { class: 'chart-spacer' }, box);
    spacer.style.height = `${fullHeight}px`;
    const scroller = h('div', { class: 'chart-scroll', tabindex: 0, role: 'region', 'aria-label': `${name}: scroll for every run` }, spacer);
    scroller.style.maxHeight = `${BAR_BOX_HEIGHT}px`;
    let chart: Chart | undefined;
    let queued = false;
    scroller.addEventListener('scroll', () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        const next = Math.max(0, Math.min(n - inView, Math.round(scroller.scrollTop / perBar)));
        if (!chart || next === from) return;
        from = next;
        // The window's bars, and its options (the tooltip names the runs of this window).
        const c = this.finish(bars.configOf(from, from + inView, labelWidth));
        chart.data = c.data as typeof chart.data;
        chart.options = c.options as typeof chart.options;
        chart.update('none');
        canvas.dataset.from = String(from);
      });
    }, { passive: true });
    canvas.dataset.from = '0';
    canvas.dataset.bars = String(inView);
    const first = this.finish(bars.configOf(0, inView, labelWidth));
    this.addCard(grid, name, scroller, wide, () => {
      chart = new Chart(canvas, first);
      return { chart, name, png: () => this.offscreenPng(bars.configOf(0, n, labelWidth), box.clientWidth || 800, fullHeight) };
    });
  }

  /** The widest y-axis label of the truncated run names, in px (chart.js's 12 px font), so every window lines up. */
  private labelWidth(labels: string[]): number {
    const ctx = document.createElement('canvas').getContext('2d');
    if (!ctx) return 200;
    ctx.font = `12px ${Chart.defaults.font.family ?? 'sans-serif'}`;
    let widest = 0;
    for (const l of labels) widest = Math.max(widest, ctx.measureText(truncate(l)).width);
    return Math.ceil(widest) + 16;
  }

  /** Draw a chart once on a canvas out of view, at `width` × `height` CSS px, and return it as a PNG data URL. */
  private offscreenPng(config: ChartConfiguration, width: number, height: number): string {
    const canvas = h('canvas', {});
    const holder = h('div', { 'aria-hidden': 'true' }, canvas);
    Object.assign(holder.style, { position: 'fixed', left: '-20000px', top: '0', width: `${width}px`, height: `${height}px` });
    document.body.append(holder);
    try {
      const chart = new Chart(canvas, this.finish(config));
      try {
        return chart.toBase64Image('image/png', 1);
      } finally {
        chart.destroy();
      }
    } finally {
      holder.remove();
    }
  }

  // ------------------------------------------------------------------------------ history

  private renderHistory(panel: { controls: HTMLElement; grid: HTMLElement; signature: string }, inp: ChartInputs): void {
    const { cmp, theme: t } = inp;
    const keys = [...new Set(cmp.runs.flatMap((r) => Object.keys(r.history)))].sort();
    const key = inp.chartSettings.historyMetric && keys.includes(inp.chartSettings.historyMetric) ? inp.chartSettings.historyMetric : keys.includes(inp.primaryMetric ?? '') ? inp.primaryMetric! : keys[0];
    this.controls(panel, `history|${keys.join(',')}|${key}`, () => [
      keys.length ? this.select('Metric', 'history-metric', keys.map((k) => ({ value: k, label: k })), key ?? null, (v) => this.host.change({ historyMetric: v })) : null,
    ]);
    if (inp.historiesPending) return this.empty(panel.grid, `Reading the metric histories of ${cmp.runs.length} runs…`);
    if (!key) return this.empty(panel.grid, 'No shown run logged a metric at more than one step. Log values with steps (e.g. `mlops:metric loss=0.4 step=2`, or `mlops runs create -m loss=0.4@2`) to see their history here.');
    const runs = cmp.runs.map((r, i) => ({ r, i })).filter(({ r }) => r.history[key]?.length);
    const dashes = [[], [6, 3], [2, 2], [10, 3, 2, 3]];
    const many = runs.length > MANY_LINES;
    const mrow = cmp.metrics.find((m) => m.key === key);
    // Downsampling: the extension already sent each series LTTB-downsampled from the full history to its share of
    // the same HISTORY_POINTS (at most 1000 points, 120 at 500 runs: core/compare/series.ts); a line is cut again
    // here only when fewer runs have this metric than were compared, so 500 lines draw in one frame. Not chart.js's decimation plugin:
    // it decimates only datasets with more points than the chart is pixels wide (4 × by default), so 500 lines of
    // 200 points each are drawn whole (100,000 segments), and it would not shrink the message from the extension.
    const perLine = Math.max(40, Math.min(1000, Math.floor(HISTORY_POINTS / Math.max(1, runs.length))));
    const lineOf = ({ r, i }: { r: CompareRunView; i: number }) => {
      const j = inp.runIndex.get(r.id) ?? 0;
      const isBase = cmp.baseline?.id === r.id;
      const isBest = mrow?.isBest[i] === true;
      return { j, isBase, isBest, color: isBest && many ? t.best : t.series[j % t.series.length], pts: lttb(r.history[key], perLine).map(([x, y]) => ({ x, y })) };
    };
    // Many runs: the thin translucent lines of one colour are one dataset (each run's points, then a gap), so 500 runs
    // are about a dozen datasets: chart.js builds and draws those in a fifth of the time of 500 (a 200 ms frame at
    // 500 runs; measured in headless Chromium: 149 → 18 ms for the chart alone). The tooltip names the run of the
    // point (`names`). The best run and the baseline stay datasets of their own, drawn on top.
    type Line = { label: string; data: { x: number; y: number | null }[]; names?: string[]; borderColor: string; backgroundColor: string; borderWidth: number; borderDash: number[]; pointRadius: number; tension: number; parsing: false; spanGaps?: boolean; order: number };
    const datasets: Line[] = [];
    const groups = new Map<string, Line>();
    for (const run of runs) {
      const { j, isBase, isBest, color, pts } = lineOf(run);
      if (many && !isBest && !isBase) {
        const faded = fade(color, 0.35);
        let g = groups.get(faded);
        if (!g) {
          g = { label: '', data: [], names: [], borderColor: faded, backgroundColor: color, borderWidth: 1, borderDash: [], pointRadius: 0, tension: 0, parsing: false, spanGaps: false, order: 1 };
          groups.set(faded, g);
          datasets.push(g);
        }
        for (const p of pts) {
          g.data.push(p);
          g.names!.push(run.r.name);
        }
        g.data.push({ x: pts[pts.length - 1]?.x ?? 0, y: null });
        g.names!.push('');
        continue;
      }
      datasets.push({
        label: run.r.name,
        data: pts,
        borderColor: color,
        backgroundColor: color,
        borderWidth: isBase || (many && isBest) ? 3 : many ? 1 : 1.5,
        borderDash: many ? [] : dashes[Math.floor(j / t.series.length) % dashes.length],
        pointRadius: pts.length > 60 || many ? 0 : 2,
        tension: 0,
        parsing: false as const,
        // Drawn last (on top): the best run's and the baseline's lines.
        order: isBest || isBase ? 0 : 1,
      });
    }
    const config: ChartConfiguration<'line'> = {
      type: 'line',
      data: { datasets },
      options: {
        // A merged dataset's x values start again at each run's first step: not sorted, so not `normalized`.
        normalized: !many,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', grid: { color: t.grid }, ticks: { color: t.muted }, title: this.axisTitle('step', t) },
          y: { grid: { color: t.grid }, ticks: { color: t.muted }, title: this.axisTitle(key, t) },
        },
        plugins: {
          legend: { display: runs.length <= MAX_LEGEND, position: 'bottom', labels: { color: t.fg, boxWidth: 14 } },
          title: this.titlePlugin(`${key} by step${many ? ` — ${runs.length} runs${mrow?.best !== undefined ? ', best in green' : ''}` : ''}`, t),
          tooltip: { callbacks: { label: (item: TooltipItem<'line'>) => `${truncate(String((item.dataset as Line).names?.[item.dataIndex] ?? item.dataset.label), 40)}: ${formatNumber(item.parsed.y ?? NaN)} at step ${item.parsed.x}` } },
        },
      },
    };
    this.card(panel.grid, `${key}-history`, 360, config as ChartConfiguration, `Line chart of ${key} by step for ${runs.length} runs.`, true);
    if (runs.length < cmp.runs.length) panel.grid.append(h('p', { class: 'muted note' }, `${cmp.runs.length - runs.length} shown run(s) logged ${key} at one step only.`));
  }

  // ------------------------------------------------------------------------------ scatter

  private renderScatter(panel: { controls: HTMLElement; grid: HTMLElement; signature: string }, inp: ChartInputs): void {
    const { cmp, theme: t } = inp;
    const params = cmp.params.map((p) => p.key);
    const metrics = cmp.metrics.map((m) => m.key);
    const cs = inp.chartSettings;
    const differing = cmp.params.filter((p) => p.differs);
    const defaultParam = (differing.find((p) => p.values.every((v) => typeof v === 'number')) ?? differing[0] ?? cmp.params[0])?.key;
    const param = cs.scatterParam && params.includes(cs.scatterParam) ? cs.scatterParam : defaultParam;
    const metric = cs.scatterMetric && metrics.includes(cs.scatterMetric) ? cs.scatterMetric : inp.primaryMetric && metrics.includes(inp.primaryMetric) ? inp.primaryMetric : metrics[0];
    this.controls(panel, `scatter|${params.join(',')}|${metrics.join(',')}|${param}|${metric}`, () => [
      params.length ? this.select('Param (x)', 'scatter-param', params.map((k) => ({ value: k, label: k })), param ?? null, (v) => this.host.change({ scatterParam: v })) : null,
      metrics.length ? this.select('Metric (y)', 'scatter-metric', metrics.map((k) => ({ value: k, label: k })), metric ?? null, (v) => this.host.change({ scatterMetric: v })) : null,
    ]);
    if (!param || !metric) return this.empty(panel.grid, 'A scatter needs runs with at least one param and one metric.');
    const prow = cmp.params.find((p) => p.key === param)!;
    const mrow = cmp.metrics.find((m) => m.key === metric)!;
    const scale = paramScale(prow.values);
    const points: { x: number; y: number; i: number }[] = [];
    cmp.runs.forEach((_r, i) => {
      const x = scale.at(prow.values[i]);
      const y = mrow.values[i];
      if (x !== null && y !== undefined && Number.isFinite(y)) points.push({ x, y, i });
    });
    const colors = points.map((p) => (mrow.isBest[p.i] ? t.best : cmp.baseline?.id === cmp.runs[p.i].id ? t.baseline : t.bar));
    const labels = scale.labels;
    const config: ChartConfiguration<'scatter'> = {
      type: 'scatter',
      data: { datasets: [{ label: `${metric} vs ${param}`, data: points.map((p) => ({ x: p.x, y: p.y })), backgroundColor: colors, borderColor: colors, pointRadius: 6, pointHoverRadius: 8 }] },
      options: {
        scales: {
          x: {
            type: 'linear',
            grid: { color: t.grid },
            title: this.axisTitle(param, t),
            ...(scale.numeric
              ? { grace: '6%', ticks: { color: t.muted } }
              : { min: -0.5, max: labels.length - 0.5, ticks: { color: t.muted, stepSize: 1, callback: (v: string | number) => (Number.isInteger(Number(v)) ? truncate(labels[Number(v)] ?? '', 16) : '') } }),
          },
          y: { grace: '8%', grid: { color: t.grid }, ticks: { color: t.muted }, title: this.axisTitle(`${metric} (${dirText(mrow)})`, t) },
        },
        plugins: {
          legend: { display: false },
          title: this.titlePlugin(`${metric} vs ${param}`, t),
          tooltip: {
            callbacks: {
              label: (item: TooltipItem<'scatter'>) => {
                const p = points[item.dataIndex];
                const r = cmp.runs[p.i];
                return `${truncate(r.name, 40)}: ${param} = ${formatValue(prow.values[p.i])}, ${metric} = ${formatNumber(p.y)}${mrow.isBest[p.i] ? ' ★' : ''}`;
              },
            },
          },
        },
      },
    };
    // Few points: name them next to the dot (drawn on the canvas, so exported PNGs keep the names).
    if (points.length <= 20) config.plugins = [pointLabels(points.map((p) => truncate(cmp.runs[p.i].name, 24)), t.muted)];
    this.card(panel.grid, `${metric}-vs-${param}`, 360, config as ChartConfiguration, `Scatter of ${metric} against ${param} for ${points.length} runs.`, true);
  }

  // ------------------------------------------------------------------------------ parallel coordinates

  private renderPcp(panel: { controls: HTMLElement; grid: HTMLElement; signature: string }, inp: ChartInputs): void {
    const { cmp, theme: t } = inp;
    const params = cmp.params.map((p) => p.key);
    const metrics = cmp.metrics.map((m) => m.key);
    const cs = inp.chartSettings;
    const chosen = cs.pcpParams.filter((k) => params.includes(k));
    const axes = chosen.length ? chosen : cmp.params.filter((p) => p.differs).slice(0, 6).map((p) => p.key);
    const metric = cs.pcpMetric && metrics.includes(cs.pcpMetric) ? cs.pcpMetric : inp.primaryMetric && metrics.includes(inp.primaryMetric) ? inp.primaryMetric : metrics[0];
    this.controls(panel, `pcp|${params.join(',')}|${metrics.join(',')}|${axes.join(',')}|${metric}`, () => [
      params.length ? this.multi('Params', 'pcp-params', params, axes, (v) => this.host.change({ pcpParams: v })) : null,
      metrics.length ? this.select('Metric', 'pcp-metric', metrics.map((k) => ({ value: k, label: k })), metric ?? null, (v) => this.host.change({ pcpMetric: v })) : null,
    ]);
    if (!axes.length || !metric) return this.empty(panel.grid, axes.length ? 'No metrics logged.' : 'Pick params for the axes (no param differs across the shown runs).');
    const mrow = cmp.metrics.find((m) => m.key === metric)!;
    const many = cmp.runs.length > MANY_LINES;
    const finite = mrow.values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const colors = mrow.values.map((v) => {
      if (v === undefined || !Number.isFinite(v)) return t.muted;
      const q = hi > lo ? (v - lo) / (hi - lo) : 1;
      const goodness = mrow.direction === 'min' ? 1 - q : q;
      return rgba(mix(t.worstRgb, t.bestRgb, goodness), many ? 0.45 : 0.9);
    });
    // Hundreds of lines: thin and translucent, the best and the baseline thick; the hovered line is highlighted
    // whole (every segment: chartjs-chart-pcp's hover style) and drawn again on top (hoveredOnTop).
    const widths = cmp.runs.map((r, i) => (mrow.isBest[i] || cmp.baseline?.id === r.id ? 3.5 : many ? 0.8 : 1.8));
    const datasets = axes.map((key) => {
      const row = cmp.params.find((p) => p.key === key)!;
      const scale = paramScale(row.values);
      return {
        label: key,
        data: row.values.map((v) => scale.at(v) ?? NaN),
        borderColor: colors,
        borderWidth: widths,
        hoverBorderColor: t.fg,
        hoverBorderWidth: 4,
        ...(scale.numeric ? {} : { min: -0.5, max: Math.max(0.5, scale.labels.length - 0.5), ticks: { stepSize: 1, color: t.muted, callback: (v: string | number) => (Number.isInteger(Number(v)) ? truncate(scale.labels[Number(v)] ?? '', 14) : '') } }),
      };
    });
    datasets.push({ label: `${metric} (${mrow.direction === 'min' ? '↓' : '↑'})`, data: mrow.values.map((v) => v ?? NaN), borderColor: colors, borderWidth: widths, hoverBorderColor: t.fg, hoverBorderWidth: 4 });
    const config = {
      type: 'pcp',
      data: { labels: cmp.runs.map((r) => r.name), datasets },
      plugins: [hoveredOnTop],
      options: {
        interaction: { mode: 'nearest', intersect: true },
        plugins: {
          legend: { display: false },
          title: this.titlePlugin(`${axes.join(' · ')} → ${metric} (colour: ${metric}, green = best)`, t),
          tooltip: {
            callbacks: {
              title: (items: TooltipItem<'bar'>[]) => truncate(String(cmp.runs[items[0]?.dataIndex ?? 0]?.name ?? ''), 60),
              label: (item: TooltipItem<'bar'>) => {
                const r = cmp.runs[item.dataIndex];
                return [...axes.map((k) => `${k} = ${formatValue(r.params[k])}`), `${metric} = ${mrow.values[item.dataIndex] === undefined ? '—' : formatNumber(mrow.values[item.dataIndex]!)}`].join(', ');
              },
            },
          },
        },
        scales: { x: { ticks: { color: t.fg } } },
        elements: { linearAxis: { ticks: { color: t.muted }, grid: { color: t.grid } } },
      },
    } as unknown as ChartConfiguration;
    this.card(panel.grid, `parallel-${metric}`, 380, config, `Parallel coordinates of ${axes.join(', ')} and ${metric} for ${cmp.runs.length} runs.`, true);
  }

  // ------------------------------------------------------------------------------ feature importance

  private renderImportance(panel: { controls: HTMLElement; grid: HTMLElement; signature: string }, inp: ChartInputs): void {
    const { cmp, theme: t } = inp;
    this.controls(panel, 'importance', () => []);
    const withImp = cmp.runs.filter((r) => r.importance && r.importance.features.length);
    if (!withImp.length) return this.empty(panel.grid, 'No shown run has a feature_importance.json artifact (runs trained with MLOps: Train Model or Run Sweep log one).');
    const runs = withImp.slice(0, MAX_IMPORTANCE_RUNS);
    const totals = new Map<string, number>();
    for (const r of runs) for (const f of r.importance!.features) totals.set(f.feature, (totals.get(f.feature) ?? 0) + Math.abs(f.importance) / runs.length);
    const features = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_IMPORTANCE_FEATURES).map(([f]) => f);
    const datasets = runs.map((r) => {
      const by = new Map(r.importance!.features.map((f) => [f.feature, f.importance]));
      const color = t.series[(inp.runIndex.get(r.id) ?? 0) % t.series.length];
      return { label: r.name, data: features.map((f) => by.get(f) ?? null), backgroundColor: color, borderColor: color, borderWidth: cmp.baseline?.id === r.id ? 2 : 0 };
    });
    const methods = [...new Set(runs.map((r) => r.importance!.method).filter(Boolean))];
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: { labels: features, datasets },
      options: {
        indexAxis: 'y',
        scales: {
          x: { beginAtZero: true, grid: { color: t.grid }, ticks: { color: t.muted }, title: this.axisTitle('importance', t) },
          y: { grid: { display: false }, ticks: { color: t.fg, autoSkip: false, callback(this: { getLabelForValue(v: number): string }, v) { return truncate(this.getLabelForValue(Number(v)), 24); } } },
        },
        plugins: {
          legend: { display: runs.length <= MAX_LEGEND, position: 'bottom', labels: { color: t.fg, boxWidth: 14 } },
          title: this.titlePlugin('Feature importance', t),
          tooltip: { callbacks: { label: (item: TooltipItem<'bar'>) => `${truncate(String(item.dataset.label), 40)}: ${item.raw === null ? '—' : formatNumber(Number(item.raw))}` } },
        },
      },
    };
    this.card(panel.grid, 'feature-importance', 90 + features.length * Math.max(22, runs.length * 9), config as ChartConfiguration, `Grouped bar chart of feature importance for ${runs.length} runs over ${features.length} features.`, true);
    const notes: string[] = [];
    if (methods.length === 1) notes.push(`Method: ${methods[0]}.`);
    else if (methods.length > 1) notes.push(`The runs used different methods (${methods.join('; ')}): compare with care.`);
    if (withImp.length > runs.length) notes.push(`Showing the first ${runs.length} of ${withImp.length} runs with importances (in table order; hide runs to choose).`);
    if (withImp.length < cmp.runs.length) notes.push(`${cmp.runs.length - withImp.length} shown run(s) have no feature_importance.json.`);
    for (const n of notes) panel.grid.append(h('p', { class: 'muted note' }, n));
  }
}
