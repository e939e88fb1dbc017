/**
 * The adversarial families of issue 18, kept as code so they stay fixed.
 *
 * Each file in test/torture/families/ exports `family: TortureFamily`. A family tries many cases of one kind of
 * abuse (random kills, corrupt logs, hostile filter expressions, I/O errors, ...) against the real CLI and store and
 * says how many it tried, how many held, and what failed (one line per failure: the case and what went wrong).
 *
 * - `npm run torture` runs every family in full and prints the table (family, tried, held, failed); exits 1 on a failure.
 * - test/unit/torture-quick.test.ts runs every family with `quick: true` (a few dozen cases, seconds) in `npm test`.
 */
export interface TortureOptions {
  /** CI's short version: a few dozen cases, a few seconds. */
  quick: boolean;
  /** Seed for the family's pseudo-random choices (printed so a failure can be replayed). */
  seed: number;
}

export interface FamilyResult {
  tried: number;
  held: number;
  /** One line per failed case: what was tried, what happened instead. */
  failures: string[];
}

export interface TortureFamily {
  name: string;
  /** One line: what the family tries. */
  description: string;
  run(opts: TortureOptions): Promise<FamilyResult>;
}

/** A small deterministic PRNG (mulberry32), so a seed replays a run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Collects the outcome of each case. */
export class Tally implements FamilyResult {
  tried = 0;
  held = 0;
  failures: string[] = [];
  /** Record one case: `problem` undefined = it held. */
  check(name: string, problem: string | undefined): void {
    this.tried++;
    if (problem === undefined) this.held++;
    else this.failures.push(`${name}: ${problem}`);
  }
  /** Run a case; a thrown error is a failure with its message. */
  async case(name: string, fn: () => string | undefined | Promise<string | undefined>): Promise<void> {
    let problem: string | undefined;
    try {
      problem = await fn();
    } catch (e) {
      problem = `threw ${(e as Error)?.stack ?? String(e)}`;
    }
    this.check(name, problem);
  }
}
