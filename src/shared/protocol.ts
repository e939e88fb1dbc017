/**
 * The one typed message protocol between the extension and its webviews. Both sides import this file:
 * the extension (src/extension/...) and the webview apps (webview/...). Keep it free of Node and VS Code imports.
 *
 * Flow: the webview posts `ready` once its script runs; the extension answers with the data message for that
 * view and pushes updates later (a run changed or was deleted). User strings travel as data and are rendered
 * with textContent on the webview side, never as HTML.
 */

export type ParamValue = string | number | boolean | null;

/** A run as the webviews see it (plain JSON, times in ms). */
export interface RunView {
  id: string;
  name: string;
  experiment: string;
  status: string;
  interrupted: boolean;
  startTime: number;
  endTime: number | null;
  durationMs: number;
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  notes: string;
  environment: Record<string, unknown>;
  artifacts: { path: string; kind: string; size: number; sha256: string }[];
  problems: { file: string; message: string }[];
}

export interface MetricSeriesView {
  key: string;
  points: { step: number; value: number; timestamp: number }[];
}

// ---------------------------------------------------------------- run details view

export type RunDetailsToWebview =
  | { type: 'run'; run: RunView; history: MetricSeriesView[] }
  | { type: 'gone'; runId: string; reason: string };

export type RunDetailsFromWebview =
  | { type: 'ready' }
  | { type: 'openArtifact'; path: string }
  | { type: 'copy'; text: string };

/** Any message a webview may post; the extension validates `type` before acting. */
export type FromWebview = RunDetailsFromWebview;
export type ToWebview = RunDetailsToWebview;

export function isMessage(v: unknown): v is { type: string } {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}
