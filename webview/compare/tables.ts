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
import { h } from '../common/dom';

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

function runHeader(r: CompareRunView, cmp: Comparison<CompareRunView>, actions: TableActions, section: string, showExperiment: boolean): HTMLElement {
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
  );
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

function headRow(cmp: Comparison<CompareRunView>, actions: TableActions, section: string, first: string): HTMLElement {
  const exps = new Set(cmp.runs.map((r) => r.experiment));
  return h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'key corner' }, first), cmp.runs.map((r) => runHeader(r, cmp, actions, section, exps.size > 1))));
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
  return scroller('Parameters by run', h('table', { class: 'cmp params' }, headRow(cmp, actions, 'params', 'Parameter'), h('tbody', {}, rows.map((row) => paramRow(cmp, settings, row, actions)))));
}

function paramRow(cmp: Comparison<CompareRunView>, settings: CompareSettings, row: ParamRow, actions: TableActions): HTMLElement {
  const ref = referenceIndex(cmp);
  return h(
    'tr',
    { class: row.differs ? 'differs' : 'same' },
    keyHeader(settings, 'param', row.key, actions, row.differs ? h('span', { class: 'diff-mark', title: 'Values differ', 'aria-label': 'differs' }, '≠') : undefined),
    row.values.map((v, i) =>
      h('td', {
        class: [typeof v === 'number' ? 'pnum' : '', v === undefined ? 'missing' : '', row.differs && i !== ref && !paramsEqual(v, row.values[ref]) ? 'changed' : ''].filter(Boolean).join(' '),
        title: v === undefined ? 'not logged' : undefined,
      }, v === undefined ? '—' : formatValue(v)),
    ),
  );
}

export function metricsTable(cmp: Comparison<CompareRunView>, settings: CompareSettings, actions: TableActions): HTMLElement {
  const rows = shownMetrics(cmp, settings);
  if (!cmp.runs.length) return h('p', { class: 'muted' }, 'Every run is hidden. Show runs in the Runs section.');
  if (!rows.length) {
    return h('p', { class: 'muted empty' }, cmp.metrics.length ? `All ${cmp.metrics.length} metrics are the same in every shown run.` : 'No metrics logged.');
  }
  return scroller('Metrics by run', h('table', { class: 'cmp metrics' }, headRow(cmp, actions, 'metrics', 'Metric'), h('tbody', {}, rows.map((row) => metricRow(cmp, settings, row, actions)))));
}

function metricRow(cmp: Comparison<CompareRunView>, settings: CompareSettings, row: MetricRow, actions: TableActions): HTMLElement {
  const dirButton = h('button', {
    class: `dir${row.overridden ? ' overridden' : ''}`,
    title: `${row.direction === 'min' ? 'Lower' : 'Higher'} is better${row.overridden ? ' (your choice)' : ''}. Click to flip.`,
    'aria-label': `${row.key}: ${row.direction === 'min' ? 'lower' : 'higher'} is better; flip`,
    'data-fk': `metric:dir:${row.key}`,
    onclick: () => actions.flipDirection(row.key),
  }, row.direction === 'min' ? '↓ min' : '↑ max');
  return h(
    'tr',
    { class: row.differs ? 'differs' : 'same' },
    keyHeader(settings, 'metric', row.key, actions, dirButton),
    row.values.map((v, i) => {
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
    }),
  );
}

export function tagsTable(cmp: Comparison<CompareRunView>, actions: TableActions): HTMLElement {
  const keys = [...new Set(cmp.runs.flatMap((r) => Object.keys(r.tags)))].sort();
  if (!keys.length || !cmp.runs.length) return h('p', { class: 'muted' }, 'No tags.');
  const ref = referenceIndex(cmp);
  return scroller('Tags by run', h('table', { class: 'cmp tags' }, headRow(cmp, actions, 'tags', 'Tag'), h('tbody', {}, keys.map((k) => {
    const values = cmp.runs.map((r) => (Object.prototype.hasOwnProperty.call(r.tags, k) ? r.tags[k] : undefined));
    const differs = values.some((v) => v !== values[0]);
    return h('tr', { class: differs ? 'differs' : 'same' },
      h('th', { scope: 'row', class: 'key' }, k, differs ? h('span', { class: 'diff-mark', 'aria-label': 'differs' }, '≠') : null),
      values.map((v, i) => h('td', { class: [v === undefined ? 'missing' : '', differs && i !== ref && v !== values[ref] ? 'changed' : ''].filter(Boolean).join(' ') }, v ?? '—')));
  }))));
}
