/**
 * `showQuickPick` and `showInputBox` for the extension's commands (commandRegistrar notes when each command starts),
 * with one difference from `vscode.window`'s: a question that closes unanswered almost at once — within
 * REASK_WITHIN_MS of opening, when it opened within FIRST_QUESTION_MS of its command's start — is asked once more.
 *
 * Why: VS Code's walkthrough page (1.100) selects a step, and focuses it 250 ms later, when the Enter or Space that
 * pressed one of the step's buttons is released (a keyup listener on the step). When the command's question opens
 * before the key is up, the focus then leaves the question and it closes before it can be answered: from the
 * keyboard, the walkthrough's buttons did nothing most of the time. Nobody dismisses a question half a second after
 * it appeared; if someone does, it comes back once.
 */
import * as vscode from 'vscode';

const REASK_WITHIN_MS = 600;
const FIRST_QUESTION_MS = 3000;
let commandStarted = -Infinity;

/** Called by commandRegistrar when a command starts. */
export function noteCommandStart(now = Date.now()): void {
  commandStarted = now;
}

function cancelled(args: unknown[]): boolean {
  return args.some((a) => (a as vscode.CancellationToken | undefined)?.isCancellationRequested === true);
}

async function ask<T>(args: unknown[], show: () => Thenable<T>): Promise<T> {
  const opened = Date.now();
  const answer = await show();
  const closedAtOnce = Date.now() - opened < REASK_WITHIN_MS && opened - commandStarted < FIRST_QUESTION_MS;
  if (answer === undefined && closedAtOnce && !cancelled(args)) return show();
  return answer;
}

export const showQuickPick = ((...args: unknown[]) =>
  ask(args, () => (vscode.window.showQuickPick as (...a: unknown[]) => Thenable<unknown>)(...args))) as typeof vscode.window.showQuickPick;

export const showInputBox = ((...args: Parameters<typeof vscode.window.showInputBox>) => ask(args, () => vscode.window.showInputBox(...args))) as typeof vscode.window.showInputBox;
