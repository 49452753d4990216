// SPDX-License-Identifier: Apache-2.0
// The browser side of the end-to-end tests: Debian's headless Chromium through playwright-core,
// a record of everything that went wrong in a page, and the steps every scenario takes (open a
// conversation, send a message). Environment: HEARTH_E2E_MODULES (node_modules with
// playwright-core), HEARTH_SCREENSHOT_DIR (where the PNGs go).
//
// One test file is one process, so the state here (the problems seen, the browsers launched)
// belongs to that file alone.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const kTimeout = 10_000;
export const kChromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                              '--disable-background-networking', '--disable-component-update',
                              '--disable-sync'];

const modules = process.env.HEARTH_E2E_MODULES;
if (!modules) throw new Error('set HEARTH_E2E_MODULES to a node_modules dir with playwright-core');
const { chromium } = await import(pathToFileURL(join(modules, 'playwright-core', 'index.mjs')).href);
export const shotDir = process.env.HEARTH_SCREENSHOT_DIR || join(tmpdir(), 'hearth-screenshots');

// Everything that went wrong in a page: console errors, uncaught exceptions, CSP violations.
// Each entry is {where: the name given to launch(), text}.
export const problems = [];
const browsers = [];  // every context launched and not yet closed

// A new browser with its own profile, watched for problems under `name`.
export async function launch(name) {
  const dir = await mkdtemp(join(tmpdir(), `hearth-chromium-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: kChromiumArgs,
    viewport: { width: 1280, height: 800 },
  });
  browsers.push({ ctx, dir });
  ctx.setDefaultTimeout(kTimeout);
  // CSP violations are reported from inside the page, through a binding that survives reloads.
  await ctx.exposeBinding('__hearthCspViolation', (source, v) => {
    problems.push({ where: name, text: `CSP violation: ${v.directive} blocked ${v.blocked} ` +
                                       `(${v.sample}) on ${source.page?.url()}` });
  });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__hearthCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI,
                                    sample: e.sample });
    }, true);
  });
  ctx.on('page', (p) => watch(p, name));
  for (const p of ctx.pages()) watch(p, name);
  return ctx;
}

export function watch(p, name) {
  p.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) {
      problems.push({ where: name, text: `console ${m.type()}: ${m.text()}` });
    }
  });
  p.on('pageerror', (e) => problems.push({ where: name, text: `uncaught: ${e.message}` }));
}

// Removes the problems a scenario provoked on purpose (every message in `where` that matches one
// of `patterns`); fails if one of the patterns matched nothing.
export function expectProblems(where, patterns) {
  for (const re of patterns) {
    const rest = problems.filter((p) => !(p.where === where && re.test(p.text)));
    assert.notEqual(rest.length, problems.length,
                    `expected a console message matching ${re} in ${where}; got ` +
                    JSON.stringify(problems));
    problems.splice(0, problems.length, ...rest);
  }
}

// Each scenario answers for its own problems: the list is emptied either way.
export function assertNoProblems() {
  const found = problems.splice(0, problems.length);
  assert.deepEqual(found, [], 'console errors, uncaught exceptions or CSP violations');
}

export async function closeContext(ctx) {
  const i = browsers.findIndex((b) => b.ctx === ctx);
  await ctx.close();
  if (i !== -1) await rm(browsers.splice(i, 1)[0].dir, { recursive: true, force: true });
}

// Closes every browser still open and removes its profile; for an `after` hook.
export async function closeAllContexts() {
  for (const { ctx, dir } of browsers.splice(0, browsers.length)) {
    await ctx.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

export async function shot(p, name) {
  await p.screenshot({ path: join(shotDir, `${name}.png`), fullPage: true });
  // Hiding the caret for the picture leaves style="" on the focused element. Hearth itself never
  // renders a style attribute (its CSP refuses them), and htmx would copy this one onto the
  // element's successor in a swap, which the CSP reports: remove it.
  await p.evaluate(() => {
    for (const el of document.querySelectorAll('[style=""]')) el.removeAttribute('style');
  });
}

// Waits for the htmx response to `method` `path` (a RegExp on the pathname) triggered by `action`.
export async function afterResponse(p, method, path, action) {
  const [response] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === method && path.test(new URL(r.url()).pathname)),
    action(),
  ]);
  return response;
}

// Creates a conversation from the sidebar and waits until the page shows it; returns its id.
export async function newConversation(p) {
  const response = await afterResponse(p, 'POST', /^\/conversations$/,
                                       () => p.locator('.sidebar .new-conversation').click());
  assert.equal(response.status(), 200);
  const pushed = /^\/c\/(\d+)$/.exec(response.headers()['hx-push-url'] ?? '');
  assert.ok(pushed, `POST /conversations pushed ${response.headers()['hx-push-url']}`);
  const id = pushed[1];
  await p.waitForURL(new URL(`/c/${id}`, response.url()).href);
  await p.locator(`#composer[hx-post="/c/${id}/messages"] #composer-input`).waitFor();
  return id;
}

// Sends `text` from the composer with Enter; resolves with the user message it added.
export async function send(p, text) {
  const before = await p.locator('#messages .message.user').count();
  const input = p.locator('#composer-input');
  await input.fill(text);
  const response = await afterResponse(p, 'POST', /^\/c\/\d+\/messages$/, () => input.press('Enter'));
  assert.equal(response.status(), 200);
  await p.locator('#messages .message.user').nth(before).waitFor();
  return p.locator('#messages .message.user').nth(before);
}
