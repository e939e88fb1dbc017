/** Warnings about damaged store files, printed once each to stderr as `mlops: warning: FILE:LINE: reason`. */
import type { LogProblem } from '../core/util/jsonLog';

const printed = new Set<string>();

export function warn(message: string): void {
  if (printed.has(message)) return;
  printed.add(message);
  process.stderr.write(`mlops: warning: ${message}\n`);
}

export function warnProblem(p: LogProblem): void {
  warn(`${p.file}:${p.line}: ${p.message}`);
}
