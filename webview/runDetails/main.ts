/** The run details webview: renders one run from the extension's `run` messages. */
import '../common/base.css';
import './style.css';
import { clear, fmtValue, h } from '../common/dom';
import { host } from '../common/vscode';
import type { MetricSeriesView, RunDetailsFromWebview, RunDetailsToWebview, RunView } from '../../src/shared/protocol';

const vscode = host<RunDetailsToWebview, RunDetailsFromWebview>();
const app = document.getElementById('app')!;

function kvTable(o: Record<string, unknown>, empty: string): HTMLElement {
  const keys = Object.keys(o).sort();
  if (!keys.length) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    {},
    h('tbody', {}, keys.map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: typeof o[k] === 'number' ? 'num' : '' }, fmtValue(o[k]))))),
  );
}

function metricsTable(run: RunView, history: MetricSeriesView[]): HTMLElement {
  const keys = Object.keys(run.metrics).sort();
  if (!keys.length) return h('p', { class: 'muted' }, 'No metrics logged.');
  const byKey = new Map(history.map((s) => [s.key, s]));
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', {}, 'metric'), h('th', {}, 'latest'), h('th', {}, 'values logged'), h('th', {}, 'min'), h('th', {}, 'max'))),
    h(
      'tbody',
      {},
      keys.map((k) => {
        const s = byKey.get(k);
        const vals = s ? s.points.map((p) => p.value).filter(Number.isFinite) : [];
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, k),
          h('td', { class: 'num' }, fmtValue(run.metrics[k])),
          h('td', { class: 'num' }, s ? s.points.length : 1),
          h('td', { class: 'num' }, vals.length ? fmtValue(Math.min(...vals)) : ''),
          h('td', { class: 'num' }, vals.length ? fmtValue(Math.max(...vals)) : ''),
        );
      }),
    ),
  );
}

function render(run: RunView, history: MetricSeriesView[]): void {
  clear(app);
  const status = run.interrupted ? 'interrupted' : run.status;
  const env = run.environment as Record<string, unknown>;
  const envRows: Record<string, unknown> = {};
  const git = env.git as { commit: string; dirty: boolean; branch?: string } | null | undefined;
  envRows['git commit'] = git ? `${git.commit}${git.dirty ? ' (dirty)' : ''}${git.branch ? ` on ${git.branch}` : ''}` : 'not a git repository';
  envRows['workbench version'] = env.extensionVersion;
  envRows['node'] = env.nodeVersion;
  const os = env.os as { platform: string; release: string; arch: string } | undefined;
  if (os) envRows['os'] = `${os.platform} ${os.release} ${os.arch}`;
  if (env.host) envRows['host'] = env.host;
  const libs = env.libraries as Record<string, string> | undefined;
  if (libs) for (const [k, v] of Object.entries(libs)) envRows[`library ${k}`] = v;
  const ds = env.dataset as { path: string; sha256: string; rows?: number } | null | undefined;
  if (ds) {
    envRows['dataset'] = ds.path;
    envRows['dataset sha256'] = ds.sha256;
    if (ds.rows !== undefined) envRows['dataset rows'] = ds.rows;
  }
  if (env.seed !== null && env.seed !== undefined) envRows['seed'] = env.seed;

  const children: (Node | null | (Node | null)[])[] = [
    h('h1', {}, run.name),
    h(
      'p',
      { class: 'muted' },
      h('span', { class: `status-${run.interrupted ? 'failed' : run.status}` }, status),
      ` · experiment `,
      h('strong', {}, run.experiment),
      ` · started ${new Date(run.startTime).toLocaleString()}`,
      run.endTime ? ` · ended ${new Date(run.endTime).toLocaleString()}` : '',
      ` · ${(run.durationMs / 1000).toFixed(2)} s · `,
      h('button', { class: 'link', title: 'Copy run id', onclick: () => vscode.post({ type: 'copy', text: run.id }) }, h('code', {}, run.id)),
    ),
    run.problems.length ? h('div', { class: 'warning' }, run.problems.map((p) => h('p', {}, `⚠ ${p.file}: ${p.message}`))) : null,
    h('h2', {}, 'Parameters'),
    kvTable(run.params, 'No parameters logged.'),
    h('h2', {}, 'Metrics'),
    metricsTable(run, history),
    h('h2', {}, 'Tags'),
    kvTable(run.tags, 'No tags.'),
    run.notes ? [h('h2', {}, 'Notes'), h('pre', { class: 'notes' }, run.notes)] : null,
    h('h2', {}, 'Artifacts'),
    run.artifacts.length
      ? h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, 'file'), h('th', {}, 'kind'), h('th', {}, 'size'), h('th', {}, 'sha256'))),
          h(
            'tbody',
            {},
            run.artifacts.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, h('button', { class: 'link artifact', 'data-path': a.path, onclick: () => vscode.post({ type: 'openArtifact', path: a.path }) }, a.path)),
                h('td', {}, a.kind),
                h('td', { class: 'num' }, a.size),
                h('td', { class: 'mono' }, a.sha256.slice(0, 16)),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No artifacts.'),
    h('h2', {}, 'Environment'),
    kvTable(envRows, 'No environment recorded.'),
  ];
  for (const c of children.flat()) if (c) app.append(c);
  document.title = `Run: ${run.name}`;
}

vscode.onMessage((msg) => {
  switch (msg.type) {
    case 'run':
      render(msg.run, msg.history);
      break;
    case 'gone':
      clear(app);
      app.append(h('div', { class: 'gone', role: 'alert' }, msg.reason));
      break;
  }
});
vscode.post({ type: 'ready' });
