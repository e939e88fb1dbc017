/**
 * The random stream of one tree: the same numbers as `Rng.derive(seed, key)` (src/core/util/random.ts) gives through
 * nextUint32() and int(), computed with the SFC32 state in an Int32Array. Why a copy of that algorithm: Rng keeps
 * its state in object fields that hold unsigned and signed 32-bit values, which V8 stores as boxed numbers, so a
 * draw took about 200 instructions (callgrind); a tree draws one row index per training row for its bootstrap and
 * one feature per visited feature at every node. A unit test checks that both streams stay identical.
 */
export class TreeRng {
  private readonly s = new Int32Array(4);

  constructor(seed: number, key: number) {
    // Rng.derive, then Rng's constructor: SplitMix32 fills the state and 12 draws are discarded.
    let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((key + 1) >>> 0, 0x85ebca77)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = z ^ (z >>> 16);
    }
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** As Rng.nextUint32(): the state's words hold the same bits, as int32. */
  nextUint32(): number {
    const s = this.s;
    const a = s[0];
    const b = s[1];
    const c = s[2];
    const d = s[3];
    const t = (a + b + d) | 0;
    s[3] = (d + 1) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** As Rng.int(lo, hi) for 0 < hi − lo ≤ 2^31: rejection sampling, no modulo bias. */
  int(lo: number, hi: number): number {
    const range = hi - lo;
    // 2^32 mod range computed as (2^32 − range) mod range, in unsigned 32-bit arithmetic.
    const limit = 4294967296 - (((-range) >>> 0) % range);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return lo + (x % range);
  }
}
