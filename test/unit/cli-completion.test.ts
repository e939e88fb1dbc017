/**
 * `mlops completion bash|zsh`, for real: the script printed by dist/cli.js is sourced in bash and its function called
 * with COMP_WORDS/COMP_CWORD as bash would; zsh (when installed) checks the script parses (`zsh -n`) and runs its
 * function with compadd/_describe/_files stubbed. The expected words come from the command table itself
 * (buildProgram), and a command added to that table completes without anything else changing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { Command, Option } from 'commander';
import { bashScript } from '../../src/cli/completion';
import { buildProgram } from '../../src/cli/main';
import { CLI, tempDir } from './helpers';

const dir = tempDir('mlops-completion-');

function script(shell: 'bash' | 'zsh'): string {
  const r = spawnSync(process.execPath, [CLI, 'completion', shell], { encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const file = path.join(dir, `mlops.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

/** What the bash function offers for the command line `words` (the last word is the one being completed). */
function bashComplete(file: string, ...words: string[]): string[] {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mlops; printf "%s\\n" "${COMPREPLY[@]}"', file, ...words], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'sourcing and completing prints no error');
  return r.stdout.split('\n').filter(Boolean);
}

const sorted = (xs: string[]) => [...xs].sort();

describe('mlops completion bash', () => {
  let file: string;
  const program = buildProgram();
  const names = (cmd: Command) => cmd.commands.map((c) => c.name());
  const sub = (name: string) => program.commands.find((c) => c.name() === name)!;

  before(() => {
    file = script('bash');
  });

  it('offers every command of the table (and help), and every subcommand of a group', () => {
    assert.deepEqual(sorted(bashComplete(file, 'mlops', '')), sorted([...names(program), 'help']));
    assert.ok(names(program).includes('completion'));
    assert.deepEqual(bashComplete(file, 'mlops', 'ru'), ['runs']);
    assert.deepEqual(sorted(bashComplete(file, 'mlops', 'runs', '')), sorted([...names(sub('runs')), 'help']));
    assert.deepEqual(sorted(bashComplete(file, 'mlops', 'pipeline', '')), ['help', 'list', 'run']);
    assert.deepEqual(bashComplete(file, 'mlops', 'help', 'pip'), ['pipeline']);
  });

  it("offers a command's flags and the global flags, skipping option values when finding the command", () => {
    assert.deepEqual(sorted(bashComplete(file, 'mlops', '--')), ['--debug', '--help', '--quiet', '--store', '--version']);
    assert.deepEqual(bashComplete(file, 'mlops', '--store', '/tmp/x', 'runs', 'li'), ['list']);
    assert.deepEqual(sorted(bashComplete(file, 'mlops', 'runs', 'list', '--desc', '--li')), ['--limit']);
    assert.deepEqual(sorted(bashComplete(file, 'mlops', 'train', '--ta')), ['--target', '--task']);
    // -e takes a value: "runs" after it is the experiment's name, not the runs command.
    assert.deepEqual(bashComplete(file, 'mlops', 'train', '-e', 'runs', '--eng'), ['--engine']);
    const driftFlags = bashComplete(file, 'mlops', 'drift', '--');
    for (const f of ['--reference', '--current', '--model', '--no-save', '--json', '--store', '--quiet', '--debug']) assert.ok(driftFlags.includes(f), f);
  });

  it("offers an option's choices and the completion shells; other values fall back to file names (-o default)", () => {
    assert.deepEqual(bashComplete(file, 'mlops', 'train', '--task', ''), ['regression', 'classification']);
    assert.deepEqual(bashComplete(file, 'mlops', 'sweep', '--engine', 'ml'), ['mljs']);
    assert.deepEqual(bashComplete(file, 'mlops', 'pipeline', 'run', '--trigger', 'd'), ['data_update', 'drift']);
    assert.deepEqual(bashComplete(file, 'mlops', 'completion', ''), ['bash', 'zsh']);
    assert.deepEqual(bashComplete(file, 'mlops', 'train', '--data', ''), []);
    assert.deepEqual(bashComplete(file, 'mlops', 'runs', 'show', ''), []);
    assert.match(fs.readFileSync(file, 'utf8'), /^complete -o default -F _mlops mlops$/m);
  });

  it('a command added to the table completes with its flags and choices (nothing hand-kept)', () => {
    const p = buildProgram();
    p.command('zz-new').description('a new command').option('--flag-x <v>', 'x').addOption(new Option('--mode <m>', 'm').choices(['fast', 'slow']));
    const f = path.join(dir, 'extended.bash');
    fs.writeFileSync(f, bashScript(p));
    assert.deepEqual(bashComplete(f, 'mlops', 'zz'), ['zz-new']);
    assert.deepEqual(sorted(bashComplete(f, 'mlops', 'zz-new', '--')).filter((x) => !['--debug', '--help', '--quiet', '--store', '--version'].includes(x)), ['--flag-x', '--mode']);
    assert.deepEqual(bashComplete(f, 'mlops', 'zz-new', '--mode', ''), ['fast', 'slow']);
    assert.deepEqual(bashComplete(file, 'mlops', 'zz'), [], 'the real CLI has no such command');
  });
});

describe('mlops completion zsh', () => {
  const zsh = spawnSync('zsh', ['--version'], { encoding: 'utf8' });
  const why = zsh.status === 0 ? undefined : 'zsh is not installed (apt-get install zsh): the zsh script is not checked';
  if (why) process.stdout.write(`# skipping: ${why}\n`);

  /** What _mlops offers in zsh, with the completion system's builtins replaced by printing stubs. */
  function zshComplete(file: string, ...words: string[]): string[] {
    const stubs = 'compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }; _describe() { local n=${@[-1]}; print -rl -- ${(P)n}; }; _files() { print -r -- "<files>"; }';
    const r = spawnSync('zsh', ['-f', '-c', `source "$1"; ${stubs}; shift; words=("$@"); CURRENT=$#; _mlops`, 'zsh', file, ...words], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('parses (zsh -n) and completes commands with descriptions, flags, choices and files', { skip: why }, () => {
    const file = script('zsh');
    const n = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    assert.equal(n.status, 0, n.stderr);
    assert.match(fs.readFileSync(file, 'utf8'), /^#compdef mlops$/m);
    const program = buildProgram();
    const top = zshComplete(file, 'mlops', '');
    assert.deepEqual(sorted(top.map((d) => d.split(':')[0])), sorted([...program.commands.map((c) => c.name()), 'help']));
    assert.ok(top.includes('train:train a random forest and record it as a run'), top.join('\n'));
    assert.deepEqual(zshComplete(file, 'mlops', 'train', '--task', ''), ['regression', 'classification']);
    assert.ok(zshComplete(file, 'mlops', '--store', 'x', 'runs', 'list', '--').includes('--order-by'));
    assert.deepEqual(zshComplete(file, 'mlops', 'train', '--data', ''), ['<files>']);
    assert.deepEqual(zshComplete(file, 'mlops', 'completion', ''), ['bash', 'zsh']);
  });
});
