/** The .vsix holds only what the extension needs at run time (vsce ls applies .vscodeignore). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers';

it('vsce ls lists only the bundles, webview assets, media and docs', () => {
  const vsce = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').sort();
  const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|media\/[^/]+\.(svg|png)|media\/walkthrough\/[^/]+\.(png|md)|dist\/(extension|cli|worker)\.js|dist\/sql-wasm\.wasm|dist\/webview\/.+\.(js|css|ttf)|schemas\/.+\.json)$/;
  const unexpected = files.filter((f) => !allowed.test(f));
  assert.deepEqual(unexpected, [], 'files that should not be packaged');
  for (const f of ['package.json', 'dist/extension.js', 'dist/cli.js', 'media/mlops.svg', 'media/icon.png', 'dist/webview/runDetails.js', 'dist/sql-wasm.wasm']) assert.ok(files.includes(f), `${f} packaged`);
  assert.ok(!files.includes('media/icon.svg'), "the icon's SVG source stays out (media/icon.png is what vsce uses)");
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('node_modules/') || f.endsWith('.map') || f.startsWith('test')), 'no sources, tests, maps or node_modules');
});

/** VS Code 1.100's extension categories (extensionsRegistry.ts; the server bundle's schema lists the same). */
const VSCODE_CATEGORIES = ['AI', 'Azure', 'Chat', 'Data Science', 'Debuggers', 'Extension Packs', 'Education', 'Formatters', 'Keymaps', 'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Programming Languages', 'SCM Providers', 'Snippets', 'Testing', 'Themes', 'Visualization', 'Other'];

it('Marketplace metadata: a 128×128 PNG icon, known categories, at most 30 keywords, banner and links', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assert.equal(pkg.icon, 'media/icon.png');
  const png = fs.readFileSync(path.join(REPO, pkg.icon));
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'the icon is a PNG (vsce refuses SVG icons)');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'the icon is 128×128 (IHDR width, height)');
  assert.deepEqual(pkg.categories, ['Machine Learning', 'Data Science', 'Visualization']);
  for (const c of pkg.categories) assert.ok(VSCODE_CATEGORIES.includes(c), `${c} is a VS Code category`);
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.length >= 5 && pkg.keywords.length <= 30, `${pkg.keywords?.length} keywords (the Marketplace takes at most 30)`);
  assert.equal(new Set(pkg.keywords).size, pkg.keywords.length, 'no keyword twice');
  assert.match(pkg.galleryBanner?.color ?? '', /^#[0-9a-f]{6}$/i);
  assert.ok(['dark', 'light'].includes(pkg.galleryBanner?.theme), 'galleryBanner.theme is dark or light');
  for (const url of [pkg.repository?.url, pkg.bugs?.url, pkg.homepage]) assert.match(url ?? '', /^https:\/\//, 'repository, bugs and homepage are URLs');
});

it('the VS Code server here lists the same categories as this test', (t) => {
  // The schema in the bundled server's extension host is the source of truth for the version the extension targets.
  const host = path.join(REPO, '.vscode-test', 'code-server-4.100.3', 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'vs', 'workbench', 'api', 'node', 'extensionHostProcess.js');
  if (!fs.existsSync(host)) {
    t.skip('the VS Code server is not installed yet (the integration stage installs it)');
    return;
  }
  const text = fs.readFileSync(host, 'utf8');
  const list = /"Data Science","Debuggers",[^\]]*"Other"/.exec(text)?.[0];
  assert.ok(list, 'the category list is in the server bundle');
  const known = JSON.parse(`[${list}]`) as string[];
  for (const c of ['Machine Learning', 'Data Science', 'Visualization']) assert.ok(known.includes(c), `${c} in VS Code 1.100's list`);
});
