#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A scripted MCP server (stdio, newline-delimited JSON-RPC 2.0) for Hearth's client tests. Node
// standard library only. Options:
//   --version=V           answer `initialize` with protocol version V (default: the one asked
//                         for, when it is 2025-06-18 or newer, else 2025-06-18)
//   --early-list-changed  send notifications/tools/list_changed before the initialize answer
//   --page-size=N         list tools N at a time, with cursors
//   --no-tools            announce no tools capability
//   --bad-init            answer `initialize` with a string instead of an object
//   --bad-list            answer tools/list without a tools array
//   --twins               also list "twin.a" and "twin_a", which answer with their own name
// Tools (see TOOLS below) let each test provoke one behaviour: a crash, a hang, an oversized
// line, requests of its own to the client, and so on.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const options = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? true];
  }),
);

const seen = { initialize: null, initialized: false, cancelled: [] };
const waiting = new Map(); // our requests to the client, by id
let nextId = 1;
let extraTool = false;

function send(message) {
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
}
function text(value, isError = false) {
  return { content: [{ type: 'text', text: String(value) }], isError };
}
function ask(method, params) {
  const id = `srv-${nextId++}`;
  send({ id, method, params });
  return new Promise((resolve) => waiting.set(id, resolve));
}

const TOOLS = {
  echo: async (args) => text(args.text ?? ''),
  fail: async () => text('it failed on purpose', true),
  crash: async () => {
    process.stderr.write('fake server: crashing on purpose\n');
    process.exit(3);
  },
  hang: async () => new Promise(() => {}),
  big: async (args) => text('x'.repeat(Number(args.bytes ?? 100000))),
  mixed: async () => ({
    content: [
      { type: 'text', text: 'before' },
      { type: 'image', data: 'AAAA'.repeat(1024), mimeType: 'image/png' },
      { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
      { type: 'resource', resource: { uri: 'file:///r.txt', mimeType: 'text/plain', text: 'R' } },
      { type: 'resource_link', uri: 'file:///l.txt', name: 'l.txt' },
      { type: 'hologram' },
      { type: 'text', text: 'after' },
    ],
  }),
  structured: async () => ({ content: [], structuredContent: { answer: 42 } }),
  weird: async () => {
    send({ method: 'notifications/message', params: ['not', 'an', 'object'] });
    send({ method: 'notifications/message', params: { level: { no: 1 }, data: { a: 1 } } });
    send({ id: 'odd', method: 'ping', params: 'not structured' });
    return { content: [1, 'two', { type: 'resource', resource: 5 }, { type: 7 }, null] };
  },
  probe: async () => {
    const [ping, roots, sampling] = await Promise.all([
      ask('ping'),
      ask('roots/list'),
      ask('sampling/createMessage', { messages: [], maxTokens: 1 }),
    ]);
    return text(JSON.stringify({ ping, roots, sampling }));
  },
  add_tool: async () => {
    extraTool = true;
    send({ method: 'notifications/tools/list_changed' });
    return text('added');
  },
  seen: async () => text(JSON.stringify(seen)),
  pid: async () => text(process.pid),
  noise: async () => {
    process.stdout.write('this is not JSON\n{"jsonrpc": "2.0", "id": "nobody", "result": {}}\n');
    return text('after the noise');
  },
  stderr_spam: async () => {
    const chunk = 'e'.repeat(1023) + '\n';
    for (let i = 0; i < 1024; i++) process.stderr.write(chunk);
    return text('said a lot');
  },
  env: async (args) => text(process.env[args.name] ?? '(unset)'),
  read: async (args) => {
    try {
      return text(readFileSync(args.path, 'utf8'));
    } catch (error) {
      return text(`cannot read: ${error.code}`, true);
    }
  },
};

function toolList() {
  const names = Object.keys(TOOLS);
  if (extraTool) names.push('extra');
  if (options.twins) names.push('twin.a', 'twin_a');
  return names.map((name) => ({
    name,
    description: `The ${name} tool.`,
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  }));
}

async function handle(message) {
  if (message.method === undefined) {
    const resolve = waiting.get(message.id);
    if (resolve) {
      waiting.delete(message.id);
      resolve(message.error ? { error: message.error } : { result: message.result });
    }
    return;
  }
  const { id, method, params } = message;
  if (id === undefined) {
    if (method === 'notifications/initialized') seen.initialized = true;
    if (method === 'notifications/cancelled') seen.cancelled.push(params.requestId);
    return;
  }
  switch (method) {
    case 'initialize': {
      seen.initialize = params;
      if (options['bad-init']) {
        send({ id, result: 'not an object' });
        return;
      }
      if (options['early-list-changed']) send({ method: 'notifications/tools/list_changed' });
      const asked = params.protocolVersion;
      const version = options.version ?? (asked >= '2025-06-18' ? asked : '2025-06-18');
      const capabilities = options['no-tools'] ? {} : { tools: { listChanged: true } };
      send({
        id,
        result: { protocolVersion: version, capabilities, serverInfo: { name: 'fake', version: '1.0' } },
      });
      return;
    }
    case 'ping':
      send({ id, result: {} });
      return;
    case 'tools/list': {
      if (options['bad-list']) {
        send({ id, result: { tools: 'none' } });
        return;
      }
      const all = toolList();
      const size = Number(options['page-size'] ?? all.length);
      const start = Number(params?.cursor ?? 0);
      const result = { tools: all.slice(start, start + size) };
      if (start + size < all.length) result.nextCursor = String(start + size);
      send({ id, result });
      return;
    }
    case 'tools/call': {
      const named = params.name === 'extra' || params.name.startsWith('twin');
      const tool = TOOLS[params.name] ?? (named ? async () => text(params.name) : null);
      if (!tool) {
        send({ id, error: { code: -32602, message: `Unknown tool: ${params.name}` } });
        return;
      }
      send({ id, result: await tool(params.arguments ?? {}) });
      return;
    }
    default:
      send({ id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  handle(JSON.parse(line)).catch((error) => process.stderr.write(`${error.stack}\n`));
});
