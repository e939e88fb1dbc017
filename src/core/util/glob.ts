/**
 * Globs over workspace-relative paths, e.g. `data/batches/*.csv`: `*` and `?` stay within a folder, `**` spans
 * folders. Shared by pipelines (data sources, data triggers) and monitoring (batch folders).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globFiles(dir: string, glob: string): string[] {
  const re = globToRegExp(glob.replace(/\\/g, '/'));
  const out: string[] = [];
  const walk = (d: string, rel: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < 6 && !['node_modules', '.git', '.mlops'].includes(e.name)) walk(path.join(d, e.name), r, depth + 1);
      } else if (re.test(r)) out.push(path.join(d, e.name));
    }
  };
  walk(dir, '', 0);
  return out;
}

