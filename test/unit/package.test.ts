/** The .vsix holds only what the extension needs at run time (vsce ls applies .vscodeignore). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers';

it('vsce ls lists only the bundles, webview assets, media and docs', () => {
  const vsce = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').sort();
  const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|media\/[^/]+\.(svg|png)|dist\/(extension|cli|worker)\.js|dist\/webview\/.+\.(js|css|ttf)|schemas\/.+\.json)$/;
  const unexpected = files.filter((f) => !allowed.test(f));
  assert.deepEqual(unexpected, [], 'files that should not be packaged');
  for (const f of ['package.json', 'dist/extension.js', 'dist/cli.js', 'media/mlops.svg', 'dist/webview/runDetails.js']) assert.ok(files.includes(f), `${f} packaged`);
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('node_modules/') || f.endsWith('.map') || f.startsWith('test')), 'no sources, tests, maps or node_modules');
});
