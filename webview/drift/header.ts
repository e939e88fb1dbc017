/**
 * The top of the drift report: what was compared (batch, reference, model, time), the dataset-drift and
 * prediction-drift verdicts, the performance checks and the alerts with their recommendations. Every user string
 * (batch and file names, feature names, recommendations that quote them) is set as text.
 */
import { changeText, performanceRows, shortNum } from '../../src/core/monitoring/driftView';
import type { ColumnDriftResult } from '../../src/core/monitoring/stats/columnDrift';
import type { DriftAlertView, DriftReport, DriftToWebview } from '../../src/shared/protocol';
import { h } from '../common/dom';

type DataMessage = Extract<DriftToWebview, { type: 'data' }>;

const SEVERITY_ICON: Record<string, string> = { critical: 'error', high: 'warning', medium: 'info' };

export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}

/** The line under the title: rows, reference, model, time. */
export function metaLine(r: DriftReport): HTMLElement {
  const parts: (HTMLElement | string)[] = [
    h('span', { title: r.current.file }, `${r.current.rows} rows`),
    ' · reference ',
    h('span', { class: 'file', title: r.reference.file }, baseName(r.reference.file)),
    ` (${r.reference.rows} rows)`,
  ];
  if (r.model) parts.push(' · model ', h('span', { class: 'model', title: r.model.uri }, r.model.name), r.model.version !== undefined ? ` v${r.model.version}` : '');
  parts.push(' · ', h('time', { datetime: new Date(r.time).toISOString(), title: new Date(r.time).toISOString() }, new Date(r.time).toLocaleString()));
  return h('p', { class: 'muted meta' }, parts);
}

function verdict(yes: boolean, yesText: string, noText: string): HTMLElement {
  return h('span', { class: `verdict ${yes ? 'yes' : 'no'}` }, h('span', { class: `codicon codicon-${yes ? 'warning' : 'pass'}`, 'aria-hidden': 'true' }), ` ${yes ? yesText : noText}`);
}

/** Share of drifted columns as a bar with the threshold marked (a picture of the dataset-drift rule). */
function shareMeter(share: number, threshold: number): HTMLElement {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  const mark = h('span', { class: 'mark' });
  mark.style.left = `${Math.max(0, Math.min(1, threshold)) * 100}%`;
  return h('span', { class: `meter${share >= threshold ? ' over' : ''}`, role: 'img', 'aria-label': `share of drifted columns ${Math.round(share * 100)} %, threshold ${Math.round(threshold * 100)} %` }, fill, mark);
}

function describe(p: ColumnDriftResult): string {
  const score = p.scoreKind === 'p_value' ? `${p.method} p = ${shortNum(p.pValue)}` : `${p.method} distance ${shortNum(p.score)}`;
  const mean = (s: ColumnDriftResult['referenceSummary']) => (s.kind === 'numeric' ? `mean ${shortNum(s.mean)}` : `top ${s.top ?? '—'}`);
  return `${score} (threshold ${shortNum(p.threshold)}), PSI ${shortNum(p.psi)}${p.psiBand ? ` ${p.psiBand}` : ''}; ${mean(p.referenceSummary)} → ${mean(p.currentSummary)}`;
}

/** The verdict cards: dataset drift, prediction drift, alerts. */
export function summaryCards(d: DataMessage): HTMLElement {
  const r = d.report;
  const ds = r.dataset;
  const cards: HTMLElement[] = [
    h('div', { class: `card${ds.drifted ? ' alarm' : ''}`, 'data-card': 'dataset' },
      h('div', { class: 'card-title' }, 'Dataset drift'),
      verdict(ds.drifted, 'yes', 'no'),
      h('div', { class: 'card-body' },
        `${ds.count} of ${ds.total} columns drifted (share ${shortNum(ds.share)} ${ds.share >= ds.threshold ? '≥' : '<'} threshold ${shortNum(ds.threshold)})`,
        ds.untested ? `; ${ds.untested} not tested` : ''),
      shareMeter(ds.share, ds.threshold)),
  ];
  if (r.prediction && r.prediction.tested === false) {
    // Not tested is not "no drift": a neutral verdict with the reason (issue 18: a NaN is never a verdict).
    cards.push(h('div', { class: 'card', 'data-card': 'prediction' },
      h('div', { class: 'card-title' }, 'Prediction drift'),
      h('span', { class: 'verdict untested' }, h('span', { class: 'codicon codicon-circle-slash', 'aria-hidden': 'true' }), ' not tested'),
      h('div', { class: 'card-body' }, r.prediction.note ?? 'the predictions could not be compared')));
  } else if (r.prediction) {
    cards.push(h('div', { class: `card${r.prediction.drifted ? ' alarm' : ''}`, 'data-card': 'prediction' },
      h('div', { class: 'card-title' }, 'Prediction drift'),
      verdict(r.prediction.drifted, `yes (${r.prediction.severity ?? 'medium'})`, 'no'),
      h('div', { class: 'card-body' }, describe(r.prediction))));
  }
  const open = d.alerts.filter((a) => a.status === 'open');
  const bySev = ['critical', 'high', 'medium'].map((s) => [s, open.filter((a) => a.severity === s).length] as const).filter(([, n]) => n);
  cards.push(h('div', { class: `card${open.length ? ' alarm' : ''}`, 'data-card': 'alerts' },
    h('div', { class: 'card-title' }, 'Alerts'),
    verdict(open.length > 0, `${open.length} open`, d.alerts.length ? 'none open' : 'none'),
    h('div', { class: 'card-body' }, bySev.length ? bySev.map(([s, n]) => `${n} ${s}`).join(', ') : d.alerts.length ? `${d.alerts.length} acknowledged or dismissed` : 'Nothing past its threshold.')));
  return h('div', { class: 'cards' }, cards);
}

/** Performance against the model's registered test metrics (when the batch had the target). */
export function performanceSection(r: DriftReport): HTMLElement | null {
  const p = r.performance;
  const rows = performanceRows(r);
  if (!p || !rows.length) return null;
  return h('section', { class: 'performance', 'aria-labelledby': 'perf-h' },
    h('h2', { id: 'perf-h' }, 'Performance'),
    h('p', { class: 'muted' }, `${p.rows} labelled rows of this batch against the model's test metrics at registration; an alert when a metric is more than ${shortNum(p.threshold * 100)} % worse.`),
    h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Performance checks' },
      h('table', { class: 'perf' },
        h('thead', {}, h('tr', {}, ['Metric', 'At registration', 'This batch', 'Change', 'Alert'].map((c, i) => h('th', { scope: 'col', class: i && i < 4 ? 'num' : undefined }, c)))),
        h('tbody', {}, rows.map((c) => h('tr', { class: c.degraded ? 'degraded' : c.current === null ? 'untested' : '' },
          h('th', { scope: 'row' }, c.metric),
          h('td', { class: 'num' }, shortNum(c.reference)),
          c.current === null
            ? h('td', { class: 'untested', colspan: 2, title: c.note ?? '' }, `not computed: ${c.note ?? ''}`)
            : h('td', { class: 'num' }, shortNum(c.current)),
          c.current === null ? null : h('td', { class: `num ${(c.degradation ?? 0) > 0 ? 'worse' : 'better'}` }, changeText(c.degradation ?? NaN)),
          h('td', {}, c.degraded ? [h('span', { class: 'codicon codicon-warning', 'aria-hidden': 'true' }), ' yes'] : 'no'))))),
    ),
  );
}

function alertItem(a: DriftAlertView): HTMLElement {
  return h('li', { class: `alert sev-${a.severity} status-${a.status}` },
    h('div', { class: 'alert-head' },
      h('span', { class: `codicon codicon-${SEVERITY_ICON[a.severity] ?? 'info'} sev-icon`, 'aria-hidden': 'true' }),
      h('span', { class: `sev sev-${a.severity}` }, a.severity),
      h('span', { class: 'alert-type' }, a.type.replace('_', ' ')),
      h('strong', { class: 'alert-subject' }, a.subject),
      a.status !== 'open' ? h('span', { class: 'badge' }, a.status) : null),
    h('p', { class: 'recommendation' }, a.recommendation));
}

/** The report's alerts, open ones first, each with its recommendation. */
export function alertsSection(alerts: DriftAlertView[]): HTMLElement {
  const order = { open: 0, acknowledged: 1, dismissed: 2 } as const;
  const sev = { critical: 0, high: 1, medium: 2 } as const;
  const sorted = [...alerts].sort((a, b) => order[a.status] - order[b.status] || sev[a.severity] - sev[b.severity]);
  return h('section', { class: 'alerts-section', 'aria-labelledby': 'alerts-h' },
    h('h2', { id: 'alerts-h' }, `Alerts (${alerts.length})`),
    alerts.length ? h('ul', { class: 'alerts' }, sorted.map(alertItem)) : h('p', { class: 'muted' }, 'No alerts: no feature, prediction or performance check passed its threshold.'));
}
