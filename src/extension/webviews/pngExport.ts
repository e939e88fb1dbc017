/**
 * Charts saved as PNG from a webview (Compare Runs, the drift report): the image arrives as a data URL, is checked
 * (PNG signature, size) and written where the user chooses; a request/answer pair lets tests and scripts ask a
 * webview for a chart without a dialog.
 */
import * as vscode from 'vscode';
import { errorMessage } from '../../core/util/errors';
import type { Log } from '../log';

const MAX_PNG_BYTES = 30 * 1024 * 1024;
const PREFIX = 'data:image/png;base64,';

/** Decode a `data:image/png;base64,` URL from a webview (untrusted: checked for the PNG signature and size). */
export function decodePng(dataUrl: string): Buffer {
  if (!dataUrl.startsWith(PREFIX)) throw new Error('not a PNG data URL');
  if (dataUrl.length > (MAX_PNG_BYTES * 4) / 3 + PREFIX.length + 4) throw new Error('image too large');
  const buf = Buffer.from(dataUrl.slice(PREFIX.length), 'base64');
  if (buf.length < 8 || buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG image');
  return buf;
}

/** A name safe for a file: letters, digits, `._-`; at most 80 characters. */
export function fileSlug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'chart';
}

/** The first workspace folder joined with `name` (where save dialogs start). */
export function inWorkspace(name: string): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, name) : undefined;
}

/** The Save dialog for a chart the webview sent; errors are shown, never thrown. */
export async function savePngInteractive(log: Log, kind: string, chart: string, defaultName: string, dataUrl: string): Promise<void> {
  try {
    const png = decodePng(dataUrl);
    const uri = await vscode.window.showSaveDialog({ title: 'Save the chart as PNG', defaultUri: inWorkspace(defaultName), filters: { 'PNG image': ['png'] } });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, png);
    log.info(`${kind}: saved chart '${chart}' to ${uri.fsPath}`);
    void vscode.window.showInformationMessage(`Saved the chart to ${vscode.workspace.asRelativePath(uri)}.`);
  } catch (e) {
    log.error(`${kind}: saving the chart failed`, e);
    void vscode.window.showErrorMessage(`Saving the chart failed: ${errorMessage(e)}`);
  }
}

export interface PngAnswer {
  requestId: number;
  name: string;
  dataUrl: string | null;
}

/** Requests for a chart's PNG sent to a webview, matched with its answers by id. */
export class PngRequests {
  private next = 1;
  private pending = new Map<number, (m: PngAnswer) => void>();

  /** Post a request (built by `request` from its id) and wait for the answer. */
  ask(request: (requestId: number) => void, what: string, timeoutMs: number): Promise<PngAnswer> {
    const requestId = this.next++;
    return new Promise<PngAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`no PNG of ${what} from the webview within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      request(requestId);
    });
  }

  /**
   * Ask for a chart (see `ask`), check and decode the image, and write it to `target` when given (no dialog: for
   * tests and scripted use). `missing` is the error when the webview has no such chart.
   */
  async save(request: (requestId: number) => void, what: string, missing: string, target: vscode.Uri | undefined, timeoutMs: number): Promise<{ name: string | undefined; png: Buffer }> {
    const answer = await this.ask(request, what, timeoutMs);
    if (!answer.dataUrl) throw new Error(missing);
    const png = decodePng(answer.dataUrl);
    if (target) await vscode.workspace.fs.writeFile(target, png);
    return { name: typeof answer.name === 'string' ? answer.name : undefined, png };
  }

  answer(m: PngAnswer): void {
    const resolve = this.pending.get(m.requestId);
    if (!resolve) return;
    this.pending.delete(m.requestId);
    resolve(m);
  }

  clear(): void {
    this.pending.clear();
  }
}
