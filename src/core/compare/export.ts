/**
 * Exports of a comparison: CSV (RFC 4180) and Markdown tables. Both contain what the panel shows: the shown runs
 * in their order, the parameter and metric rows left by the "differences only" toggles, the best value of each
 * metric, and the deltas against the baseline when one is pinned.
 *
 * Layouts: `runs-as-columns` (as on screen: one column per run — the Markdown default) or `runs-as-rows` (one row
 * per run, a column per params.KEY / metrics.KEY / delta.KEY — the CSV default, what pandas and spreadsheets want).
 */
import {
  type ComparableRun,
  type Comparison,
  type CompareSettings,
  type MetricRow,
  formatDelta,
  formatNumber,
  formatPercent,
  formatValue,
  shownMetrics,
  shownParams,
} from './model';
import { comparedLabel } from './series';

export type ExportLayout = 'runs-as-columns' | 'runs-as-rows';

export interface ExportRun extends ComparableRun {
  experiment?: string;
  status?: string;
  /** The run's id in its source when `id` is a source-qualified key (an MLflow run: see runRefs.ts). */
  runId?: string;
  /** Where the run comes from ('Workspace', 'MLflow · host:5000', …). */
  source?: string;
}

/** Exports name each run's source when a run of another source than the workspace store is in the comparison. */
function hasSources(runs: readonly ExportRun[]): boolean {
  return runs.some((r) => r.runId !== undefined);
}

export interface ExportOptions {
  layout?: ExportLayout;
  /** Markdown only: a heading line. */
  title?: string;
}

// ------------------------------------------------------------------------------------------ CSV

/** One CSV field: quoted when needed; text that a spreadsheet would run as a formula is prefixed with '. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === undefined || v === null) return v === null ? 'none' : '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Deltas are differences of floats: 12 significant digits drop the noise (0.05, not 0.050000000000000044). */
function clean(v: number | undefined): number | undefined {
  return v === undefined || !Number.isFinite(v) ? v : Number(v.toPrecision(12));
}

function csvLine(fields: (string | number | boolean | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

export function comparisonToCsv<R extends ExportRun>(c: Comparison<R>, settings: CompareSettings, options: ExportOptions = {}): string {
  const params = shownParams(c, settings);
  const metrics = shownMetrics(c, settings);
  const withDeltas = !!c.baseline;
  const withSource = hasSources(c.runs);
  const lines: string[] = [];
  if ((options.layout ?? 'runs-as-rows') === 'runs-as-rows') {
    lines.push(
      csvLine([
        'run_id', 'run', ...(withSource ? ['source'] : []), 'experiment', 'status', 'baseline',
        ...params.map((p) => `params.${p.key}`),
        ...metrics.map((m) => `metrics.${m.key}`),
        ...(withDeltas ? metrics.map((m) => `delta.${m.key}`) : []),
        ...metrics.map((m) => `best.${m.key}`),
      ]),
    );
    c.runs.forEach((r, i) => {
      lines.push(
        csvLine([
          r.runId ?? r.id, r.name, ...(withSource ? [r.source] : []), r.experiment, r.status, c.baseline?.id === r.id,
          ...params.map((p) => p.values[i]),
          ...metrics.map((m) => m.values[i]),
          ...(withDeltas ? metrics.map((m) => clean(m.deltas[i])) : []),
          ...metrics.map((m) => m.isBest[i]),
        ]),
      );
    });
  } else {
    lines.push(csvLine(['section', 'key', 'direction', 'best', ...c.runs.map((r) => r.name)]));
    lines.push(csvLine(['run', 'run_id', '', '', ...c.runs.map((r) => r.runId ?? r.id)]));
    if (withSource) lines.push(csvLine(['run', 'source', '', '', ...c.runs.map((r) => r.source)]));
    lines.push(csvLine(['run', 'experiment', '', '', ...c.runs.map((r) => r.experiment)]));
    lines.push(csvLine(['run', 'status', '', '', ...c.runs.map((r) => r.status)]));
    if (c.baseline) lines.push(csvLine(['run', 'baseline', '', '', ...c.runs.map((r) => r.id === c.baseline!.id)]));
    for (const p of params) lines.push(csvLine(['param', p.key, '', '', ...p.values]));
    for (const m of metrics) lines.push(csvLine(['metric', m.key, m.direction, m.best, ...m.values]));
    if (withDeltas) for (const m of metrics) lines.push(csvLine(['delta', m.key, m.direction, '', ...m.deltas.map(clean)]));
  }
  return lines.join('\r\n') + '\r\n';
}

// ------------------------------------------------------------------------------------------ Markdown

/** Text for a Markdown table cell: pipes, emphasis, links, code and HTML are escaped; line breaks become spaces. */
export function mdText(s: string): string {
  return s.replace(/\r\n|\r|\n/g, ' ').replace(/[\\`*_[\]<>|~&]/g, (ch) => '\\' + ch);
}

function arrow(m: MetricRow): string {
  return m.direction === 'min' ? '↓' : '↑';
}

function metricCell(m: MetricRow, i: number, withDelta: boolean, isBaseline: boolean): string {
  const v = m.values[i];
  if (v === undefined) return '—';
  let s = formatNumber(v);
  if (m.isBest[i]) s = `**${s}**`;
  const d = m.deltas[i];
  if (withDelta && !isBaseline && d !== undefined) {
    const rel = m.relDeltas[i];
    s += ` (${formatDelta(d)}${rel !== undefined && d !== 0 ? `, ${formatPercent(rel)}` : ''})`;
  }
  return s;
}

function mdTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const sep = align.map((a) => (a === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function comparisonToMarkdown<R extends ExportRun>(c: Comparison<R>, settings: CompareSettings, options: ExportOptions = {}): string {
  const params = shownParams(c, settings);
  const metrics = shownMetrics(c, settings);
  const withDelta = !!c.baseline;
  const out: string[] = [];
  if (options.title) out.push(`## ${mdText(options.title)}`);
  const notes = [`${c.runs.length} run${c.runs.length === 1 ? '' : 's'}`];
  if (c.hidden.length) notes.push(`${c.hidden.length} hidden`);
  notes.push('**bold**: best value of each metric (↓ lower is better, ↑ higher is better)');
  if (settings.compared && settings.compared.kind !== 'last') notes.push(`metrics compared by their ${comparedLabel(settings.compared)}`);
  if (c.baseline) notes.push(`deltas against the baseline ${mdText(c.baseline.name)} in parentheses`);
  if (settings.paramsDiffOnly || settings.metricsDiffOnly) notes.push(`only ${[settings.paramsDiffOnly ? 'parameters' : '', settings.metricsDiffOnly ? 'metrics' : ''].filter(Boolean).join(' and ')} that differ`);
  out.push(notes.join('; ') + '.');
  const runLabel = (r: R) => mdText(r.name) + (c.baseline?.id === r.id ? ' (baseline)' : '');
  if (hasSources(c.runs)) {
    out.push('### Runs');
    out.push(mdTable(['Run', 'Source', 'Experiment', 'Run id'], ['l', 'l', 'l', 'l'], c.runs.map((r) => [runLabel(r), mdText(r.source ?? ''), mdText(r.experiment ?? ''), mdText(r.runId ?? r.id)])));
  }

  if ((options.layout ?? 'runs-as-columns') === 'runs-as-columns') {
    out.push('### Parameters');
    out.push(params.length
      ? mdTable(['Parameter', ...c.runs.map(runLabel)], ['l', ...c.runs.map(() => 'l' as const)], params.map((p) => [mdText(p.key), ...p.values.map((v) => (v === undefined ? '—' : mdText(formatValue(v))))]))
      : '_No parameters' + (settings.paramsDiffOnly ? ' differ' : '') + '._');
    out.push('### Metrics');
    out.push(metrics.length
      ? mdTable(['Metric', ...c.runs.map(runLabel)], ['l', ...c.runs.map(() => 'r' as const)], metrics.map((m) => [`${mdText(m.key)} ${arrow(m)}`, ...c.runs.map((r, i) => metricCell(m, i, withDelta, c.baseline?.id === r.id))]))
      : '_No metrics' + (settings.metricsDiffOnly ? ' differ' : '') + '._');
  } else {
    const header = ['Run', ...params.map((p) => mdText(p.key)), ...metrics.map((m) => `${mdText(m.key)} ${arrow(m)}`)];
    const align: ('l' | 'r')[] = ['l', ...params.map(() => 'l' as const), ...metrics.map(() => 'r' as const)];
    out.push(mdTable(header, align, c.runs.map((r, i) => [runLabel(r), ...params.map((p) => (p.values[i] === undefined ? '—' : mdText(formatValue(p.values[i])))), ...metrics.map((m) => metricCell(m, i, withDelta, c.baseline?.id === r.id))])));
  }
  return out.join('\n\n') + '\n';
}
