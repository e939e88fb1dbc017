/**
 * Compare Runs, the Node side: building the panel's data message (params, metrics, step histories, feature
 * importances read from the store) and the comparison model and exports, for 5 runs and 50, 200 and 500 runs × 20 metrics;
 * then the webview's own start and draw in headless Chromium.
 * The time from the command to the fully drawn panel is measured in the browser by the E2E spec
 * (test/e2e/30-compare.spec.mjs); its last figures are printed here from test-output/compare-render-times.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultDirections } from '../../src/core/compare/directions';
import { comparisonToCsv, comparisonToMarkdown } from '../../src/core/compare/export';
import { buildComparison, type CompareSettings, defaultSettings } from '../../src/core/compare/model';
import { Tracker } from '../../src/core/tracking/tracker';
import type { ComparedValue } from '../../src/core/compare/series';
import { WorkspaceSource } from '../../src/core/sources/workspace/workspaceSource';
import type { CompareRunView } from '../../src/shared/protocol';
import { buildCompareData, type CompareSources } from '../../src/extension/compare/compareData';
import { clearCompareCache } from '../../src/extension/compare/sourceCompareData';
import { fmtMs, median, repeat, report } from './harness';

function makeStore(root: string, runs: number, metrics: number, steps: number): Tracker {
  const t = Tracker.open(path.join(root, '.mlops'), { create: true });
  const fi = path.join(root, 'feature_importance.json');
  for (let i = 0; i < runs; i++) {
    fs.writeFileSync(fi, JSON.stringify({ method: 'impurity', features: ['Temperature', 'Dies_tested', 'Idd_mean', 'Vdd_mean', 'Frequency_mean'].map((f, k) => ({ feature: f, importance: (5 - k) / 15 + i / 1000 })) }));
    const run = t.startRun({ experiment: `Bench${runs}`, name: `run-${i}`, params: { n_estimators: [50, 100, 200][i % 3], max_depth: [5, 10, null][i % 3], seed: i }, tags: { sweep_id: 'bench' } });
    for (let s = 1; s <= steps; s++) run.logMetric('rmse_test', 3 + 1 / s + i / 1000, s);
    for (let m = 0; m < metrics - 1; m++) run.logMetric(`m${String(m).padStart(2, '0')}`, ((i * 7 + m * 13) % 97) / 97);
    run.logArtifactFile(fi);
    run.end('completed');
  }
  t.store.flush();
  return t;
}

/** Import an ES module from CommonJS (tsc would turn a plain import() into require()). */
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<Record<string, unknown>>;

/**
 * The webview's own share of an open: the built compare bundle in headless Chromium (no VS Code around it) with a
 * stub host, the document loaded afresh per sample: page load → `ready` (parse and start the inlined bundle), and the data message →
 * tables and the shown chart painted (the `rendered` message's renderMs). What VS Code adds (creating the webview
 * frame, delivering the document) is in the E2E figures.
 */
async function webviewDraw(messages: { label: string; data: unknown }[]): Promise<void> {
  const repo = path.join(__dirname, '..', '..', '..');
  const bundle = path.join(repo, 'dist', 'webview', 'compare.js');
  let launchBrowser: (o?: object) => Promise<{ newPage(o: object): Promise<unknown>; close(): Promise<void> }>;
  try {
    ({ launchBrowser } = (await importEsm(path.join(repo, 'test', 'host', 'server.mjs'))) as never);
  } catch (e) {
    console.log(`  (webview draw skipped: ${(e as Error).message})`);
    return;
  }
  const js = fs.readFileSync(bundle, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  const css = fs.readFileSync(bundle.replace(/\.js$/, '.css'), 'utf8');
  const html = `<!DOCTYPE html><html><head><style>${css}</style></head><body class="vscode-dark"><div id="app" data-app="compare"></div>
<script>window.__posted=[];window.acquireVsCodeApi=()=>({postMessage:(m)=>{window.__posted.push(m);if(m.type==='ready')window.__readyAt=Date.now();},getState:()=>undefined,setState:()=>{}});</script>
<script>${js}</script></body></html>`;
  let browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    console.log(`  (webview draw skipped: ${(e as Error).message})`);
    return;
  }
  type Page = {
    route(url: string, handler: (r: { fulfill(o: object): Promise<void> }) => unknown): Promise<void>;
    goto(url: string): Promise<unknown>;
    waitForFunction(fn: () => unknown): Promise<unknown>;
    evaluate<T>(fn: (d: unknown) => Promise<T> | T, arg?: unknown): Promise<T>;
    close(): Promise<void>;
  };
  try {
    for (const { label, data } of messages) {
      const ready: number[] = [];
      const draw: number[] = [];
      // One page, a fresh document (and window: custom elements defined anew, like a new webview frame) per sample,
      // navigated to the same URL, so the renderer keeps its code cache as VS Code's webview frames do.
      const page = (await browser.newPage({ viewport: { width: 1400, height: 900 } })) as Page;
      await page.route(BENCH_URL, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: html }));
      for (let i = 0; i < 9; i++) {
        const t0 = Date.now();
        await page.goto(BENCH_URL);
        // These functions run in the page (globalThis is its window).
        await page.waitForFunction(() => (globalThis as unknown as { __readyAt?: number }).__readyAt);
        ready.push((await page.evaluate(() => (globalThis as unknown as { __readyAt: number }).__readyAt)) - t0);
        draw.push(await page.evaluate(async (d) => {
          const w = globalThis as unknown as { __posted: { type: string; renderMs?: number }[]; postMessage(m: unknown, o: string): void };
          w.postMessage(d, '*');
          for (;;) {
            const r = w.__posted.find((m) => m.type === 'rendered');
            if (r) return r.renderMs as number;
            await new Promise((res) => setTimeout(res, 2));
          }
        }, data));
      }
      if (process.env.MLOPS_BENCH_PROFILE === '1') await profileDraw(page as unknown as ProfilablePage, data, label);
      await page.close();
      // The first sample pays Chromium's own warm-up: left out.
      report('compare', `${label}: webview document → ready (Chromium, median)`, fmtMs(median(ready.slice(1))), `bundle ${(js.length / 1024).toFixed(0)} KB inline`);
      report('compare', `${label}: webview data → drawn (Chromium, median)`, fmtMs(median(draw.slice(1))), 'tables + the shown chart painted');
    }
  } finally {
    await browser.close();
  }
}

type ProfilablePage = Page0 & { context(): { newCDPSession(p: unknown): Promise<{ send(m: string, p?: object): Promise<unknown> }> } };
type Page0 = { goto(url: string): Promise<unknown>; waitForFunction(fn: () => unknown): Promise<unknown>; evaluate<T>(fn: (d: unknown) => Promise<T> | T, arg?: unknown): Promise<T> };
const BENCH_URL = 'http://bench.invalid/compare.html';

/**
 * MLOPS_BENCH_PROFILE=1: a CPU profile of one more draw (the data message → painted), printed as the functions with
 * the most self time (layout and style recalculation show up as "(program)" or under the function that forced them).
 */
async function profileDraw(page: ProfilablePage, data: unknown, label: string): Promise<void> {
  await page.goto(BENCH_URL);
  await page.waitForFunction(() => (globalThis as unknown as { __readyAt?: number }).__readyAt);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.evaluate(async (d) => {
    const w = globalThis as unknown as { __posted: { type: string }[]; postMessage(m: unknown, o: string): void };
    w.postMessage(d, '*');
    while (!w.__posted.some((m) => m.type === 'rendered')) await new Promise((res) => setTimeout(res, 2));
  }, data);
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]; samples: number[]; timeDeltas: number[] } };
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byNode.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  profile of one draw, ${label}: ${total.toFixed(0)} ms sampled; most self time:`);
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${ms.toFixed(1).padStart(7)} ms  ${k}`);
}

export async function compareBench(): Promise<void> {
  console.log('\nCompare Runs (Node side): data message, comparison model, exports');
  const messages: { label: string; data: unknown }[] = [];
  for (const [runs, metrics] of [[5, 5], [50, 20], [200, 20], [500, 20]] as const) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-compare-'));
    try {
      const t0 = makeStore(root, runs, metrics, 100);
      t0.store.flush();
      // Through the RunSource interface, as the panel reads (buildCompareData over the workspace store's source).
      const build = async (t: Tracker, compared: ComparedValue): Promise<{ ms: number; views: CompareRunView[] }> => {
        const sources: CompareSources = { workspace: [{ label: 'Workspace', open: async () => new WorkspaceSource(t, () => undefined), experiment: () => undefined }], mlflow: () => undefined };
        const ids = t.snapshot().runs.map((r) => r.id);
        const t0 = performance.now();
        const { msg } = await buildCompareData(sources, ids, 'bench', new Map(), {}, undefined, compared);
        return { ms: performance.now() - t0, views: msg.runs };
      };
      // Cold: nothing cached (the cache is cleared), a fresh Tracker each time, median of 3.
      const colds: number[] = [];
      let views: CompareRunView[] = [];
      for (let k = 0; k < 3; k++) {
        clearCompareCache();
        const r = await build(Tracker.open(path.join(root, '.mlops')), { kind: 'last' });
        colds.push(r.ms);
        views = r.views;
      }
      const t = Tracker.open(path.join(root, '.mlops'));
      await build(t, { kind: 'last' });
      report('compare', `${runs} runs × ${metrics} metrics: data message, cold (read histories, importances), median`, fmtMs(median(colds)));
      const mins: number[] = [];
      for (let k = 0; k < 5; k++) mins.push((await build(t, { kind: 'min' })).ms);
      report('compare', `${runs} runs × ${metrics} metrics: data message, min over history (cached series), median`, fmtMs(median(mins)));
      const warm: number[] = [];
      for (let k = 0; k < 5; k++) warm.push((await build(t, { kind: 'last' })).ms);
      report('compare', `${runs} runs × ${metrics} metrics: data message, unchanged runs (cached), median`, fmtMs(median(warm)));
      const directions = defaultDirections(new Set(views.flatMap((v) => Object.keys(v.metrics))));
      const size = JSON.stringify({ type: 'data', runs: views, directions }).length;
      report('compare', `${runs} runs × ${metrics} metrics: data message size`, `${(size / 1024).toFixed(0)} KB`, '100-step rmse_test history per run');
      const settings: CompareSettings = { ...defaultSettings(), baseline: views[0].id, sort: { by: 'metric', key: 'rmse_test', descending: false }, metricsDiffOnly: true };
      const model = repeat(20, () => buildComparison(views, settings, directions));
      report('compare', `${runs} runs × ${metrics} metrics: comparison model (sort, best, deltas), median`, fmtMs(median(model)));
      messages.push({ label: `${runs} runs × ${metrics} metrics`, data: { type: 'data', title: `Compare: ${runs} runs`, runIds: views.map((v) => v.id), runs: views, gone: [], directions, primaryMetric: 'rmse_test' } });
      const c = buildComparison(views, settings, directions);
      report('compare', `${runs} runs × ${metrics} metrics: CSV + Markdown export, median`, fmtMs(median(repeat(20, () => {
        comparisonToCsv(c, settings);
        comparisonToMarkdown(c, settings);
      }))));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  console.log('\nCompare Runs (webview): the built bundle in headless Chromium');
  await webviewDraw(messages);
  const figures500 = path.join(__dirname, '..', '..', '..', 'test-output', 'compare-500-times.json');
  if (fs.existsSync(figures500)) {
    const f = JSON.parse(fs.readFileSync(figures500, 'utf8')) as { results: { runs: number; drawn: { sinceCommandMs: number; phases?: { data: number; draw: number; hostWorker?: number } }; scroll: { longestFrameMs: number; over100: number; frames: number }; tabs: { longestFrameMs: number; over100: number; frames: number } }[] };
    const when = fs.statSync(figures500).mtime.toISOString();
    for (const r of f.results) {
      const worker = r.drawn.phases?.hostWorker ?? 0;
      // A webview after the first in a page waits ≈1 s for VS Code's webview service worker (docs/compare.md): named apart.
      const wait = worker > 100 ? `; ${worker} ms of it VS Code's webview service worker, ${r.drawn.sinceCommandMs - worker} ms without` : '';
      report('compare', `${r.runs} runs × 20 metrics: command → drawn (E2E 31)`, fmtMs(r.drawn.sinceCommandMs), `ready → data ${r.drawn.phases?.data} ms, data → drawn ${r.drawn.phases?.draw} ms${wait} (${when})`);
      report('compare', `${r.runs} runs: longest frame scrolling / chart tabs (E2E 31)`, `${r.scroll.longestFrameMs} / ${r.tabs.longestFrameMs} ms`, `frames over 100 ms: ${r.scroll.over100} of ${r.scroll.frames} / ${r.tabs.over100} of ${r.tabs.frames}`);
    }
  } else {
    console.log('  (500 runs: run `node test/host/run-e2e.mjs 31-compare-500` for the command → drawn and frame figures)');
  }
  const figures = path.join(__dirname, '..', '..', '..', 'test-output', 'compare-render-times.json');
  if (fs.existsSync(figures)) {
    const f = JSON.parse(fs.readFileSync(figures, 'utf8')) as { render: { runs: number; metrics: number; again?: boolean; reusedTab?: boolean; sinceCommandMs: number; webviewMs: number; phases?: Record<string, number> }[] };
    const when = fs.statSync(figures).mtime.toISOString();
    for (const r of f.render) {
      const p = r.phases;
      report('compare', `${r.runs} runs × ${r.metrics} metrics: command → panel drawn (E2E${r.again ? ', again' : ''}${r.reusedTab ? ', reused tab' : ''})`, fmtMs(r.sinceCommandMs),
        p ? `webview start ${p.webviewStart} ms, document → ready ${p.script} ms${p.hostWorker ? ` (${p.hostWorker} ms of it VS Code's webview service worker starting)` : ''}, ready → data ${p.data} ms, data → drawn ${p.draw} ms (${when})` : when);
    }
  } else {
    console.log('  (command → drawn panel: run `node test/host/run-e2e.mjs 30-compare` to measure it in the browser)');
  }
}
