// SPDX-License-Identifier: Apache-2.0
// End-to-end, in Debian's headless Chromium against a real hearthd and the fake model server: a
// first run without a model server (issue 12, point 6). The welcome view says a server is
// needed and links to Settings, then lists the servers answering on the usual ports (pointed at
// the fake server with the test-only HEARTH_TEST_PROBE_PORTS); one click saves one, and the next
// message is answered. A message sent before that gets a notice linking to Settings, still there
// after a reload.
//
// Environment: HEARTHD (the binary), and what browser.mjs reads.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterResponse, assertNoProblems, closeAllContexts, launch, newConversation, problems,
  send } from './browser.mjs';
import { startDaemon, startFakeLlm } from './daemon.mjs';

const kAxeSource = await readFile(join(process.env.HEARTH_E2E_MODULES ?? '', 'axe-core',
                                       'axe.min.js'), 'utf8');

let fake;
let daemon;
let context;
let page;

async function axeViolations(p) {
  await p.evaluate(kAxeSource);
  return p.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, help: v.help,
                                           nodes: v.nodes.map((n) => n.html).slice(0, 3) }));
  });
}

describe('A first run without a model server', () => {
  before(async () => {
    fake = await startFakeLlm();
    const port = new URL(fake.url).port;
    // Only Ollama's and llama-server's usual ports are probed, both on the fake server.
    process.env.HEARTH_TEST_PROBE_PORTS = `11434=${port},8080=${port}`;
    daemon = await startDaemon(process.env.HEARTHD);
    delete process.env.HEARTH_TEST_PROBE_PORTS;
    context = await launch('first-run');
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

  it('says a server is needed, links to Settings, and lists the servers found', async () => {
    await page.getByRole('heading', { name: 'Hearth needs a model server' }).waitFor();
    const link = page.locator('#first-run').getByRole('link', { name: 'Settings' });
    assert.equal(new URL(await link.getAttribute('href'), daemon.url).pathname, '/settings');
    await page.getByRole('button', { name: 'Use Ollama' }).waitFor();
    await page.getByRole('button', { name: 'Use llama-server' }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `the welcome view is ${width} px wide in a 360 px window`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    assertNoProblems();
  });

  it('keeps a notice that links to Settings with a message nobody can answer', async () => {
    const id = await newConversation(page);
    await send(page, 'Is anybody there?');
    const notice = page.locator('#messages .message.notice', { hasText: 'No model is configured' });
    await notice.waitFor();
    await page.reload();
    await notice.getByRole('link', { name: 'Open Settings' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/c/${id}`);
    assertNoProblems();
  });

  it('saves a found server in one click, and the next message is answered', async () => {
    await page.goto(new URL('/', daemon.url).href);
    await page.locator('#found-model-8080').selectOption('hello');
    const response = await afterResponse(page, 'POST', /^\/welcome\/servers\/use$/,
      () => page.getByRole('button', { name: 'Use llama-server' }).click());
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { name: 'Ready' }).waitFor();
    await newConversation(page);
    await send(page, 'Hello');
    await page.locator('#messages .message.assistant.done').first().waitFor();
    assertNoProblems();
  });
});
