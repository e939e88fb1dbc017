/** Category counts (categorical columns, or the distinct values of a few-valued numeric column). */

export type CategoryKey = string | number;
export type Counts = Map<CategoryKey, number>;

/** Keys in the order Python's sorted() gives for one type: numbers ascending, strings by code point. */
export function sortKeys(keys: Iterable<CategoryKey>): CategoryKey[] {
  return [...keys].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return compareCodePoints(a, b);
  });
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** Distinct values of an ascending array with their counts. */
export function valueCounts(sorted: Float64Array): Counts {
  const m: Counts = new Map();
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    m.set(sorted[i], j - i);
    i = j;
  }
  return m;
}

export function total(counts: Counts): number {
  let s = 0;
  for (const c of counts.values()) s += c;
  return s;
}
