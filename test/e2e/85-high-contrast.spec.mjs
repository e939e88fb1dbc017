/* global document, getComputedStyle, Node, window */
// High contrast, as a person who needs it sees the extension: `mlops init --sample --story`, the window switched to
// the Dark High Contrast theme ("Default High Contrast" in settings), then to Light High Contrast ("Default High
// Contrast Light"); in each, screenshots of the Experiments and Model Registry trees, of Compare (the sweep) and of
// the drift report of the +10 °C batch, and a check of every piece of text in both webviews: its colour (faded by
// its own and its ancestors' opacity) against the background it is drawn on must reach WCAG AA (4.5:1), which high
// contrast themes are made to exceed (VS Code's own text is 7:1 or more there), and each webview must follow the
// theme (body class and its own theme state).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const THEMES = [
  // [label in Preferences: Color Theme, workbench class, webview body class, webview app theme state, file tag]
  ['Dark High Contrast', 'hc-black', 'vscode-high-contrast', 'high-contrast', 'hc-dark'],
  ['Light High Contrast', 'hc-light', 'vscode-high-contrast-light', 'high-contrast-light', 'hc-light'],
];
const MIN_CONTRAST = 4.5;

export default async function highContrast(ctx) {
  const { openView, runCommand, waitForText, setTheme, waitAppState, openAppPanel, appFrame } = ctx.helpers;
  const story = ctx.makeWorkspace('story');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: story, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
  mlops('init', story, '--sample', '--story');
  const sweepId = JSON.parse(mlops('runs', 'list', '-e', 'YieldPrediction_RandomForest', '--json'))[0].tags.sweep_id;
  assert.ok(sweepId, 'the story ran a sweep');

  // No port-forwarding toast over a screenshot (another program on this machine may open a port meanwhile).
  const { page } = await ctx.openWorkbench(story, { server: { settings: { 'remote.autoForwardPorts': false } } });
  const sidebar = await openView(page, 'MLOps');
  await waitForText(sidebar, 'YieldPrediction_RandomForest', 60_000);
  const row = (text) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
  const expand = async (text) => {
    const r = row(text);
    await r.waitFor({ timeout: 30_000 });
    if ((await r.getAttribute('aria-expanded')) === 'false') await r.locator('.monaco-tl-twistie').click();
  };
  await expand('YieldPrediction_RandomForest');
  await waitForText(sidebar, '★ best', 30_000);
  await expand('YieldPredictor');
  await expand('Production');
  await waitForText(sidebar, 'v1', 30_000);
  // Pipelines and Alerts folded: the two trees of this check get the room.
  for (const title of ['Pipelines', 'Alerts']) {
    const h = page.locator('.part.sidebar .pane-header', { hasText: title }).first();
    if ((await h.getAttribute('aria-expanded')) === 'true') await h.click();
  }
  await widenSidebar(page);
  const editor = page.locator('.part.editor');
  const restMouse = async () => {
    await page.mouse.move(page.viewportSize().width - 5, page.viewportSize().height - 40);
    await sleep(200);
  };

  // Compare Sweep and the newest drift report, opened once; each theme is then looked at in both tabs.
  const compareTitle = `Compare: sweep ${sweepId}`;
  await openAppPanel(page, compareTitle, async () => {
    await runCommand(page, 'MLOps: Compare Sweep');
    if (await page.locator('.quick-input-widget').isVisible().catch(() => false)) await page.keyboard.press('Enter');
  }, { log: ctx.log });
  const driftTitle = 'Drift report — temperature_drift_batch.csv';
  await openAppPanel(page, driftTitle, () => runCommand(page, 'MLOps: Open Drift Report'), { log: ctx.log });
  const tabs = { [compareTitle]: compareTitle, [driftTitle]: 'Drift: temperature_drift_batch.csv' };
  const showTab = async (title) => {
    await page.locator('.part.editor .tab', { hasText: tabs[title] }).first().click();
    await sleep(300);
  };

  for (const [label, workbenchClass, bodyClass, appTheme, tag] of THEMES) {
    await setTheme(page, label);
    await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c), workbenchClass, { timeout: 15_000 });
    await restMouse();
    const box = await page.locator('.part.sidebar').boundingBox();
    const shotTrees = path.join(ctx.screenshotDir, `85-${tag}-trees.png`);
    await page.screenshot({ path: shotTrees, clip: { x: 0, y: 0, width: Math.round(box.x + box.width), height: page.viewportSize().height } });

    let frame;
    for (const [title, name, section] of [[driftTitle, 'drift', 'table.features'], [compareTitle, 'compare', 'table.metrics']]) {
      // A tab brought back to the front draws its webview again (a new frame, restored from its state).
      await showTab(title);
      frame = await appFrame(page, title, 30_000);
      assert.ok(frame, `${name}: the panel drawn again`);
      await waitAppState(frame, (s) => s.theme === appTheme, `${name}: the ${appTheme} theme in the webview`, 15_000);
      assert.ok(await frame.evaluate((c) => document.body.classList.contains(c), bodyClass), `${name}: body.${bodyClass}`);
      await frame.locator(section).first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await restMouse();
      await editor.screenshot({ path: path.join(ctx.screenshotDir, `85-${tag}-${name}.png`) });
      const audit = await frame.evaluate(contrastAudit, MIN_CONTRAST);
      ctx.log(`${label}, ${name}: ${audit.checked} text elements checked, lowest contrast ${audit.lowest.toFixed(2)}:1`);
      assert.ok(audit.checked > 30, `${name}: text found to check (${audit.checked})`);
      assert.deepEqual(audit.failures, [], `${name} in ${label}: text under ${MIN_CONTRAST}:1`);
    }
    // The top of Compare too (title, toolbar, summary).
    await frame.evaluate(() => window.scrollTo(0, 0));
    await restMouse();
    await editor.screenshot({ path: path.join(ctx.screenshotDir, `85-${tag}-compare-top.png`) });
  }
}

/** Drag the sidebar's edge to the right, so that the trees' descriptions show. */
async function widenSidebar(page, by = 170) {
  const box = await page.locator('.part.sidebar').boundingBox();
  const x = box.x + box.width + 1;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + by / 2, y, { steps: 4 });
  await page.mouse.move(x + by, y, { steps: 4 });
  await page.mouse.up();
}

/**
 * In a webview: every visible element with its own text, its colour composited over the background it is drawn on
 * (the first opaque background up the tree, open shadow roots included), and the WCAG contrast ratio of the two.
 * Returns how many were checked, the lowest ratio and the elements under `min`.
 */
function contrastAudit(min) {
  const parse = (css) => {
    const m = /rgba?\(([^)]+)\)/.exec(css);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const parentOf = (el) => el.parentElement ?? el.getRootNode()?.host ?? null;
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = parentOf(e)) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) layers.push(c);
      if (c && c.a >= 1) break;
    }
    let bg = parse(getComputedStyle(document.body).backgroundColor) ?? { r: 0, g: 0, b: 0, a: 1 };
    if (bg.a < 1) bg = over(bg, { r: 255, g: 255, b: 255, a: 1 });
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const elements = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (ownText) elements.push(el);
    }
  };
  walk(document);
  const failures = [];
  let lowest = Infinity;
  let checked = 0;
  for (const el of elements) {
    const cs = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (cs.visibility === 'hidden' || cs.display === 'none' || rect.width === 0 || rect.height === 0 || Number(cs.opacity) === 0) continue;
    if (el.closest('.visually-hidden')) continue;
    const bg = background(el);
    const fg = parse(cs.color);
    if (!fg) continue;
    // Opacity on the element or an ancestor fades its text toward the background.
    for (let e = el; e; e = parentOf(e)) fg.a *= Number(getComputedStyle(e).opacity);
    const r = ratio(over(fg, bg), bg);
    checked++;
    lowest = Math.min(lowest, r);
    if (r < min) failures.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} "${el.textContent.trim().slice(0, 30)}": ${r.toFixed(2)}:1 (${cs.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
  }
  return { checked, lowest, failures: failures.slice(0, 20) };
}
