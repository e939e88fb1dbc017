/**
 * `mlops`: the workbench's command line, over the same core as the extension. Exit codes: 0 success,
 * 1 failure (a gate failed; the machine refused an I/O operation: read-only, full, not permitted, I/O error; a run
 * deleted while it trained), 2 bad input (with a message on stderr; also a path that does not exist or is of the
 * wrong kind). Every error is one line on stderr starting with `mlops:`; MLOPS_DEBUG=1 adds the stack.
 */
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { Store } from '../core/store/store';
import { CorruptFileError, UserInputError } from '../core/util/errors';
import { isPathError, isSystemError, refineSystemError, systemErrorLine } from '../core/util/systemError';
import { RunDeletedError } from '../core/tracking/tracker';
import { VERSION } from '../core/version';
import { checkStoreLocation, EXIT_BAD_INPUT, EXIT_FAILED, GlobalOptions, out, resolveStorePath } from './context';
import { registerRunCommands } from './commands/runs';
import { initSample, registerTrainingCommands } from './commands/train';
import { registerModelCommands } from './commands/models';
import { registerPipelineCommands } from './commands/pipeline';
import { registerDriftCommands } from './commands/drift';
import { registerStoreCommands } from './commands/store';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mlops')
    .description('MLOps Workbench: experiment tracking, training, registry, pipelines and drift monitoring in a workspace store')
    .version(VERSION)
    .option('--store <path>', 'store folder (default: .mlops found from the current folder upward, or $MLOPS_STORE)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('init [dir]')
    .description('create a store in DIR/.mlops (default: the current folder)')
    .action((dir: string | undefined, o: { sample?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      if (o.sample) return initSample(path.resolve(dir ?? '.'));
      const root = g.store ? resolveStorePath(g, true) : path.resolve(dir ?? '.', '.mlops');
      checkStoreLocation(root, g.store ? `--store ${g.store}` : 'Store');
      Store.open(root, { create: true });
      out.line(`Initialised MLOps store in ${root}`);
    });

  registerRunCommands(program);
  registerTrainingCommands(program);
  registerModelCommands(program);
  registerPipelineCommands(program);
  registerDriftCommands(program);
  registerStoreCommands(program);
  for (const c of program.commands) c.exitOverride().showHelpAfterError();
  for (const c of program.commands) for (const s of c.commands) s.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_BAD_INPUT; // commander already printed the message
    }
    return reportError(e);
  }
}

function debugStack(e: unknown): string {
  return process.env.MLOPS_DEBUG && process.env.MLOPS_DEBUG !== '0' && e instanceof Error && e.stack ? `${e.stack.split('\n').slice(1).join('\n')}\n` : '';
}

/**
 * Every error as one line on stderr (the stack only with MLOPS_DEBUG=1) and its exit code: bad input 2 (or the
 * error's own code), a corrupt store file 1, a system error 2 when the path is wrong (ENOENT, ENOTDIR, EISDIR, ...)
 * and 1 when the machine refused (EROFS, ENOSPC, EPERM, EACCES, EIO, ...), a run deleted while training 1.
 */
export function reportError(e: unknown): number {
  const say = (line: string, code: number) => {
    process.stderr.write(`mlops: ${line.replace(/\s+$/, '')}\n${debugStack(e)}`);
    return code;
  };
  if (e instanceof UserInputError) return say(e.message, (e as UserInputError & { exitCode?: number }).exitCode ?? EXIT_BAD_INPUT);
  if (e instanceof CorruptFileError) return say(`corrupt store file ${e.file}: ${e.detail}`, EXIT_FAILED);
  if (e instanceof RunDeletedError) return say(e.message, EXIT_FAILED);
  if (isSystemError(e)) {
    const r = refineSystemError(e);
    return say(systemErrorLine(r), isPathError(r) ? EXIT_BAD_INPUT : EXIT_FAILED);
  }
  const msg = e instanceof Error ? `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : String(e);
  return say(`${msg.split('\n')[0]} (an internal error; MLOPS_DEBUG=1 shows where)`, EXIT_FAILED);
}

if (require.main === module) {
  // An error thrown from a callback (a timer, a worker message) never reaches main(): same one line, same codes.
  const fatal = (e: unknown) => {
    process.exitCode = reportError(e);
    process.exit();
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  // The reader went away (`mlops runs list | head`): stop quietly with 141 (128 + SIGPIPE), as a Unix tool killed
  // by SIGPIPE would, so `set -o pipefail` scripts still see that the output was cut.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      fatal(e);
    });
  }
  main(process.argv.slice(2)).then((code) => {
    // A command that finished normally may have set its own exit code (a failed gate, differing metrics).
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  });
}
