// SPDX-License-Identifier: Apache-2.0
// End-to-end, in Debian's headless Chromium against a real hearthd and the fake model server:
// the chat basics of issue 12. A conversation's title appears in the list and its heading
// without a reload; Rename and Delete sit in a per-row menu the keyboard opens; Settings fits a
// 360 px wide window; axe-core finds no accessibility violation on the pages these touch.
//
// Environment: HEARTHD (the binary), and what browser.mjs reads.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { assertNoProblems, closeAllContexts, launch, newConversation, problems, send } from
  './browser.mjs';
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
  const violations = await p.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, help: v.help,
                                           nodes: v.nodes.map((n) => n.html).slice(0, 3) }));
  });
  return violations;
}

describe('Chat basics in a browser', () => {
  before(async () => {
    fake = await startFakeLlm();
    daemon = await startDaemon(process.env.HEARTHD, {
      config: { providers: [{ name: 'fake', type: 'openai', base_url: `${fake.url}/v1`,
                              default_model: 'titled' }] },
    });
    context = await launch('chat-basics');
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

  it('titles a conversation from its first exchange, in the list and the heading, live', async () => {
    const id = await newConversation(page);
    assert.equal(await page.locator('#conversation-title').textContent(), 'New conversation');
    await send(page, 'What should I pack for a week in Lisbon in March?');
    await page.locator('#conversation-title', { hasText: 'Packing for Lisbon' }).waitFor();
    await page.locator(`#conv-${id} .title`, { hasText: 'Packing for Lisbon' }).waitFor();
    await page.waitForFunction(() => document.title === 'Packing for Lisbon · Hearth');
    assertNoProblems();
  });

  it('keeps Rename and Delete in a per-row menu that the keyboard opens', async () => {
    const item = page.locator('#conversation-list .conversation-item').first();
    const rename = item.getByRole('button', { name: /^Rename/ });
    assert.equal(await rename.isVisible(), false, 'closed, the menu shows no buttons');
    await item.locator('summary').focus();
    await page.keyboard.press('Enter');
    await rename.waitFor({ state: 'visible' });
    await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /^Rename$/);
    await page.keyboard.press('Enter');
    const input = item.locator('form.rename input[name=title]');
    await input.waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#conversation-list .conversation-item:not(.editing)').first().waitFor();
    assertNoProblems();
  });

  it('finds no accessibility violation in a conversation', async () => {
    await page.reload();
    await page.locator('#conversation-title').waitFor();
    await page.locator('#conversation-list .conversation-item summary').first().click();
    const violations = await axeViolations(page);
    assert.deepEqual(violations, []);
  });

  it('fits Settings in a 360 px wide window, and finds no violation there', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await page.goto(new URL('/settings', daemon.url).href);
      await page.locator('#model-settings').waitFor();
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        wide: [...document.querySelectorAll('main *')]
          .filter((e) => e.getBoundingClientRect().right > 360.5)
          .slice(0, 5).map((e) => e.outerHTML.slice(0, 120)),
      }));
      assert.ok(widths.scroll <= 360, `Settings is ${widths.scroll} px wide: ${widths.wide.join('\n')}`);
      assert.deepEqual(await axeViolations(page), []);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    assertNoProblems();
  });
});
