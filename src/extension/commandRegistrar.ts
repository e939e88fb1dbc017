import * as vscode from 'vscode';
import { errorMessage } from '../core/util/errors';
import type { Log } from './log';

/**
 * Registers commands with the extension's common error handling: a cancelled task is an information message, any
 * other error is logged with its detail in the MLOps output and shown to the user; the command then returns
 * undefined. Every command module uses it.
 */
export function commandRegistrar(context: vscode.ExtensionContext, log: Log): (id: string, fn: (...args: never[]) => unknown) => void {
  return (id, fn) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          if ((e as Error)?.name === 'AbortError') {
            log.info(`${id}: cancelled`);
            void vscode.window.showInformationMessage(errorMessage(e));
            return undefined;
          }
          log.error(`Command ${id} failed`, e);
          void vscode.window.showErrorMessage(errorMessage(e));
          return undefined;
        }
      }),
    );
}
