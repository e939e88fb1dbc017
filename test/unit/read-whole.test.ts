/** readWhole: a file read as parallel slices is byte-identical to a plain read (small, empty, several slices, odd size). */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readWhole } from '../../src/core/sources/mlflowSqlite/stableRead';

describe('readWhole', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-whole-'));
  for (const size of [0, 1, 4096, (8 << 20) + 1, 3 * (8 << 20) + 12345]) {
    it(`${size} bytes`, async () => {
      const file = path.join(dir, `f${size}`);
      const bytes = randomBytes(size);
      fs.writeFileSync(file, bytes);
      const got = await readWhole(file);
      assert.equal(got.length, size);
      assert.ok(got.equals(bytes), 'the same bytes');
    });
  }
});
