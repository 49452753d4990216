// SPDX-License-Identifier: Apache-2.0
// A fake LLM server for tests: replays recorded answers in the OpenAI-compatible (SSE) and Ollama
// (NDJSON) wire formats, byte for byte, with the splits, delays, cuts and hangs the transcript
// asks for, and records every request it gets. Node 20, standard library only.
//
//   node server.mjs [--transcripts DIR]
//
// Listens on 127.0.0.1, port 0; prints {"port":N} on one line when ready; exits on SIGTERM.
// The format of DIR is described in README.md beside this file.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const kMaxRequestBytes = 64 << 20;
const kTranscriptName = /^(.+)\.(\d+)\.(?:(tools)\.)?(ollama\.json|sse|json|ndjson)$/;
const kContentTypes = {
  sse: 'text/event-stream',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
  'ollama.json': 'application/json; charset=utf-8',
};

function parseArgs(argv) {
  let dir = join(dirname(fileURLToPath(import.meta.url)), 'transcripts');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--transcripts' && i + 1 < argv.length) {
      dir = argv[++i];
    } else {
      process.stderr.write(`usage: node server.mjs [--transcripts DIR]\n`);
      process.exit(2);
    }
  }
  return { dir };
}

// The transcripts in DIR: file name -> {model, turn, kind}. Read on every request, so a test may
// add files while the server runs; only names listed here are ever opened.
function listTranscripts(dir) {
  const files = new Map();
  for (const name of readdirSync(dir)) {
    const m = kTranscriptName.exec(name);
    if (m) files.set(name, { model: m[1], turn: Number(m[2]), tools: m[3] === 'tools', kind: m[4] });
  }
  return files;
}

// Splits a transcript into its response: status, headers, and steps (write, delay, cut, hang).
// Directive lines start with "#!" and are not sent; every other byte is.
export function parseTranscript(bytes) {
  const response = { status: 200, headers: {}, steps: [] };
  let pending = [];
  const flush = () => {
    if (pending.length > 0) response.steps.push({ op: 'write', data: Buffer.concat(pending) });
    pending = [];
  };
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    end = end < 0 ? bytes.length : end + 1;
    const line = bytes.subarray(start, end);
    start = end;
    if (!(line[0] === 0x23 && line[1] === 0x21)) {  // "#!"
      pending.push(line);
      continue;
    }
    const text = line.toString('utf8').slice(2).trim();
    const space = text.indexOf(' ');
    const op = space < 0 ? text : text.slice(0, space);
    const arg = space < 0 ? '' : text.slice(space + 1).trim();
    switch (op) {
      case 'status':
        response.status = Number(arg);
        break;
      case 'header': {
        const colon = arg.indexOf(':');
        response.headers[arg.slice(0, colon).trim()] = arg.slice(colon + 1).trim();
        break;
      }
      case 'chop': {  // drop the line break before this line
        const last = pending.pop();
        if (last) {
          let n = last.length;
          if (n > 0 && last[n - 1] === 0x0a) n--;
          if (n > 0 && last[n - 1] === 0x0d) n--;
          pending.push(last.subarray(0, n));
        }
        break;
      }
      case 'flush':
        flush();
        break;
      case 'delay':
        flush();
        response.steps.push({ op: 'delay', ms: Number(arg) });
        break;
      case 'wait':  // before anything, the status line included: a server that answers whole
        response.wait = Number(arg);
        break;
      case 'cut':
      case 'hang':
        flush();
        response.steps.push({ op });
        break;
      default:
        throw new Error(`unknown transcript directive "#! ${op}"`);
    }
  }
  flush();
  return response;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > kMaxRequestBytes) {
        reject(new Error('request too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function write(res, data) {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    res.write(data, (err) => resolve(!err));
  });
}

async function replay(res, response, kind, record) {
  if (response.wait) {
    await sleep(response.wait);
    if (res.destroyed) return;
  }
  const headers = { 'Content-Type': kContentTypes[kind], ...response.headers };
  // Delays before the first write come before the status line too: a server reading a long
  // prompt, or generating an answer it does not stream, sends no byte at all until it is done.
  let steps = response.steps;
  while (steps.length > 0 && steps[0].op === 'delay') {
    record.first_byte_delay_ms = (record.first_byte_delay_ms ?? 0) + steps[0].ms;
    await sleep(steps[0].ms);
    steps = steps.slice(1);
    if (res.destroyed || res.socket?.destroyed) return;
  }
  response = { ...response, steps };
  const streaming = response.steps.some((s) => s.op !== 'write') || response.steps.length > 1;
  if (!streaming) {
    const body = response.steps.length ? response.steps[0].data : Buffer.alloc(0);
    res.writeHead(response.status, { ...headers, 'Content-Length': body.length });
    res.end(body, () => { record.completed_at = Date.now(); });
    return;
  }
  // Chunked, like llama-server and Ollama: every write is its own chunk and its own send.
  res.writeHead(response.status, headers);
  res.flushHeaders();
  for (const step of response.steps) {
    if (res.destroyed) return;
    if (step.op === 'write') {
      if (!(await write(res, step.data))) return;
    } else if (step.op === 'delay') {
      await sleep(step.ms);
    } else if (step.op === 'cut') {
      record.cut_at = Date.now();
      res.socket?.destroy();
      return;
    } else if (step.op === 'hang') {
      record.hang_at = Date.now();
      return;  // until the client goes away; 'close' records when
    }
  }
  res.end(() => { record.completed_at = Date.now(); });
}

function notFound(res, ollama, model) {
  const message = `model not found: "${model}"`;
  if (ollama) {
    sendJson(res, 404, { error: message });
  } else {
    sendJson(res, 404, { error: { code: 404, message, type: 'not_found_error' } });
  }
}

function main() {
  const { dir } = parseArgs(process.argv.slice(2));
  let requests = [];

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const path = url.pathname;
      if (path === '/__requests' && req.method === 'GET') return sendJson(res, 200, requests);
      if (path === '/__reset' && req.method === 'POST') {
        requests = [];
        return sendJson(res, 200, { ok: true });
      }

      const raw = await readBody(req);
      let body = raw.length ? raw.toString('utf8') : null;
      try {
        if (body !== null) body = JSON.parse(body);
      } catch {
        // kept as text: a test may want to see what was sent
      }
      const record = {
        id: requests.length,
        received_at: Date.now(),
        method: req.method,
        path,
        headers: req.headers,
        body,
        file: null,
        status: null,
        completed_at: null,  // the whole answer was sent
        cut_at: null,  // "#! cut" closed the connection
        hang_at: null,  // "#! hang" began
        client_closed_at: null,  // the client closed the connection before the answer was complete
        closed_at: null,
      };
      requests.push(record);
      res.on('close', () => {
        if (record.completed_at === null && record.cut_at === null) {
          record.client_closed_at = Date.now();
        }
        record.closed_at = Date.now();
      });

      const files = listTranscripts(dir);
      if (req.method === 'GET' && (path === '/v1/models' || path === '/api/tags')) {
        const names = [...new Set([...files.values()].map((f) => f.model))].sort();
        record.status = 200;
        if (path === '/v1/models') {
          return sendJson(res, 200, {
            object: 'list',
            data: names.map((id) => ({ id, object: 'model', created: 1735689600, owned_by: 'llamacpp' })),
          });
        }
        return sendJson(res, 200, {
          models: names.map((name) => ({
            name,
            model: name,
            modified_at: '2025-01-01T12:00:00.000000Z',
            size: 4683087332,
            digest: 'sha256:' + '0'.repeat(64),
            details: { format: 'gguf', family: 'llama', parameter_size: '8.0B', quantization_level: 'Q4_K_M' },
          })),
        });
      }

      // llama-server's GET /props (one per server: props.json) and Ollama's POST /api/show
      // (<model>.show.json), where they tell a model's context size.
      // Without props.json, the 404 that servers without the route answer (vLLM's FastAPI).
      if (req.method === 'GET' && path === '/props') {
        if (!existsSync(join(dir, 'props.json'))) {
          record.status = 404;
          return sendJson(res, 404, { detail: 'Not Found' });
        }
        const response = parseTranscript(readFileSync(join(dir, 'props.json')));
        record.file = 'props.json';
        record.status = response.status;
        return await replay(res, response, 'json', record);
      }
      if (req.method === 'POST' && path === '/api/show') {
        const model = String(body?.model ?? body?.name ?? '');
        const name = `${model}.show.json`;
        if (!/^[^/\\]+$/.test(model) || !existsSync(join(dir, name))) {
          record.status = 404;
          return sendJson(res, 404, { error: `model '${model}' not found` });
        }
        const response = parseTranscript(readFileSync(join(dir, name)));
        record.file = name;
        record.status = response.status;
        return await replay(res, response, 'ollama.json', record);
      }

      const openai = req.method === 'POST' && path === '/v1/chat/completions';
      const ollama = req.method === 'POST' && path === '/api/chat';
      if (!openai && !ollama) {
        record.status = 404;
        return sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
      }
      if (body === null || typeof body !== 'object') {
        record.status = 400;
        return sendJson(res, 400, { error: { code: 400, message: 'the body is not JSON', type: 'invalid_request_error' } });
      }
      const model = String(body.model ?? '');
      const messages = Array.isArray(body.messages) ? body.messages : [];
      const turn = messages.filter((m) => m && m.role === 'assistant').length;
      // OpenAI answers whole unless asked to stream; Ollama streams unless asked not to.
      const kind = openai ? (body.stream === true ? 'sse' : 'json') : (body.stream === false ? 'ollama.json' : 'ndjson');
      // A request with tools gets <model>.<turn>.tools.<kind> when there is one: how a scenario
      // answers differently with and without tools (a server that refuses them).
      const withTools = Array.isArray(body.tools) && body.tools.length > 0;
      const toolsName = `${model}.${turn}.tools.${kind}`;
      const name = withTools && files.has(toolsName) ? toolsName : `${model}.${turn}.${kind}`;
      if (!files.has(name)) {
        record.status = 404;
        return notFound(res, ollama, model);
      }
      const response = parseTranscript(readFileSync(join(dir, name)));
      record.file = name;
      record.status = response.status;
      await replay(res, response, kind, record);
    } catch (err) {
      if (!res.headersSent) {
        sendJson(res, 500, { error: { code: 500, message: `fake server: ${err.message}`, type: 'server_error' } });
      } else {
        res.destroy();
      }
    }
  });
  server.keepAliveTimeout = 5000;

  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
