/**
 * Lifecycle: a base class for anything that owns disposables (panels, panel managers), after the shape of VS Code's
 * Markdown preview (`extensions/markdown-language-features/src/util/dispose.ts`). What an object creates it passes
 * to `register()`, and `dispose()` disposes all of it once. Free of the `vscode` module (its Disposable is only a
 * `dispose()` method), so it is tested without an editor.
 */

export interface IDisposable {
  dispose(): unknown;
}

/** Dispose every item, even when some throw; then throw the first error (or all of them, as an AggregateError). */
export function disposeAll(items: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const item of items) {
    try {
      item.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed to dispose');
}

export abstract class Disposable implements IDisposable {
  private disposedFlag = false;
  private registered: IDisposable[] = [];

  /** True once `dispose()` has started: from then on nothing new is kept. */
  protected get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Keep `value` until this object is disposed (disposed at once when that has already happened). */
  protected register<T extends IDisposable>(value: T): T {
    if (this.disposedFlag) value.dispose();
    else this.registered.push(value);
    return value;
  }

  /** Dispose what was registered, newest last, once; later calls do nothing. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    const items = this.registered;
    this.registered = [];
    disposeAll(items);
  }
}
