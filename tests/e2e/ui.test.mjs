// SPDX-License-Identifier: Apache-2.0
// End-to-end: Debian's headless Chromium, driven by playwright-core, against a real hearthd.
// Environment: HEARTHD (the binary), and what browser.mjs reads. The scenarios run in order and
// share one signed-in browser, the way a user goes through them.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';

import { afterResponse, assertNoProblems, closeAllContexts, closeContext, expectProblems, kTimeout,
         launch, newConversation, problems, send, shot, shotDir } from './browser.mjs';
import { startDaemon } from './daemon.mjs';

const kXss = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let daemon;
let context;  // the signed-in browser
let page;

// Waits until htmx has processed a swapped-in field: it then takes the focus (autofocus, applied
// when the swap settles). Typing before that would race htmx (Enter could submit the form natively).
async function focused(p, input) {
  await input.waitFor();
  await p.waitForFunction((el) => el === document.activeElement, await input.elementHandle());
}

// Rename and Delete sit in each row's menu: opens it and presses `action`.
async function rowAction(item, action) {
  await item.locator('details.item-menu > summary').click();
  await item.getByRole('button', { name: new RegExp(`^${action}`) }).click();
}

async function rename(p, id, title) {
  const item = p.locator(`#conv-${id}`);
  await rowAction(item, 'Rename');
  const input = p.locator(`#conv-${id} form.rename input[name=title]`);
  await focused(p, input);
  await input.fill(title);
  const response = await afterResponse(p, 'POST', new RegExp(`^/c/${id}/rename$`),
                                       () => input.press('Enter'));
  assert.equal(response.status(), 200);
  await p.locator(`#conv-${id}:not(.editing) .title`).waitFor();
}

describe('Hearth in a browser', () => {
  before(async () => {
    await mkdir(shotDir, { recursive: true });
    daemon = await startDaemon(process.env.HEARTHD, { timeoutMs: kTimeout });
    context = await launch('main');
    page = context.pages()[0] ?? await context.newPage();
  });

  // A scenario that failed half-way leaves its problems behind; they are not the next one's.
  beforeEach(() => {
    problems.length = 0;
  });

  after(async () => {
    await closeAllContexts();
    if (daemon) await daemon.cleanup();
  });

  it('shows a browser without a session how to open Hearth (401)', async () => {
    const fresh = await launch('no-session');
    try {
      const p = fresh.pages()[0] ?? await fresh.newPage();
      const response = await p.goto(daemon.url);
      assert.equal(response.status(), 401);
      await p.locator('body.notice-page h1').waitFor();
      await shot(p, '401');
      assert.match(await p.locator('h1').textContent(), /sign in/i);
      assert.match(await p.locator('main').textContent(), /hearthd --login-url/);
      // Nothing of the app shows to a stranger.
      assert.equal(await p.locator('#conversation-list').count(), 0);
      // The page is styled: a card in the middle, not bare HTML. Its style is inline, allowed by
      // a CSP hash, because every other URL (stylesheets included) needs a session.
      assert.equal(await p.locator('link[rel=stylesheet]').count(), 0);
      assert.match(await p.locator('main code').textContent(), /hearthd --login-url/);
      const card = await p.locator('main').evaluate((el) => ({
        radius: getComputedStyle(el).borderTopLeftRadius,
        width: el.getBoundingClientRect().width,
      }));
      assert.equal(card.radius, '12px');
      assert.ok(card.width < 1280 * 0.6, `notice card is ${card.width}px wide`);
    } finally {
      await closeContext(fresh);
    }
    expectProblems('no-session', [/the server responded with a status of 401/]);
    assertNoProblems();
  });

  it('signs in through a one-time login URL', async () => {
    const loginUrl = await daemon.loginUrl();
    const response = await page.goto(loginUrl);
    assert.equal(response.status(), 200);
    assert.equal(page.url(), daemon.url, 'the login redirects to / and the token leaves the URL');
    const cookies = await context.cookies(daemon.url);
    const session = cookies.find((c) => c.name === 'hearth_session');
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    await shot(page, 'empty');

    // The same link, used again from another browser, is refused and grants nothing.
    const other = await launch('reused-login');
    try {
      const p = other.pages()[0] ?? await other.newPage();
      const again = await p.goto(loginUrl);
      assert.ok(again.status() >= 400 && again.status() < 500, `reused link gave ${again.status()}`);
      await p.getByRole('heading', { name: /login link does not work/i }).waitFor();
      assert.equal((await other.cookies(daemon.url)).length, 0, 'no cookie for a reused link');
      const home = await p.goto(daemon.url);
      assert.equal(home.status(), 401);
    } finally {
      await closeContext(other);
    }
    expectProblems('reused-login', [/the server responded with a status of 4\d\d/]);
    assertNoProblems();
  });

  let id;  // the conversation the next scenarios work on

  it('creates a conversation and focuses its composer', async () => {
    const items = await page.locator('#conversation-list .conversation-item').count();
    id = await newConversation(page);
    await page.locator('#conversation-title').waitFor();
    await page.locator(`#conv-${id}`).waitFor();  // the list follows over SSE
    assert.equal(await page.locator('#conversation-list .conversation-item').count(), items + 1);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-input');
    assertNoProblems();
  });

  it('renames a conversation, and Escape cancels a rename', async () => {
    await rename(page, id, 'Trip to Lisbon');
    await page.locator(`#conv-${id} .title`, { hasText: 'Trip to Lisbon' }).waitFor();
    // Back at the menu it started from.
    assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''),
                 /^Actions for Trip to Lisbon/);

    await rowAction(page.locator(`#conv-${id}`), 'Rename');
    const input = page.locator(`#conv-${id} form.rename input`);
    await focused(page, input);  // the title field takes the focus
    await input.fill('Not this');
    await input.press('Escape');
    await page.locator(`#conv-${id}:not(.editing) .title`).waitFor();
    assert.equal(await page.locator(`#conv-${id} .title`).textContent(), 'Trip to Lisbon');
    assertNoProblems();
  });

  it('sends a message with Enter and shows the no-model notice', async () => {
    const message = await send(page, 'Remember to pack the pineapple jam');
    assert.equal(await message.locator('.content').textContent(),
                 'Remember to pack the pineapple jam');
    await page.locator('#messages .message.notice', { hasText: /no model is configured/i }).waitFor();
    assert.equal(await page.locator('#composer-input').inputValue(), '', 'the composer is cleared');
    // The sidebar count follows over SSE.
    await page.locator(`#conv-${id} .count`, { hasText: /^1$/ }).waitFor();
    assertNoProblems();
  });

  it('adds a line with Shift+Enter instead of sending, and ignores Enter while composing', async () => {
    let posts = 0;
    const count = (r) => { if (r.method() === 'POST' && r.url().endsWith('/messages')) posts++; };
    page.on('request', count);
    const input = page.locator('#composer-input');
    await input.fill('');
    await input.pressSequentially('first line');
    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    assert.equal(await input.inputValue(), 'first line\nsecond line');

    // An input method finishing a composition sends Enter with isComposing set.
    const prevented = await input.evaluate((el) => {
      const e = new KeyboardEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true,
                                               cancelable: true });
      el.dispatchEvent(e);
      return e.defaultPrevented;
    });
    assert.equal(prevented, false);
    assert.equal(await input.inputValue(), 'first line\nsecond line');
    assert.equal(posts, 0, 'nothing was sent');
    page.off('request', count);

    const response = await afterResponse(page, 'POST', /\/messages$/, () => input.press('Enter'));
    assert.equal(response.status(), 200);
    const last = page.locator('#messages .message.user').last();
    await last.locator('.content', { hasText: 'second line' }).waitFor();
    assert.equal(await last.locator('.content').textContent(), 'first line\nsecond line');
    // The line break shows as one (pre-wrap), so the message is two lines tall.
    const lines = await last.locator('.content').evaluate((el) => {
      const s = getComputedStyle(el);
      return { ws: s.whiteSpace, h: el.getBoundingClientRect().height,
               lh: parseFloat(s.lineHeight) };
    });
    assert.equal(lines.ws, 'pre-wrap');
    assert.ok(lines.h >= 1.9 * lines.lh, `message content is ${lines.h}px tall`);
    await shot(page, 'conversation');
    assertNoProblems();
  });

  it('finds a message by a word and marks the word', async () => {
    const search = page.getByLabel('Search messages');
    await afterResponse(page, 'GET', /^\/search$/, () => search.fill('pineapple'));
    const mark = page.locator('#search-results mark', { hasText: /pineapple/i });
    await mark.waitFor();
    assert.equal((await mark.first().textContent()).toLowerCase(), 'pineapple');
    const hit = page.locator('#search-results a').first();
    assert.match(await hit.getAttribute('href'), new RegExp(`^/c/${id}#msg-\\d+$`));
    assert.match(await hit.locator('.title').textContent(), /Trip to Lisbon/);
    await shot(page, 'search');
    await afterResponse(page, 'GET', /^\/search$/, () => search.fill(''));
    await page.locator('#search-results .search-results').waitFor({ state: 'detached' });
    assertNoProblems();
  });

  it('shows HTML in a message and in a title as text, never as markup', async () => {
    const message = await send(page, kXss);
    assert.equal(await message.locator('.content').textContent(), kXss);
    assert.equal(await page.locator('#messages img, #messages script').count(), 0);

    await rename(page, id, kXss);
    assert.equal(await page.locator(`#conv-${id} .title`).textContent(), kXss);
    assert.equal(await page.locator('#conversation-list img, #conversation-list script').count(), 0);
    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined');

    // Search snippets are built from the stored text plus <mark>: still text.
    await afterResponse(page, 'GET', /^\/search$/,
                        () => page.getByLabel('Search messages').fill('onerror'));
    await page.locator('#search-results mark').first().waitFor();
    assert.match(await page.locator('#search-results .snippet').first().textContent(), /<img src=x/);
    assert.equal(await page.locator('#search-results img').count(), 0);
    await afterResponse(page, 'GET', /^\/search$/,
                        () => page.getByLabel('Search messages').fill(''));

    // A full page render of the conversation (title in <title>, <h1>, the list and messages).
    await page.reload();
    await page.locator('#conversation-title').waitFor();
    assert.equal(await page.locator('#conversation-title').textContent(), kXss);
    assert.equal(await page.title(), `${kXss} · Hearth`);
    assert.equal(await page.locator('img, #main script, .sidebar script').count(), 0);
    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined');
    assertNoProblems();
  });

  it('fits a 360 px wide window and 200 % zoom without scrolling sideways', async () => {
    for (const width of [360, 640]) {
      await page.setViewportSize({ width, height: 800 });
      const overflow = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      assert.ok(overflow.scroll <= overflow.client,
                `at ${width} px the page is ${overflow.scroll} px wide`);
      // The sidebar stacks above the main area.
      const sidebar = await page.locator('.sidebar').boundingBox();
      const main = await page.locator('#main').boundingBox();
      assert.ok(main.y >= sidebar.y + sidebar.height - 1, `at ${width} px main is not below sidebar`);
      if (width === 360) await shot(page, 'conversation-360');
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    assertNoProblems();
  });

  it('follows a dark system theme, and a theme chosen in Settings', async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(await background(), 'rgb(250, 250, 250)');
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await background(), 'rgb(36, 36, 36)');
    await shot(page, 'conversation-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    const response = await page.goto(new URL('/settings', daemon.url).href);
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { name: 'Settings and status' }).waitFor();
    assert.equal(await page.locator('.topbar nav a').getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('dl.status dd code').first().textContent(), daemon.url);
    await shot(page, 'settings');

    // Saving reloads the page (HX-Refresh) with the theme on <html>; it overrides the system.
    const themeForm = page.locator('.settings form[hx-post="/settings"]');
    await page.getByLabel('Theme').selectOption('dark');
    await Promise.all([page.waitForEvent('load'),
                       themeForm.getByRole('button', { name: 'Save' }).click()]);
    await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
    assert.equal(await background(), 'rgb(36, 36, 36)');
    await page.getByLabel('Theme').selectOption('system');
    await Promise.all([page.waitForEvent('load'),
                       themeForm.getByRole('button', { name: 'Save' }).click()]);
    await page.locator('html[data-theme="system"]').waitFor({ state: 'attached' });
    assert.equal(await background(), 'rgb(250, 250, 250)');
    assertNoProblems();
  });

  it('shows an error for a refused request, and Dismiss removes it', async () => {
    await page.locator(`#conv-${id} > a`).click();
    await page.waitForURL(new RegExp(`/c/${id}$`));
    await rowAction(page.locator(`#conv-${id}`), 'Rename');
    const input = page.locator(`#conv-${id} form.rename input`);
    await focused(page, input);
    await input.fill('   ');
    const response = await afterResponse(page, 'POST', /\/rename$/, () => input.press('Enter'));
    assert.equal(response.status(), 400);
    const box = page.locator('#errors .error-box');
    await box.waitFor();
    assert.match(await box.textContent(), /title cannot be empty/);
    await box.getByRole('button', { name: 'Dismiss' }).click();
    await box.waitFor({ state: 'detached' });
    await input.press('Escape');
    await page.locator(`#conv-${id}:not(.editing)`).waitFor();
    // Chromium logs the failed request; htmx logs the error event.
    expectProblems('main', [/the server responded with a status of 400/,
                            /Response Status Error Code 400/]);
    assertNoProblems();
  });

  it('deletes a conversation only after confirmation', async () => {
    const keep = await newConversation(page);
    await rename(page, keep, 'Keep me');
    const doomed = await newConversation(page);
    await rename(page, doomed, 'Delete me');
    await send(page, 'soon gone');

    const item = page.locator(`#conv-${doomed}`);
    await rowAction(item, 'Delete');
    const confirming = page.locator(`#conv-${doomed}.confirming`);
    await confirming.waitFor();
    assert.match(await confirming.textContent(), /Delete “Delete me” and its 1 messages\?/);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
    await shot(page, 'delete-confirm');

    // Escape backs out, nothing is deleted.
    await page.keyboard.press('Escape');
    await page.locator(`#conv-${doomed}:not(.confirming)`).waitFor();
    assert.equal(await page.locator(`#conv-${doomed} .title`).textContent(), 'Delete me');

    await rowAction(item, 'Delete');
    await confirming.waitFor();
    const response = await afterResponse(page, 'DELETE', new RegExp(`^/c/${doomed}$`),
                                         () => confirming.locator('button.danger').click());
    assert.equal(response.status(), 200);
    await page.locator(`#conv-${doomed}`).waitFor({ state: 'detached' });
    // It was open: the welcome state replaces it.
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');

    await page.reload();
    await page.locator(`#conv-${keep}`).waitFor();
    assert.equal(await page.locator(`#conv-${doomed}`).count(), 0);
    const gone = await page.goto(new URL(`/c/${doomed}`, daemon.url).href);
    assert.equal(gone.status(), 404);
    expectProblems('main', [/status of 404/]);
    assertNoProblems();
  });

  it('stops cleanly on SIGTERM with a browser still connected', async () => {
    await page.goto(daemon.url);
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    const { code, signal } = await daemon.stop(kTimeout);
    assert.equal(signal, null, `hearthd died of ${signal}:\n${daemon.log}`);
    assert.equal(code, 0, `hearthd exited with ${code}:\n${daemon.log}`);
  });
});
