/**
 * createFileAtomic (core/util/atomicFs.ts): a file created whole or not at all, never replacing another writer's; and
 * the store marker made that way, so processes opening a new store at the same moment all read a whole marker.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createFileAtomic } from '../../src/core/util/atomicFs';
import { tempDir } from './helpers';

describe('createFileAtomic', () => {
  it('creates the file with its whole content, keeps an existing one, and leaves no temporary file', () => {
    const dir = tempDir('mlops-create-');
    const f = path.join(dir, 'store.json');
    assert.equal(createFileAtomic(f, '{"format":1}\n'), true);
    assert.equal(createFileAtomic(f, '{"format":2}\n'), false, 'a second create keeps the first file');
    assert.equal(fs.readFileSync(f, 'utf8'), '{"format":1}\n');
    assert.deepEqual(fs.readdirSync(dir), ['store.json']);
  });

  it('eight processes opening one new store at once: every one reads a whole marker, one marker is left', async () => {
    const storeJs = path.resolve(__dirname, '..', '..', 'src', 'core', 'store', 'store.js');
    for (let round = 0; round < 5; round++) {
      const root = path.join(tempDir('mlops-race-'), '.mlops');
      const code = `require(${JSON.stringify(storeJs)}).Store.open(process.argv[1], { create: true })`;
      const results = await Promise.all(Array.from({ length: 8 }, () => new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, ['-e', code, root], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('close', (c) => resolve({ code: c, err }));
      })));
      for (const r of results) assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'store.json'), 'utf8')).format, 1);
      assert.deepEqual(fs.readdirSync(root).filter((n) => n.startsWith('.tmp-')), []);
    }
  });
});
