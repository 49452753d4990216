// SPDX-License-Identifier: Apache-2.0
// End-to-end, in Debian's headless Chromium against a real hearthd and the fake model server:
// versions of messages (issue 12, point 11). Regenerating the last answer keeps the earlier one
// a step away ("‹ 2/2 ›"); editing a sent message answers the new wording and keeps the old
// branch; a code block's copy button, reached with the keyboard, puts the code on the clipboard
// and says "Copied"; a message copies as its Markdown.
//
// Environment: HEARTHD (the binary), and what browser.mjs reads.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterResponse, assertNoProblems, closeAllContexts, launch, newConversation, problems,
         send } from './browser.mjs';
import { startDaemon, startFakeLlm } from './daemon.mjs';

// axe-core from tests/e2e/package-lock.json, installed with playwright-core (e2e.install).
const kAxeSource = await readFile(join(process.env.HEARTH_E2E_MODULES ?? '', 'axe-core',
                                       'axe.min.js'), 'utf8');

let fake;
let daemon;
let context;
let page;

// axe-core's violations on the page as it is now (WCAG 2.1 A and AA, and best practices).
async function axeViolations(p) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await p.evaluate(kAxeSource);
  return p.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, help: v.help,
                                           nodes: v.nodes.map((n) => n.html).slice(0, 3) }));
  });
}

// Waits until the conversation's run has ended and its answer is complete.
async function answered(p) {
  await p.locator('#messages .run.done .message.assistant.done').last().waitFor();
  await p.locator('.run-controls .stop').waitFor({ state: 'detached' });
}

describe('Versions of messages in a browser', () => {
  before(async () => {
    fake = await startFakeLlm();
    daemon = await startDaemon(process.env.HEARTHD, {
      config: { providers: [{ name: 'fake', type: 'openai', base_url: `${fake.url}/v1`,
                              default_model: 'hello' }] },
    });
    context = await launch('versions');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'],
                                   { origin: new URL(daemon.url).origin });
    page = context.pages()[0] ?? await context.newPage();
    const response = await page.goto(await daemon.loginUrl());
    assert.equal(response.status(), 200);
  });

  beforeEach(() => {
    problems.length = 0;
  });

  after(async () => {
    await closeAllContexts();
    if (daemon) await daemon.cleanup();
    if (fake) await fake.stop();
  });

  it('regenerates the last answer and steps between the two versions', async () => {
    await newConversation(page);
    await send(page, 'Show me a list and some code');
    await answered(page);
    const first = await page.locator('#messages .message.assistant').last().getAttribute('id');

    const response = await afterResponse(page, 'POST', /^\/c\/\d+\/regenerate$/, () =>
      page.getByRole('button', { name: 'Regenerate the last answer' }).click());
    assert.equal(response.status(), 200);
    await answered(page);
    const answers = page.locator('#messages .message.assistant');
    assert.equal(await answers.count(), 1, 'one answer shown');
    const second = await answers.last().getAttribute('id');
    assert.notEqual(second, first);
    await page.locator(`#${second} .version-position`, { hasText: '2/2' }).waitFor();

    // With the keyboard: the focus stays on the version buttons, so Enter steps on.
    await page.locator(`#${second}`).getByRole('button', { name: 'Previous version' }).focus();
    await page.keyboard.press('Enter');
    await page.locator(`#${first} .version-position`, { hasText: '1/2' }).waitFor();
    assert.equal(await page.locator(`#${second}`).count(), 0);
    await page.waitForFunction((id) => document.activeElement?.closest(`#${id}`) &&
                                       document.activeElement.matches('.version-step'), first);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
                 'Next version', 'the only way on from the first version');
    await page.keyboard.press('Enter');
    await page.locator(`#${second} .version-position`, { hasText: '2/2' }).waitFor();
    // Reloaded, the page shows the version chosen last.
    await page.reload();
    await page.locator(`#${second} .version-position`, { hasText: '2/2' }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    assertNoProblems();
  });

  it('edits a sent message and resends it, keeping the old branch a step back', async () => {
    await newConversation(page);
    await send(page, 'first wording');
    await answered(page);
    const question = page.locator('#messages .message.user').last();
    const oldId = await question.getAttribute('id');
    await question.getByRole('button', { name: 'Edit' }).click();
    const field = page.locator(`#${oldId} textarea[name=content]`);
    await field.waitFor();
    assert.equal(await field.inputValue(), 'first wording');
    await field.fill('second wording');
    await afterResponse(page, 'POST', /^\/c\/\d+\/messages\/\d+\/edit$/, () =>
      page.locator(`#${oldId}`).getByRole('button', { name: 'Send' }).click());
    await answered(page);
    const edited = page.locator('#messages .message.user').last();
    assert.match(await edited.locator('.content').textContent(), /^second wording$/);
    assert.equal(await page.locator('#messages', { hasText: 'first wording' }).count(), 0);
    await edited.locator('.version-position', { hasText: '2/2' }).waitFor();

    await edited.getByRole('button', { name: 'Previous version' }).click();
    await page.locator(`#${oldId} .version-position`, { hasText: '1/2' }).waitFor();
    assert.match(await page.locator(`#${oldId} .content`).textContent(), /^first wording$/);
    assert.equal(await page.locator('#messages .message.assistant').count(), 1,
                 'the old wording comes back with its answer');
    assertNoProblems();
  });

  it('copies a code block with the keyboard, and a message as Markdown', async () => {
    await newConversation(page);
    await send(page, 'Some code, please');
    await answered(page);
    const answer = page.locator('#messages .message.assistant').last();
    const button = answer.getByRole('button', { name: 'Copy code' });
    await button.focus();
    await page.keyboard.press('Enter');
    await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'echo "hi"\n');

    await page.evaluate(() => { document.getElementById('copy-status').textContent = ''; });
    await answer.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
    const markdown = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(markdown, /^Hello! Here is a \*\*short\*\* list:\n\n- one\n- two\n\n```sh\necho "hi"\n```\n/);
    assertNoProblems();
  });
});
