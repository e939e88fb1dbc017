/**
 * `npm run package` gives a .vsix that installs in a real VS Code: the server bundled in the code-server npm package
 * (test/host/install-vscode-server.sh puts it in .vscode-test/), through its CLI — `--install-extension`,
 * `--list-extensions --show-versions` — into a temporary extensions folder, as a user installing a .vsix would.
 *
 * Desktop VS Code (Electron) is not tried: `@vscode/test-electron` downloads it from Microsoft's update server, which
 * machines without the internet (this project's CI among them) cannot reach. The server's CLI runs the same
 * extension-management code (unzip, manifest validation, extensions.json), so what this test proves is that the
 * package is well formed and installs; it says nothing about the desktop UI.
 *
 * The package is built in a copy of the working tree (the files git tracks or would track, with node_modules linked),
 * so the suite's dist/ (development bundles with source maps, used by the integration and E2E stages) is not replaced
 * by the production build. The copy gets a test-output/ and a .mlflow-test/ like a developer's checkout has, to check
 * that they stay out. About 10 s (two production builds: the package script's and vsce's prepublish).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO, tempDir } from './helpers';

const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION || '4.100.3';
const SERVER_CACHE = process.env.VSCODE_SERVER_CACHE ? path.resolve(process.env.VSCODE_SERVER_CACHE) : path.join(REPO, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const SERVER_MAIN = path.join(SERVER_CACHE, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
const VSIX = path.join('dist-vsix', 'mlops-workbench.vsix');
/** A sane size: the bundles, the wasm and the walkthrough images are about 1.6 MB. */
const MAX_VSIX_BYTES = 5 * 1024 * 1024;
const MIN_VSIX_BYTES = 500 * 1024;

/** The working tree as a fresh clone with the uncommitted changes would have it, node_modules linked. */
function copyWorkingTree(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    const from = path.join(REPO, f);
    // `node_modules` is a symbolic link in worktrees (not matched by .gitignore's `node_modules/`): linked below.
    if (f.split('/')[0] === 'node_modules' || !fs.existsSync(from) || !fs.lstatSync(from).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(from, path.join(to, f));
  }
  fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules')), path.join(to, 'node_modules'), 'dir');
  for (const decoy of ['test-output/e2e/some-spec/server.log', '.mlflow-test/mlruns/0/meta.yaml', 'out/test/unit/x.test.js']) {
    fs.mkdirSync(path.dirname(path.join(to, decoy)), { recursive: true });
    fs.writeFileSync(path.join(to, decoy), 'not for the package\n');
  }
}

function serverCli(args: string[], userData: string): string {
  const r = spawnSync(process.execPath, [SERVER_MAIN, '--accept-server-license-terms', '--user-data-dir', userData, ...args], { encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, `server-main.js ${args.join(' ')} exited ${r.status ?? r.signal}:\n${out}`);
  return out;
}

/** Every file under dir, relative, with forward slashes. */
function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(path.sep).join('/'))
    .sort();
}

it('dist-vsix/ is ignored by git', () => {
  const r = spawnSync('git', ['check-ignore', '-q', VSIX], { cwd: REPO });
  assert.equal(r.status, 0, `git check-ignore ${VSIX}: the packages must stay out of git`);
});

it('npm run package gives a .vsix that the VS Code server installs, with what the extension needs and nothing else', { timeout: 300_000 }, (t) => {
  if (!fs.existsSync(SERVER_MAIN)) {
    t.skip(`no VS Code server in ${path.relative(REPO, SERVER_CACHE)} (bash test/host/install-vscode-server.sh installs it)`);
    return;
  }
  const tmp = tempDir('mlops-vsix-');
  try {
    const tree = path.join(tmp, 'tree');
    copyWorkingTree(tree);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const t0 = Date.now();
    const pack = spawnSync(npm, ['run', 'package'], { cwd: tree, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
    assert.equal(pack.status, 0, `npm run package exited ${pack.status ?? pack.signal}:\n${pack.stdout}\n${pack.stderr}`);
    const vsix = path.join(tree, VSIX);
    const size = fs.statSync(vsix).size;
    t.diagnostic(`npm run package: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${VSIX} ${(size / 1024 / 1024).toFixed(2)} MB (${size} bytes)`);
    assert.ok(size > MIN_VSIX_BYTES && size < MAX_VSIX_BYTES, `the .vsix is ${size} bytes: expected between ${MIN_VSIX_BYTES} and ${MAX_VSIX_BYTES}`);

    const extensions = path.join(tmp, 'extensions');
    const userData = path.join(tmp, 'user-data');
    assert.match(serverCli(['--install-extension', vsix, '--extensions-dir', extensions], userData), /successfully installed/);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
    const id = `${pkg.publisher}.${pkg.name}`;
    const listed = serverCli(['--list-extensions', '--show-versions', '--extensions-dir', extensions], userData).split('\n').map((l) => l.trim());
    assert.ok(listed.includes(`${id}@${pkg.version}`), `--list-extensions --show-versions lists ${id}@${pkg.version}; it printed:\n${listed.join('\n')}`);
    checkInstalledFolder(path.join(extensions, `${id}-${pkg.version}`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

function checkInstalledFolder(dir: string): void {
  assert.ok(fs.existsSync(dir), `installed in ${dir}`);
  const files = listFiles(dir);
  const lower = files.map((f) => f.toLowerCase());
  const needed = ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/worker.js', 'dist/sql-wasm.wasm', 'media/icon.png', 'media/mlops.svg', 'schemas/mlops.schema.json'];
  for (const app of ['compare', 'drift', 'runDetails']) needed.push(`dist/webview/${app}.js`, `dist/webview/${app}.css`);
  for (const f of needed) assert.ok(files.includes(f), `${f} installed`);
  assert.ok(lower.includes('readme.md'), 'the README installed (vsce stores it as readme.md)');
  const unwanted = files.filter((f) => /^(src|test|out|webview|scripts|docs|node_modules|test-output|\.mlflow-test|\.vscode-test|dist-vsix)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
  assert.deepEqual(unwanted, [], 'sources, tests, test output, maps and node_modules stay out');
  const installed = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { icon?: string; main?: string };
  assert.equal(installed.icon, 'media/icon.png');
  assert.ok(fs.existsSync(path.join(dir, installed.main ?? '')), 'package.json main points at a file of the package');
}
