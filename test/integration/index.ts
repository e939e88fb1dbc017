/**
 * Tests module loaded by the extension host (`extensionTestsPath`): the same contract for both hosts,
 * @vscode/test-electron (test/host/run-electron.mjs) and the VS Code server in headless Chromium
 * (test/host/run-integration.mjs). Runs every out/test/integration/**\/*.test.js with mocha (bdd).
 *
 * Environment (it is inherited from the process that started VS Code / the server):
 *   MLOPS_TEST_RESULTS  write a JSON summary here: {passed, failed, pending, tests:[{title, fullTitle, state, durationMs, error?}]}
 *   MLOPS_TEST_LOG      also append each printed line to this file (the server runner streams it live)
 *   MLOPS_TEST_GREP     only run tests whose full title matches this regular expression
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

interface TestResult {
  title: string;
  fullTitle: string;
  file?: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
  error?: { message: string; stack?: string; expected?: unknown; actual?: unknown };
}

interface Results {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  host: string;
  files: string[];
  tests: TestResult[];
}

function findTestFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

function print(line: string): void {
  console.log(line);
  const log = process.env.MLOPS_TEST_LOG;
  if (log) {
    try {
      fs.appendFileSync(log, line + '\n');
    } catch {
      // the console line is enough
    }
  }
}

function errorInfo(err: unknown): TestResult['error'] {
  const e = err as { message?: unknown; stack?: unknown; expected?: unknown; actual?: unknown; showDiff?: boolean } | undefined;
  const info: NonNullable<TestResult['error']> = {
    message: e && e.message !== undefined ? String(e.message) : String(err),
    stack: e && typeof e.stack === 'string' ? e.stack : undefined,
  };
  if (e && e.showDiff !== false && ('expected' in e || 'actual' in e)) {
    info.expected = safeJson(e.expected);
    info.actual = safeJson(e.actual);
  }
  return info;
}

function safeJson(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v ?? null));
  } catch {
    return String(v);
  }
}

function writeResults(results: Results): void {
  const file = process.env.MLOPS_TEST_RESULTS;
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write then rename, so a runner polling for the file never reads half of it.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, file);
}

export async function run(): Promise<void> {
  const started = Date.now();
  const results: Results = { passed: 0, failed: 0, pending: 0, durationMs: 0, host: hostDescription(), files: [], tests: [] };
  // No mocha reporter output: this module prints one line per test itself (and records it for the JSON).
  const silentReporter = function SilentReporter() {} as unknown as Mocha.ReporterConstructor;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: silentReporter });
  if (process.env.MLOPS_TEST_GREP) mocha.grep(process.env.MLOPS_TEST_GREP);

  const files = findTestFiles(__dirname).filter((f) => path.resolve(f) !== path.resolve(__filename));
  results.files = files.map((f) => path.relative(__dirname, f));
  for (const f of files) mocha.addFile(f);
  print(`integration tests (${results.host}): ${files.length} file(s)${process.env.MLOPS_TEST_GREP ? `, grep /${process.env.MLOPS_TEST_GREP}/` : ''}`);

  const record = (test: Mocha.Test | Mocha.Hook, state: TestResult['state'], err?: unknown): void => {
    const r: TestResult = {
      title: test.title,
      fullTitle: test.fullTitle(),
      file: test.file ? path.relative(__dirname, test.file) : undefined,
      state,
      durationMs: test.duration ?? 0,
    };
    if (err !== undefined) r.error = errorInfo(err);
    results.tests.push(r);
    results[state]++;
    if (state === 'passed') print(`  ✓ ${r.fullTitle} (${r.durationMs} ms)`);
    else if (state === 'pending') print(`  - ${r.fullTitle} (pending)`);
    else {
      print(`  ✗ ${r.fullTitle}`);
      print(`      ${(r.error?.message ?? '').split('\n').join('\n      ')}`);
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let runner: Mocha.Runner;
      try {
        runner = mocha.run(() => resolve());
      } catch (e) {
        reject(e);
        return;
      }
      runner.on('pass', (t) => record(t, 'passed'));
      runner.on('fail', (t, err) => record(t, 'failed', err));
      runner.on('pending', (t) => record(t, 'pending'));
    });
  } catch (e) {
    // A test file that throws while loading (syntax error, failing import) fails the whole run.
    results.tests.push({ title: 'load test files', fullTitle: 'load test files', state: 'failed', durationMs: 0, error: errorInfo(e) });
    results.failed++;
    print(`  ✗ loading the test files failed: ${(e as Error)?.message ?? String(e)}`);
  }

  results.durationMs = Date.now() - started;
  print(`integration: ${results.passed} passed, ${results.failed} failed, ${results.pending} pending (${results.durationMs} ms)`);
  writeResults(results);
  if (results.failed > 0) throw new Error(`${results.failed} integration test(s) failed.`);
  if (results.passed === 0) throw new Error('No integration test passed (none found, or all filtered out or pending).');
}

function hostDescription(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vscode = require('vscode') as { version: string; env: { appName: string; uiKind: number } };
    return `${vscode.env.appName} ${vscode.version}`;
  } catch {
    return 'no vscode API';
  }
}
