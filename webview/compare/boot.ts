/**
 * Imported first by main.ts, so it runs before chart.js and the UI toolkit are evaluated: it takes the webview API,
 * says `ready` at once (the extension builds the data message while the rest of the bundle loads) and keeps the
 * messages that arrive until the app listens.
 */
import type { CompareFromWebview, CompareToWebview } from '../../src/shared/protocol';

declare function acquireVsCodeApi<S = unknown>(): { postMessage(msg: unknown): void; getState(): S | undefined; setState(s: S): void };

export interface Boot<State> {
  post(msg: CompareFromWebview): void;
  onMessage(handler: (msg: CompareToWebview) => void): void;
  getState(): State | undefined;
  setState(s: State): void;
  /** Epoch ms when `ready` was posted. */
  readyAt: number;
}

const api = acquireVsCodeApi();
const queue: CompareToWebview[] = [];
let handler: ((msg: CompareToWebview) => void) | undefined;
window.addEventListener('message', (e: MessageEvent) => {
  const msg = e.data as CompareToWebview;
  if (handler) handler(msg);
  else queue.push(msg);
});
const readyAt = Date.now();
api.postMessage({ type: 'ready' } satisfies CompareFromWebview);

export function boot<State>(): Boot<State> {
  return {
    post: (m) => api.postMessage(m),
    onMessage(h) {
      handler = h;
      for (const m of queue.splice(0)) h(m);
    },
    getState: () => api.getState() as State | undefined,
    setState: (s) => api.setState(s),
    readyAt,
  };
}
