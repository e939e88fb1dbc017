/**
 * Split thresholds. Between two neighbouring values lo < hi of a node the threshold t satisfies lo ≤ t < hi: the
 * midpoint as scikit-learn takes it, or a float32 next to it when one fits in that gap (it nearly always does), so
 * that the model can store thresholds as float32 and `x <= threshold` at prediction time sends every training row
 * the way training sent it.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The next float32 above x (x a float32 value, finite). */
function nextUp32(x: number): number {
  if (x === 0) return 1.401298464324817e-45;
  f32[0] = x;
  if (x > 0) u32[0]++;
  else u32[0]--;
  return f32[0];
}

/** The next float32 below x (x a float32 value, finite). */
function nextDown32(x: number): number {
  return -nextUp32(-x);
}

/**
 * A split threshold t with lo ≤ t < hi (lo < hi, both observed values): the midpoint as scikit-learn takes it
 * (lo/2 + hi/2, or lo when rounding lands on hi), moved to a float32 inside [lo, hi) when there is one.
 */
export function thresholdBetween(lo: number, hi: number): number {
  let mid = lo / 2 + hi / 2;
  if (mid >= hi || !Number.isFinite(mid)) mid = lo;
  let t = Math.fround(mid);
  if (!Number.isFinite(t)) return mid;
  if (t < lo) t = nextUp32(t);
  else if (t >= hi) t = nextDown32(t);
  return t >= lo && t < hi ? t : mid;
}
