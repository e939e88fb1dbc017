/** numpy-compatible equal-width bin edges and histogram counts over sorted samples. */
import { lowerBound, upperBound } from './samples';

/** np.linspace(first, last, nBins + 1): edges[i] = first + i·step, last edge exactly `last`. */
export function equalWidthEdges(first: number, last: number, nBins: number): number[] {
  const step = (last - first) / nBins;
  const edges: number[] = [];
  if (!Number.isFinite(step)) {
    // last − first overflows (a range across ±1e308): a convex combination of the ends stays finite.
    for (let i = 0; i <= nBins; i++) edges.push(first * (1 - i / nBins) + last * (i / nBins));
    edges[nBins] = last;
    return edges;
  }
  for (let i = 0; i <= nBins; i++) edges.push(step === 0 ? first + (i / nBins) * (last - first) : i * step + first);
  edges[nBins] = last;
  return edges;
}

/**
 * np.histogram(x, edges) for an ascending-sorted sample: bins [e_k, e_{k+1}), the last bin closed; values outside
 * [e_0, e_last] are not counted.
 */
export function histogramSorted(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const nb = edges.length - 1;
  const out: number[] = new Array(nb);
  let prev = lowerBound(sorted, edges[0]);
  for (let k = 0; k < nb; k++) {
    const next = k === nb - 1 ? upperBound(sorted, edges[nb]) : lowerBound(sorted, edges[k + 1]);
    out[k] = next - prev;
    prev = next;
  }
  return out;
}
