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

it('the folders of src/core import each other without cycles (one direction: shared types and errors below the store)', () => {
  const core = path.join(REPO, 'src', 'core');
  const edges = new Map<string, Set<string>>();
  for (const f of walk(core)) {
    const from = path.relative(core, f).split(path.sep)[0];
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const rel = path.relative(core, path.resolve(path.dirname(f), m[1]));
      const to = rel.split(path.sep)[0];
      if (rel.startsWith('..') || to === from || to.endsWith('.ts') || !fs.existsSync(path.join(core, to)) || !fs.statSync(path.join(core, to)).isDirectory()) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  const reaches = (a: string, b: string, seen = new Set<string>()): boolean => a === b || [...(edges.get(a) ?? [])].some((n) => !seen.has(n) && (seen.add(n), reaches(n, b, seen)));
  const cycles = [...edges].flatMap(([a, tos]) => [...tos].filter((b) => reaches(b, a)).map((b) => `${a} → ${b}`));
  assert.ok(edges.size > 5);
  assert.deepEqual(cycles, []);
});
