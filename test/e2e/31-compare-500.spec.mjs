/* global document, Event, performance, requestAnimationFrame, window */
// Compare Runs at 500 (issue 15): a workspace store with 50, 200 and 500-run experiments (20 metrics each, four of them
// with histories: loss over 300 steps, val_loss and rmse_test over 100, accuracy over 50), written with the core's
// store API (real files). For each size: Compare All Runs in Experiment → the time from the command to the panel fully
// drawn ("fully drawn": the webview's `rendered` report, posted after the tables are built, every chart of the shown
// tab created and two animation frames painted, as in 30-compare), then, recording every frame inside the webview
// (requestAnimationFrame deltas) and the renderer's task time over the same span (Chrome DevTools protocol,
// Performance.getMetrics): scrolling the metrics table to its last run column and the panel down and up, and switching
// through every chart tab. The figures go to test-output/compare-500-times.json and are printed.
//
// Frames over 100 ms are recorded, not asserted: on the 2-core CI machine other work shares the CPU and a single
// hiccup would make such a test flaky. What is asserted is behaviour: virtual columns (few cells in the document, the
// full table's size for screen readers, the last run reachable by scrolling), the best run first in the bar chart,
// and "min over history" as the compared value making the run with the lowest loss ever the starred best.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout } from 'node:timers';
import esbuild from 'esbuild';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SIZES = [50, 200, 500];
const CHART_TABS = ['Metrics', 'History', 'Scatter', 'Parallel coordinates', 'Feature importance'];

/** The store, with the core's Store (bundled from src/ for this spec): completed runs and their metric points. */
async function writeStore(ctx, ws) {
  const writer = path.join(ctx.outDir, 'store-api.cjs');
  await esbuild.build({
    stdin: { contents: "export { Store, encodeNumberMap } from './src/core/store/store';", resolveDir: ctx.repo, loader: 'ts' },
    bundle: true, platform: 'node', format: 'cjs', outfile: writer, logLevel: 'silent',
  });
  const { Store, encodeNumberMap } = createRequire(import.meta.url)(writer);
  const store = Store.open(path.join(ws, '.mlops'), { create: true });
  const expected = {};
  const t0 = Date.now();
  for (const n of SIZES) {
    const exp = store.ensureExperiment(`Sweep${n}`);
    let bestMinLoss = { value: Infinity, name: '' };
    for (let i = 0; i < n; i++) {
      const id = Store.newRunId();
      const name = `s${n}-lr${[1, 3, 10, 30][i % 4]}e-3-b${[32, 64, 128][i % 3]}-${String(i).padStart(3, '0')}`;
      const start = Date.UTC(2025, 5, 1) + i * 60_000;
      const points = [];
      const log = (key, step, value) => points.push({ key, step, value, timestamp: start + step * 10 });
      // loss: decays, then (for some runs) overfits upward: its minimum is not its last value.
      const decay = 40 + (i * 37) % 90;
      const floor = 0.2 + ((i * 53) % 100) / 400;
      const overfit = i % 5 === 0 ? 0.0008 * ((i * 7) % 11) : 0;
      let minLoss = Infinity;
      for (let s = 0; s < 300; s++) {
        const v = Number((2.5 * Math.exp(-s / decay) + floor + overfit * Math.max(0, s - 150) + 0.01 * Math.sin(s * 0.7 + i)).toFixed(5));
        minLoss = Math.min(minLoss, v);
        log('loss', s, v);
      }
      if (minLoss < bestMinLoss.value) bestMinLoss = { value: minLoss, name };
      for (let s = 0; s < 100; s++) {
        log('val_loss', s * 3, Number((2.6 * Math.exp(-(s * 3) / decay) + floor * 1.1 + 0.02 * Math.cos(s + i)).toFixed(5)));
        log('rmse_test', s * 3, Number((3 + 1.5 * Math.exp(-s / 30) + ((i * 29) % 50) / 100).toFixed(4)));
      }
      for (let s = 0; s < 50; s++) log('accuracy', s * 6, Number((0.95 - 0.5 * Math.exp(-s / 12) - ((i * 13) % 40) / 1000).toFixed(4)));
      const metrics = {};
      for (const p of points) metrics[p.key] = p.value; // the last step's value (points are in step order per key)
      for (let m = 0; m < 16; m++) {
        metrics[`m${String(m).padStart(2, '0')}`] = Number((((i * 7 + m * 13) % 97) / 97).toFixed(4));
        log(`m${String(m).padStart(2, '0')}`, 0, metrics[`m${String(m).padStart(2, '0')}`]);
      }
      store.createRunFolder({
        format: 1, id, experimentId: exp.id, name, status: 'completed', startTime: start, endTime: start + 5000,
        params: { lr: [0.001, 0.003, 0.01, 0.03][i % 4], batch_size: [32, 64, 128][i % 3], depth: [4, 6, 8, 10][(i >> 2) % 4], optimizer: i % 2 ? 'adam' : 'sgd', seed: i },
        tags: { sweep_id: `sweep-${n}` }, notes: '', artifacts: [], owner: null,
        environment: { extensionVersion: '0', nodeVersion: process.version, os: { platform: process.platform, release: '', arch: process.arch } },
        metricsSummary: encodeNumberMap(metrics), metricsCount: points.length,
      }, { durable: false });
      store.appendMetricPoints(id, points);
    }
    expected[n] = { bestMinLoss };
  }
  store.flush();
  ctx.log(`store written: ${SIZES.join(' + ')} runs in ${Date.now() - t0} ms`);
  return expected;
}

/** Starts recording every animation frame's duration inside the webview (and the renderer's task time, via CDP). */
async function startFrames(frame, cdp) {
  await frame.evaluate(() => {
    const w = window;
    w.__frames = [];
    w.__rec = true;
    let last = performance.now();
    const loop = (t) => {
      w.__frames.push(t - last);
      last = t;
      if (w.__rec) requestAnimationFrame(loop);
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(loop);
    });
  });
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

async function stopFrames(frame, cdp, before) {
  const frames = await frame.evaluate(() => {
    window.__rec = false;
    return window.__frames;
  });
  const { metrics } = await cdp.send('Performance.getMetrics');
  const after = Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  const ms = (k) => Math.round((after[k] - before[k]) * 1000);
  const sorted = [...frames].sort((a, b) => a - b);
  return {
    frames: frames.length,
    longestFrameMs: Math.round(sorted[sorted.length - 1] ?? 0),
    p95FrameMs: Math.round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
    over50: frames.filter((f) => f > 50).length,
    over100: frames.filter((f) => f > 100).length,
    longest5: sorted.slice(-5).reverse().map(Math.round),
    cdp: { taskMs: ms('TaskDuration'), scriptMs: ms('ScriptDuration'), layoutMs: ms('LayoutDuration'), styleMs: ms('RecalcStyleDuration') },
  };
}

export default async function compare500(ctx) {
  const { openView, runCommand, waitForText } = ctx.helpers;
  const ws = ctx.makeWorkspace('compare-500');
  const expected = await writeStore(ctx, ws);

  const { page } = await ctx.openWorkbench(ws);
  await openView(page, 'MLOps');
  await waitForText(page.locator('.part.sidebar'), 'Sweep500', 60_000);
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility'); // the panel gets the window's width
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const pickInQuickInput = async (text) => {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
  };
  const { appState: state, waitAppState: waitState } = ctx.helpers;

  const results = [];
  // Largest first: the 500-run panel is the page's first webview. In VS Code in a browser (code-server here) every
  // later webview of a page waits about a second for VS Code's webview service worker before its document loads
  // (measured below with VS Code's own Markdown preview): `phases.hostWorker` says how long, for each panel.
  for (const n of [...SIZES].reverse()) {
    await runCommand(page, 'View: Close All Editors');
    // A pause after closing the previous panel: opened within half a second of closing the 500-run panel, the next
    // webview's document came 2.0–2.8 s after the command (3 runs of 5; 0.2 s after a 4 s pause): the browser still
    // tearing down the closed one. That is not the new panel's time, and is left out of its figure.
    await sleep(3000);
    const title = `Compare: Sweep${n}`;
    const opened = await ctx.helpers.openAppPanel(page, title, async () => {
      await runCommand(page, 'MLOps: Compare All Runs in Experiment');
      await pickInQuickInput(`Sweep${n}`);
    }, { log: ctx.log });
    const frame = opened.frame;
    const s = await state(frame);
    const drawn = { sinceCommandMs: Number(s.sinceRequestMs), webviewMs: Math.round(Number(s.renderMs)), phases: JSON.parse(s.phases ?? 'null'), seenByTestMs: opened.seenMs, attempt: opened.attempt };
    ctx.log(`${n} runs × 20 metrics: command → drawn ${drawn.sinceCommandMs} ms (webview ${drawn.webviewMs} ms; phases ${JSON.stringify(drawn.phases)})`);

    // The tables: every run column, or (past 60 runs) only those in view.
    const table = frame.locator('table.metrics');
    assert.equal(await table.getAttribute('aria-colcount'), String(n + 1), 'the table says how many columns it has');
    assert.equal(await frame.locator('table.metrics tbody tr').count(), 20, '20 metric rows');
    const cols = await frame.locator('table.metrics thead th.run').count();
    if (n > 60) assert.ok(cols < 30, `virtual columns: ${cols} of ${n} run columns in the document`);
    else assert.equal(cols, n);
    const domNodes = await frame.evaluate(() => document.getElementsByTagName('*').length);
    // Bars: best first.
    const barsTitle = await frame.locator('canvas').first().getAttribute('aria-label');
    assert.match(barsTitle, /best first/);

    // --- Frames while scrolling the metrics table to its last column, then the panel down and back up.
    const box = await table.locator('xpath=..').boundingBox();
    const scrollRec = await startFrames(frame, cdp);
    await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 200));
    const width = await frame.locator('table.metrics').evaluate((t) => t.parentElement.scrollWidth - t.parentElement.clientWidth);
    // At most 100 wheel turns of 400 px or more (500 runs: 850 px a turn, five columns: a fast flick to the end).
    const delta = Math.max(400, Math.ceil(width / 100));
    for (let i = 0; i < Math.ceil(width / delta); i++) {
      await page.mouse.wheel(delta, 0);
      await sleep(16);
    }
    await frame.waitForFunction(() => {
      const sc = document.querySelector('table.metrics').parentElement;
      return sc.scrollLeft + sc.clientWidth >= sc.scrollWidth - 2;
    }, null, { timeout: 10_000 });
    await sleep(100);
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, 300);
      await sleep(16);
    }
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, -300);
      await sleep(16);
    }
    await sleep(200);
    const scroll = await stopFrames(frame, cdp, scrollRec);
    const lastHead = await frame.locator('table.metrics thead th.run').last().innerText();
    assert.ok(lastHead.includes(`-${String(n - 1).padStart(3, '0')}`), `the last run's column is drawn after scrolling to the end: ${lastHead}`);
    ctx.log(`${n} runs: scrolling the table and the panel: ${JSON.stringify(scroll)}`);

    // --- Frames while switching through the chart tabs (each waits for its chart to be drawn).
    await frame.locator('section.charts').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await sleep(300);
    const tabsRec = await startFrames(frame, cdp);
    const tabTimes = {};
    for (const label of [...CHART_TABS.slice(1), CHART_TABS[0]]) {
      const before = Number((await state(frame)).rendered);
      const from = await frame.evaluate(() => window.__frames.length);
      const t0 = Date.now();
      await frame.locator('vscode-tab-header', { hasText: label }).first().click();
      const after = await waitState(frame, (x) => Number(x.rendered) > before && x.historiesPending !== 'true', `the ${label} chart`, 30_000);
      await sleep(150);
      const frames = await frame.evaluate((i) => window.__frames.slice(i), from);
      tabTimes[label] = { renderMs: Math.round(Number(after.renderMs)), seenMs: Date.now() - t0 - 150, longestFrameMs: Math.round(Math.max(0, ...frames)) };
    }
    const tabs = await stopFrames(frame, cdp, tabsRec);
    ctx.log(`${n} runs: switching chart tabs: ${JSON.stringify(tabs)}; per tab ${JSON.stringify(tabTimes)}`);
    let barScroll;
    if (n === 500) {
      await frame.locator('vscode-tab-header', { hasText: 'History' }).first().click();
      await waitState(frame, (x) => x.chart === 'history' && x.historiesPending !== 'true', 'the history chart');
      await frame.locator('section.charts').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await sleep(300);
      await ctx.screenshot(page, '31-compare-500-history');
      await frame.locator('vscode-tab-header', { hasText: 'Parallel coordinates' }).first().click();
      await waitState(frame, (x) => x.chart === 'pcp', 'the pcp chart');
      await frame.locator('section.charts').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await sleep(300);
      await ctx.screenshot(page, '31-compare-500-pcp');
      await frame.locator('vscode-tab-header', { hasText: 'Metrics' }).first().click();
      await waitState(frame, (x) => x.chart === 'bars', 'the bar chart');
      // The bar chart of 500 runs draws the bars in view only: a canvas as tall as its box, whose bars follow the
      // box's scroll position (the spacer under it is as tall as all 500 bars).
      const bars = frame.locator('.chart-scroll canvas').first();
      const shown = await bars.evaluate((c) => ({ height: c.clientHeight, bars: Number(c.dataset.bars), from: Number(c.dataset.from), full: c.closest('.chart-scroll').scrollHeight }));
      assert.ok(shown.height <= 560 && shown.bars >= 20 && shown.bars < 60 && shown.from === 0, `a window of the bars: ${JSON.stringify(shown)}`);
      assert.ok(shown.full >= 60 + 500 * 14, `the box scrolls over every run: ${shown.full} px`);
      const barsRec = await startFrames(frame, cdp);
      const sb = await frame.locator('.chart-scroll').first().boundingBox();
      await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
      for (let i = 0; i < 20; i++) {
        await page.mouse.wheel(0, 200);
        await sleep(16);
      }
      await frame.waitForFunction(() => Number(document.querySelector('.chart-scroll canvas').dataset.from) > 200, null, { timeout: 10_000 });
      await sleep(200);
      barScroll = await stopFrames(frame, cdp, barsRec);
      const from = await bars.evaluate((c) => Number(c.dataset.from));
      ctx.log(`500 runs: scrolling the bar chart to bar ${from}: ${JSON.stringify(barScroll)}`);
      await frame.locator('section.charts').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await sleep(300);
      await ctx.screenshot(page, '31-compare-500-bars-scrolled');
    }
    if (n === 500) await minOverHistory(ctx, page, frame, expected);
    results.push({ runs: n, metrics: 20, drawn, domNodes, columnsInDocument: cols, scroll, tabs, tabTimes, barScroll });
  }
  results.sort((a, b) => a.runs - b.runs);

  // The control: VS Code's own Markdown preview, opened twice in the same page. Its second webview waits for the
  // service worker as long as a second Compare panel does: the wait is the host's, not the extension's.
  const markdown = await markdownPreviewWaits(ctx, page, ws);
  ctx.log(`VS Code's Markdown preview in the same page: its document waited for the webview service worker ${markdown.join(' ms, then ')} ms`);


  // The extension's log line of each render: how long the runs took to read, on the extension host's side.
  const hostLines = ctx.helpers.extensionLogLines(ctx.outDir, /Compare: \d+ runs × \d+ metrics drawn/);
  for (const l of hostLines) ctx.log(`extension log: ${l.replace(/^.*?\] /, '')}`);
  const figures = {
    hostLog: hostLines,
    markdownPreviewHostWorkerMs: markdown,
    results,
    note: 'drawn.sinceCommandMs: from the command (after the pick) to the panel drawn (tables + the shown chart painted: the webview\'s rendered report), against the extension host clock. ' +
      'scroll / tabs: every animation frame inside the webview while the metrics table is scrolled to its last column and the panel down and up, and while every chart tab is shown in turn (longest frame, p95, frames over 50 / 100 ms); cdp: the renderer\'s task, script, layout and style time over the same span (Performance.getMetrics, the whole page).',
    machine: `${process.platform}, ${(await import('node:os')).cpus().length} cores`,
  };
  fs.writeFileSync(path.join(ctx.repo, 'test-output', 'compare-500-times.json'), JSON.stringify(figures, null, 2));
  console.log('\n  Compare Runs at 500 — command → fully drawn, and the longest frame while scrolling / switching chart tabs:');
  for (const r of results) {
    const wait = r.drawn.phases?.hostWorker ?? 0;
    console.log(`    ${String(r.runs).padStart(3)} runs × 20 metrics: drawn ${r.drawn.sinceCommandMs} ms${wait ? ` (${wait} ms of it VS Code's webview service worker: ${r.drawn.sinceCommandMs - wait} ms without)` : ' (the page\'s first webview)'} (data → drawn ${r.drawn.phases?.draw} ms); scrolling: longest frame ${r.scroll.longestFrameMs} ms (p95 ${r.scroll.p95FrameMs} ms, ${r.scroll.over100} over 100 ms of ${r.scroll.frames}); chart tabs: longest frame ${r.tabs.longestFrameMs} ms (${r.tabs.over100} over 100 ms of ${r.tabs.frames}; tab draws ${Object.values(r.tabTimes).map((t) => t.renderMs).join('/')} ms; longest frame per tab ${Object.entries(r.tabTimes).map(([k, t]) => `${k} ${t.longestFrameMs}`).join(', ')} ms)`);
  }
  console.log(`    (VS Code's Markdown preview, the control: its document waited ${markdown.join(' ms, then ')} ms for the webview service worker)`);
  console.log('');
}

/** 500 runs: the compared value. "Min over history", sorted by loss: the first column is the run whose loss was lowest at any step, starred as the best. */
async function minOverHistory(ctx, page, frame, expected) {
  const { appState: state, waitAppState: waitState, waitForText } = ctx.helpers;
  await frame.locator('table.metrics').evaluate((t) => {
    t.parentElement.scrollLeft = 0;
    t.closest('section').scrollIntoView();
  });
  const before = Number((await state(frame)).rendered);
  // The choice as the component reports it (its dropdown list lives in its shadow root): value set, change fired.
  await frame.locator('vscode-single-select[data-fk="compared"]').evaluate((el) => {
    el.value = 'min';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await waitForText(frame.locator('p.summary'), 'metrics: min over the history', 30_000);
  await waitState(frame, (x) => Number(x.rendered) > before, 'the comparison by min over history', 30_000);
  await frame.locator('button[data-fk="metric:sort:loss"]').click();
  await waitForText(frame.locator('p.summary'), 'sorted by loss ▲', 15_000);
  const first = await frame.locator('table.metrics thead th.run .run-name').first().innerText();
  const { bestMinLoss } = expected[500];
  assert.equal(first, bestMinLoss.name, 'sorted by the min of loss: the run with the lowest loss ever comes first');
  const bestCell = await frame.locator('table.metrics tbody tr', { has: frame.locator('button[data-fk="metric:sort:loss"]') }).locator('td.best').first().innerText();
  assert.ok(bestCell.includes(String(Number(bestMinLoss.value.toPrecision(5)))), `its min loss ${bestMinLoss.value} is starred: ${bestCell}`);
  await frame.locator('h1').evaluate((el) => el.scrollIntoView());
  await sleep(300);
  await ctx.screenshot(page, '31-compare-500');
}

/** Opens README.md's Markdown preview twice (closing it between): how long each one's document waited for the service worker. */
async function markdownPreviewWaits(ctx, page, ws) {
  const { runCommand } = ctx.helpers;
  fs.writeFileSync(path.join(ws, 'README.md'), '# Sweeps\n\nThree experiments of 50, 200 and 500 runs.\n');
  const waits = [];
  for (let k = 0; k < 2; k++) {
    await runCommand(page, 'View: Close All Editors');
    await sleep(500);
    await runCommand(page, 'Go to File...');
    await page.keyboard.type('README.md');
    await sleep(800);
    await page.keyboard.press('Enter');
    await sleep(800);
    await runCommand(page, 'Markdown: Open Preview');
    let nav;
    for (let i = 0; i < 150 && !nav; i++) {
      for (const f of page.frames()) {
        const n = await f.evaluate(() => (document.body?.innerText?.includes('Three experiments') ? performance.getEntriesByType('navigation')[0]?.toJSON() : null)).catch(() => null);
        if (n && /fake\.html/.test(n.name)) nav = n;
      }
      if (!nav) await sleep(100);
    }
    assert.ok(nav, 'the Markdown preview opened');
    waits.push(Math.round(nav.workerStart));
  }
  await runCommand(page, 'View: Close All Editors');
  return waits;
}
