/**
 * src/extension/keys.ts holds every id the extension shares with package.json: its CommandId, ViewId and ConfigKey
 * are exactly package.json's contributes, and no other file of src/extension spells an `mlops.` id as a string.
 * (keys.ts imports vscode, so it is read as text here.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers';

const keys = fs.readFileSync(path.join(REPO, 'src', 'extension', 'keys.ts'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

function block(name: string): string[] {
  const m = new RegExp(`export const ${name} = \\{([\\s\\S]*?)\\} as const;`).exec(keys);
  assert.ok(m, `${name} in keys.ts`);
  return [...m[1].matchAll(/:\s*'([^']+)'/g)].map((x) => x[1]).sort();
}

it('CommandId, ViewId and ConfigKey are exactly what package.json contributes', () => {
  assert.deepEqual(block('CommandId'), pkg.contributes.commands.map((c: { command: string }) => c.command).sort());
  assert.deepEqual(block('ViewId'), (Object.values(pkg.contributes.views).flat() as { id: string }[]).map((v) => v.id).sort());
  const props = Object.assign({}, ...[pkg.contributes.configuration].flat().map((c: { properties: object }) => c.properties));
  assert.deepEqual(block('ConfigKey'), Object.keys(props).map((k) => k.replace(/^mlops\./, '')).sort());
});

it('no file of src/extension other than keys.ts spells an mlops. id or reads a setting itself', () => {
  const offenders: string[] = [];
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []));
  for (const f of walk(path.join(REPO, 'src', 'extension'))) {
    if (path.basename(f) === 'keys.ts') continue;
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/'mlops\.[A-Za-z.]+'/g)) if (m[0] !== "'mlops.svg'") offenders.push(`${path.relative(REPO, f)}: ${m[0]}`);
    if (/getConfiguration\(/.test(src)) offenders.push(`${path.relative(REPO, f)}: getConfiguration`);
  }
  assert.deepEqual(offenders, []);
});
