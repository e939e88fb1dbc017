/**
 * `mlops`: the workbench's command line, over the same core as the extension. Exit codes: 0 success,
 * 1 failure (a gate failed, an I/O error), 2 bad input (with a message on stderr).
 */
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { Store } from '../core/store/store';
import { CorruptFileError, UserInputError } from '../core/util/errors';
import { VERSION } from '../core/version';
import { EXIT_BAD_INPUT, EXIT_FAILED, GlobalOptions, out, resolveStorePath } from './context';
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
    if (e instanceof UserInputError) {
      process.stderr.write(`mlops: ${e.message}\n`);
      return (e as UserInputError & { exitCode?: number }).exitCode ?? EXIT_BAD_INPUT;
    }
    if (e instanceof CorruptFileError) {
      process.stderr.write(`mlops: corrupt store file ${e.file}: ${e.detail}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`mlops: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    // A command that finished normally may have set its own exit code (a failed gate, differing metrics).
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  });
}
