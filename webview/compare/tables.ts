/**
 * The comparison tables: one column per shown run, one row per parameter / metric / tag key. Differing rows are
 * highlighted (cells that differ from the baseline — or the first run — marked), the best value of each metric is
 * starred, and with a baseline every metric cell shows its delta. Every user string is set as text.
 *
 * Plain <table>s (not vscode-table): a comparison of 50 runs needs horizontal scrolling with a sticky key column
 * and ~1,500 cells, which vscode-table (column widths as percentages of its own width, a shadow root per cell)
 * does not do; the tables use the same theme variables as vscode-table so they look the same.
 */
import {
  type Comparison,
  type CompareSettings,
  formatDelta,
  formatPercent,
  formatValue,
  type MetricRow,
  type ParamRow,
  paramsEqual,
  shownMetrics,
  shownParams,
} from '../../src/core/compare/model';
import type { CompareRunView } from '../../src/shared/protocol';
import { focusKey, h, restoreFocus } from '../common/dom';

export interface TableActions {
  sortBy(by: 'metric' | 'param', key: string): void;
  flipDirection(key: string): void;
  toggleBaseline(runId: string): void;
  hide(runId: string): void;
  openRun(runId: string): void;
}

function statusText(r: CompareRunView): string {
  return r.interrupted ? 'interrupted' : r.status;
}

function runHeader(r: CompareRunView, cmp: Comparison<CompareRunView>, actions: TableActions, section: string, showExperiment: boolean, showSource: boolean): HTMLElement {
  const isBase = cmp.baseline?.id === r.id;
  return h(
    'th',
    { scope: 'col', class: `run${isBase ? ' baseline' : ''}`, 'data-run': r.id },
    h('div', { class: 'run-head' },
      h('button', { class: 'link run-name', title: `Open run ${r.name}`, 'data-fk': `${section}:open:${r.id}`, onclick: () => actions.openRun(r.id) }, r.name),
      h('span', { class: 'run-actions' },
        h('button', {
          class: `icon-btn codicon ${isBase ? 'codicon-pinned' : 'codicon-pin'}`,
          title: isBase ? 'Unpin the baseline' : 'Pin as the baseline (show deltas against this run)',
          'aria-label': isBase ? `Unpin baseline ${r.name}` : `Pin ${r.name} as the baseline`,
          'aria-pressed': isBase ? 'true' : 'false',
          'data-fk': `${section}:pin:${r.id}`,
          onclick: () => actions.toggleBaseline(r.id),
        }),
        h('button', { class: 'icon-btn codicon codicon-eye-closed', title: 'Hide this run', 'aria-label': `Hide ${r.name}`, 'data-fk': `${section}:hide:${r.id}`, onclick: () => actions.hide(r.id) }),
      ),
    ),
    h('div', { class: 'run-sub muted' },
      isBase ? [h('span', { class: 'badge' }, 'baseline'), ' '] : null,
      h('span', { class: `status-${r.interrupted ? 'failed' : r.status}` }, statusText(r)),
      showExperiment ? ` · ${r.experiment}` : '',
    ),
    // Where the run comes from, when the comparison mixes sources (the workspace store, MLflow stores and servers).
    showSource && r.source
      ? h('div', { class: 'run-source muted', title: r.runId ? `${r.source} · run ${r.runId}` : r.source },
          h('span', { class: `codicon ${sourceIcon(r.sourceKind)}`, 'aria-hidden': 'true' }), ' ', r.source)
      : null,
  );
}

function sourceIcon(kind: CompareRunView['sourceKind']): string {
  return kind === 'mlflow-server' ? 'codicon-cloud' : kind === 'mlflow-sqlite' || kind === 'mlflow-file' ? 'codicon-database' : 'codicon-folder';
}

function sortIndicator(settings: CompareSettings, by: 'metric' | 'param', key: string): string {
  const s = settings.sort;
  if (!s || s.by !== by || s.key !== key) return '';
  return s.descending ? ' ▼' : ' ▲';
}

function keyHeader(settings: CompareSettings, by: 'metric' | 'param', key: string, actions: TableActions, extra?: HTMLElement): HTMLElement {
  const sorted = settings.sort?.by === by && settings.sort.key === key;
  return h(
    'th',
    { scope: 'row', class: 'key' },
    h('button', {
      class: 'link key-name',
      title: `Sort the runs by ${key}${sorted ? ' (again: reverse)' : ''}`,
      'aria-label': `${key}: sort runs by it`,
      'data-fk': `${by}:sort:${key}`,
      onclick: () => actions.sortBy(by, key),
    }, key, sortIndicator(settings, by, key)),
    extra ?? null,
  );
}

function scroller(label: string, table: HTMLElement): HTMLElement {
  // Focusable so the keyboard can scroll it; labelled for screen readers.
  return h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': label }, table);
}

/** Above this many shown runs the tables draw only the run columns in view (and a few either side). */
export const VIRTUAL_FROM = 60;
/** A run column's width in a virtual table (every column the same, so a scroll offset names the columns in view). */
const COL_W = 170;
const KEY_W = 220;
/** Columns drawn beyond each edge of the view, so a scroll of a few columns shows drawn cells at once. */
const BUFFER = 3;

interface Grid {
  label: string;
  cls: string;
  corner: string;
  /** Run columns. */
  columns: number;
  head(i: number): HTMLElement;
  rows: { cls: string; key: HTMLElement; cell(i: number): HTMLElement }[];
}

/**
 * A comparison table, runs as columns. Up to VIRTUAL_FROM runs every cell is in the document. Beyond, the columns are
 * virtual (horizontal only: the rows are a table's keys, a few dozen, the columns are the runs, hundreds): the table
 * has its full width (fixed layout, every run column COL_W wide), and a spacer cell on each side stands for the
 * columns out of view; a scroll or a resize redraws the cells of the columns in view. Screen readers get the full
 * table's shape (aria-colcount, aria-colindex on every cell); Tab reaches the controls of the drawn columns, and the
 * region scrolls with the arrow keys (a control that keeps focus across a redraw is focused again).
 */
function grid(g: Grid): HTMLElement {
  const virtual = g.columns > VIRTUAL_FROM;
  const corner = h('th', { scope: 'col', class: 'key corner', 'aria-colindex': 1 }, g.corner);
  const headRow = h('tr', { 'aria-rowindex': 1 });
  const bodyRows = g.rows.map((r, k) => h('tr', { class: r.cls, 'aria-rowindex': k + 2 }));
  for (const r of g.rows) r.key.setAttribute('aria-colindex', '1');
  const table = h('table', { class: `cmp ${g.cls}${virtual ? ' virtual' : ''}`, 'aria-colcount': g.columns + 1, 'aria-rowcount': g.rows.length + 1 }, h('thead', {}, headRow), h('tbody', {}, bodyRows));
  const scroll = scroller(g.label, table);
  const indexed = (el: HTMLElement, i: number) => {
    el.setAttribute('aria-colindex', String(i + 2));
    return el;
  };
  const spacer = (tag: 'th' | 'td', columns: number) => {
    const el = h(tag, { class: 'spacer', 'aria-hidden': 'true' });
    el.style.width = `${columns * COL_W}px`;
    return el;
  };
  const fill = (first: number, last: number) => {
    const fk = scroll.contains(document.activeElement) ? focusKey() : null;
    const range = Array.from({ length: last - first + 1 }, (_, k) => first + k);
    const rest = g.columns - 1 - last;
    headRow.replaceChildren(corner, ...(virtual ? [spacer('th', first)] : []), ...range.map((i) => indexed(g.head(i), i)), ...(virtual ? [spacer('th', rest)] : []));
    g.rows.forEach((r, k) => bodyRows[k].replaceChildren(r.key, ...(virtual ? [spacer('td', first)] : []), ...range.map((i) => indexed(r.cell(i), i)), ...(virtual ? [spacer('td', rest)] : [])));
    if (fk) restoreFocus(scroll, fk);
    scroll.dataset.first = String(first);
    scroll.dataset.last = String(last);
  };
  if (!virtual) {
    fill(0, g.columns - 1);
    return scroll;
  }
  table.style.width = `${KEY_W + g.columns * COL_W}px`;
  let shown = '';
  const update = () => {
    const width = scroll.clientWidth || window.innerWidth;
    const first = Math.max(0, Math.floor(scroll.scrollLeft / COL_W) - BUFFER);
    const last = Math.min(g.columns - 1, Math.max(first, Math.ceil((scroll.scrollLeft + width - KEY_W) / COL_W) + BUFFER));
    if (`${first}:${last}` === shown) return;
    shown = `${first}:${last}`;
    fill(first, last);
  };
  // Synchronously in the scroll event (Chromium fires it once per frame, before painting): no frame shows blank columns.
  scroll.addEventListener('scroll', update, { passive: true });
  new ResizeObserver(() => update()).observe(scroll);
  update();
  return scroll;
}

function runGrid(cmp: Comparison<CompareRunView>, actions: TableActions, section: string, label: string, corner: string, rows: Grid['rows']): HTMLElement {
  const exps = new Set(cmp.runs.map((r) => r.experiment));
  const sources = new Set(cmp.runs.map((r) => r.source ?? ''));
  return grid({ label, cls: section, corner, columns: cmp.runs.length, head: (i) => runHeader(cmp.runs[i], cmp, actions, section, exps.size > 1, sources.size > 1), rows });
}

/** Index of the run each column is compared against: the baseline if shown, else the first column. */
function referenceIndex(cmp: Comparison<CompareRunView>): number {
  const i = cmp.baseline ? cmp.runs.findIndex((r) => r.id === cmp.baseline!.id) : -1;
  return i >= 0 ? i : 0;
}

export function paramsTable(cmp: Comparison<CompareRunView>, settings: CompareSettings, actions: TableActions): HTMLElement {
  const rows = shownParams(cmp, settings);
  if (!cmp.runs.length) return h('p', { class: 'muted' }, 'Every run is hidden. Show runs in the Runs section.');
  if (!rows.length) {
    return h('p', { class: 'muted empty' }, cmp.params.length ? `All ${cmp.params.length} parameters are the same in every shown run.` : 'No parameters logged.');
  }
  return runGrid(cmp, actions, 'params', 'Parameters by run', 'Parameter', rows.map((row) => paramRow(cmp, settings, row, actions)));
}

function paramRow(cmp: Comparison<CompareRunView>, settings: CompareSettings, row: ParamRow, actions: TableActions): Grid['rows'][number] {
  const ref = referenceIndex(cmp);
  return {
    cls: row.differs ? 'differs' : 'same',
    key: keyHeader(settings, 'param', row.key, actions, row.differs ? h('span', { class: 'diff-mark', title: 'Values differ', 'aria-label': 'differs' }, '≠') : undefined),
    cell: (i) => {
      const v = row.values[i];
      return h('td', {
        class: [typeof v === 'number' ? 'pnum' : '', v === undefined ? 'missing' : '', row.differs && i !== ref && !paramsEqual(v, row.values[ref]) ? 'changed' : ''].filter(Boolean).join(' '),
        title: v === undefined ? 'not logged' : undefined,
      }, v === undefined ? '—' : formatValue(v));
    },
  };
}

export function metricsTable(cmp: Comparison<CompareRunView>, settings: CompareSettings, actions: TableActions): HTMLElement {
  const rows = shownMetrics(cmp, settings);
  if (!cmp.runs.length) return h('p', { class: 'muted' }, 'Every run is hidden. Show runs in the Runs section.');
  if (!rows.length) {
    return h('p', { class: 'muted empty' }, cmp.metrics.length ? `All ${cmp.metrics.length} metrics are the same in every shown run.` : 'No metrics logged.');
  }
  return runGrid(cmp, actions, 'metrics', 'Metrics by run', 'Metric', rows.map((row) => metricRow(cmp, row, settings, actions)));
}

function metricRow(cmp: Comparison<CompareRunView>, row: MetricRow, settings: CompareSettings, actions: TableActions): Grid['rows'][number] {
  const dirButton = h('button', {
    class: `dir${row.overridden ? ' overridden' : ''}`,
    title: `${row.direction === 'min' ? 'Lower' : 'Higher'} is better${row.overridden ? ' (your choice)' : ''}. Click to flip.`,
    'aria-label': `${row.key}: ${row.direction === 'min' ? 'lower' : 'higher'} is better; flip`,
    'data-fk': `metric:dir:${row.key}`,
    onclick: () => actions.flipDirection(row.key),
  }, row.direction === 'min' ? '↓ min' : '↑ max');
  return {
    cls: row.differs ? 'differs' : 'same',
    key: keyHeader(settings, 'metric', row.key, actions, dirButton),
    cell: (i) => {
      const v = row.values[i];
      const isBase = cmp.baseline?.id === cmp.runs[i].id;
      const d = row.deltas[i];
      const rel = row.relDeltas[i];
      const better = row.better[i];
      const cls = ['num', row.isBest[i] ? 'best' : '', v === undefined ? 'missing' : ''].filter(Boolean).join(' ');
      return h(
        'td',
        { class: cls, title: row.isBest[i] ? `Best ${row.key} (${row.direction === 'min' ? 'lowest' : 'highest'})` : undefined },
        row.isBest[i] ? h('span', { class: 'star', 'aria-label': 'best' }, '★ ') : null,
        v === undefined ? '—' : formatValue(v),
        cmp.baseline && !isBase && d !== undefined
          ? h('div', { class: `delta${better === true ? ' better' : better === false ? ' worse' : ''}`, title: 'Change against the baseline' },
              `Δ ${formatDelta(d)}${rel !== undefined && d !== 0 ? ` (${formatPercent(rel)})` : ''}`)
          : null,
      );
    },
  };
}

export function tagsTable(cmp: Comparison<CompareRunView>, actions: TableActions): HTMLElement {
  const keys = [...new Set(cmp.runs.flatMap((r) => Object.keys(r.tags)))].sort();
  if (!keys.length || !cmp.runs.length) return h('p', { class: 'muted' }, 'No tags.');
  const ref = referenceIndex(cmp);
  return runGrid(cmp, actions, 'tags', 'Tags by run', 'Tag', keys.map((k) => {
    const values = cmp.runs.map((r) => (Object.prototype.hasOwnProperty.call(r.tags, k) ? r.tags[k] : undefined));
    const differs = values.some((v) => v !== values[0]);
    return {
      cls: differs ? 'differs' : 'same',
      key: h('th', { scope: 'row', class: 'key' }, k, differs ? h('span', { class: 'diff-mark', 'aria-label': 'differs' }, '≠') : null),
      cell: (i: number) => h('td', { class: [values[i] === undefined ? 'missing' : '', differs && i !== ref && values[i] !== values[ref] ? 'changed' : ''].filter(Boolean).join(' ') }, values[i] ?? '—'),
    };
  }));
}
