/**
 * Imported first by a webview app's main.ts, so it runs before chart.js and the UI toolkit are evaluated: it takes the
 * webview API, says `ready` at once (the extension builds the data message while the rest of the bundle loads) and
 * keeps the messages that arrive until the app listens.
 */

declare function acquireVsCodeApi<S = unknown>(): { postMessage(msg: unknown): void; getState(): S | undefined; setState(s: S): void };

export interface Boot<In, Out, State> {
  post(msg: Out): void;
  onMessage(handler: (msg: In) => void): void;
  getState(): State | undefined;
  setState(s: State): void;
  /** Epoch ms when `ready` was posted. */
  readyAt: number;
}

const api = acquireVsCodeApi();
const queue: unknown[] = [];
let handler: ((msg: unknown) => void) | undefined;
window.addEventListener('message', (e: MessageEvent) => {
  if (handler) handler(e.data);
  else queue.push(e.data);
});
const readyAt = Date.now();
api.postMessage({ type: 'ready' });

export function boot<In, Out, State>(): Boot<In, Out, State> {
  return {
    post: (m) => api.postMessage(m),
    onMessage(h) {
      handler = h as (msg: unknown) => void;
      for (const m of queue.splice(0)) handler(m);
    },
    getState: () => api.getState() as State | undefined,
    setState: (s) => api.setState(s),
    readyAt,
  };
}
