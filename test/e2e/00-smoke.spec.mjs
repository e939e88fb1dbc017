// Smoke test of the browser E2E harness: a VS Code server on a fresh workspace, the extension under development
// loaded through the payload URL (no tests module), the workbench renders as an Extension Development Host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

export default async function smoke(ctx) {
  const { waitForWorkbench, waitForText } = ctx.helpers;
  const ws = ctx.makeWorkspace('smoke');
  fs.writeFileSync(path.join(ws, 'README.md'), '# Smoke workspace\n');

  const server = await ctx.startServer();
  const browser = await ctx.launchBrowser();
  const page = await ctx.newPage(browser);
  const url = server.url(ws, { devExtension: true });
  ctx.log(`opening ${url}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });

  await waitForWorkbench(page, 60_000);
  // The workspace folder is open: the Explorer lists its file.
  await waitForText(page.locator('.part.sidebar'), 'README.md', 60_000);
  // The window is an Extension Development Host (the title bar / document title say so).
  await waitForText(page.locator('.part.titlebar'), 'Extension Development Host', 30_000);
  const title = await page.title();
  assert.match(title, /Extension Development Host/, `document title was ${JSON.stringify(title)}`);
  // The server loaded this repository as the development extension and started the window's extension host.
  await server.waitForLog(`Loading development extension at ${ctx.repo}`, 30_000);
  await server.waitForLog('Launched Extension Host Process', 60_000);

  const shot = await ctx.screenshot(page, '00-smoke');
  ctx.log(`title ${JSON.stringify(title)}; screenshot ${path.relative(ctx.repo, shot)}`);
}
