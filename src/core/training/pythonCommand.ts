/**
 * The Python interpreter to suggest for a training command: `python3` when it is on PATH (Debian and Ubuntu have no
 * `python` unless python-is-python3 is installed; macOS has only `python3`), else `python` when that is; on Windows
 * `python` (the python.org installer puts python.exe on PATH; `python3.exe` is often only the Microsoft Store alias).
 * A few fs.access calls, asynchronous: nothing is run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PythonLookup {
  platform?: NodeJS.Platform;
  /** The PATH to search (default: process.env.PATH). */
  pathEnv?: string;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.promises.access(file, fs.constants.X_OK);
    return (await fs.promises.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Whether `name` is an executable file in one of the PATH's folders. */
export async function onPath(name: string, pathEnv = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of pathEnv.split(path.delimiter).filter(Boolean)) {
    if (await isExecutable(path.join(dir, name))) return true;
  }
  return false;
}

/** `python3`, `python` (whichever is on PATH, in that order; `python3` when neither is), or `python` on Windows. */
export async function pythonCommand({ platform = process.platform, pathEnv = process.env.PATH ?? '' }: PythonLookup = {}): Promise<string> {
  if (platform === 'win32') return 'python';
  if (await onPath('python3', pathEnv)) return 'python3';
  if (await onPath('python', pathEnv)) return 'python';
  return 'python3';
}
