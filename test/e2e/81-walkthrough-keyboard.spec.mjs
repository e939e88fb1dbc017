/* global document, window */
// The walkthrough with the keyboard only: on an empty folder, F1 → MLOps: Get Started opens "Get started with MLOps
// Workbench"; Tab reaches each step's button, Enter runs it, the quick picks are answered with the arrow keys and Enter. Three
// steps are done this way — Open the sample (Create Sample Workspace, files only), Run a sweep (the grid of
// mlops.yaml) and Compare runs (Compare Sweep) — and each is checked when its work is done. No mouse event reaches
// the window during the spec (a listener counts them). Then Run Training Command, from the palette, suggests the
// Python that is on this machine's PATH (python3 on Debian, which has no `python`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export default async function walkthroughKeyboard(ctx) {
  const { waitForText } = ctx.helpers;
  const ws = ctx.makeWorkspace('empty');
  fs.writeFileSync(path.join(ws, 'README.md'), '# An empty project\n');
  const { page } = await ctx.openWorkbench(ws, { server: { settings: { 'remote.autoForwardPorts': false } } });
  await page.evaluate(() => {
    window.__mouseEvents = 0;
    // Enter and Space on a button fire a click too, with detail 0; a mouse's click counts its presses (1, 2…).
    for (const t of ['mousedown', 'mouseup', 'pointerdown', 'click']) window.addEventListener(t, (e) => e.isTrusted && (t !== 'click' || e.detail > 0) && window.__mouseEvents++, true);
  });
  const kb = keyboard(page, ctx);

  await kb.command('MLOps: Get Started');
  const editor = page.locator('.part.editor');
  await waitForText(editor, 'Get started with MLOps Workbench', 60_000);
  const step = (title) => page.locator('.getting-started-step', { hasText: title }).first();
  const isChecked = (title) => step(title).evaluate((el) => el.querySelector('[role=checkbox]')?.getAttribute('aria-checked') === 'true');
  const quick = page.locator('.quick-input-widget');

  // Step 1: Create Sample Workspace → "Into this workspace folder" → "Files only".
  await kb.runStepButton('Open the sample', 'Create Sample Workspace', quick.locator('.monaco-list-row', { hasText: 'Into this workspace folder' }));
  await kb.pick('Into this workspace folder');
  await kb.pick('Files only');
  await waitFor(() => isChecked('Open the sample'), () => `the step Open the sample checked (sample files written: ${fs.existsSync(path.join(ws, 'data', 'wafer_yield.csv'))})`, 30_000);
  assert.ok(fs.existsSync(path.join(ws, 'data', 'wafer_yield.csv')), 'the sample written into the folder');
  assert.ok(!fs.existsSync(path.join(ws, '.mlops', 'sample-story.json')), 'Files only: the story was not played');

  // Step 2: Run Sweep, the grid of mlops.yaml as offered (Enter).
  await kb.runStepButton('Run a sweep', 'Run Sweep', quick.locator('.quick-input-box input'));
  await page.keyboard.press('Enter');
  await waitFor(() => isChecked('Run a sweep'), 'the step Run a sweep checked', 120_000);

  // Step 3: Compare Sweep (the workspace's one sweep; a pick, if any, answered with Enter).
  await kb.command('Notifications: Clear All Notifications');
  await kb.command('MLOps: Get Started');
  await waitForText(editor, 'Get started with MLOps Workbench', 30_000);
  await kb.runStepButton('Compare runs', 'Compare Sweep');
  // One sweep opens at once; should there be a question ("Which sweep?"), it is answered with Enter.
  const asked = await quick.locator('.monaco-list-row').first().waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false);
  if (asked) {
    ctx.log(`Compare Sweep asked: ${await quick.innerText()}`);
    await sleep(800);
    await page.keyboard.press('Enter');
  }
  await ctx.helpers.waitForWebviewFrame(page, 'rf_n200_dnone', 60_000);
  await kb.command('View: Close Editor');
  await waitFor(() => isChecked('Compare runs'), 'the step Compare runs checked', 30_000);
  for (const other of ['Register and promote the best', 'Run the pipeline', 'Check a batch for drift', 'Connect MLflow']) assert.equal(await isChecked(other), false, `${other} not checked`);

  // The three checked steps, with the keyboard focus on the next one.
  await kb.tabTo((a) => a.step === 'Register and promote the best', 'the step Register and promote the best');
  await sleep(400);
  await ctx.screenshot(page, '81-walkthrough-keyboard-three-steps-checked');

  // Run Training Command suggests the interpreter on this PATH (the server's extension host has the same PATH).
  const python = onPath('python3') ? 'python3' : onPath('python') ? 'python' : 'python3';
  await kb.command('MLOps: Run Training Command');
  const input = quick.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await waitFor(async () => (await input.inputValue()) === `${python} train.py`, `the suggestion "${python} train.py" (it was "${await input.inputValue()}")`, 10_000);
  await ctx.screenshot(page, '81-run-training-command-suggestion');
  await page.keyboard.press('Escape');

  assert.equal(await page.evaluate(() => window.__mouseEvents), 0, 'no mouse event during the spec');
}

/** The keyboard actions of this spec; `log` says when one had to be repeated. */
function keyboard(page, ctx) {
  const quick = page.locator('.quick-input-widget');
  const active = () => page.evaluate(() => {
    const a = document.activeElement;
    return { tag: a?.tagName, text: a?.textContent?.trim() ?? '', step: a?.classList.contains('getting-started-step') ? a.querySelector('.step-title')?.textContent?.trim() : undefined, button: a?.classList.contains('monaco-button') };
  });
  const kb = {
    /** F1, the command's title typed, Down until the highlighted entry is exactly that command, Enter. */
    async command(title) {
      const focusedLabel = () => quick.locator('.monaco-list-row.focused').first().getAttribute('aria-label', { timeout: 2_000 }).then((l) => (l ?? '').split(',')[0].trim(), () => '');
      for (let attempt = 1; ; attempt++) {
        if (await quick.isVisible().catch(() => false)) await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        await quick.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: 10_000 });
        await page.keyboard.type(title);
        await quick.locator('.monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 }).catch(() => {});
        await sleep(200);
        for (let i = 0; i < 20 && (await focusedLabel()) !== title; i++) await page.keyboard.press('ArrowDown');
        if ((await focusedLabel()) === title) {
          await page.keyboard.press('Enter');
          return;
        }
        if (attempt === 3) throw new Error(`the command "${title}" was not offered`);
        ctx.log(`${title}: not offered yet; again`);
      }
    },
    /** In an open quick pick: Down until the highlighted item is the one with this text, Enter. */
    async pick(text) {
      await quick.locator('.monaco-list-row', { hasText: text }).first().waitFor({ timeout: 10_000 });
      // A question that closed at once is asked again by the extension (src/extension/util/questions.ts, within
      // 600 ms): wait that out, so that the Enter goes to the question on screen and not to its first showing (an
      // Enter pressed during the swap once picked the new question's first item).
      await sleep(800);
      await quick.locator('.monaco-list-row', { hasText: text }).first().waitFor({ timeout: 10_000 });
      const focused = quick.locator('.monaco-list-row.focused', { hasText: text });
      for (let i = 0; i < 20 && !(await focused.count()); i++) await page.keyboard.press('ArrowDown');
      assert.equal(await focused.count(), 1, `the item "${text}" highlighted with the arrow keys`);
      await page.keyboard.press('Enter');
    },
    /** Tab (at most 40 times, the page's order wraps) until the focused element passes `pred`. */
    async tabTo(pred, what) {
      for (let i = 0; i < 40; i++) {
        if (pred(await active())) return;
        await page.keyboard.press('Tab');
        await sleep(80);
      }
      throw new Error(`Tab never reached ${what}; focus is on ${JSON.stringify(await active())}`);
    },
    /**
     * Tab to the step, Enter to open it, Tab to its button, Enter; until the command's first question (if any) stays
     * on screen: a step opened a moment before may take the focus back when its animation ends, which closes a quick
     * pick (the command then did nothing, so pressing again is safe).
     */
    async runStepButton(title, button, question) {
      await kb.tabTo((a) => a.step === title, `the step ${title}`);
      if ((await page.locator('.getting-started-step.expanded', { hasText: title }).count()) === 0) await page.keyboard.press('Enter');
      for (let attempt = 1; ; attempt++) {
        await sleep(700);
        await kb.tabTo((a) => a.button && a.text === button, `the button ${button}`);
        await page.keyboard.press('Enter');
        if (!question) return;
        const shown = await question.first().waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
        if (shown && (await sleep(500), await question.first().isVisible())) return;
        if (attempt === 3) throw new Error(`${button}: its question did not stay on screen`);
        ctx.log(`${button}: the question closed at once (attempt ${attempt}); again`);
      }
    },
  };
  return kb;
}

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).some((d) => {
    try {
      fs.accessSync(path.join(d, name), fs.constants.X_OK);
      return fs.statSync(path.join(d, name)).isFile();
    } catch {
      return false;
    }
  });
}

async function waitFor(pred, what, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await pred().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(250);
  }
}
