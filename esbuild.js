// Bundles the extension, the CLI and the worker (Node, CommonJS, `vscode` external) and each webview app
// (browser, IIFE, one bundle per app, always minified). `--production` minifies the Node bundles too and drops
// source maps; `--watch` rebuilds.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Node bundles: extension host entry, CLI, and worker-thread entries. */
const nodeEntries = {
  extension: 'src/extension/extension.ts',
  cli: 'src/cli/main.ts',
  worker: 'src/worker.ts',
};

/** Webview apps: each folder under webview/ with a main.ts is its own browser bundle. */
function webviewEntries() {
  const dir = path.join(__dirname, 'webview');
  const entries = {};
  if (!fs.existsSync(dir)) return entries;
  for (const name of fs.readdirSync(dir)) {
    const main = path.join(dir, name, 'main.ts');
    if (fs.existsSync(main)) entries[name] = main;
  }
  return entries;
}

async function main() {
  // Start from an empty dist/ so stale bundles and source maps never reach a package.
  if (!watch) fs.rmSync(path.join(__dirname, 'dist'), { recursive: true, force: true });
  const common = {
    bundle: true,
    minify: production,
    sourcemap: production ? false : 'linked',
    logLevel: 'warning',
    legalComments: 'none',
  };
  const contexts = [
    await esbuild.context({
      ...common,
      entryPoints: nodeEntries,
      outdir: 'dist',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      banner: { js: '' },
    }),
    await esbuild.context({
      ...common,
      entryPoints: webviewEntries(),
      // Always minified (development builds keep their source maps): the bundle is inlined into each webview's
      // document (src/extension/webviews/webviewHtml.ts), so its size is paid on every panel open; minified,
      // the compare app is about half.
      minify: process.env.MLOPS_WEBVIEW_MINIFY !== '0', // MLOPS_WEBVIEW_MINIFY=0: readable names for profiling
      outdir: 'dist/webview',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      loader: { '.ttf': 'file', '.css': 'css' },
    }),
  ];
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    console.log('esbuild: watching');
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  // The CLI is run as `mlops` through package.json "bin": it needs a shebang and the executable bit.
  const cli = path.join(__dirname, 'dist', 'cli.js');
  const src = fs.readFileSync(cli, 'utf8');
  if (!src.startsWith('#!')) fs.writeFileSync(cli, '#!/usr/bin/env node\n' + src);
  fs.chmodSync(cli, 0o755);
  // sql.js (the MLflow SQLite reader, src/core/sources/mlflowSqlite/sqlJs.ts) loads its WebAssembly from next to the
  // bundle that runs it: dist/extension.js, dist/cli.js.
  fs.copyFileSync(path.join(__dirname, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'), path.join(__dirname, 'dist', 'sql-wasm.wasm'));
  // Codicons for webviews are served from dist so that localResourceRoots can stay limited to dist/webview.
  const codicons = path.join(__dirname, 'node_modules', '@vscode', 'codicons', 'dist');
  const out = path.join(__dirname, 'dist', 'webview', 'codicons');
  fs.mkdirSync(out, { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(codicons, f), path.join(out, f));
  console.log(`esbuild: built ${production ? 'production' : 'development'} bundles`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
