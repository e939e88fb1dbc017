import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Run } from '../../src/core/store/types';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const FIXTURES = path.join(REPO, 'out', 'test', 'fixtures');

export function tempDir(prefix = 'mlops-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

let runCounter = 0;
/** An in-memory Run for filter and sort tests: completed, one day apart (Dec 2025), with the given fields. */
export function fakeRun(p: Partial<Run>): Run {
  const n = ++runCounter;
  return {
    format: 1, id: n.toString(16).padStart(32, '0'), experimentId: 'e', experimentName: 'Wafer', name: `run-${n}`, status: 'completed',
    effectiveStatus: 'completed', interrupted: false, startTime: Date.UTC(2025, 11, n), endTime: Date.UTC(2025, 11, n) + 5000, duration: 5000,
    params: {}, metrics: {}, tags: {}, notes: '', environment: { extensionVersion: '0', nodeVersion: 'v20', os: { platform: 'linux', release: '', arch: 'x64' } },
    artifacts: [], owner: null, problems: [], ...p,
  } as Run;
}

/** The crash tests' writer process (test/fixtures/writer.ts). */
export const WRITER = path.join(FIXTURES, 'writer.js');

/** Run the writer in `bulk` mode: `runs` runs tagged `writer=<tag>` into the store at `root`; rejects unless it ends cleanly. */
export function spawnBulkWriter(root: string, runs: number, tag: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, [WRITER, 'bulk', root, String(runs), tag], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // 'close', not 'exit': 'exit' can come before the last of stdout is read (the CI once saw 'done' missing).
    c.on('close', (code) => (code === 0 && out.includes('done') ? resolve() : reject(new Error(`writer ${tag} exited ${code}`))));
  });
}
