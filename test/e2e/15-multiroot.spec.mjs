// Multi-root workspaces: one store per folder, each shown under its folder in the Experiments view.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default async function multiroot(ctx) {
  const { openView, waitForText, waitForWorkbench } = ctx.helpers;
  const root = ctx.makeWorkspace('multiroot');
  const folders = ['fab-a', 'fab-b'];
  for (const [i, f] of folders.entries()) {
    const dir = path.join(root, f);
    fs.mkdirSync(dir, { recursive: true });
    const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } }).trim();
    mlops('init');
    mlops('runs', 'create', '-e', `Line-${i + 1}`, '-n', `${f}-run`, '-m', `rmse_test=${3 + i}`);
  }
  const wsFile = path.join(root, 'fabs.code-workspace');
  fs.writeFileSync(wsFile, JSON.stringify({ folders: folders.map((f) => ({ path: f })) }));
  const server = await ctx.startServer();
  const browser = await ctx.launchBrowser();
  const page = await ctx.newPage(browser);
  const url = server.url(root, { devExtension: true }).replace(/folder=[^&]*/, `workspace=${encodeURIComponent(wsFile).replace(/%2F/g, '/')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await waitForWorkbench(page, 60_000);
  await openView(page, 'MLOps');
  const sidebar = page.locator('.part.sidebar');
  for (const f of folders) await waitForText(sidebar, f, 60_000);
  await waitForText(sidebar, 'fab-b-run', 60_000);
  const text = await sidebar.innerText();
  assert.ok(text.includes('Line-1') && text.includes('Line-2'), 'each folder shows its own experiment');
  assert.ok(text.indexOf('fab-a') < text.indexOf('Line-1') && text.indexOf('Line-1') < text.indexOf('fab-b') && text.indexOf('fab-b') < text.indexOf('Line-2'), 'experiments are listed under their folder');
  await ctx.screenshot(page, '15-multiroot');
}
