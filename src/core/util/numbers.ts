/**
 * The one rule for "is this user text a number" (filter values, CSV cells, parameter values, flags).
 *
 * Only decimal notation is numeric: optional sign, digits with an optional fraction (or a fraction alone), an
 * optional exponent — `16`, `-1.5`, `+.5`, `5.`, `1e3`, `1.6E+1`. Surrounding whitespace is ignored. Everything
 * else that JavaScript's Number() would accept is text: hex `0x10`, octal `0o20`, binary `0b1`, `Infinity`,
 * `inf`, `NaN`, the empty string, digit separators, non-ASCII digits. A decimal whose value overflows (`1e400`)
 * is not a finite number: parseDecimal gives undefined (the callers say "out of range" where that helps).
 * Written by hand because it is one regular expression; no library has this exact rule.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Is the text in decimal notation (whatever its magnitude)? */
export function isDecimal(s: string): boolean {
  return DECIMAL.test(s.trim());
}

/** The value of decimal text, or undefined when the text is not decimal notation or does not fit a finite double. */
export function parseDecimal(s: string): number | undefined {
  const t = s.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** A whole number in decimal notation within [min, max], or undefined. */
export function parseWholeNumber(s: string, min: number, max: number): number | undefined {
  const n = parseDecimal(s);
  return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}
