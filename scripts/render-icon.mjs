#!/usr/bin/env node
// Renders media/icon.svg to media/icon.png (128×128, transparent corners) with headless Chromium through
// playwright-core, the browser the tests use. Run it after editing the SVG: `node scripts/render-icon.mjs`.
//   CHROMIUM_PATH  the Chromium binary (default /usr/bin/chromium)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 128;
const svg = fs.readFileSync(path.join(REPO, 'media', 'icon.svg'), 'utf8');
const out = path.join(REPO, 'media', 'icon.png');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
} finally {
  await browser.close();
}
console.log(`${path.relative(REPO, out)}: ${fs.statSync(out).size} bytes`);
