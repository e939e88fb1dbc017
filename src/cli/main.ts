/**
 * `mlops`: the workbench's command line, over the same core as the extension. Exit codes: 0 success,
 * 1 failure (a gate failed; the machine refused an I/O operation: read-only, full, not permitted, I/O error; a run
 * deleted while it trained), 2 bad input (with a message on stderr; also a path that does not exist or is of the
 * wrong kind). Every error is one line on stderr starting with `mlops:` (a usage error and an unexpected error add a
 * `hint:` line); `--debug` (or MLOPS_DEBUG=1) adds the stack.
 */
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { Store } from '../core/store/store';
import { SourceError, type SourceErrorCode } from '../core/sources/types';
import { CorruptFileError, UserInputError } from '../core/util/errors';
import { isPathError, isSystemError, refineSystemError, systemErrorLine } from '../core/util/systemError';
import { RunDeletedError } from '../core/tracking/tracker';
import { checkStoreLocation, EXIT_BAD_INPUT, EXIT_FAILED, GlobalOptions, out, resolveStorePath } from './context';
import { registerRunCommands } from './commands/runs';
import { initSample, registerTrainingCommands } from './commands/train';
import { playSampleStory } from './commands/sample';
import { registerModelCommands } from './commands/models';
import { registerPipelineCommands } from './commands/pipeline';
import { registerDriftCommands } from './commands/drift';
import { registerStoreCommands } from './commands/store';
import { registerSharingCommands } from './commands/share';
import { registerCompletionCommand } from './completion';
import { guardMlflowSources } from './mlflowGuard';
import { storeArgument, versionText } from './version';

/** --debug (or MLOPS_DEBUG=1): errors print their stack. Set before the command's action runs. */
let debugRequested = false;

/** The program's own options, accepted before or after any subcommand. */
function addGlobalOptions(program: Command, argv: string[]): void {
  program
    .option('-V, --version', 'print the version, the store format it reads and writes, and the store found (if any)')
    .option('--store <path|uri>', 'store folder, or an MLflow source (read-only): an mlruns folder, an mlflow.db file, file:///…/mlruns, sqlite:///…/mlflow.db or http(s)://host[:port][/prefix] (default: $MLOPS_STORE, else .mlops found from the current folder upward, else $MLFLOW_TRACKING_URI; servers read MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/_PASSWORD, MLFLOW_TRACKING_INSECURE_TLS)')
    .option('-q, --quiet', 'no progress bars or stage logs on stderr (errors and warnings still print)')
    .option('--debug', 'print the stack trace of an error');
  program.on('option:version', () => {
    const opts = program.opts() as GlobalOptions;
    process.stdout.write(versionText({ ...opts, store: opts.store ?? storeArgument(argv) }));
    throw new CommanderError(0, 'commander.version', '');
  });
}

/**
 * Usage errors as `mlops: <command>: <what>` and a hint line naming the command's --help, instead of commander's
 * `error: …` and the whole help text.
 */
function configureUsageErrors(cmd: Command, names: string[]): void {
  const where = names.length ? `${names.join(' ')}: ` : '';
  cmd
    .exitOverride()
    // One line: commander puts its "(Did you mean …?)" on a line of its own.
    .configureOutput({ outputError: (text, write) => write(`${text.trimEnd().replace(/^error: /, `mlops: ${where}`).replace(/\s*\n\s*/g, ' ')}\n`) })
    .showHelpAfterError(`hint: 'mlops ${[...names, '--help'].join(' ')}' shows the usage`);
  for (const sub of cmd.commands) configureUsageErrors(sub, [...names, sub.name()]);
}

export function buildProgram(argv: string[] = []): Command {
  const program = new Command();
  program.name('mlops').description('MLOps Workbench: experiment tracking, training, registry, pipelines and drift monitoring in a workspace store');
  addGlobalOptions(program, argv);
  // MLflow sources are read-only: writing commands stop here, before any work (mlflowGuard.ts).
  program.hook('preAction', (_program, action) => {
    debugRequested = Boolean((program.opts() as { debug?: boolean }).debug);
    guardMlflowSources(action);
  });

  program
    .command('init [dir]')
    .description('create a store in DIR/.mlops (default: the current folder)')
    .option('--story', "with --sample: play the seed's story in it (a sweep, the pipeline, Production and Staging versions, three checked batches)")
    .action(async (dir: string | undefined, o: { sample?: boolean; story?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      if (o.story && !o.sample) throw new UserInputError('--story plays the story of the sample: add --sample.');
      if (o.sample) {
        initSample(path.resolve(dir ?? '.'));
        return o.story ? playSampleStory(path.resolve(dir ?? '.')) : undefined;
      }
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
  registerSharingCommands(program);
  registerCompletionCommand(program);
  configureUsageErrors(program, []);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
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
  const debug = debugRequested || (process.env.MLOPS_DEBUG !== undefined && !['', '0'].includes(process.env.MLOPS_DEBUG));
  return debug && e instanceof Error && e.stack ? `${e.stack.split('\n').slice(1).join('\n')}\n` : '';
}

/**
 * Every error as one line on stderr (the stack only with --debug or MLOPS_DEBUG=1) and its exit code: bad input 2 (or
 * the error's own code), a corrupt store file 1, a system error 2 when the path is wrong (ENOENT, ENOTDIR, EISDIR,
 * ...) and 1 when the machine refused (EROFS, ENOSPC, EPERM, EACCES, EIO, ...), a run deleted while training 1; a
 * source error 2 when the user named something wrong (a bad URI, a missing run, a write to a read-only source, an
 * unknown schema) and 1 when the source failed (unreachable, refused credentials, a server error, a damaged
 * database). Anything else is unexpected: its first line, exit 1, and a hint line for --debug.
 */
export function reportError(e: unknown): number {
  const say = (line: string, code: number, hint = '') => {
    const stack = debugStack(e);
    process.stderr.write(`mlops: ${line.replace(/\s+$/, '')}\n${stack || hint}`);
    return code;
  };
  if (e instanceof UserInputError) return say(e.message, (e as UserInputError & { exitCode?: number }).exitCode ?? EXIT_BAD_INPUT);
  if (e instanceof CorruptFileError) return say(`corrupt store file ${e.file}: ${e.detail}`, EXIT_FAILED);
  if (e instanceof RunDeletedError) return say(e.message, EXIT_FAILED);
  if (e instanceof SourceError) return say(e.message, SOURCE_INPUT_ERRORS.has(e.code) ? EXIT_BAD_INPUT : EXIT_FAILED);
  if (isSystemError(e)) {
    const r = refineSystemError(e);
    return say(systemErrorLine(r), isPathError(r) ? EXIT_BAD_INPUT : EXIT_FAILED);
  }
  const msg = e instanceof Error ? `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : String(e);
  return say(`${msg.split('\n')[0]} (an internal error)`, EXIT_FAILED, 'hint: run again with --debug for the stack trace\n');
}

const SOURCE_INPUT_ERRORS = new Set<SourceErrorCode>(['invalid', 'not-found', 'read-only', 'schema']);

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
