import * as vscode from 'vscode';

/** The "MLOps" output channel: what the extension does, and every error with its detail. */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  constructor() {
    this.channel = vscode.window.createOutputChannel('MLOps', { log: true });
  }
  info(msg: string): void {
    this.channel.info(msg);
  }
  warn(msg: string): void {
    this.channel.warn(msg);
  }
  error(msg: string, e?: unknown): void {
    const detail = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : e === undefined ? '' : String(e);
    this.channel.error(detail ? `${msg}: ${detail}` : msg);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
