/**
 * The data messages of a panel that pushes updates (Compare Runs, the drift report): posted only when something
 * changed (store changes come often while a run trains), except the first one after the webview's `ready` or after
 * the panel was pointed at something else, which is always posted and carries the settings the webview starts from
 * and, once, the time the command started (the webview reports how long after it the panel was drawn).
 */
export class DataMessages<S> {
  /** Epoch ms when the command that opened (or retargeted) the panel started; sent once, then cleared. */
  requestedAt: number | undefined;
  private isFresh = false;
  private lastKey = '';

  constructor(requestedAt?: number) {
    this.requestedAt = requestedAt;
  }

  /** Whether the next message is the first after a (re)start. */
  get fresh(): boolean {
    return this.isFresh;
  }

  /** The next message starts the webview afresh: it is posted even when unchanged, with the settings. */
  restart(): void {
    this.isFresh = true;
    this.lastKey = '';
  }

  /** `msg` ready to post (settings and time added to a fresh start), or undefined when it equals the last one. */
  next<M extends { settings?: S; requestedAt?: number }>(msg: M, settings: S): M | undefined {
    const key = JSON.stringify(msg);
    if (!this.isFresh && key === this.lastKey) return undefined;
    this.lastKey = key;
    if (this.isFresh) {
      msg.settings = settings;
      if (this.requestedAt !== undefined) msg.requestedAt = this.requestedAt;
      this.requestedAt = undefined;
      this.isFresh = false;
    }
    return msg;
  }
}
