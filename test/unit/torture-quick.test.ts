/** The torture families of issue 18 in their quick form (a few dozen cases each): they must all hold. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverFamilies } from '../torture/discover';

describe('torture families (quick)', () => {
  const seed = Number(process.env.MLOPS_TORTURE_SEED ?? 20261201);
  for (const f of discoverFamilies()) {
    it(`${f.name}: ${f.description}`, async () => {
      const r = await f.run({ quick: true, seed });
      assert.ok(r.tried > 0, `${f.name} tried nothing`);
      assert.deepEqual(r.failures, [], `${f.name} (seed ${seed}): ${r.failures.length} of ${r.tried} failed`);
      assert.equal(r.held, r.tried);
    });
  }
});
