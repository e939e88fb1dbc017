import * as vscode from 'vscode';
import { errorMessage, UserInputError } from '../core/util/errors';
import type { Log } from './log';
import { noteCommandStart } from './util/questions';

/**
 * Registers commands with the extension's common error handling, each error shown once: a cancelled task is an
 * information message; an expected user error (UserInputError: bad input, a refused promotion; SourceError: an
 * MLflow source unreachable, refusing the credentials, a path that is not there) is logged as a warning without a
 * stack and shown; any other error is logged with its stack in the MLOps output and shown with a
 * **Show Output** action. The command then returns undefined. Every command module uses it. It notes when each
 * command starts, for the questions it asks (util/questions.ts).
 */
export function commandRegistrar(context: vscode.ExtensionContext, log: Log): (id: string, fn: (...args: never[]) => unknown) => void {
  return (id, fn) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        noteCommandStart();
        try {
          return await fn(...args);
        } catch (e) {
          if ((e as Error)?.name === 'AbortError') {
            log.info(`${id}: cancelled`);
            void vscode.window.showInformationMessage(errorMessage(e));
            return undefined;
          }
          // Expected, one-line errors: bad input, a refused change, and a source's own (unreachable, 401, not found).
          if (e instanceof UserInputError || (e as Error)?.name === 'SourceError') {
            log.warn(`${id}: ${errorMessage(e)}`);
            void vscode.window.showErrorMessage(errorMessage(e));
            return undefined;
          }
          log.error(`Command ${id} failed`, e);
          void vscode.window.showErrorMessage(errorMessage(e), 'Show Output').then((choice) => {
            if (choice) log.channel.show(true);
          });
          return undefined;
        }
      }),
    );
}
