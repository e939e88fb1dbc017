/** src/core, src/cli and src/shared never import the VS Code API (also enforced by eslint). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers';

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

it('src/core, src/cli and src/shared do not import vscode', () => {
  const offenders: string[] = [];
  const files = ['core', 'cli', 'shared'].flatMap((d) => walk(path.join(REPO, 'src', d)));
  assert.ok(files.length > 10);
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    if (/(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(src)) offenders.push(path.relative(REPO, f));
  }
  assert.deepEqual(offenders, []);
});
