import * as vscode from 'vscode';

/** The "MLOps" output channel: what the extension does, and every error with its detail. */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  /** The last lines written (level + message), for the status of the extension and its tests. */
  readonly recent: string[] = [];
  constructor() {
    this.channel = vscode.window.createOutputChannel('MLOps', { log: true });
  }
  private keep(line: string): void {
    this.recent.push(line);
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200);
  }
  info(msg: string): void {
    this.keep(`info ${msg}`);
    this.channel.info(msg);
  }
  warn(msg: string): void {
    this.keep(`warn ${msg}`);
    this.channel.warn(msg);
  }
  error(msg: string, e?: unknown): void {
    const detail = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : e === undefined ? '' : String(e);
    this.keep(`error ${detail ? `${msg}: ${detail}` : msg}`);
    this.channel.error(detail ? `${msg}: ${detail}` : msg);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
