// SPDX-License-Identifier: Apache-2.0
// End-to-end, in Debian's headless Chromium against a real hearthd and the fake model server:
// approvals that can be answered (issue 12, point 12). A write_file with the largest argument a
// call may carry (just under llm/stream_parser.h's kMaxToolArgumentBytes, 128 KiB: the issue's
// 200 KB argument is refused before any form, as "too large") over an existing file keeps
// Deny / Allow once / Always allow inside the window, shows its diff, keeps its collapsed card to
// one line, and axe-core finds no violation on the page with the form. An edit_file with two long
// texts keeps them in sight too when the user reads the form from its start.
//
// Environment: HEARTHD (the binary), and what browser.mjs reads.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterResponse, assertNoProblems, closeAllContexts, kTimeout, launch, newConversation,
         problems, send, shot } from './browser.mjs';
import { startDaemon, startFakeLlm } from './daemon.mjs';

const kTranscripts = join(dirname(fileURLToPath(import.meta.url)), '..', 'fake_llm', 'transcripts');
const kAxeSource = await readFile(join(process.env.HEARTH_E2E_MODULES ?? '', 'axe-core',
                                       'axe.min.js'), 'utf8');

// The file the model replaces: 100 numbered lines; its new content changes one of them and
// adds lines up to 125 KB, near the bound of one call's arguments.
const kAdded = 1250;
const kOld = Array.from({ length: 100 }, (_, i) => `line ${i + 1}\n`).join('');
const kNew = kOld.replace('line 50\n', 'line fifty\n') +
  Array.from({ length: kAdded }, (_, i) => `added ${String(i).padStart(5, '0')} ${'x'.repeat(88)}\n`)
    .join('');
// A file of 520 lines of 100 bytes that edit_file replaces whole: old_text and new_text are each
// 52 KB, so the call's arguments are near their bound.
const kLong = Array.from({ length: 520 }, (_, i) => `${String(i).padStart(4, '0')} ${'y'.repeat(94)}\n`)
  .join('');
const kLongEdited = kLong.replace('0100 ', '0100 changed ');

// An OpenAI stream in which the model `model` calls one tool (the framing llama-server and vLLM
// use: role first, the call whole in one delta, finish_reason "tool_calls", then [DONE]).
function toolCallStream(model, id, name, args) {
  const chunk = (delta, finish = null) => `data: ${JSON.stringify({
    id: `chatcmpl-${model}`, object: 'chat.completion.chunk', created: 1735733160, model,
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return chunk({ role: 'assistant', content: null }) +
    chunk({ tool_calls: [{ index: 0, id, type: 'function',
                           function: { name, arguments: JSON.stringify(args) } }] }) +
    chunk({}, 'tool_calls') + 'data: [DONE]\n\n';
}

function answerStream(model, text) {
  const chunk = (delta, finish = null) => `data: ${JSON.stringify({
    id: `chatcmpl-${model}`, object: 'chat.completion.chunk', created: 1735733160, model,
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return chunk({ role: 'assistant', content: '' }) + chunk({ content: text }) + chunk({}, 'stop') +
    'data: [DONE]\n\n';
}

// axe-core's violations on the page as it is now (WCAG 2.1 A and AA, and best practices).
async function axeViolations(p) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await p.evaluate(kAxeSource);
  return p.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, help: v.help,
                                           nodes: v.nodes.map((n) => n.html.slice(0, 200)).slice(0, 3) }));
  });
}

// The three answer buttons of `form`, each with where it is and whether it is what the window
// shows at its centre (not hidden under the composer, or scrolled out of its list).
async function answerButtons(form) {
  return form.locator('button[name="decision"]').evaluateAll((buttons) => buttons.map((b) => {
    const r = b.getBoundingClientRect();
    const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    return { label: b.textContent.trim(), top: r.top, bottom: r.bottom, left: r.left,
             right: r.right, height: window.innerHeight, width: window.innerWidth,
             shown: hit !== null && b.contains(hit) };
  }));
}

function assertInWindow(boxes, name) {
  assert.deepEqual(boxes.map((b) => b.label), ['Deny', 'Allow once', `Always allow ${name}`]);
  for (const b of boxes) {
    assert.ok(b.top >= 0 && b.bottom <= b.height && b.left >= 0 && b.right <= b.width && b.shown,
              `${b.label} is at ${JSON.stringify(b)}, not shown in the ${b.width}×${b.height} window`);
  }
}

let root;
let fake;
let daemon;
let context;
let page;

describe('Approvals in a browser', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hearth-e2e-approvals-'));
    const transcripts = join(root, 'transcripts');
    await cp(kTranscripts, transcripts, { recursive: true });
    await writeFile(join(transcripts, 'bigwrite.0.sse'), toolCallStream(
      'bigwrite', 'call_big', 'write_file', { path: 'big.txt', content: kNew }));
    await writeFile(join(transcripts, 'bigwrite.1.sse'), toolCallStream(
      'bigwrite', 'call_edit', 'edit_file', { path: 'long.txt', old_text: kLong,
                                              new_text: kLongEdited }));
    await writeFile(join(transcripts, 'bigwrite.2.sse'), answerStream('bigwrite', 'Left as it was.'));
    const home = join(root, 'home');
    await mkdir(join(home, 'project'), { recursive: true });
    await writeFile(join(home, 'project', 'big.txt'), kOld);
    await writeFile(join(home, 'project', 'long.txt'), kLong);

    fake = await startFakeLlm({ timeoutMs: kTimeout, transcripts });
    daemon = await startDaemon(process.env.HEARTHD, {
      timeoutMs: kTimeout,
      config: {
        providers: [{ name: 'fake', type: 'openai', base_url: `${fake.url}/v1`,
                      default_model: 'bigwrite' }],
        workspace_roots: ['~/project'],
      },
      home,
    });
    context = await launch('approvals');
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
    if (fake) await fake.stop().catch(() => {});
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('keeps the three answers in the window with a 125 KB argument, and shows the diff', async () => {
    assert.ok(kNew.length >= 125_000 && kNew.length < 128 * 1024, `the content is ${kNew.length} bytes`);
    await newConversation(page);
    await send(page, 'Rewrite big.txt');
    const card = page.locator('#messages .message.tool', { has: page.locator('.tool-name', {
      hasText: /^write_file$/ }) });
    const form = card.locator('form.approval');
    await form.locator('button[value="always"]').waitFor();

    assertInWindow(await answerButtons(form), 'write_file');

    // The diff: the changed line, the added ones, and a note that it is cut.
    const diff = form.locator('.approval-diff');
    const summary = await diff.locator('p').textContent();
    assert.ok(summary.startsWith(`Changes to the existing big.txt: ${kAdded + 1} lines added, ` +
                                 '1 line removed; the diff is cut short'), summary);
    assert.equal(await diff.locator('.diff-del').first().textContent(), '-line 50');
    assert.equal(await diff.locator('.diff-add').first().textContent(), '+line fifty');

    // The collapsed card is one line: its summary no taller than the tool's name, the path whole.
    const [line, name] = await Promise.all([card.locator('summary').boundingBox(), card.locator('.tool-name')
      .boundingBox()]);
    assert.ok(line.height < 2 * name.height, `the summary is ${line.height} px tall`);
    assert.equal(await card.locator('.tool-args').getAttribute('title'), 'big.txt');
    await shot(page, 'approval-125kb');
    assertNoProblems();
  });

  it('finds no accessibility violation on the page with the approval form', async () => {
    await page.reload();
    await page.locator('form.approval button[value="deny"]').waitFor();
    assert.deepEqual(await axeViolations(page), []);

    // Denied: the file is as it was, and the model asks for the next change.
    const decided = await afterResponse(page, 'POST', /^\/c\/\d+\/approve$/,
                                        () => page.locator('form.approval button[value="deny"]').click());
    assert.equal(decided.status(), 204);
    await page.locator('#messages .message.tool.denied').waitFor();
    assert.equal(await readFile(join(root, 'home', 'project', 'big.txt'), 'utf8'), kOld);
    assertNoProblems();
  });

  it('keeps the answers in sight of an edit_file with two long texts, read from its start', async () => {
    const card = page.locator('#messages .message.tool', { has: page.locator('.tool-name', {
      hasText: /^edit_file$/ }) });
    const form = card.locator('form.approval');
    await form.locator('button[value="always"]').waitFor();
    await form.evaluate((f) => f.scrollIntoView({ block: 'start' }));
    assertInWindow(await answerButtons(form), 'edit_file');
    assert.match(await form.locator('.approval-diff p').textContent(),
                 /^Changes to long\.txt: 1 line added, 1 line removed\.$/);
    assert.equal(await form.locator('.diff-add').textContent(), `+0100 changed ${'y'.repeat(94)}`);

    const decided = await afterResponse(page, 'POST', /^\/c\/\d+\/approve$/,
                                        () => form.locator('button[value="deny"]').click());
    assert.equal(decided.status(), 204);
    await page.locator('#messages .message.tool.denied', { has: page.locator('.tool-name', {
      hasText: /^edit_file$/ }) }).waitFor();
    assert.equal(await readFile(join(root, 'home', 'project', 'long.txt'), 'utf8'), kLong);
    assertNoProblems();
  });
});
