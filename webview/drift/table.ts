/**
 * The per-feature table: one row per feature with its method, statistic, p-value, threshold rule, PSI and band, the
 * drift decision with its severity, missing / non-finite counts and the reference vs current mean (or top category).
 * Headers are buttons (sort; again reverses) with aria-sort; a row click or its name button selects the feature for
 * the histogram. Drifted rows are marked by an icon and text as well as colour. Every user string is set as text.
 */
import { type DriftSort, type DriftSortKey, shortNum, sortColumns } from '../../src/core/monitoring/driftView';
import { DRIFT_METHODS } from '../../src/core/monitoring/stats/select';
import type { NamedColumnDrift } from '../../src/core/monitoring/types';
import { h } from '../common/dom';

export interface TableActions {
  sortBy(key: DriftSortKey): void;
  select(feature: string): void;
}

const COLUMNS: { key: DriftSortKey; label: string; title: string; num?: boolean }[] = [
  { key: 'feature', label: 'Feature', title: 'Feature (column) name' },
  { key: 'type', label: 'Type', title: 'numeric or categorical' },
  { key: 'method', label: 'Method', title: "The test chosen by Evidently's rules (reference size, type, distinct values)" },
  { key: 'statistic', label: 'Statistic', title: 'The test statistic (KS D, chi-square, z) or the distance', num: true },
  { key: 'pValue', label: 'p-value', title: 'p-value of the test (p-value tests only)', num: true },
  { key: 'threshold', label: 'Threshold', title: 'The drift rule: p-value tests drift at small p, distances at large values', num: true },
  { key: 'psi', label: 'PSI', title: 'Population Stability Index on reference deciles: < 0.1 stable, 0.1–0.25 moderate, > 0.25 significant', num: true },
  { key: 'drifted', label: 'Drifted', title: 'Drift decision and severity (how far past the threshold)' },
  { key: 'missing', label: 'Missing', title: 'Missing and non-finite values in this batch (the reference in the tooltip)', num: true },
  { key: 'reference', label: 'Reference', title: 'Reference mean (numeric) or most frequent category', num: true },
  { key: 'current', label: 'Current', title: 'This batch: mean (numeric) or most frequent category', num: true },
];

function summaryText(c: NamedColumnDrift, side: 'referenceSummary' | 'currentSummary'): { text: string; title: string } {
  const s = c[side];
  if (!s) return { text: '—', title: '' };
  if (s.kind === 'numeric') return { text: shortNum(s.mean), title: `mean ${shortNum(s.mean)}, std ${shortNum(s.std)}, min ${shortNum(s.min)}, max ${shortNum(s.max)} (${s.count} values)` };
  return { text: s.top === null ? '—' : s.top, title: s.top === null ? 'no values' : `most frequent: ${s.top} (${shortNum((s.topShare ?? 0) * 100)} % of ${s.count}); ${s.distinct} categories` };
}

function thresholdText(c: NamedColumnDrift): string {
  const op = DRIFT_METHODS[c.method]?.operator ?? '';
  const sym = op === '<=' ? '≤' : op === '>=' ? '≥' : op;
  return c.scoreKind === 'p_value' ? `p ${sym} ${shortNum(c.threshold)}` : `d ${sym} ${shortNum(c.threshold)}`;
}

function driftedCell(c: NamedColumnDrift): HTMLElement {
  if (!c.tested) return h('td', { class: 'untested', title: c.note ?? 'not tested' }, h('span', { class: 'codicon codicon-circle-slash', 'aria-hidden': 'true' }), ' not tested');
  if (!c.drifted) return h('td', { class: 'stable' }, h('span', { class: 'codicon codicon-pass', 'aria-hidden': 'true' }), ' no');
  const sev = c.severity ?? 'medium';
  return h('td', { class: `drift sev-${sev}`, title: `Drifted: ${sev} (how far past the threshold)` }, h('span', { class: 'codicon codicon-warning', 'aria-hidden': 'true' }), ' yes · ', h('span', { class: `sev sev-${sev}` }, sev));
}

function missingCell(c: NamedColumnDrift): HTMLElement {
  const cur = c.missing?.current ?? 0;
  const curNf = c.nonFinite?.current ?? 0;
  const title = `This batch: ${cur} missing, ${curNf} non-finite. Reference: ${c.missing?.reference ?? 0} missing, ${c.nonFinite?.reference ?? 0} non-finite.`;
  return h('td', { class: `num${cur + curNf ? ' has-missing' : ''}`, title }, String(cur), curNf ? ` + ${curNf} non-finite` : '');
}

function header(sort: DriftSort | null, actions: TableActions): HTMLElement {
  return h('thead', {}, h('tr', {}, COLUMNS.map((col) => {
    const active = sort?.key === col.key;
    const dir = active ? (sort!.descending ? 'descending' : 'ascending') : 'none';
    return h('th', { scope: 'col', 'aria-sort': dir, class: col.num ? 'num' : undefined },
      h('button', {
        class: 'sort',
        title: `${col.title}. Sort by ${col.label}${active ? ' (again: reverse)' : ''}`,
        'data-fk': `sort:${col.key}`,
        onclick: () => actions.sortBy(col.key),
      }, col.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (sort!.descending ? ' ▼' : ' ▲') : '')));
  })));
}

export function featureTable(columns: readonly NamedColumnDrift[], sort: DriftSort | null, selected: string | null, actions: TableActions): HTMLElement {
  const rows = sortColumns(columns, sort).map((c) => {
    const ref = summaryText(c, 'referenceSummary');
    const cur = summaryText(c, 'currentSummary');
    const isSel = c.name === selected;
    return h('tr', {
      class: [c.drifted ? 'drifted' : '', !c.tested ? 'untested' : '', isSel ? 'selected' : ''].filter(Boolean).join(' '),
      'data-feature': c.name,
      // The mouse can click anywhere in the row; the keyboard uses the name button.
      onclick: (e: Event) => {
        if (!(e.target as HTMLElement).closest('button')) actions.select(c.name);
      },
    },
    h('th', { scope: 'row', class: 'feature' },
      c.drifted ? h('span', { class: 'codicon codicon-warning drift-icon', title: 'drifted', 'aria-hidden': 'true' }) : null,
      h('button', { class: 'link feature-name', 'aria-pressed': isSel ? 'true' : 'false', title: `Show the distribution of ${c.name}`, 'data-fk': `feature:${c.name}`, onclick: () => actions.select(c.name) }, c.name)),
    h('td', {}, c.columnType),
    h('td', { title: `${DRIFT_METHODS[c.method]?.label ?? c.method}${c.ksMethod ? ` (${c.ksMethod} p-value)` : ''}` }, c.method),
    h('td', { class: 'num' }, shortNum(c.statistic)),
    h('td', { class: 'num' }, c.pValue === null || c.pValue === undefined ? '—' : shortNum(c.pValue)),
    h('td', { class: 'num' }, thresholdText(c)),
    h('td', { class: 'num', title: c.psiBand ? `PSI ${shortNum(c.psi)}: ${c.psiBand}` : 'no PSI' }, shortNum(c.psi), c.psiBand ? [' ', h('span', { class: `band band-${c.psiBand}` }, c.psiBand)] : null),
    driftedCell(c),
    missingCell(c),
    h('td', { class: 'num', title: ref.title }, ref.text),
    h('td', { class: 'num', title: cur.title }, cur.text));
  });
  const table = h('table', { class: 'features' }, h('caption', { class: 'visually-hidden' }, 'Drift per feature; column headers sort the table'), header(sort, actions), h('tbody', {}, rows));
  // Focusable so the keyboard can scroll it; labelled for screen readers.
  return h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Drift per feature' }, table);
}
