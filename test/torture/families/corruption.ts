/**
 * Family `corruption`: damage one line of the registry log at random (flipped byte, NUL, truncation, a newline
 * removed or added, a garbage line, a torn tail) and replay it in-process. Held when: every version whose
 * registration line is intact keeps its number and its run; Production is never another run's model; the damage
 * is reported at its line; and a later write still lands (a torn tail never swallows the next event).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Registry, RegistryEvent } from '../../../src/core/registry/registry';
import { Store } from '../../../src/core/store/store';
import { prng, Tally, TortureFamily } from '../family';

const CLI = path.resolve(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');

function mlops(cwd: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
  if (r.status !== 0) throw new Error(`mlops ${args.join(' ')} → ${r.status}: ${r.stderr}`);
  return r.stdout;
}

type Damage = 'flip' | 'nul' | 'truncate' | 'join' | 'split' | 'garbage' | 'torn';
const DAMAGES: Damage[] = ['flip', 'nul', 'truncate', 'join', 'split', 'garbage', 'torn'];

export const family: TortureFamily = {
  name: 'corruption',
  description: 'one damaged line in the registry log: versions never renumbered, Production never moved, damage reported',
  async run({ quick, seed }) {
    const t = new Tally();
    const rnd = prng(seed ^ 0xc0ffee);
    // A registry with 4 versions, v2 in Production (after v1), v3 in Staging, an alias, described.
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-torture-corrupt-'));
    mlops(ws, 'init', '.', '--sample');
    const runs = [0, 1].map((i) => JSON.parse(mlops(ws, 'train', '--engine', 'mljs', '-p', `n_estimators=${2 + i}`, '-p', 'max_depth=3', '--json')).id as string);
    for (const r of [runs[0], runs[1], runs[0], runs[1]]) mlops(ws, 'models', 'register', '--run', r, '--name', 'YieldPredictor');
    mlops(ws, 'models', 'transition', 'YieldPredictor', '1', 'Production');
    mlops(ws, 'models', 'transition', 'YieldPredictor', '2', 'Production');
    mlops(ws, 'models', 'transition', 'YieldPredictor', '3', 'Staging');
    mlops(ws, 'models', 'alias', 'YieldPredictor', 'champion', '2');
    const store = Store.open(path.join(ws, '.mlops'));
    const pristine = fs.readFileSync(new Registry(store).eventsFile);
    const lines = pristine.toString('utf8').trimEnd().split('\n');
    const truth = new Registry(store).getModel('YieldPredictor');
    const events = lines.map((l) => JSON.parse(l) as RegistryEvent);
    const cases = quick ? 35 : 400;
    for (let i = 0; i < cases; i++) {
      const damage = DAMAGES[Math.floor(rnd() * DAMAGES.length)];
      const line = Math.floor(rnd() * lines.length);
      await t.case(`case ${i} (${damage} line ${line + 1})`, () => {
        const damaged = lines.slice();
        const text = damaged[line];
        const at = Math.floor(rnd() * text.length);
        let damagedLines = [line + 1];
        switch (damage) {
          case 'flip': {
            // One bit of an ASCII character (bit rot that keeps the file valid UTF-8).
            let pos = at;
            while (text.charCodeAt(pos) > 127) pos = (pos + 1) % text.length;
            let c = text.charCodeAt(pos) ^ (1 << Math.floor(rnd() * 7));
            if (c === 0x0a) c = 0x0b;
            damaged[line] = text.slice(0, pos) + String.fromCharCode(c) + text.slice(pos + 1);
            break;
          }
          case 'nul':
            damaged[line] = text.slice(0, at) + '\0' + text.slice(at + 1);
            break;
          case 'truncate':
            damaged[line] = text.slice(0, at);
            if (!damaged[line]) damagedLines = [];
            break;
          case 'join':
            if (line === lines.length - 1) return undefined; // nothing to join with: counted as held trivially
            damaged.splice(line, 2, text + damaged[line + 1]);
            break;
          case 'split':
            damaged.splice(line, 1, text.slice(0, Math.max(1, at)), text.slice(Math.max(1, at)));
            damagedLines = [line + 1, line + 2];
            break;
          case 'garbage':
            damaged.splice(line, 0, 'garbage ' + 'x'.repeat(Math.floor(rnd() * 40)));
            break;
          case 'torn':
            damaged.push('{"id":"torn","ti');
            damagedLines = [];
            break;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-torture-case-'));
        try {
          fs.cpSync(store.root, path.join(dir, '.mlops'), { recursive: true });
          const s = Store.open(path.join(dir, '.mlops'));
          const reg = new Registry(s);
          fs.writeFileSync(reg.eventsFile, damage === 'torn' ? damaged.join('\n') : `${damaged.join('\n')}\n`, 'utf8');
          const st = reg.state();
          const lost = new Set(damage === 'join' ? [line, line + 1] : damage === 'torn' || damage === 'garbage' ? [] : [line]);
          // Every version whose registration survived keeps its number and run.
          const m = st.models.get('YieldPredictor');
          for (const v of truth.versions) {
            const regLine = events.findIndex((e) => e.action === 'register' && e.version === v.version);
            const got = m?.versions.find((x) => x.version === v.version);
            if (!lost.has(regLine) && got?.run.id !== v.run.id) return `v${v.version} now holds run ${got?.run.id ?? 'nothing'} (was ${v.run.id})`;
            if (lost.has(regLine) && got) return `v${v.version} still exists although its registration line is damaged`;
          }
          for (const v of m?.versions ?? []) if (!truth.versions.some((x) => x.version === v.version && x.run.id === v.run.id)) return `a version appeared: v${v.version} of run ${v.run.id}`;
          const prod = m?.versions.filter((v) => v.stage === 'Production') ?? [];
          if (prod.length > 1) return `${prod.length} versions in Production`;
          if (prod.length && prod[0].version !== 2 && prod[0].version !== 1) return `v${prod[0].version} moved into Production`;
          // Damage that changed a line is reported at that line.
          if (damage !== 'torn' && damagedLines.length && !st.problems.some((p) => damagedLines.includes(p.line))) {
            if (!(damage === 'truncate' && damaged[line] === '')) return `no problem reported at line ${damagedLines.join('/')} (got ${JSON.stringify(st.problems)})`;
          }
          // The next write lands and reads back.
          reg.describe('YieldPredictor', undefined, `after case ${i}`);
          if (reg.state().models.get('YieldPredictor')?.description !== `after case ${i}` && m) return 'the next event after the damage did not take effect';
          return undefined;
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
    fs.rmSync(ws, { recursive: true, force: true });
    return t;
  },
};
