/**
 * What a tree shows of each workspace store, loaded asynchronously (through the store's RunSource) while the tree
 * provider stays synchronous: `get` gives what the last load brought, `load` starts one — one per store at a time; a
 * change during a load loads again after it — and `changed` fires after each load so the tree redraws. Used by the
 * Experiments and Model Registry trees.
 */
import * as vscode from 'vscode';
import { errorMessage } from '../../core/util/errors';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';

export class StoreViews<V> implements vscode.Disposable {
  private readonly views = new Map<WorkspaceStore, V>();
  private readonly loading = new Map<WorkspaceStore, Promise<void>>();
  private readonly again = new Set<WorkspaceStore>();
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires after each load (also a failed one). */
  readonly changed = this.emitter.event;
  private disposed = false;

  /** `read` loads what a store shows; `failed` is what it shows when that throws (given the one-line reason). */
  constructor(
    private readonly stores: WorkspaceStores,
    private readonly read: (store: WorkspaceStore) => Promise<V>,
    private readonly failed: (reason: string) => V,
  ) {}

  get(store: WorkspaceStore): V | undefined {
    return this.views.get(store);
  }

  /** Load what `store` shows. One load per store at a time; a call during one loads again after it. */
  load(store: WorkspaceStore): Promise<void> {
    const running = this.loading.get(store);
    if (running) {
      this.again.add(store);
      return running;
    }
    const p = this.read(store)
      .then((v) => void this.views.set(store, v))
      .catch((e: unknown) => void this.views.set(store, this.failed(errorMessage(e))))
      .finally(() => {
        this.loading.delete(store);
        if (this.disposed) return;
        this.emitter.fire();
        if (this.again.delete(store)) void this.load(store);
      });
    this.loading.set(store, p);
    return p;
  }

  loadAll(): void {
    for (const s of this.stores.all()) void this.load(s);
  }

  /** Settles when every store has been loaded since its last change (the store's own reload first). */
  async whenLoaded(): Promise<void> {
    await Promise.all(this.stores.all().filter((s) => s.exists).map((s) => s.whenLoaded()));
    for (const s of this.stores.all()) if (s.exists && !this.views.has(s)) void this.load(s);
    while (this.loading.size) await Promise.all([...this.loading.values()]);
  }

  dispose(): void {
    this.disposed = true;
    this.emitter.dispose();
  }
}
