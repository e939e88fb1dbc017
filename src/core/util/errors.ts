/** Errors the user can fix (bad input): the CLI maps them to exit code 2, the extension shows them as is. */
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}

/** A stored file that cannot be read or parsed. Reported with its path, never deleted or rewritten. */
export class CorruptFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'CorruptFileError';
  }
}

/** Work cancelled by the user (Cancel, Ctrl-C, an AbortSignal): not a failure. Below every folder that cancels. */
export class AbortError extends Error {
  constructor(message = 'Training was cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

/** AbortError (saying what was cancelled) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'Cancelled'): void {
  if (signal?.aborted) throw new AbortError(what);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
