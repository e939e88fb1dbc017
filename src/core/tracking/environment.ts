/** The environment record stored with every run: code version, runtime, OS, libraries, data set and seed. */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { EnvironmentRecord } from '../store/types';
import { VERSION } from '../version';

export function gitInfo(cwd: string): EnvironmentRecord['git'] {
  const run = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = run(['rev-parse', 'HEAD']);
    let dirty = false;
    try {
      dirty = run(['status', '--porcelain', '--untracked-files=no']).length > 0;
    } catch {
      /* keep false */
    }
    let branch: string | undefined;
    try {
      branch = run(['rev-parse', '--abbrev-ref', 'HEAD']);
    } catch {
      /* detached or unknown */
    }
    return { commit, dirty, branch };
  } catch {
    return null; // not a git repository, no commits yet, or git missing
  }
}

export function captureEnvironment(cwd: string, extra: Partial<EnvironmentRecord> = {}): EnvironmentRecord {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    user = undefined;
  }
  return {
    git: gitInfo(cwd),
    extensionVersion: VERSION,
    nodeVersion: process.version,
    os: { platform: process.platform, release: os.release(), arch: process.arch },
    host: os.hostname(),
    user,
    libraries: {},
    dataset: null,
    seed: null,
    ...extra,
  };
}
