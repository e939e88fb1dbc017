/** Value formatting shared by the extension (tree items, tooltips) and the webviews, so both show the same text. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(Number(v.toPrecision(5)));
  }
  if (v === null) return 'none';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
