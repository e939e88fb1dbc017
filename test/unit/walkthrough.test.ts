/**
 * The Get Started walkthrough (package.json contributes.walkthroughs): its steps in order, each with a short text, a
 * button running a contributed command, media that exists (a real screenshot, or Markdown), and completion events on a
 * contributed command or a context key the extension sets (ContextKey in src/extension/keys.ts, read as text: it
 * imports vscode).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const keys = fs.readFileSync(path.join(REPO, 'src', 'extension', 'keys.ts'), 'utf8');
const commands = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
const contextKeys = new Set([...(/export const ContextKey = \{([\s\S]*?)\} as const;/.exec(keys)?.[1] ?? '').matchAll(/:\s*'([^']+)'/g)].map((m) => m[1]));

interface Step {
  id: string;
  title: string;
  description: string;
  media: { image?: string; altText?: string; markdown?: string };
  completionEvents: string[];
}

it('one walkthrough, Get started with MLOps Workbench, with the seven steps in order', () => {
  const ws = pkg.contributes.walkthroughs as { id: string; title: string; steps: Step[] }[];
  assert.equal(ws.length, 1);
  assert.equal(ws[0].title, 'Get started with MLOps Workbench');
  assert.equal(/WALKTHROUGH_ID = '([^']+)'/.exec(keys)?.[1], ws[0].id, 'keys.ts WALKTHROUGH_ID');
  assert.deepEqual(
    ws[0].steps.map((s) => s.id),
    ['openSample', 'runSweep', 'compare', 'registerPromote', 'runPipeline', 'checkDrift', 'connectMlflow'],
  );
});

it('each step: a short text, a button running a contributed command, media that exists, real completion events', () => {
  const steps = (pkg.contributes.walkthroughs[0].steps as Step[]).map((s) => s);
  for (const s of steps) {
    const text = s.description.replace(/\[[^\]]*\]\(command:[^)]*\)/g, '');
    assert.ok(text.length > 40 && text.length < 400, `${s.id}: a short text (${text.length} characters)`);
    const buttons = [...s.description.matchAll(/^\[[^\]]+\]\(command:([^)?]+)[^)]*\)$/gm)].map((m) => m[1]);
    assert.ok(buttons.length >= 1, `${s.id}: a button (a command link on a line of its own)`);
    for (const b of buttons) assert.ok(commands.has(b), `${s.id}: ${b} is a contributed command`);
    const media = s.media.image ?? s.media.markdown;
    assert.ok(media && fs.existsSync(path.join(REPO, media)), `${s.id}: media ${media} exists`);
    if (s.media.image) {
      assert.ok(s.media.altText && s.media.altText.length > 20, `${s.id}: the image says what it shows`);
      const bytes = fs.readFileSync(path.join(REPO, s.media.image));
      assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${s.id}: a PNG`);
      assert.ok(bytes.length < 400_000, `${s.id}: ${bytes.length} bytes (the .vsix carries it)`);
    }
    assert.ok(s.completionEvents.length >= 1, `${s.id}: completes on something`);
    for (const e of s.completionEvents) {
      const [kind, what] = [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)];
      if (kind === 'onCommand') assert.ok(commands.has(what), `${s.id}: ${e} names a contributed command`);
      else if (kind === 'onContext') assert.ok(contextKeys.has(what), `${s.id}: ${e} names a ContextKey the extension sets`);
      else assert.fail(`${s.id}: ${e} is neither onCommand nor onContext`);
    }
  }
});

it('every walkthrough context key is set by the walkthrough progress (and only there)', () => {
  const progress = fs.readFileSync(path.join(REPO, 'src', 'extension', 'walkthrough', 'walkthrough.ts'), 'utf8');
  const used = (pkg.contributes.walkthroughs[0].steps as Step[]).flatMap((s) => s.completionEvents).filter((e) => e.startsWith('onContext:')).map((e) => e.slice('onContext:'.length));
  const names = Object.fromEntries([...(/export const ContextKey = \{([\s\S]*?)\} as const;/.exec(keys)?.[1] ?? '').matchAll(/(\w+):\s*'([^']+)'/g)].map((m) => [m[2], m[1]]));
  for (const key of used) assert.match(progress, new RegExp(`ContextKey\\.${names[key]}\\b`), `${key} is set in walkthrough.ts`);
});
