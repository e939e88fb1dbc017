/** `mlops store check [--json] [--repair] [--no-hash]`: the store's fsck (src/core/integrity/storeCheck.ts). */
import { Command } from 'commander';
import { checkStore, formatFinding } from '../../core/integrity/storeCheck';
import { Store } from '../../core/store/store';
import { EXIT_FAILED, GlobalOptions, out, resolveStorePath } from '../context';

export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('the store itself: check it for damage');
  store
    .command('check')
    .description('read everything in the store and report each damaged line, stray file, duplicate id, dangling reference, SHA-256 that does not verify and leftover temporary file (exit 0: nothing found, 1: problems found)')
    .option('--json', 'print the findings as JSON')
    .option('--repair', 'remove what is provably garbage (temporary files of dead writers, unreferenced model copies older than an hour); nothing else is ever changed')
    .option('--no-hash', "skip verifying each run artifact's SHA-256 (faster on large stores)")
    .action((o: { json?: boolean; repair?: boolean; hash?: boolean }, cmd: Command) => {
      const root = resolveStorePath(cmd.optsWithGlobals() as GlobalOptions, false);
      const result = checkStore(Store.open(root), { repair: o.repair, hashArtifacts: o.hash !== false });
      const open = result.findings.filter((f) => !f.repaired && f.severity !== 'info');
      if (o.json) out.json(result);
      else {
        const c = result.checked;
        out.line(`Checked ${result.store}: ${c.experiments} experiment(s), ${c.runs} run(s), ${c.registryEvents} registry event(s), ${c.artifacts} registered model copies, ${c.logLines} log line(s).`);
        for (const f of result.findings) out.line(formatFinding(f));
        const repaired = result.findings.filter((f) => f.repaired).length;
        const removable = result.findings.filter((f) => f.removable && !f.repaired).length;
        out.line(open.length ? `${open.length} problem(s)${repaired ? `, ${repaired} removed` : ''}.${removable ? ` ${removable} can be removed safely with --repair.` : ''}` : `No problems${repaired ? ` (${repaired} removed)` : ''}.`);
      }
      if (open.length) process.exitCode = EXIT_FAILED;
    });
}
