/** Tiny benchmark helpers: medians of repeated timings, printed as a table. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

export function repeat(n: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(time(fn).ms);
  return out;
}

export interface Row {
  section: string;
  measure: string;
  value: string;
  note?: string;
}

export const rows: Row[] = [];

export function report(section: string, measure: string, value: string, note?: string): void {
  rows.push({ section, measure, value, note });
  console.log(`  ${measure.padEnd(48)} ${value.padStart(14)}${note ? `   ${note}` : ''}`);
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
