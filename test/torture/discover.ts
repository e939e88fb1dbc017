import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TortureFamily } from './family';

/** Every family in families/ (compiled next to this file), in file-name order. */
export function discoverFamilies(): TortureFamily[] {
  const dir = path.join(__dirname, 'families');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort() : [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return files.map((f) => (require(path.join(dir, f)) as { family: TortureFamily }).family).filter(Boolean);
}
