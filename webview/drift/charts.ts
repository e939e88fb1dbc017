/**
 * The drift report's charts (chart.js, registering only the controllers, elements, scales and plugins used):
 *   scores      a horizontal bar per feature against its threshold line, one chart per kind of score: p-value tests
 *               as −log₁₀ p (so a longer bar is more drift for both kinds), distances as they are
 *   histogram   reference vs current shares on the report's shared bin edges (numeric: overlaid; categorical:
 *               grouped bars) — used for the selected feature and for the model's predictions
 *   timeline    each feature's score across the monitor's batches, drifted points marked, this batch shaded
 * Colours, fonts and grid lines come from the VS Code theme (webview/common/theme.ts); the charts are rebuilt when
 * it changes. Feature and batch names are drawn on the canvas as text, never parsed as HTML.
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
  Title,
  Tooltip,
  type TooltipItem,
} from 'chart.js';
import { type HistogramShares, P_FLOOR, type ScoreBar, shortNum, type Timeline } from '../../src/core/monitoring/driftView';
import type { ScoreKind } from '../../src/core/monitoring/stats/select';
import { background, pngButton, truncate } from '../common/charts';
import { h } from '../common/dom';
import { parseColor, rgba, type ThemeColors } from '../common/theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Title, Tooltip);

function alpha(color: string, a: number): string {
  const c = parseColor(color);
  return c ? rgba(c, a) : color;
}

/**
 * Dashed threshold lines on the value axis (`x` for horizontal bars, `y` for the timeline): one line across the chart
 * when every threshold is the same (labelled), else a short line across each bar's band.
 */
function thresholdLines(axis: 'x' | 'y', values: (number | null)[], color: string, label: string): Plugin {
  return {
    id: 'mlopsThreshold',
    afterDatasetsDraw(chart) {
      const defined = values.filter((v): v is number => v !== null && Number.isFinite(v));
      if (!defined.length) return;
      const { ctx, chartArea: a } = chart;
      const value = chart.scales[axis];
      const index = chart.scales[axis === 'x' ? 'y' : 'x'];
      ctx.save();
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.font = `11px ${Chart.defaults.font.family}`;
      const uniform = defined.every((v) => v === defined[0]);
      if (uniform) {
        const p = value.getPixelForValue(defined[0]);
        ctx.beginPath();
        if (axis === 'x') {
          ctx.moveTo(p, a.top);
          ctx.lineTo(p, a.bottom);
        } else {
          ctx.moveTo(a.left, p);
          ctx.lineTo(a.right, p);
        }
        ctx.stroke();
        ctx.setLineDash([]);
        if (axis === 'x') {
          const w = ctx.measureText(label).width;
          ctx.textAlign = p + 4 + w > a.right ? 'right' : 'left';
          ctx.textBaseline = 'bottom';
          ctx.fillText(label, ctx.textAlign === 'right' ? p - 4 : p + 4, a.top - 2);
        } else {
          ctx.textAlign = 'right';
          ctx.textBaseline = 'bottom';
          ctx.fillText(label, a.right - 4, p - 3);
        }
      } else {
        const band = (axis === 'x' ? a.height : a.width) / Math.max(1, values.length);
        values.forEach((v, i) => {
          if (v === null || !Number.isFinite(v)) return;
          const p = value.getPixelForValue(v);
          const c = index.getPixelForValue(i);
          ctx.beginPath();
          if (axis === 'x') {
            ctx.moveTo(p, c - band * 0.45);
            ctx.lineTo(p, c + band * 0.45);
          } else {
            ctx.moveTo(c - band * 0.45, p);
            ctx.lineTo(c + band * 0.45, p);
          }
          ctx.stroke();
        });
      }
      ctx.restore();
    },
  };
}

/** Dashed horizontal lines across the chart at values of the y axis (the timeline's thresholds), each labelled. */
function horizontalLines(lines: { value: number; color: string; label: string }[]): Plugin {
  return {
    id: 'mlopsHorizontalLines',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: a } = chart;
      const y = chart.scales.y;
      ctx.save();
      ctx.lineWidth = 2;
      ctx.font = `11px ${Chart.defaults.font.family}`;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      for (const l of lines) {
        const p = y.getPixelForValue(l.value);
        if (p < a.top || p > a.bottom) continue;
        ctx.strokeStyle = l.color;
        ctx.fillStyle = l.color;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(a.left, p);
        ctx.lineTo(a.right, p);
        ctx.stroke();
        if (l.label) ctx.fillText(l.label, a.right - 4, p - 3);
      }
      ctx.restore();
    },
  };
}

/** Shades the band of one category on the x axis (this batch on the timeline). */
function highlightIndex(index: number, color: string): Plugin {
  return {
    id: 'mlopsHighlight',
    beforeDatasetsDraw(chart) {
      if (index < 0) return;
      const { ctx, chartArea: a } = chart;
      const x = chart.scales.x;
      const n = Math.max(1, (chart.data.labels ?? []).length);
      const band = a.width / n;
      const c = x.getPixelForValue(index);
      ctx.save();
      ctx.fillStyle = color;
      ctx.fillRect(Math.max(a.left, c - band / 2), a.top, Math.min(band, a.right - (c - band / 2)), a.height);
      ctx.restore();
    },
  };
}

export interface DrawnChart {
  name: string;
  chart: Chart;
}

/** The panel's charts by name, so that one can be rebuilt (a new feature) without the others. */
export class ChartSet {
  private charts = new Map<string, Chart>();

  create(name: string, canvas: HTMLCanvasElement, config: ChartConfiguration, theme: ThemeColors): void {
    this.destroy(name);
    config.plugins = [...(config.plugins ?? []), background(theme.bg)];
    const opts = (config.options ??= {}) as Record<string, unknown>;
    Object.assign(opts, { animation: false, responsive: true, maintainAspectRatio: false });
    this.charts.set(name, new Chart(canvas, config));
  }

  destroy(name?: string): void {
    for (const [n, c] of [...this.charts]) {
      if (name !== undefined && n !== name) continue;
      c.destroy();
      this.charts.delete(n);
    }
  }

  /** Drop every chart whose name does not pass `keep`. */
  prune(keep: (name: string) => boolean): void {
    for (const n of [...this.charts.keys()]) if (!keep(n)) this.destroy(n);
  }

  get names(): string[] {
    return [...this.charts.keys()].sort();
  }

  /** A drawn chart as a PNG data URL (on the theme's background), or null when there is no such chart. */
  png(name: string): string | null {
    return this.charts.get(name)?.toBase64Image('image/png', 1) ?? null;
  }
}

/** The event a chart card's PNG button dispatches (bubbling; detail: the chart's name). */
export const CHART_PNG_EVENT = 'chart-png';

/**
 * A chart card: a figure with a title, an explanation of its scale, a PNG button (dispatches CHART_PNG_EVENT) and a
 * sized box for the canvas.
 */
export function chartCard(name: string, title: string, note: string, height: number, summary: string, wide = false): { figure: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { role: 'img', 'aria-label': summary });
  const box = h('div', { class: 'chart-box' }, canvas);
  box.style.height = `${Math.round(height)}px`;
  const save = pngButton(title, `png:${name}`, (e) => (e.currentTarget as HTMLElement).dispatchEvent(new CustomEvent(CHART_PNG_EVENT, { detail: name, bubbles: true })));
  const figure = h('figure', { class: `chart-card${wide ? ' wide' : ''}`, 'data-chart': name },
    h('figcaption', {}, h('strong', {}, title), note ? h('span', { class: 'muted note' }, note) : null, h('span', { class: 'chart-actions' }, save)),
    box);
  return { figure, canvas };
}

function scaleText(t: ThemeColors) {
  return { grid: { color: t.grid }, ticks: { color: t.muted }, border: { color: t.grid } };
}

// ------------------------------------------------------------------------------------------ scores

export const SCORE_TEXT: Record<ScoreKind, { title: string; axis: string; note: string }> = {
  p_value: {
    title: 'Drift score: p-value tests',
    axis: '−log₁₀ p-value (longer = stronger evidence of drift)',
    note: `Bars show −log₁₀ p; the dashed line is −log₁₀ of the threshold, so a bar past the line drifted. p < ${P_FLOOR} is drawn at 16.`,
  },
  distance: {
    title: 'Drift score: distances',
    axis: 'distance (longer = more drift)',
    note: 'Bars show the distance (Wasserstein, Jensen-Shannon or PSI); a bar at or past the dashed threshold line drifted.',
  },
};

export function scoresConfig(bars: ScoreBar[], kind: ScoreKind, t: ThemeColors): ChartConfiguration<'bar'> {
  const colors = bars.map((b) => (b.drifted ? t.worst : t.bar));
  const thresholds = bars.map((b) => b.thresholdValue);
  const uniform = thresholds.every((v) => v === thresholds[0]);
  const label = uniform && bars.length ? (kind === 'p_value' ? `threshold p = ${shortNum(bars[0].threshold)}` : `threshold ${shortNum(bars[0].threshold)}`) : 'thresholds';
  // Room for the longest bar and the threshold line; chart.js rounds up to a tick.
  const max = Math.max(...bars.map((b) => b.value ?? 0), ...thresholds) * 1.05 || 1;
  return {
    type: 'bar',
    data: {
      // Drifted features say so in their label too (not only by colour).
      labels: bars.map((b) => `${b.drifted ? '⚠ ' : ''}${truncate(b.name, 26)}`),
      datasets: [{ label: kind === 'p_value' ? '−log₁₀ p' : 'distance', data: bars.map((b) => b.value), backgroundColor: colors.map((c) => alpha(c, 0.75)), borderColor: colors, borderWidth: 1, barPercentage: 0.8, categoryPercentage: 0.9 }],
    },
    options: {
      indexAxis: 'y',
      layout: { padding: { top: 16, right: 8 } },
      scales: {
        x: { min: 0, suggestedMax: max, ...scaleText(t), title: { display: true, text: SCORE_TEXT[kind].axis, color: t.fg } },
        y: { grid: { display: false }, ticks: { color: t.fg, autoSkip: false }, border: { color: t.grid } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'bar'>[]) => bars[items[0]?.dataIndex ?? 0]?.name ?? '',
            label: (item: TooltipItem<'bar'>) => {
              const b = bars[item.dataIndex];
              const score = b.score === null ? 'not tested' : kind === 'p_value' ? `p = ${shortNum(b.score)}${b.clipped ? ` (< ${P_FLOOR})` : ''}` : `distance ${shortNum(b.score)}`;
              return `${b.method}: ${score}, threshold ${shortNum(b.threshold)}${b.drifted ? ` — drifted (${b.severity ?? 'medium'})` : ''}`;
            },
          },
        },
      },
    },
    plugins: [thresholdLines('x', thresholds, t.fg, label)],
  };
}

// ------------------------------------------------------------------------------------------ histograms

export function histogramConfig(hs: HistogramShares, what: string, t: ThemeColors, sides = { reference: 'reference', current: 'this batch' }): ChartConfiguration<'bar'> {
  const ref = t.series[0];
  const cur = t.series[1];
  const numeric = hs.kind === 'numeric';
  // Numeric bins overlap on one axis (a histogram); categories stand side by side.
  const common = numeric ? { grouped: false, barPercentage: 1, categoryPercentage: 1, borderWidth: 1.5 } : { barPercentage: 0.85, categoryPercentage: 0.8, borderWidth: 1 };
  const pct = (v: number) => v * 100;
  return {
    type: 'bar',
    data: {
      labels: hs.labels.map((l) => truncate(l, 24)),
      datasets: [
        { label: `${sides.reference} (${hs.totals.reference} values)`, data: hs.reference.map(pct), backgroundColor: alpha(ref, numeric ? 0.45 : 0.8), borderColor: ref, ...common },
        { label: `${sides.current} (${hs.totals.current} values)`, data: hs.current.map(pct), backgroundColor: alpha(cur, numeric ? 0.45 : 0.8), borderColor: cur, ...common },
      ],
    },
    options: {
      scales: {
        x: { ...scaleText(t), grid: { display: false }, ticks: { color: t.muted, maxRotation: 60, autoSkip: true }, title: { display: true, text: numeric ? `${what} (bins shared by both sides)` : what, color: t.fg } },
        y: { beginAtZero: true, ...scaleText(t), ticks: { color: t.muted, callback: (v) => `${Number(v)} %` }, title: { display: true, text: 'share of values', color: t.fg } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { color: t.fg, boxWidth: 14 } },
        tooltip: {
          mode: 'index',
          intersect: false,
          callbacks: {
            title: (items: TooltipItem<'bar'>[]) => hs.labels[items[0]?.dataIndex ?? 0] ?? '',
            label: (item: TooltipItem<'bar'>) => `${item.datasetIndex === 0 ? sides.reference : sides.current}: ${(Number(item.raw) || 0).toFixed(1)} %`,
          },
        },
      },
    },
  };
}

// ------------------------------------------------------------------------------------------ timeline

export const TIMELINE_TEXT: Record<ScoreKind, { title: string; axis: string }> = {
  p_value: { title: 'Timeline: p-value tests', axis: '−log₁₀ p-value' },
  distance: { title: 'Timeline: distances', axis: 'distance' },
};

export function timelineConfig(tl: Timeline, kind: ScoreKind, t: ThemeColors, current: number, selected: string | null, onPick: (index: number) => void): ChartConfiguration<'line'> {
  // Series colours without the theme's reds (every sixth, see theme.ts): red marks drifted points here.
  const palette = t.series.filter((_c, i) => i % 6 !== 3);
  // One threshold line when every feature has the same threshold (the usual case), else one per feature in its colour.
  const thresholds = tl.series.map((s) => s.thresholds.find((v) => v !== null) ?? null);
  const thrText = (v: number) => (kind === 'p_value' ? `threshold p = ${shortNum(10 ** -v)}` : `threshold ${shortNum(v)}`);
  const uniform = thresholds.every((v) => v === thresholds[0]);
  const lines = uniform
    ? thresholds[0] === null || thresholds[0] === undefined ? [] : [{ value: thresholds[0], color: t.fg, label: thrText(thresholds[0]) }]
    : tl.series.flatMap((s, i) => (thresholds[i] === null ? [] : [{ value: thresholds[i]!, color: palette[i % palette.length], label: `${truncate(s.feature, 16)} ${thrText(thresholds[i]!)}` }]));
  const datasets = tl.series.map((s, i) => {
    const color = palette[i % palette.length];
    const isSel = s.feature === selected;
    return {
      label: truncate(s.feature, 30),
      data: s.values,
      borderColor: color,
      backgroundColor: color,
      borderWidth: isSel ? 3.5 : 1.5,
      // Drifted points: a larger triangle with the "drifted" colour as outline (marked by shape, not only colour).
      pointStyle: s.drifted.map((d) => (d ? 'triangle' : 'circle')),
      pointRadius: s.drifted.map((d) => (d ? 7 : isSel ? 4 : 3)),
      pointHoverRadius: s.drifted.map((d) => (d ? 9 : 6)),
      pointBorderColor: s.drifted.map((d) => (d ? t.worst : color)),
      pointBorderWidth: s.drifted.map((d) => (d ? 2.5 : 1)),
      pointBackgroundColor: s.drifted.map((d) => (d ? alpha(t.worst, 0.6) : color)),
      tension: 0,
      spanGaps: false,
    };
  });
  return {
    type: 'line',
    data: { labels: tl.labels.map((l) => truncate(l, 22)), datasets },
    options: {
      interaction: { mode: 'nearest', intersect: true },
      layout: { padding: { top: 6, right: 8 } },
      onClick: (_e, elements) => {
        const el = elements[0];
        if (el) onPick(el.index);
      },
      scales: {
        // offset: each batch in the middle of its band (the shaded band of this batch, labels not cut at the edges).
        x: { offset: true, ...scaleText(t), ticks: { color: t.muted, maxRotation: 45, autoSkip: true }, title: { display: true, text: 'batch (oldest → newest)', color: t.fg } },
        y: { beginAtZero: true, ...scaleText(t), title: { display: true, text: TIMELINE_TEXT[kind].axis, color: t.fg } },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            color: t.fg,
            boxWidth: 14,
            usePointStyle: true,
            pointStyle: 'circle',
            // The legend shows each feature's line colour (not the style of its first point, which may be a drifted one).
            generateLabels: (chart) => Chart.defaults.plugins.legend.labels.generateLabels(chart).map((l) => ({ ...l, fillStyle: datasets[l.datasetIndex ?? 0]?.borderColor, strokeStyle: datasets[l.datasetIndex ?? 0]?.borderColor, lineWidth: 1 })),
          },
        },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => {
              const i = items[0]?.dataIndex ?? 0;
              return `${tl.labels[i] ?? ''} — ${new Date(tl.times[i]).toLocaleString()}`;
            },
            label: (item: TooltipItem<'line'>) => {
              const s = tl.series[item.datasetIndex];
              const score = s.scores[item.dataIndex];
              const text = score === null ? 'no score' : kind === 'p_value' ? `p = ${shortNum(score)}` : `distance ${shortNum(score)}`;
              return `${truncate(s.feature, 40)}: ${text}${s.drifted[item.dataIndex] ? ' — drifted' : ''}`;
            },
          },
        },
      },
    },
    plugins: [highlightIndex(current, alpha(t.fg, 0.08)), horizontalLines(lines)],
  };
}
