/**
 * io-errors (issue 18, defects 3 and 14): every CLI command that reads or writes, against hostile paths — the store at
 * a regular file, at /dev/null, under a file, in a missing folder, on a read-only, full or immutable file system
 * (a real tmpfs / chattr where this machine allows it, always also a simulated fs error through
 * test/fixtures/fsfault.js), and `predict --out` at a device, FIFO, folder, missing folder, path under a file or
 * symlink. A case holds when:
 *   - the exit code is 2 (a bad path) or 1 (the machine refused: read-only, full, not permitted), or 0 where success
 *     is right (a read on a read-only store, a write command that creates a store in a missing folder, --out through
 *     a symlink);
 *   - a failure prints exactly one stderr line starting with `mlops:` that names the path, and no stack trace;
 *   - nothing is half-made: the listing of the store (or of the folder around a hostile path) is the same after;
 *   - a symlink, device, FIFO or the file given as a store is never replaced or changed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO, tempDir } from '../../unit/helpers';
import { FamilyResult, prng, Tally, TortureFamily, TortureOptions } from '../family';

const FAULT = path.join(REPO, 'out', 'test', 'fixtures', 'fsfault.js');

interface Res {
  code: number | null;
  out: string;
  err: string;
}

function cli(cwd: string, args: string[], env: Record<string, string> = {}, preload = false): Res {
  const r = spawnSync(process.execPath, [...(preload ? ['-r', FAULT] : []), CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '', MLOPS_DEBUG: '', ...env }, timeout: 120_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Names and kinds of everything under `dir` (the change signal `generation` aside), for before/after comparisons. */
function listing(dir: string): string {
  const outp: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === 'generation') continue;
      const p = path.join(d, e.name);
      outp.push(`${path.relative(dir, p)}:${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isFile() ? `f${fs.statSync(p).size}` : 'o'}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return outp.join('\n');
}

/** What is wrong with a failure's stderr: not one `mlops:` line, a stack, or the path not named. */
function checkFailure(r: Res, codes: number[], names: string[]): string | undefined {
  if (!codes.includes(r.code ?? -1)) return `exit ${r.code} (expected ${codes.join(' or ')}); stderr: ${r.err.slice(0, 300)}`;
  if (/^\s+at /m.test(r.err)) return `stack trace on stderr: ${r.err.slice(0, 300)}`;
  const lines = r.err.split('\n').filter((l) => l.length);
  if (lines.length !== 1) return `${lines.length} stderr lines: ${r.err.slice(0, 300)}`;
  if (!lines[0].startsWith('mlops: ')) return `stderr does not start with 'mlops:': ${lines[0]}`;
  if (!names.some((n) => lines[0].includes(n))) return `the message names none of ${names.join(', ')}: ${lines[0]}`;
  return undefined;
}

/**
 * Leftovers on a full disk that belong to code outside this family's fixes (issue 18 notes; remove an entry when its
 * owner fixes it, and the case then guards the fix): they are printed, not counted as failures.
 */
const KNOWN_FULL_DISK_LEFTOVERS: { re: RegExp; why: string }[] = [
  // Empty since issue 18: Registry.register and PipelineRecords.save remove what they made when a write fails.
]
const knownSeen = new Set<string>();

function diff(before: string, after: string, allowKnown = false): string | undefined {
  if (before === after) return undefined;
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  let added = [...b].filter((x) => !a.has(x));
  if (allowKnown) {
    added = added.filter((x) => {
      const k = KNOWN_FULL_DISK_LEFTOVERS.find((l) => l.re.test(x));
      if (k) knownSeen.add(k.why);
      return !k;
    });
    if (!added.length && [...a].every((x) => b.has(x))) return undefined;
  }
  const removed = [...a].filter((x) => !b.has(x));
  return `half-made or changed: +[${added.slice(0, 4).join(', ')}] -[${removed.slice(0, 4).join(', ')}]`;
}

interface World {
  ws: string;
  data: string;
  ref: string;
  pipe: string;
}

/** A command, its args for a store (and ids living in that store), and whether it writes into the store. */
interface Cmd {
  name: string;
  writes: boolean;
  /** Creates a store that does not exist yet (so success in a missing folder is right). */
  creates: boolean;
  /** Needs new disk space (a rename does not: it may succeed on a full disk). Default true. */
  needsSpace?: boolean;
  args(w: World, store: string, ids: { run: string }, out: string): string[];
}

const COMMANDS: Cmd[] = [
  { name: 'init', writes: true, creates: true, args: (_w, s) => ['--store', s, 'init'] },
  { name: 'runs create', writes: true, creates: true, args: (_w, s) => ['--store', s, 'runs', 'create', '-m', 'a=1', '-p', 'p=x'] },
  { name: 'runs list', writes: false, creates: false, args: (_w, s) => ['--store', s, 'runs', 'list'] },
  { name: 'runs show', writes: false, creates: false, args: (_w, s, ids) => ['--store', s, 'runs', 'show', ids.run] },
  { name: 'runs delete', writes: true, creates: false, needsSpace: false, args: (_w, s, ids) => ['--store', s, 'runs', 'delete', ids.run] },
  { name: 'train', writes: true, creates: true, args: (w, s) => ['--store', s, 'train', '--data', w.data, '--target', 'yield', '--engine', 'mljs', '-p', 'n_estimators=2', '-p', 'max_depth=2'] },
  { name: 'sweep', writes: true, creates: true, args: (w, s) => ['--store', s, 'sweep', '--data', w.data, '--target', 'yield', '--engine', 'mljs', '--grid', 'n_estimators=2;max_depth=2', '--parallel', '1'] },
  { name: 'models register', writes: true, creates: false, args: (_w, s, ids) => ['--store', s, 'models', 'register', '--run', ids.run, '--name', 'Other'] },
  { name: 'models transition', writes: true, creates: false, args: (_w, s) => ['--store', s, 'models', 'transition', 'YP', '1', 'Staging'] },
  { name: 'predict', writes: false, creates: false, args: (w, s, _ids, out) => ['--store', s, 'predict', '--model', 'models:/YP/1', '--data', w.data, '--out', out] },
  { name: 'drift', writes: true, creates: false, args: (w, s) => ['--store', s, 'drift', '--reference', w.ref, '--current', w.data, '--model', 'models:/YP/1'] },
  { name: 'pipeline run', writes: true, creates: true, args: (w, s) => ['--store', s, 'pipeline', 'run', '--file', w.pipe, '--json'] },
];

const PIPELINE = `name: io-torture
model: IoTorture
data:
  source: small.csv
  target: yield
trainer:
  kind: builtin
  engine: mljs
  params: {n_estimators: 2, max_depth: 2, seed: 1}
validation:
  min_rows: 10
gates:
  min_r2: -1000
  max_rmse: 1000
smoke:
  rows: 5
  latency_calls: 2
  latency_budget_ms: 5000
on_success: staging
`;

function setupWorld(): World {
  const ws = tempDir('mlops-torture-io-');
  const r = cli(ws, ['init', '.', '--sample']);
  if (r.code !== 0) throw new Error(`init --sample: ${r.err}`);
  const lines = fs.readFileSync(path.join(ws, 'data', 'wafer_yield.csv'), 'utf8').split('\n');
  const data = path.join(ws, 'small.csv');
  fs.writeFileSync(data, lines.slice(0, 61).join('\n') + '\n');
  const ref = path.join(ws, 'ref.csv');
  fs.writeFileSync(ref, [lines[0], ...lines.slice(100, 160)].join('\n') + '\n');
  const pipe = path.join(ws, 'io.pipeline.yaml');
  fs.writeFileSync(pipe, PIPELINE);
  return { ws, data, ref, pipe };
}

/** A store with one run and one registered model YP v1 (so every command has something to act on). */
function seedStore(w: World, store: string): { run: string } {
  const t = cli(w.ws, ['--store', store, 'train', '--data', w.data, '--target', 'yield', '--engine', 'mljs', '-p', 'n_estimators=2', '-p', 'max_depth=2', '--json']);
  if (t.code !== 0) throw new Error(`seeding ${store}: ${t.err}`);
  const run = (JSON.parse(t.out) as { id: string }).id;
  const reg = cli(w.ws, ['--store', store, 'models', 'register', '--run', run, '--name', 'YP']);
  if (reg.code !== 0) throw new Error(`seeding ${store}: ${reg.err}`);
  return { run };
}

function sh(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function pick<T>(rand: () => number, xs: T[], n: number): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
}

export const family: TortureFamily = {
  name: 'io-errors',
  description: 'every command against a store at a file, /dev/null, under a file, missing, read-only, full, immutable; predict --out at devices, FIFOs, folders, links',
  async run(opts: TortureOptions): Promise<FamilyResult> {
    const tally = new Tally();
    const rand = prng(opts.seed);
    const w = setupWorld();
    const scratch = tempDir('mlops-torture-io-out-');
    const okOut = () => path.join(scratch, `ok-${Math.floor(rand() * 1e9)}.csv`);

    // ---------------------------------------------------------------- hostile store paths (bad input: exit 2)
    const afile = path.join(w.ws, 'afile');
    fs.writeFileSync(afile, 'not a store\n');
    const hostile: { kind: string; store: () => string; names: () => string[] }[] = [
      { kind: 'store at a regular file', store: () => afile, names: () => [afile] },
      { kind: 'store at /dev/null', store: () => '/dev/null', names: () => ['/dev/null'] },
      { kind: 'store under a file', store: () => path.join(afile, 'sub', '.mlops'), names: () => [afile] },
      { kind: 'store in a missing folder', store: () => path.join(w.ws, `missing-${Math.floor(rand() * 1e9)}`, '.mlops'), names: () => [] },
    ];
    const storeCases = hostile.flatMap((h) => COMMANDS.map((c) => ({ h, c })));
    for (const { h, c } of opts.quick ? pick(rand, storeCases, 14) : storeCases) {
      await tally.case(`${c.name} with ${h.kind}`, () => {
        const store = h.store();
        const before = listing(w.ws);
        const fileBefore = fs.readFileSync(afile, 'utf8');
        const r = cli(w.ws, c.args(w, store, { run: '0123abcd' }, okOut()));
        if (h.kind === 'store in a missing folder') {
          const parent = path.dirname(store);
          if (r.code === 0 && c.creates) {
            fs.rmSync(parent, { recursive: true, force: true });
            return undefined;
          }
          const problem = checkFailure(r, [2], [store, parent]);
          if (problem) return problem;
          if (fs.existsSync(parent)) return `${parent} was created by a command that failed`;
          return undefined;
        }
        const problem = checkFailure(r, [2], h.names());
        if (problem) return problem;
        if (fs.readFileSync(afile, 'utf8') !== fileBefore || !fs.lstatSync(afile).isFile()) return `${afile} was changed`;
        if (!fs.statSync('/dev/null').isCharacterDevice()) return '/dev/null is no longer a device';
        return diff(before, listing(w.ws));
      });
    }

    // ---------------------------------------------------------------- predict --out at hostile targets
    const outDir = tempDir('mlops-torture-io-hostile-');
    const seeded = path.join(outDir, 'store', '.mlops');
    seedStore(w, seeded);
    const outCases: { kind: string; make: () => { target: string; check: () => string | undefined; code: number; names: string[] } | undefined }[] = [
      {
        kind: 'a character device',
        make: () => {
          const dev = path.join(outDir, `dev-${Math.floor(rand() * 1e9)}`);
          if (!sh('mknod', [dev, 'c', '1', '7'])) return undefined; // not allowed here: the FIFO case covers it
          return { target: dev, code: 2, names: [dev], check: () => (fs.lstatSync(dev).isCharacterDevice() ? undefined : 'the device was replaced') };
        },
      },
      {
        kind: 'a FIFO',
        make: () => {
          const fifo = path.join(outDir, `fifo-${Math.floor(rand() * 1e9)}`);
          if (!sh('mkfifo', [fifo])) return undefined;
          return { target: fifo, code: 2, names: [fifo], check: () => (fs.lstatSync(fifo).isFIFO() ? undefined : 'the FIFO was replaced') };
        },
      },
      {
        kind: 'a folder',
        make: () => {
          const d = fs.mkdtempSync(path.join(outDir, 'dir-'));
          return { target: d, code: 2, names: [d], check: () => (fs.readdirSync(d).length ? 'files written into the folder' : undefined) };
        },
      },
      {
        kind: 'a missing folder',
        make: () => {
          const d = path.join(outDir, `nope-${Math.floor(rand() * 1e9)}`);
          return { target: path.join(d, 'p.csv'), code: 2, names: [d], check: () => (fs.existsSync(d) ? 'the folder was created' : undefined) };
        },
      },
      {
        kind: 'a path under a file',
        make: () => ({ target: path.join(afile, 'p.csv'), code: 2, names: [afile], check: () => (fs.lstatSync(afile).isFile() ? undefined : 'the file was replaced') }),
      },
      {
        kind: 'a symlink to a file',
        make: () => {
          const real = path.join(outDir, `real-${Math.floor(rand() * 1e9)}.csv`);
          fs.writeFileSync(real, 'old\n');
          const link = real.replace('real-', 'link-');
          fs.symlinkSync(real, link);
          return {
            target: link,
            code: 0,
            names: [],
            check: () => (!fs.lstatSync(link).isSymbolicLink() ? 'the link was replaced by a file' : !fs.readFileSync(real, 'utf8').includes('prediction') ? 'the file the link names was not written' : undefined),
          };
        },
      },
      {
        kind: 'a symlink to a device or FIFO',
        make: () => {
          const node = path.join(outDir, `node-${Math.floor(rand() * 1e9)}`);
          const isDev = sh('mknod', [node, 'c', '1', '3']);
          if (!isDev && !sh('mkfifo', [node])) return undefined;
          const link = node + '.csv';
          fs.symlinkSync(node, link);
          const kind = () => (isDev ? fs.lstatSync(node).isCharacterDevice() : fs.lstatSync(node).isFIFO());
          return { target: link, code: 2, names: [link], check: () => (!fs.lstatSync(link).isSymbolicLink() ? 'the link was replaced' : !kind() ? 'the node was replaced' : undefined) };
        },
      },
    ];
    const rounds = opts.quick ? 1 : 3;
    for (let k = 0; k < rounds; k++) {
      for (const oc of opts.quick ? pick(rand, outCases, 4) : outCases) {
        const made = oc.make();
        if (!made) continue;
        await tally.case(`predict --out at ${oc.kind}`, () => {
          const before = listing(seeded);
          const r = cli(w.ws, ['--store', seeded, 'predict', '--model', 'models:/YP/1', '--data', w.data, '--out', made.target]);
          if (made.code === 0) {
            if (r.code !== 0) return `exit ${r.code}: ${r.err.slice(0, 300)}`;
          } else {
            const problem = checkFailure(r, [made.code], made.names);
            if (problem) return problem;
          }
          return made.check() ?? diff(before, listing(seeded));
        });
      }
    }

    // ---------------------------------------------------------------- the machine refuses: read-only, full, immutable
    // Simulated everywhere (a preload makes fs calls under the store fail as the kernel would), and for real on a
    // small tmpfs where this machine lets us mount one (root) — unmounted in `finally`.
    const envCases = async (label: string, store: string, ids: { run: string }, codeName: string, runCase: (args: string[]) => Res, cmds: Cmd[]) => {
      for (const c of cmds) {
        await tally.case(`${c.name} on a ${label} store`, () => {
          const before = listing(store);
          const r = runCase(c.args(w, store, ids, okOut()));
          if (!c.writes || (c.name === 'init')) {
            // reading works on a read-only or full store; init of an existing store writes nothing
            if (r.code !== 0) return `a read failed: exit ${r.code}: ${r.err.slice(0, 300)}`;
          } else {
            const problem = checkFailure(r, [1], [store]);
            if (problem) return problem;
            if (!r.err.includes(`(${codeName})`)) return `the message does not give ${codeName}: ${r.err.trim()}`;
          }
          return diff(before, listing(store));
        });
      }
    };
    for (const code of ['EROFS', 'ENOSPC', 'EPERM']) {
      const dir = tempDir('mlops-torture-io-sim-');
      const store = path.join(dir, '.mlops');
      const ids = seedStore(w, store);
      const all = code === 'ENOSPC' ? COMMANDS.filter((c) => c.needsSpace !== false) : COMMANDS;
      const cmds = opts.quick ? pick(rand, all, 3) : all;
      await envCases(`simulated ${code}`, store, ids, code, (args) => cli(w.ws, args, { MLOPS_FAULT_ROOT: store, MLOPS_FAULT_CODE: code }, true), cmds);
    }

    const mnt = tempDir('mlops-torture-io-mnt-');
    if (process.platform === 'linux' && sh('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt])) {
      try {
        const cmds = () => (opts.quick ? pick(rand, COMMANDS, 2) : COMMANDS);
        // read-only
        {
          const store = path.join(mnt, 'ro', '.mlops');
          const ids = seedStore(w, store);
          if (sh('mount', ['-o', 'remount,ro', mnt])) {
            try {
              await envCases('read-only tmpfs', store, ids, 'EROFS', (args) => cli(w.ws, args), cmds());
            } finally {
              sh('mount', ['-o', 'remount,rw', mnt]);
            }
          }
          fs.rmSync(path.dirname(store), { recursive: true, force: true });
        }
        // every file and folder of the store immutable
        {
          const store = path.join(mnt, 'imm', '.mlops');
          const ids = seedStore(w, store);
          if (sh('chattr', ['-R', '+i', store])) {
            try {
              await envCases('immutable (chattr -R +i)', store, ids, 'EPERM', (args) => cli(w.ws, args), cmds());
            } finally {
              sh('chattr', ['-R', '-i', store]);
            }
          } else process.stdout.write('    (chattr +i not supported here: the immutable cases run simulated only)\n');
          fs.rmSync(path.dirname(store), { recursive: true, force: true });
        }
        // full
        {
          const store = path.join(mnt, 'full', '.mlops');
          const ids = seedStore(w, store);
          const filler = path.join(mnt, 'filler');
          const fd = fs.openSync(filler, 'w');
          try {
            const chunk = Buffer.alloc(4096, 1);
            for (;;) fs.writeSync(fd, chunk);
          } catch {
            /* the disk is full */
          } finally {
            fs.closeSync(fd);
          }
          // On a full tmpfs a few small writes may still fit in partly used pages: only commands that need new space.
          const heavy = cmds().filter((c) => ['train', 'sweep', 'pipeline run', 'runs create', 'models register'].includes(c.name));
          for (const c of heavy.length ? heavy : [COMMANDS.find((x) => x.name === 'train')!]) {
            await tally.case(`${c.name} on a full tmpfs store`, () => {
              const before = listing(store);
              const args = c.name === 'runs create' ? [...c.args(w, store, ids, okOut()), '-p', `big=${'x'.repeat(5000)}`] : c.args(w, store, ids, okOut());
              const r = cli(w.ws, args);
              const problem = checkFailure(r, [1], [store]);
              if (problem) return problem;
              if (!r.err.includes('(ENOSPC)')) return `not ENOSPC: ${r.err.trim()}`;
              return diff(before, listing(store), true);
            });
          }
          fs.rmSync(filler, { force: true });
        }
      } finally {
        sh('chattr', ['-R', '-i', mnt]);
        sh('umount', [mnt]);
      }
    } else process.stdout.write('    (cannot mount a tmpfs here: read-only, full and immutable cases run simulated only)\n');
    for (const why of knownSeen) process.stdout.write(`    (known leftover on a full disk, owned elsewhere: ${why})\n`);
    return tally;
  },
};
