// SPDX-License-Identifier: Apache-2.0
// End-to-end: a whole conversation with the agent in Debian's headless Chromium, against a real
// hearthd talking to the fake LLM server (tests/fake_llm), which replays recorded answers. The
// model is chosen on the Settings page, so each scenario picks its transcript the way a user
// picks a model. The scenarios run in order and share one signed-in browser.
//
// Two answers are replayed at a slower pace than their transcripts in tests/fake_llm/transcripts
// ("hello" and "slow"): the browser must be connected while they stream, and a reload must land
// in the middle of one, whatever the machine's speed. The paced copies are made here, in a temp
// directory the fake server reads, with the rest of the transcripts.
//
// Environment: HEARTHD (the binary), and what browser.mjs reads.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterResponse, assertNoProblems, closeAllContexts, kTimeout, launch, newConversation,
         problems, send, shot, shotDir } from './browser.mjs';
import { startDaemon, startFakeLlm } from './daemon.mjs';

const kTranscripts = join(dirname(fileURLToPath(import.meta.url)), '..', 'fake_llm', 'transcripts');
const kTodo = '# To do\n\n- Water the plants\n- Call Sam\n- Back up notes/\n';

let root;    // temp dir: HOME (with the workspace ~/project) and the transcripts
let fake;    // the fake LLM server
let daemon;
let context;  // the signed-in browser
let page;

// A recorded-style OpenAI stream in which the model `model` calls one tool.
function toolCallStream(model, id, name, args) {
  const chunk = (delta, finish = null) => `data: ${JSON.stringify({
    id: `chatcmpl-${model}`, object: 'chat.completion.chunk', created: 1735733160, model,
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return chunk({ role: 'assistant', content: null }) +
    chunk({ tool_calls: [{ index: 0, id, type: 'function',
                           function: { name, arguments: JSON.stringify(args) } }] }) +
    chunk({}, 'tool_calls') + 'data: [DONE]\n\n';
}

// A stream in which the model `model` answers `text`.
function answerStream(model, text) {
  const chunk = (delta, finish = null) => `data: ${JSON.stringify({
    id: `chatcmpl-${model}`, object: 'chat.completion.chunk', created: 1735733160, model,
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return chunk({ role: 'assistant', content: '' }) + chunk({ content: text }) + chunk({}, 'stop') +
    'data: [DONE]\n\n';
}

// The answer a transcript streams: its content deltas, joined.
async function answerText(name) {
  const text = await readFile(join(kTranscripts, name), 'utf8');
  let answer = '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    for (const choice of JSON.parse(line.slice('data: '.length)).choices) {
      answer += choice.delta?.content ?? '';
    }
  }
  return answer;
}

// Copies transcript `from` to `dir`/`to`, with `#! flush` and `#! delay` lines replaced by the
// delays `pace(i)` (i counts those lines from 0) returns.
async function paced(dir, from, to, pace) {
  const text = await readFile(join(kTranscripts, from), 'utf8');
  let i = 0;
  const out = text.split('\n').map((line) => (/^#! (flush|delay)\b/.test(line)
    ? `#! delay ${pace(i++)}` : line));
  assert.ok(i > 0, `${from} has no flush or delay to pace`);
  await writeFile(join(dir, to), out.join('\n'));
}

// Polls `probe` (an async function) until it returns something truthy; fails after `ms`. For
// state outside the browser, which has no event to wait on: the fake server's request log.
async function until(what, probe, ms = kTimeout) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Counts the non-overlapping occurrences of `needle` in `text`.
function occurrences(text, needle) {
  return text.split(needle).length - 1;
}

// How many assistant messages a request to the model carries: the fake server's "turn".
function turn(request) {
  return (request.body?.messages ?? []).filter((m) => m.role === 'assistant').length;
}

// Chooses the model (the fake server's scenario) in the Settings page's form.
async function useModel(model) {
  const response = await page.goto(new URL('/settings', daemon.url).href);
  assert.equal(response.status(), 200);
  const form = page.locator('form[hx-post="/settings/agent"]');
  await form.locator('#provider-type').selectOption('openai');
  await form.locator('#provider-url').fill(`${fake.url}/v1`);
  await form.locator('#provider-model').fill(model);
  const saved = await afterResponse(page, 'POST', /^\/settings\/agent$/,
                                    () => form.getByRole('button', { name: 'Save' }).click());
  assert.equal(saved.status(), 200);
  await page.locator('form[hx-post="/settings/agent"] .saved', { hasText: 'Saved.' }).waitFor();
  const status = page.locator('dl.status dt', { hasText: /^Model$/ }).locator('+ dd');
  assert.equal(await status.textContent(), `${model} on ${fake.url}/v1`);
}

// From now until the page is left or reloaded, records what the updates of a run insert into the
// message list that they never should: elements that run or load something, javascript: links,
// and anything but <li> directly inside a list of messages. badUpdates() returns the record.
async function watchUpdates() {
  await page.evaluate(() => {
    const list = document.getElementById('messages');
    const bad = [];
    window.__hearthBadUpdates = bad;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof Element)) continue;
          for (const el of [node, ...node.querySelectorAll('*')]) {
            const parent = el.parentElement;
            const html = el.outerHTML.slice(0, 160);
            if (/^(IMG|SCRIPT|IFRAME|OBJECT|EMBED)$/.test(el.tagName)) bad.push(`element: ${html}`);
            if (/^\s*javascript:/i.test(el.getAttribute('href') ?? '')) bad.push(`link: ${html}`);
            if (parent && (parent === list || parent.classList.contains('run-messages')) &&
                el.tagName !== 'LI') {
              bad.push(`<${el.tagName.toLowerCase()}> directly in a list of messages: ${html}`);
            }
          }
        }
      }
    }).observe(list, { childList: true, subtree: true });
  });
}

async function badUpdates() {
  const bad = await page.evaluate(() => window.__hearthBadUpdates);
  assert.ok(Array.isArray(bad), 'watchUpdates() was called on this page');
  return bad;
}

// Checked last in a scenario, so that its other checks run whatever this finds.
function assertCleanUpdates(bad) {
  assert.deepEqual(bad, [], 'what the live updates inserted into #messages');
}

// The card of the tool call named `name` in the page's messages.
function toolCard(name) {
  return page.locator('#messages .message.tool', {
    has: page.locator('.tool-name', { hasText: new RegExp(`^${name}$`) }),
  });
}

// Opens a tool card's <details> and returns its output.
async function toolOutput(card) {
  const details = card.locator('details.tool-call');
  if (!(await details.evaluate((d) => d.open))) await card.locator('summary').click();
  await card.locator('.tool-output').waitFor({ state: 'visible' });
  return card.locator('.tool-output').textContent();
}

// Waits until the run shown on the page has ended: its container is final and Stop is gone.
async function runEnded() {
  await page.locator('#messages .run.done').last().waitFor({ state: 'attached' });
  await page.locator('.run-controls .stop').waitFor({ state: 'detached' });
}

describe('A conversation with the agent', () => {
  before(async () => {
    await mkdir(shotDir, { recursive: true });
    root = await mkdtemp(join(tmpdir(), 'hearth-e2e-agent-'));
    const transcripts = join(root, 'transcripts');
    await cp(kTranscripts, transcripts, { recursive: true });
    await paced(transcripts, 'hello.0.sse', 'hello-paced.0.sse', () => 400);
    // A long pause after the fourth word, for a reload to land in.
    await paced(transcripts, 'slow.0.sse', 'slow-paced.0.sse', (i) => (i === 4 ? 2000 : 40));
    await writeFile(join(transcripts, 'mcpecho.0.sse'), toolCallStream(
      'mcpecho', 'call_mcp_echo', 'everything__echo', { message: 'hello from MCP' }));
    await writeFile(join(transcripts, 'mcpecho.1.sse'),
                    answerStream('mcpecho', 'The server echoed it back.'));
    const home = join(root, 'home');
    await mkdir(join(home, 'project', 'notes'), { recursive: true });
    await writeFile(join(home, 'project', 'notes', 'todo.md'), kTodo);

    fake = await startFakeLlm({ timeoutMs: kTimeout, transcripts });
    // The server and model are chosen in Settings; the file only names the workspace.
    daemon = await startDaemon(process.env.HEARTHD, {
      timeoutMs: kTimeout,
      config: { workspace_roots: ['~/project'] },
      home,
    });
    context = await launch('main');
    page = context.pages()[0] ?? await context.newPage();
    const response = await page.goto(await daemon.loginUrl());
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
  });

  // A scenario that failed half-way leaves its problems behind; they are not the next one's.
  beforeEach(async () => {
    problems.length = 0;
    await fake?.reset();
  });

  after(async () => {
    await closeAllContexts();
    if (daemon) await daemon.cleanup();
    if (fake) await fake.stop().catch(() => {});
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('streams an answer and renders its Markdown once it is done', async () => {
    await useModel('hello-paced');
    await newConversation(page);
    await watchUpdates();
    await send(page, 'Say hello, with a list and some code');

    // While it streams: the answer so far, marked as streaming, and a Stop button.
    const streaming = page.locator('#messages .message.assistant.streaming', { hasText: 'Hello!' });
    await streaming.waitFor();
    assert.equal(await page.locator('.run-controls .stop').isVisible(), true);

    await runEnded();
    const answer = page.locator('#messages .message.assistant');
    assert.equal(await answer.count(), 1, 'one answer');
    await page.locator('#messages .message.assistant.done').waitFor();
    const content = answer.locator('.content');
    assert.equal(await content.locator('strong').textContent(), 'short');
    assert.deepEqual(await content.locator('ul > li').allTextContents(), ['one', 'two']);
    assert.equal(await content.locator('pre > code').textContent(), 'echo "hi"\n');
    assert.equal(await content.locator('pre > code').getAttribute('class'), 'language-sh');
    // Every piece of text exactly once: the streamed blocks were not appended twice.
    const text = await content.textContent();
    for (const piece of ['Hello!', 'Here is a', 'short', 'one', 'two', 'echo "hi"',
                         'Café ☕ is open.']) {
      assert.equal(occurrences(text, piece), 1, `"${piece}" once in ${JSON.stringify(text)}`);
    }
    assert.doesNotMatch(text, /\*\*|```/, 'no Markdown syntax left over');

    const requests = await fake.chatRequests();
    assert.equal(requests.length, 1);
    assert.equal(requests[0].body.model, 'hello-paced');
    assert.equal(requests[0].body.stream, true);
    await shot(page, 'agent-answer');
    // A Markdown list looks like one: its items have bullets.
    const bullet = await content.locator('ul > li').first()
      .evaluate((li) => getComputedStyle(li).listStyleType);
    assert.notEqual(bullet, 'none', 'list items show a bullet');
    assertCleanUpdates(await badUpdates());
    assertNoProblems();
  });

  it('shows hostile model output as text: no markup, no script, no javascript: link', async () => {
    await useModel('xss');
    await newConversation(page);
    // Anything an answer inserts, at any moment while it streams, is checked.
    await watchUpdates();
    await send(page, 'Show me something dangerous');
    await runEnded();
    const answer = page.locator('#messages .message.assistant.done .content');
    await answer.waitFor();

    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined');
    assert.equal(await page.locator('#messages img, #messages script').count(), 0);
    assert.equal(await page.locator('a[href^="javascript" i]').count(), 0);
    const text = await answer.textContent();
    assert.match(text, /<img src=x onerror="window\.__pwned=1">/);
    assert.match(text, /<script>window\.__pwned=2<\/script>/);
    assert.match(text, /A click that goes nowhere/);
    // Autolinks are links, and safe ones.
    for (const href of ['https://example.org/a', 'https://example.com/docs']) {
      const link = answer.locator(`a[href="${href}"]`);
      assert.equal(await link.count(), 1, `a link to ${href}`);
      assert.match(await link.getAttribute('rel'), /noopener/);
    }
    // The table renders as one.
    assert.deepEqual(await answer.locator('table thead th').allTextContents(), ['Tag', 'Shown as']);
    assert.deepEqual(await answer.locator('table tbody td').allTextContents(),
                     ['img', 'text', 'script', 'text']);

    const bad = await badUpdates();

    // The same, rendered as a whole page from the store.
    await page.reload();
    await answer.waitFor();
    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined');
    assert.equal(await page.locator('#messages img, #messages script').count(), 0);
    assert.equal(await page.locator('a[href^="javascript" i]').count(), 0);
    assert.match(await answer.textContent(), /<script>window\.__pwned=2<\/script>/);
    assertCleanUpdates(bad);
    assertNoProblems();
  });

  const kRunCommandArgs = /"command":\s*"ls -la"/;

  it('reads a file on its own, and runs a command once allowed', async () => {
    await useModel('toolcall');
    await newConversation(page);
    await watchUpdates();
    await send(page, 'What is on my to-do list?');

    // read_file needs no approval.
    const read = toolCard('read_file');
    await page.locator('#messages .message.tool.done', { has: page.locator('.tool-name', {
      hasText: /^read_file$/ }) }).waitFor();
    assert.equal(await read.locator('.tool-status').textContent(), 'done');
    assert.match(await read.locator('.tool-args').textContent(), /notes\/todo\.md/);
    const readOutput = await toolOutput(read);
    for (const line of ['Water the plants', 'Call Sam', 'Back up notes/']) {
      assert.ok(readOutput.includes(line), `read_file output has "${line}": ${readOutput}`);
    }

    // run_command waits for a decision.
    const run = toolCard('run_command');
    const form = run.locator('form.approval');
    await form.waitFor();
    assert.equal(await run.locator('.tool-status').textContent(), 'waiting for your approval');
    // Each argument in a box of its own, a string as the text it is.
    assert.deepEqual(await form.locator('.approval-args dt').allTextContents(), ['command']);
    assert.deepEqual(await form.locator('.approval-args dd pre').allTextContents(), ['ls -la']);
    assert.equal(await page.locator('.run-controls .stop').isVisible(), true);
    await shot(page, 'agent-approval');

    const allow = form.getByRole('button', { name: 'Allow once' });
    const decided = await afterResponse(page, 'POST', /^\/c\/\d+\/approve$/, () => allow.click());
    assert.equal(decided.status(), 204);
    await page.locator('#messages .message.tool.done:not(.denied)', { has: page.locator(
      '.tool-name', { hasText: /^run_command$/ }) }).waitFor();
    assert.equal(await run.locator('form.approval').count(), 0, 'the form is gone');
    assert.equal(await run.locator('.tool-status').textContent(), 'done');
    const listing = await toolOutput(run);
    assert.match(listing, /^total \d+/m, `ls -la output: ${listing}`);
    assert.match(listing, / notes$/m, `ls -la output: ${listing}`);

    // The model got both results and answered.
    await runEnded();
    const answer = page.locator('#messages .message.assistant.done', {
      hasText: 'Your to-do list has three items' });
    await answer.waitFor();
    assert.deepEqual(await answer.locator('.content ol > li').allTextContents(),
                     ['Water the plants', 'Call Sam', 'Back up notes/']);
    const requests = await fake.chatRequests();
    assert.deepEqual(requests.map(turn), [0, 1]);
    const results = requests[1].body.messages.filter((m) => m.role === 'tool');
    assert.equal(results.length, 2);
    assert.ok(results[0].content.includes('Water the plants'), results[0].content);
    assert.match(results[1].content, / notes$/m);
    await shot(page, 'agent-tools');
    const numbering = await answer.locator('.content ol > li').first()
      .evaluate((li) => getComputedStyle(li).listStyleType);
    assert.equal(numbering, 'decimal', 'the to-do list is numbered');
    assertCleanUpdates(await badUpdates());
    assertNoProblems();
  });

  it('tells the model a denied call was denied, and lists it in Settings', async () => {
    await newConversation(page);  // the model is still "toolcall"
    await watchUpdates();
    await send(page, 'What is on my to-do list?');

    const run = toolCard('run_command');
    const form = run.locator('form.approval');
    await form.waitFor();
    const decided = await afterResponse(page, 'POST', /^\/c\/\d+\/approve$/,
                                        () => form.getByRole('button', { name: 'Deny' }).click());
    assert.equal(decided.status(), 204);
    await page.locator('#messages .message.tool.denied', { has: page.locator('.tool-name', {
      hasText: /^run_command$/ }) }).waitFor();
    assert.equal(await run.locator('.tool-status').textContent(), 'denied');
    assert.equal(await run.locator('form.approval').count(), 0, 'the form is gone');
    await runEnded();

    // The next request to the model (turn 1) says so in the call's result.
    const requests = await fake.chatRequests();
    const next = requests.find((r) => turn(r) === 1);
    assert.ok(next, `a request for turn 1 among ${JSON.stringify(requests.map(turn))}`);
    const calls = next.body.messages.find((m) => m.role === 'assistant').tool_calls;
    const runCall = calls.find((c) => c.function.name === 'run_command');
    const result = next.body.messages.find((m) => m.role === 'tool' &&
                                                  m.tool_call_id === runCall.id);
    assert.ok(result, `a result for ${runCall.id}`);
    assert.match(result.content, /^denied/);
    const bad = await badUpdates();

    const response = await page.goto(new URL('/settings', daemon.url).href);
    assert.equal(response.status(), 200);
    const heading = page.getByRole('heading', { name: 'Audit log' });
    await heading.waitFor();
    // Commands that ran are audited too (how they were confined); the Deny is one entry.
    const rows = page.locator('table.audit tbody tr', { hasText: 'denied by the user' });
    assert.equal(await rows.count(), 1, 'the denied call is listed once');
    const cells = await rows.first().locator('td').allTextContents();
    assert.equal(cells[1], 'run_command');
    assert.match(cells[2], kRunCommandArgs);
    assert.match(cells[3], /denied by the user/);
    assertCleanUpdates(bad);
    assertNoProblems();
  });

  it('plugs in an MCP server from Settings, and calls its tool once allowed', async () => {
    const modules = process.env.HEARTH_MCP_NODE_MODULES;
    assert.ok(modules, 'HEARTH_MCP_NODE_MODULES names the reference servers (ctest -R mcp.install)');
    const response = await page.goto(new URL('/settings', daemon.url).href);
    assert.equal(response.status(), 200);
    const add = page.locator('form[hx-post="/settings/mcp/add"]');
    await add.locator('#mcp-name').fill('everything');
    await add.locator('#mcp-command').fill(join(modules, '.bin', 'mcp-server-everything'));
    await add.locator('#mcp-args').fill('stdio');
    await add.locator('#mcp-env').fill('EXAMPLE_TOKEN=never-shown-back');
    const added = await afterResponse(page, 'POST', /^\/settings\/mcp\/add$/,
                                      () => add.getByRole('button', { name: 'Add server' }).click());
    assert.equal(added.status(), 200);
    const item = page.locator('.mcp-servers li', { hasText: 'everything' });
    await item.waitFor();
    assert.match(await item.textContent(), /mcp-server-everything stdio/);
    assert.match(await item.textContent(), /with EXAMPLE_TOKEN set/);
    assert.equal((await page.content()).includes('never-shown-back'), false, 'env values stay hidden');
    await shot(page, 'agent-mcp-settings');

    await useModel('mcpecho');
    await newConversation(page);
    await watchUpdates();
    await send(page, 'Echo something through the MCP server');
    // Its first use starts the server (node), which may take a few seconds on a busy machine.
    const card = toolCard('everything__echo');
    const form = card.locator('form.approval');
    await form.waitFor({ timeout: 60000 });
    assert.deepEqual(await form.locator('.approval-args dd pre').allTextContents(),
                     ['hello from MCP']);
    await form.getByRole('button', { name: 'Allow once' }).click();
    await runEnded();
    assert.match(await toolOutput(card), /Echo: hello from MCP/);
    await page.locator('#messages .message.assistant.done', {
      hasText: 'The server echoed it back.' }).waitFor();
    const requests = await fake.chatRequests();
    assert.deepEqual(requests.map(turn), [0, 1]);
    assert.ok(requests[0].body.tools.some((t) => t.function.name === 'everything__echo'),
              'the server\'s tools are offered to the model');
    const result = requests[1].body.messages.find((m) => m.role === 'tool');
    assert.match(result.content, /Echo: hello from MCP/);
    assertCleanUpdates(await badUpdates());

    // Removed again, it is gone from the page and from what the model is offered.
    await page.goto(new URL('/settings', daemon.url).href);
    // Remove asks first; the server stops when the question is answered.
    await page.locator('.mcp-servers li', { hasText: 'everything' })
      .getByRole('button', { name: 'Remove' }).click();
    const confirm = page.locator('.mcp-servers li.confirming', { hasText: 'Remove the MCP server' });
    await confirm.waitFor();
    const removed = await afterResponse(page, 'POST', /^\/settings\/mcp\/remove$/,
      () => confirm.getByRole('button', { name: 'Remove' }).click());
    assert.equal(removed.status(), 200);
    await page.locator('.mcp-servers').waitFor({ state: 'detached' });
    assertNoProblems();
  });

  it('stops a run: the answer so far is kept, marked incomplete, and the model is hung up on',
     async () => {
       await useModel('hang');
       await newConversation(page);
       await watchUpdates();
       await send(page, 'Think hard');
       await page.locator('#messages .message.assistant.streaming', { hasText: 'Let me think' })
         .waitFor();

       const stopped = await afterResponse(page, 'POST', /^\/c\/\d+\/stop$/,
                                           () => page.locator('.run-controls .stop').click());
       assert.equal(stopped.status(), 204);
       await runEnded();
       const answer = page.locator('#messages .message.assistant.partial');
       await answer.waitFor();
       assert.equal(await answer.locator('.meta .badge').textContent(), 'stopped');
       assert.equal(await answer.locator('.answer-error').count(), 0, 'a Stop is not an error');
       assert.equal((await answer.locator('.content').textContent()).trim(), 'Let me think');
       assert.equal(await page.locator('#messages .message.assistant').count(), 1);

       const request = await until('the fake server sees Hearth close the request', async () => {
         const hang = (await fake.requests()).find((r) => r.file === 'hang.0.sse');
         return hang?.client_closed_at ? hang : null;
       });
       assert.ok(request.client_closed_at >= request.hang_at);
       assertCleanUpdates(await badUpdates());
       assertNoProblems();
     });

  it('picks a streaming answer up again after a reload, without repeating any of it', async () => {
    const full = await answerText('slow.0.sse');
    await useModel('slow-paced');
    const id = await newConversation(page);
    await send(page, 'Count slowly');
    await page.locator('#messages .message.assistant.streaming', { hasText: 'one two three four' })
      .waitFor();

    // Reloaded in the pause after "four": the page comes back with the run still going.
    const reloaded = await page.reload();
    assert.equal(reloaded.status(), 200);
    await watchUpdates();
    const html = await reloaded.text();
    assert.match(html, new RegExp(`sse-connect="/c/${id}/live"`), 'the page follows the live run');
    assert.match(html, /class="message assistant streaming"/);
    assert.match(html, /one two three four/);
    assert.doesNotMatch(html, /\bfive\b/, 'the reload landed in the pause after "four"');

    await page.locator('#messages .run.done .message.assistant.done').waitFor();
    await page.locator('.run-controls .stop').waitFor({ state: 'detached' });
    const answers = page.locator('#messages .message.assistant');
    assert.equal(await answers.count(), 1);
    assert.equal((await answers.locator('.content').textContent()).trim(), full);
    assert.equal(await page.locator('#messages .message.user').count(), 1);
    const bad = await badUpdates();

    // And the stored answer is the same.
    await page.reload();
    await page.locator('#messages .message.assistant.done').waitFor();
    assert.equal((await answers.locator('.content').textContent()).trim(), full);
    assertCleanUpdates(bad);
    assertNoProblems();
  });
});
