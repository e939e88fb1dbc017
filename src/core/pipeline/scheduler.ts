/**
 * Never two runs of the same pipeline at once: a trigger that arrives while the pipeline runs is queued, and
 * further triggers coalesce into that one queued run (recorded on it). Pausing stops automatic triggers; a
 * manual run still goes through. Pure logic, so it is unit-tested without VS Code.
 */
import type { PipelineRunRecord, Trigger } from './record';

export type Runner = (file: string, trigger: Trigger, coalesced: Trigger[], signal: AbortSignal) => Promise<PipelineRunRecord>;

interface Slot {
  running?: { trigger: Trigger; controller: AbortController; promise: Promise<PipelineRunRecord> };
  pending?: { trigger: Trigger; coalesced: Trigger[]; waiters: ((r: PipelineRunRecord | undefined) => void)[] };
}

export class PipelineScheduler {
  private slots = new Map<string, Slot>();
  paused = false;

  constructor(
    private readonly runner: Runner,
    private readonly onEvent: (e: { kind: 'started' | 'queued' | 'coalesced' | 'finished' | 'ignored'; file: string; trigger: Trigger; record?: PipelineRunRecord; reason?: string }) => void = () => undefined,
  ) {}

  isRunning(file: string): boolean {
    return !!this.slots.get(file)?.running;
  }

  pendingFor(file: string): { trigger: Trigger; coalesced: Trigger[] } | undefined {
    const p = this.slots.get(file)?.pending;
    return p ? { trigger: p.trigger, coalesced: [...p.coalesced] } : undefined;
  }

  /** Request a run. Resolves with the record of the run that served this request (undefined when ignored). */
  trigger(file: string, trigger: Trigger): Promise<PipelineRunRecord | undefined> {
    if (this.paused && trigger !== 'manual') {
      this.onEvent({ kind: 'ignored', file, trigger, reason: 'automatic triggers are paused' });
      return Promise.resolve(undefined);
    }
    const slot = this.slots.get(file) ?? {};
    this.slots.set(file, slot);
    if (!slot.running) return this.start(file, slot, trigger, []);
    if (slot.pending) {
      slot.pending.coalesced.push(trigger);
      this.onEvent({ kind: 'coalesced', file, trigger });
      return new Promise((resolve) => slot.pending!.waiters.push(resolve));
    }
    return new Promise((resolve) => {
      slot.pending = { trigger, coalesced: [], waiters: [resolve] };
      this.onEvent({ kind: 'queued', file, trigger });
    });
  }

  private start(file: string, slot: Slot, trigger: Trigger, coalesced: Trigger[]): Promise<PipelineRunRecord> {
    const controller = new AbortController();
    const promise = this.runner(file, trigger, coalesced, controller.signal);
    slot.running = { trigger, controller, promise };
    this.onEvent({ kind: 'started', file, trigger });
    const done = (record: PipelineRunRecord | undefined) => {
      slot.running = undefined;
      this.onEvent({ kind: 'finished', file, trigger, record });
      const next = slot.pending;
      slot.pending = undefined;
      if (next) {
        void this.start(file, slot, next.trigger, next.coalesced).then(
          (r) => next.waiters.forEach((w) => w(r)),
          () => next.waiters.forEach((w) => w(undefined)),
        );
      }
    };
    promise.then(done, () => done(undefined));
    return promise;
  }

  /** Cancel the running run of a pipeline (and drop its queued one). */
  cancel(file: string): boolean {
    const slot = this.slots.get(file);
    if (!slot?.running) return false;
    if (slot.pending) {
      slot.pending.waiters.forEach((w) => w(undefined));
      slot.pending = undefined;
    }
    slot.running.controller.abort();
    return true;
  }

  cancelAll(): void {
    for (const f of this.slots.keys()) this.cancel(f);
  }
}
