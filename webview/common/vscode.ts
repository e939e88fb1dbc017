/** Typed access to the webview host API. */
declare function acquireVsCodeApi<S = unknown>(): { postMessage(msg: unknown): void; getState(): S | undefined; setState(s: S): void };

export interface Host<In, Out, State> {
  post(msg: Out): void;
  onMessage(handler: (msg: In) => void): void;
  getState(): State | undefined;
  setState(s: State): void;
}

export function host<In, Out, State = unknown>(): Host<In, Out, State> {
  const api = acquireVsCodeApi<State>();
  return {
    post: (m) => api.postMessage(m),
    onMessage: (handler) => window.addEventListener('message', (e: MessageEvent) => handler(e.data as In)),
    getState: () => api.getState(),
    setState: (s) => api.setState(s),
  };
}
