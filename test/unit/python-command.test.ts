/** The interpreter Run Training Command suggests: python3, else python, found on PATH; python on Windows. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { onPath, pythonCommand } from '../../src/core/training/pythonCommand';
import { tempDir } from './helpers';

/** A folder holding executable files with these names (and `notExec`, a file without the executable bit). */
function binDir(...names: string[]): string {
  const dir = tempDir('mlops-bin-');
  for (const n of names) fs.writeFileSync(path.join(dir, n), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'notExec'), '', { mode: 0o644 });
  return dir;
}

const posix = process.platform !== 'win32';

it('python3 first, then python, on the PATH in its order', { skip: !posix && 'the executable bit is a POSIX thing' }, async () => {
  const both = binDir('python3', 'python');
  const onlyPython = binDir('python');
  const none = binDir();
  const join = (...dirs: string[]) => dirs.join(path.delimiter);
  assert.equal(await pythonCommand({ platform: 'linux', pathEnv: join(none, both) }), 'python3');
  assert.equal(await pythonCommand({ platform: 'linux', pathEnv: join(onlyPython, none) }), 'python', 'only python on the PATH');
  assert.equal(await pythonCommand({ platform: 'darwin', pathEnv: join(onlyPython, both) }), 'python3', 'python3 anywhere on the PATH wins');
  assert.equal(await pythonCommand({ platform: 'linux', pathEnv: none }), 'python3', 'neither: the name most systems use');
  assert.equal(await pythonCommand({ platform: 'linux', pathEnv: '' }), 'python3');
  for (const d of [both, onlyPython, none]) fs.rmSync(d, { recursive: true, force: true });
});

it('on Windows the suggestion is python', async () => {
  const dir = binDir('python3');
  assert.equal(await pythonCommand({ platform: 'win32', pathEnv: dir }), 'python');
  fs.rmSync(dir, { recursive: true, force: true });
});

it('onPath needs an executable file, not a folder or a plain file', { skip: !posix && 'the executable bit is a POSIX thing' }, async () => {
  const dir = binDir('tool');
  fs.mkdirSync(path.join(dir, 'folder'));
  assert.equal(await onPath('tool', dir), true);
  assert.equal(await onPath('notExec', dir), false);
  assert.equal(await onPath('folder', dir), false);
  assert.equal(await onPath('missing', dir), false);
  fs.rmSync(dir, { recursive: true, force: true });
});
