/** Human-readable output for the CLI: aligned tables and run details. */
import type { SourceRun } from '../core/sources/types';
import type { Run } from '../core/store/types';

/**
 * An aligned table. `paint` may colour a body cell (row, column): it is applied to the cell's text before the padding,
 * so the columns stay aligned; without it the text is exactly as before.
 */
export function table(headers: string[], rows: string[][], paint?: (cell: string, row: number, col: number) => string): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], row = -1) => cells.map((c = '', i) => (row >= 0 && paint && c ? paint(c, row, i) : c) + ' '.repeat(Math.max(0, widths[i] - c.length))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r, i) => line(r, i))].join('\n');
}

export function fmtNumber(v: number | undefined): string {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e12) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function statusLabel(r: Pick<Run, 'interrupted' | 'effectiveStatus'>): string {
  return r.interrupted ? 'failed (interrupted)' : r.effectiveStatus;
}

/** The fields of a run's --json shape that every source has (the workspace store's and MLflow's runs). */
export function commonRunJson(r: SourceRun) {
  return {
    id: r.id,
    experiment: r.experimentName,
    experimentId: r.experimentId,
    name: r.name,
    status: r.effectiveStatus,
    recordedStatus: r.status,
    interrupted: r.interrupted,
    startTime: new Date(r.startTime).toISOString(),
    endTime: r.endTime === null ? null : new Date(r.endTime).toISOString(),
    durationSeconds: r.duration / 1000,
    params: r.params,
    metrics: r.metrics,
    tags: r.tags,
    notes: r.notes,
  };
}

/** The JSON shape of a run printed by --json (stable for scripts and CI). */
export function runToJson(r: Run) {
  return {
    ...commonRunJson(r),
    environment: r.environment,
    artifacts: r.artifacts,
    problems: r.problems,
  };
}

export function runDetails(r: Run): string {
  const kv = (o: Record<string, unknown>) =>
    Object.keys(o).length ? table(['key', 'value'], Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? fmtNumber(v) : String(v)])) : '(none)';
  const env = r.environment;
  const lines = [
    `Run ${r.name}  (${r.id})`,
    `Experiment: ${r.experimentName}`,
    `Status:     ${statusLabel(r)}`,
    `Started:    ${fmtTime(r.startTime)}`,
    `Ended:      ${fmtTime(r.endTime)}`,
    `Duration:   ${fmtDuration(r.duration)}`,
    '',
    'Params',
    kv(r.params),
    '',
    'Metrics (latest)',
    kv(r.metrics),
    '',
    'Tags',
    kv(r.tags),
  ];
  if (r.notes) lines.push('', 'Notes', r.notes);
  lines.push(
    '',
    'Environment',
    `  git:       ${env.git ? `${env.git.commit}${env.git.dirty ? ' (dirty)' : ''}` : 'not a git repository'}`,
    `  node:      ${env.nodeVersion}`,
    `  os:        ${env.os.platform} ${env.os.release} ${env.os.arch}`,
    `  workbench: ${env.extensionVersion}`,
  );
  if (env.libraries && Object.keys(env.libraries).length) lines.push(`  libraries: ${Object.entries(env.libraries).map(([k, v]) => `${k}@${v}`).join(', ')}`);
  if (env.dataset) lines.push(`  dataset:   ${env.dataset.path} sha256:${env.dataset.sha256}`);
  if (env.seed !== null && env.seed !== undefined) lines.push(`  seed:      ${env.seed}`);
  if (r.artifacts.length) {
    lines.push('', 'Artifacts', table(['path', 'kind', 'bytes', 'sha256'], r.artifacts.map((a) => [a.path, a.kind, String(a.size), a.sha256.slice(0, 12)])));
  }
  for (const p of r.problems) lines.push(`warning: ${p.file}: ${p.message}`);
  return lines.join('\n');
}
