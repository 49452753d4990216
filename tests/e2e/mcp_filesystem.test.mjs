// SPDX-License-Identifier: Apache-2.0
// End-to-end: the reference MCP server-filesystem, added from Settings with a folder of its own
// (outside the workspace) as the Add form's permission fields offer it, serves that folder and
// not the workspace. In Debian's headless Chromium, against a real hearthd; the model is the fake
// LLM server (tests/fake_llm), which calls the server's tools from transcripts written here.
//
// Environment: HEARTHD (the binary), HEARTH_MCP_NODE_MODULES (the reference servers, installed by
// the mcp.install fixture), and what browser.mjs reads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterResponse, assertNoProblems, closeAllContexts, launch, newConversation, problems, send,
         shot, shotDir } from './browser.mjs';
import { startDaemon, startFakeLlm } from './daemon.mjs';

const kModel = 'mcpfiles';
const kKnownFile = 'harvest-log-4b7e.txt';  // in the server's own folder only
const kWorkspaceFiles = ['todo.md', 'plan-9c1d.md'];  // in the workspace only

let root;     // temp dir: HOME (with the workspace ~/project) and the transcripts
let served;   // the server's own folder, outside HOME and the workspace
let fake;
let daemon;
let context;
let page;

// A recorded-style OpenAI stream: one chunk per delta, then the finish reason and [DONE].
function stream(deltas, finish) {
  const chunk = (delta, reason = null) => `data: ${JSON.stringify({
    id: `chatcmpl-${kModel}`, object: 'chat.completion.chunk', created: 1735733160, model: kModel,
    choices: [{ index: 0, delta, finish_reason: reason }] })}\n\n`;
  return deltas.map((d) => chunk(d)).join('') + chunk({}, finish) + 'data: [DONE]\n\n';
}

// The model calls the server's list_allowed_directories and list_directory on `dir` at once.
function toolCalls(dir) {
  const call = (index, id, name, args) => ({
    index, id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
  return stream([
    { role: 'assistant', content: null },
    { tool_calls: [call(0, 'call_fs_allowed', 'files__list_allowed_directories', {})] },
    { tool_calls: [call(1, 'call_fs_list', 'files__list_directory', { path: dir })] },
  ], 'tool_calls');
}

// How many assistant messages a request to the model carries: the fake server's "turn".
function turn(request) {
  return (request.body?.messages ?? []).filter((m) => m.role === 'assistant').length;
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

// Answers the approval of the tool `name` with Allow once, after checking it names its server
// and what that server may reach.
async function allowOnce(name) {
  const card = toolCard(name);
  const form = card.locator('form.approval');
  await form.waitFor();
  assert.equal(await form.locator('.tool-origin').textContent(),
               `From MCP server files, which may reach: network off, reads ${served}`);
  const allow = form.getByRole('button', { name: 'Allow once' });
  const decided = await afterResponse(page, 'POST', /^\/c\/\d+\/approve$/, () => allow.click());
  assert.equal(decided.status(), 204);
  await page.locator('#messages .message.tool.done:not(.denied)', {
    has: page.locator('.tool-name', { hasText: new RegExp(`^${name}$`) }) }).waitFor();
  return card;
}

describe('server-filesystem with a folder of its own', () => {
  before(async () => {
    await mkdir(shotDir, { recursive: true });
    root = await realpath(await mkdtemp(join(tmpdir(), 'hearth-e2e-mcpfs-')));
    // realpath: the server compares the paths it is asked for with the real ones.
    served = await realpath(await mkdtemp(join(tmpdir(), 'hearth-e2e-mcpfs-served-')));
    await writeFile(join(served, kKnownFile), 'seen by the server only\n');

    const home = join(root, 'home');
    await mkdir(join(home, 'project', 'notes'), { recursive: true });
    await writeFile(join(home, 'project', 'notes', kWorkspaceFiles[0]), '- Call Sam\n');
    await writeFile(join(home, 'project', kWorkspaceFiles[1]), '# Plan\n');

    const transcripts = join(root, 'transcripts');
    await mkdir(transcripts);
    await writeFile(join(transcripts, `${kModel}.0.sse`), toolCalls(served));
    await writeFile(join(transcripts, `${kModel}.1.sse`), stream([
      { role: 'assistant', content: '' }, { content: `The folder holds ${kKnownFile}.` }], 'stop'));

    fake = await startFakeLlm({ transcripts });
    daemon = await startDaemon(process.env.HEARTHD, {
      config: { workspace_roots: ['~/project'] },
      home,
    });
    context = await launch('mcpfs');
    page = context.pages()[0] ?? await context.newPage();
    const response = await page.goto(await daemon.loginUrl());
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    problems.length = 0;
  });

  after(async () => {
    await closeAllContexts();
    // Stopped as systemd would, so that it stops the MCP server it started; killed otherwise.
    if (daemon) await daemon.stop().catch(() => {});
    if (daemon) await daemon.cleanup();
    if (fake) await fake.stop().catch(() => {});
    if (root) await rm(root, { recursive: true, force: true });
    if (served) await rm(served, { recursive: true, force: true });
  });

  it('is added with the folder its arguments name, and shows its tools at once', async () => {
    const modules = process.env.HEARTH_MCP_NODE_MODULES;
    assert.ok(modules, 'HEARTH_MCP_NODE_MODULES names the reference servers (mcp.install)');
    const response = await page.goto(new URL('/settings', daemon.url).href);
    assert.equal(response.status(), 200);
    const add = page.locator('form[hx-post="/settings/mcp/add"]');
    await add.locator('#mcp-name').fill('files');
    // The installed server's script, run by node: the README's `npx -y …` would download it,
    // and the machines the tests run on have no registry access.
    await add.locator('#mcp-command').fill(process.execPath);
    const args = add.locator('#mcp-args');
    await args.fill(
      [join(modules, '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js'), served]
        .join('\n'));
    // Leaving the arguments offers the folder they name as a readable one.
    const offered = await afterResponse(page, 'POST', /^\/settings\/mcp\/folders$/,
                                        () => args.blur());
    assert.equal(offered.status(), 200);
    await add.locator('#mcp-permissions .mcp-offered', { hasText: served }).waitFor();
    assert.equal(await add.locator('#mcp-read').inputValue(), `${served}\n`);
    assert.equal(await add.locator('#mcp-write').inputValue(), '');
    assert.equal(await add.locator('#mcp-permissions input[name="network"]').isChecked(), false,
                 'network is off unless chosen');

    const submit = add.getByRole('button', { name: 'Add server' });
    const added = await afterResponse(page, 'POST', /^\/settings\/mcp\/add$/, () => submit.click());
    assert.equal(added.status(), 200);
    // The page that answers the Add already shows the started server and its tools.
    const item = page.locator('.mcp-servers li#mcp-server-files');
    await item.waitFor();
    assert.equal(await item.locator('.mcp-permissions-line').textContent(),
                 `May reach: network off, reads ${served}`);
    const tools = await item.locator('.mcp-tools code').allTextContents();
    for (const tool of ['list_allowed_directories', 'list_directory']) {
      assert.ok(tools.some((t) => t === tool || t === `files__${tool}`),
                `Settings lists ${tool} among ${JSON.stringify(tools)}; status: ` +
                `${await item.locator('.mcp-status').textContent()}`);
    }
    await shot(page, 'mcp-filesystem-settings');
    assertNoProblems();
  });

  it('lists its own folder when the model asks, not the workspace', async () => {
    const response = await page.goto(new URL('/settings', daemon.url).href);
    assert.equal(response.status(), 200);
    const form = page.locator('form[hx-post="/settings/agent"]');
    await form.locator('#provider-type').selectOption('openai');
    await form.locator('#provider-url').fill(`${fake.url}/v1`);
    await form.locator('#provider-model').fill(kModel);
    const saved = await afterResponse(page, 'POST', /^\/settings\/agent$/,
                                      () => form.getByRole('button', { name: 'Save' }).click());
    assert.equal(saved.status(), 200);
    await page.locator('form[hx-post="/settings/agent"] .saved', { hasText: 'Saved.' }).waitFor();

    await newConversation(page);
    await send(page, 'What is in the folder the files server serves?');

    const allowed = await toolOutput(await allowOnce('files__list_allowed_directories'));
    assert.ok(allowed.includes(served), `its allowed directories name ${served}: ${allowed}`);
    assert.equal(allowed.includes(join(root, 'home')), false,
                 `its allowed directories leave the workspace out: ${allowed}`);

    const listing = await toolOutput(await allowOnce('files__list_directory'));
    assert.match(listing, new RegExp(`\\[FILE\\] ${kKnownFile.replace(/\./g, '\\.')}`),
                 `the listing of ${served}: ${listing}`);
    for (const name of [...kWorkspaceFiles, '[DIR] notes']) {
      assert.equal(listing.includes(name), false,
                   `the workspace's ${name} is not listed: ${listing}`);
    }

    await page.locator('#messages .run.done').last().waitFor({ state: 'attached' });
    await page.locator('#messages .message.assistant.done', {
      hasText: `The folder holds ${kKnownFile}.` }).waitFor();
    const requests = await fake.chatRequests();
    assert.deepEqual(requests.map(turn), [0, 1]);
    const offered = requests[0].body.tools.map((t) => t.function.name);
    assert.ok(offered.includes('files__list_directory'), `the model is offered ${offered}`);
    const results = requests[1].body.messages.filter((m) => m.role === 'tool');
    assert.equal(results.length, 2);
    assert.ok(results[1].content.includes(kKnownFile), results[1].content);
    await shot(page, 'mcp-filesystem-listing');
    assertNoProblems();
  });
});
