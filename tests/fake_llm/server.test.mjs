// SPDX-License-Identifier: Apache-2.0
// Checks the fake LLM server: splits, cuts, hangs, statuses, scenario selection, the request log,
// and that every transcript in transcripts/ is a well-formed answer in its wire format.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { parseTranscript } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const transcripts = join(here, 'transcripts');

async function startServer(dir) {
  const child = spawn(process.execPath, [join(here, 'server.mjs'), '--transcripts', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(out.slice(0, newline)).port);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, port };
}

function stop(server) {
  return new Promise((resolve) => {
    server.child.on('exit', resolve);
    server.child.kill('SIGTERM');
  });
}

const chat = (base, body, headers = {}) =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

// A raw HTTP/1.1 exchange, so the chunks of a chunked body can be seen as the server wrote them
// (fetch would merge or split them as TCP delivered them).
function rawChunks(port, path, body) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const parts = [];
    socket.on('data', (d) => parts.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(parts);
      const head = all.indexOf('\r\n\r\n');
      const headers = all.subarray(0, head).toString('latin1');
      assert.match(headers, /transfer-encoding: chunked/i);
      const chunks = [];
      let at = head + 4;
      for (;;) {
        const eol = all.indexOf('\r\n', at);
        const size = parseInt(all.subarray(at, eol).toString('latin1'), 16);
        if (size === 0) break;
        chunks.push(all.subarray(eol + 2, eol + 2 + size).toString('utf8'));
        at = eol + 2 + size + 2;
      }
      resolve(chunks);
    });
    const payload = JSON.stringify(body);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n` +
        payload,
    );
  });
}

async function requests(base) {
  return (await fetch(`${base}/__requests`)).json();
}

describe('fake LLM server', () => {
  let real;
  let custom;
  let customDir;

  before(async () => {
    customDir = mkdtempSync(join(tmpdir(), 'fake-llm-'));
    writeFileSync(
      join(customDir, 'split.0.sse'),
      'data: one\n\n#! flush\ndata: tw\n#! chop\n#! flush\no\n\n#! delay 30\ndata: three\n\n',
    );
    writeFileSync(join(customDir, 'whole.0.json'), '#! header X-Test: yes\n{"ok":true}\n');
    writeFileSync(join(customDir, 'late.0.json'), '#! wait 200\n{"late":true}\n');
    writeFileSync(join(customDir, 'props.json'), '{"default_generation_settings":{"n_ctx":8192},"total_slots":1}\n');
    writeFileSync(
      join(customDir, 'whole.show.json'),
      '{"parameters":"","model_info":{"general.architecture":"llama","llama.context_length":131072}}\n',
    );
    writeFileSync(join(customDir, 'delayed.0.json'), '#! delay 20\n{"ok":true}\n');
    writeFileSync(join(customDir, 'qwen.show.json'), '{"parameters":"num_ctx 8192","model_info":{"general.architecture":"qwen2","qwen2.context_length":32768}}');
    [real, custom] = await Promise.all([startServer(transcripts), startServer(customDir)]);
  });

  after(async () => {
    await Promise.all([stop(real), stop(custom)]);
    rmSync(customDir, { recursive: true, force: true });
  });

  test('sends each write as its own chunk, a chop mid-line, a delay as a split', async () => {
    const chunks = await rawChunks(custom.port, '/v1/chat/completions', {
      model: 'split',
      stream: true,
      messages: [],
    });
    assert.deepEqual(chunks, ['data: one\n\n', 'data: tw', 'o\n\n', 'data: three\n\n']);
  });

  test('sends a one-write transcript with Content-Length and its headers', async () => {
    const res = await chat(custom.base, { model: 'whole', messages: [] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-test'), 'yes');
    assert.equal(res.headers.get('content-length'), '12');
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { ok: true });
  });

  test('streams hello with the event-stream type and ends with [DONE]', async () => {
    const res = await chat(real.base, { model: 'hello', stream: true, messages: [] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const text = await res.text();
    assert.ok(text.endsWith('data: [DONE]\n\n'));
  });

  test('answers a transcript status and body, as llama-server refuses tools with stream', async () => {
    const res = await chat(real.base, { model: 'llamacpp-tools', stream: true, messages: [] });
    assert.equal(res.status, 500);
    assert.match(res.headers.get('content-type'), /application\/json/);
    const body = await res.json();
    assert.equal(body.error.message, 'Cannot use tools with stream');
  });

  test('picks the turn from the number of assistant messages', async () => {
    await fetch(`${real.base}/__reset`, { method: 'POST' });
    const res = await chat(real.base, {
      model: 'llamacpp-tools',
      stream: false,
      messages: [
        { role: 'user', content: 'what is on my list?' },
        { role: 'assistant', content: '', tool_calls: [] },
        { role: 'tool', tool_call_id: 'call_q7Zk2mNc', content: '1. Water the plants' },
      ],
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).object, 'chat.completion');
    const [record] = await requests(real.base);
    assert.equal(record.file, 'llamacpp-tools.1.json');
  });

  test('cuts the connection in the middle of the stream', async () => {
    const res = await chat(real.base, { model: 'cut', stream: true, messages: [] });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let received = '';
    const decoder = new TextDecoder();
    await assert.rejects(async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += decoder.decode(value, { stream: true });
      }
    });
    assert.match(received, /half of/);
    assert.ok(!received.includes('[DONE]'));
  });

  test('hangs until the client leaves, and records when it left', async () => {
    await fetch(`${real.base}/__reset`, { method: 'POST' });
    const abort = new AbortController();
    const res = await fetch(`${real.base}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'hang', messages: [] }),
      signal: abort.signal,
    });
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    const { value } = await res.body.getReader().read();
    assert.match(new TextDecoder().decode(value), /Let me think/);
    const stopped = Date.now();
    abort.abort();
    const deadline = Date.now() + 5000;
    let record;
    while (Date.now() < deadline) {
      [record] = await requests(real.base);
      if (record.client_closed_at !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.notEqual(record.hang_at, null);
    assert.ok(record.client_closed_at >= stopped - 5, JSON.stringify(record));
    assert.equal(record.completed_at, null);
  });

  test('holds the status line through a leading delay, then answers whole', async () => {
    await fetch(`${custom.base}/__reset`, { method: 'POST' });
    const res = await chat(custom.base, { model: 'delayed', messages: [] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '12');
    assert.deepEqual(await res.json(), { ok: true });
    const [record] = await requests(custom.base);
    assert.equal(record.first_byte_delay_ms, 20);
  });

  test('sends no byte of firstbyte for 3 minutes, and records a client that gave up', async () => {
    await fetch(`${real.base}/__reset`, { method: 'POST' });
    const abort = new AbortController();
    const answer = fetch(`${real.base}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'firstbyte', stream: true, messages: [] }),
      signal: abort.signal,
    }).catch((e) => e);
    const deadline = Date.now() + 5000;
    let record;
    while (Date.now() < deadline) {
      [record] = await requests(real.base);
      if (record) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(record.file, 'firstbyte.0.sse');
    abort.abort();
    assert.equal((await answer).name, 'AbortError');  // no headers had come
    while (Date.now() < deadline) {
      [record] = await requests(real.base);
      if (record.client_closed_at !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.notEqual(record.client_closed_at, null, JSON.stringify(record));
    assert.equal(record.completed_at, null);
  });

  test('answers GET /props from props.json, and 404 as vLLM does without it', async () => {
    const props = await fetch(`${custom.base}/props`);
    assert.equal(props.status, 200);
    assert.equal((await props.json()).default_generation_settings.n_ctx, 8192);
    const none = await fetch(`${real.base}/props`);
    assert.equal(none.status, 404);
    assert.deepEqual(await none.json(), { detail: 'Not Found' });
  });

  test("answers Ollama's POST /api/show from MODEL.show.json, and its 404", async () => {
    const show = await fetch(`${custom.base}/api/show`, { method: 'POST', body: '{"model":"qwen"}' });
    assert.equal(show.status, 200);
    assert.equal((await show.json()).model_info['qwen2.context_length'], 32768);
    const none = await fetch(`${custom.base}/api/show`, { method: 'POST', body: '{"model":"nope"}' });
    assert.equal(none.status, 404);
    assert.deepEqual(await none.json(), { error: "model 'nope' not found" });
  });

  test('records method, path, headers and the parsed body of every request', async () => {
    await fetch(`${real.base}/__reset`, { method: 'POST' });
    await (await chat(real.base, { model: 'hello', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { Authorization: 'Bearer sk-test' })).text();
    await (await fetch(`${real.base}/api/tags`)).json();
    const log = await requests(real.base);
    assert.equal(log.length, 2);
    assert.equal(log[0].method, 'POST');
    assert.equal(log[0].path, '/v1/chat/completions');
    assert.equal(log[0].headers.authorization, 'Bearer sk-test');
    assert.deepEqual(log[0].body.messages, [{ role: 'user', content: 'hi' }]);
    assert.equal(log[0].file, 'hello.0.sse');
    assert.notEqual(log[0].completed_at, null);
    assert.equal(log[1].path, '/api/tags');
  });

  test('lists the scenarios in both shapes and 404s an unknown model', async () => {
    const models = await (await fetch(`${real.base}/v1/models`)).json();
    assert.ok(models.data.some((m) => m.id === 'toolcall'));
    const tags = await (await fetch(`${real.base}/api/tags`)).json();
    assert.ok(tags.models.some((m) => m.name === 'hello'));

    const openai = await chat(real.base, { model: 'nope', stream: true, messages: [] });
    assert.equal(openai.status, 404);
    assert.match((await openai.json()).error.message, /model not found/);
    const ollama = await fetch(`${real.base}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'nope', messages: [] }),
    });
    assert.equal(ollama.status, 404);
    assert.match((await ollama.json()).error, /model not found/);
  });

  test('answers a request with tools from the .tools. transcript, as llama-server without --jinja', async () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const refused = await chat(real.base, { model: 'nojinja', messages: [], tools, stream: true });
    assert.equal(refused.status, 500);
    assert.deepEqual(await refused.json(), {
      error: { code: 500, message: 'tools param requires --jinja flag', type: 'server_error' },
    });
    const answered = await chat(real.base, { model: 'nojinja', messages: [], stream: true });
    assert.equal(answered.status, 200);
    assert.match(await answered.text(), /without tools/);
    const ollama = await fetch(`${real.base}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'ollama-notools', messages: [], tools }),
    });
    assert.equal(ollama.status, 400);
    assert.match((await ollama.json()).error, /does not support tools$/);
  });

  test('waits before the status line when a transcript says #! wait', async () => {
    const started = Date.now();
    const response = await fetch(`${custom.base}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'late', messages: [] }),
    });
    assert.ok(Date.now() - started >= 200);
    assert.deepEqual(await response.json(), { late: true });
  });

  test('answers /props from props.json and /api/show from <model>.show.json', async () => {
    const props = await fetch(`${custom.base}/props`);
    assert.equal(props.status, 200);
    assert.equal((await props.json()).default_generation_settings.n_ctx, 8192);
    const show = await fetch(`${custom.base}/api/show`, { method: 'POST', body: '{"model":"whole"}' });
    assert.equal(show.status, 200);
    assert.equal((await show.json()).model_info['llama.context_length'], 131072);
    const missing = await fetch(`${custom.base}/api/show`, { method: 'POST', body: '{"model":"x"}' });
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "model 'x' not found" });
    assert.equal((await fetch(`${real.base}/props`)).status, 404);
  });

  test('streams Ollama unless asked not to', async () => {
    const streamed = await fetch(`${real.base}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'hello', messages: [] }),
    });
    const lines = (await streamed.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.at(-1).done, true);
    const whole = await fetch(`${real.base}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'hello', stream: false, messages: [] }),
    });
    assert.equal((await whole.json()).done, true);
  });
});

// Every recorded answer must be what its server would send, or the unit tests that read these
// files test the wrong thing.
describe('transcripts', () => {
  const files = readdirSync(transcripts);

  function events(body) {
    const out = [];
    let data = null;
    for (const line of body.split(/\r\n|\r|\n/)) {
      if (line === '') {
        if (data !== null) out.push(data);
        data = null;
      } else if (line.startsWith('data:')) {
        const value = line.slice(5).replace(/^ /, '');
        data = data === null ? value : `${data}\n${value}`;
      } else if (line.startsWith('error:')) {
        out.push(`error:${line.slice(6)}`);
      }
    }
    return out;
  }

  for (const name of files) {
    test(`${name} is well-formed`, () => {
      const response = parseTranscript(readFileSync(join(transcripts, name)));
      const body = Buffer.concat(response.steps.filter((s) => s.op === 'write').map((s) => s.data))
        .toString('utf8');
      const interrupted = response.steps.some((s) => s.op === 'cut' || s.op === 'hang');
      const cut = response.steps.some((s) => s.op === 'cut');
      if (response.status !== 200 || name.endsWith('.json')) {
        if (/json/.test(response.headers['Content-Type'] ?? 'json')) JSON.parse(body);
        return;
      }
      if (name.endsWith('.sse')) {
        const list = events(body);
        if (!interrupted) assert.equal(list.at(-1), '[DONE]');
        for (const data of list) {
          if (data === '[DONE]') continue;
          const chunk = JSON.parse(data.startsWith('error:') ? data.slice(6) : data);
          if (!data.startsWith('error:') && !chunk.error) {
            assert.equal(chunk.object, 'chat.completion.chunk');
            assert.ok(Array.isArray(chunk.choices));
          }
        }
      } else {
        const lines = body.split('\n').filter((l) => l !== '');
        const complete = cut ? lines.slice(0, -1) : lines;
        for (const line of complete) JSON.parse(line);
        if (!interrupted) {
          const last = JSON.parse(lines.at(-1));
          assert.ok(last.done === true || typeof last.error === 'string');
        }
      }
    });
  }
});
