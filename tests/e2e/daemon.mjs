// SPDX-License-Identifier: Apache-2.0
// Starts a private hearthd for end-to-end tests: its own XDG directories in a temp dir, a port the
// kernel picks (no LISTEN_FDS), readiness taken from the "listening on" line it logs at the moment
// it sends READY=1. Also starts the fake LLM server (tests/fake_llm) for it to talk to. Every wait
// has a deadline; nothing sleeps.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const kFakeLlm = join(dirname(fileURLToPath(import.meta.url)), '..', 'fake_llm', 'server.mjs');

const kReadyLine = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/;
const kLoginUrl = /^http:\/\/h-[0-9a-f]{40}\.localhost:\d+\/login\?token=[0-9a-f-]{36}$/;

// Rejects with `message` unless `promise` settles within `ms`.
export function withDeadline(promise, ms, message) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (no result within ${ms} ms)`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class Daemon {
  constructor(binary, root, env, child) {
    this.binary = binary;
    this.root = root;
    this.env = env;
    this.child = child;
    this.url = '';   // "http://h-….localhost:PORT/": Hearth's own host name, where its pages are
    this.loopbackUrl = '';  // "http://127.0.0.1:PORT/": the address it listens on
    this.port = 0;
    this.log = '';   // everything it wrote to stderr so far
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid() {
    return this.child.pid;
  }

  // Prints a fresh single-use login URL, as `hearthd --login-url` does for a user.
  async loginUrl(timeoutMs = 10_000) {
    const stdout = await new Promise((resolve, reject) => {
      execFile(this.binary, ['--login-url'], { env: this.env, timeout: timeoutMs },
               (error, out, err) => {
                 if (error) reject(new Error(`hearthd --login-url failed: ${error.message}\n${err}`));
                 else resolve(out);
               });
    });
    const url = stdout.trim();
    if (!kLoginUrl.test(url) || !url.startsWith(this.url)) {
      throw new Error(`hearthd --login-url printed an unexpected line: ${JSON.stringify(stdout)}`);
    }
    return url;
  }

  // Sends SIGTERM to the daemon (by PID) and resolves with its exit status.
  async stop(timeoutMs = 10_000) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.child.pid, 'SIGTERM');
    }
    return withDeadline(this.exited, timeoutMs, 'hearthd did not exit after SIGTERM');
  }

  // Kills a daemon that would not stop, and removes the temp dir.
  async cleanup() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.child.pid, 'SIGKILL');
      await withDeadline(this.exited, 10_000, 'hearthd survived SIGKILL').catch(() => {});
    }
    await rm(this.root, { recursive: true, force: true });
  }
}

// Starts hearthd and resolves once it serves HTTP. `config` (an object), when given, is written as
// $XDG_CONFIG_HOME/hearth/config.json first; `home`, when given, is its HOME (what "~" means in
// that file).
export async function startDaemon(binary, { timeoutMs = 10_000, config, home } = {}) {
  if (!binary) throw new Error('set HEARTHD to the path of the hearthd binary');
  const root = await mkdtemp(join(tmpdir(), 'hearth-e2e-'));
  const dirs = {
    XDG_DATA_HOME: join(root, 'data'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_RUNTIME_DIR: join(root, 'runtime'),
  };
  await mkdir(dirs.XDG_DATA_HOME, { mode: 0o700 });
  await mkdir(dirs.XDG_CONFIG_HOME, { mode: 0o700 });
  await mkdir(dirs.XDG_RUNTIME_DIR, { mode: 0o700 });
  if (config !== undefined) {
    const dir = join(dirs.XDG_CONFIG_HOME, 'hearth');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
  }

  const env = { ...process.env, ...dirs };
  if (home !== undefined) env.HOME = home;
  // Not started by systemd: hearthd must bind 127.0.0.1:0 itself and notify nobody.
  for (const name of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC',
                      'WATCHDOG_PID']) {
    delete env[name];
  }

  const child = spawn(binary, [], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const daemon = new Daemon(binary, root, env, child);
  child.stderr.setEncoding('utf8');

  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stderr.on('data', (chunk) => {
      daemon.log += chunk;
      const m = kReadyLine.exec(daemon.log);
      if (m && !daemon.loopbackUrl) {
        daemon.loopbackUrl = m[1];
        daemon.port = Number(m[2]);
        // Made before the backend first starts, so it is there once hearthd serves. Chromium
        // resolves .localhost names to loopback itself.
        readFile(join(dirs.XDG_DATA_HOME, 'hearth', 'host'), 'utf8').then((name) => {
          daemon.url = `http://${name.trim()}:${daemon.port}/`;
          resolve();
        }, reject);
      }
    });
    daemon.exited.then(({ code, signal }) => {
      reject(new Error(`hearthd exited before it was ready (code ${code}, signal ${signal}):\n` +
                       daemon.log));
    });
  });
  try {
    await withDeadline(ready, timeoutMs, 'hearthd did not log "listening on http://127.0.0.1:PORT/"');
  } catch (e) {
    await daemon.cleanup();
    throw e;
  }
  return daemon;
}

// The request agent/titles.cpp sends, by its instructions.
function isTitleRequest(request) {
  const first = request.body?.messages?.[0]?.content;
  return typeof first === 'string' && first.startsWith('You name conversations');
}

// The fake LLM server, started by startFakeLlm.
export class FakeLlm {
  constructor(child) {
    this.child = child;
    this.url = '';  // "http://127.0.0.1:PORT", no trailing slash: base URLs are url + "/v1"
    this.log = '';  // everything it wrote to stderr so far
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { this.log += chunk; });
  }

  // Every request so far, as the server recorded them (see tests/fake_llm/README.md), but the
  // title requests Hearth sends after a conversation's first exchange (agent/titles.h), which
  // come after the run has ended: titleRequests() lists those.
  async requests() {
    return (await this.allRequests()).filter((r) => !isTitleRequest(r));
  }

  async titleRequests() {
    return (await this.allRequests()).filter(isTitleRequest);
  }

  async allRequests() {
    const response = await fetch(`${this.url}/__requests`);
    if (!response.ok) throw new Error(`fake LLM: GET /__requests answered ${response.status}`);
    return response.json();
  }

  // Only the chat requests (/v1/chat/completions, /api/chat), leaving out the look-ups beside
  // them (the context size Hearth asks a server for a long request: /props, /v1/models).
  async chatRequests() {
    return (await this.requests()).filter(
      (r) => r.path === '/v1/chat/completions' || r.path === '/api/chat');
  }

  // Forgets the requests so far.
  async reset() {
    const response = await fetch(`${this.url}/__reset`, { method: 'POST' });
    if (!response.ok) throw new Error(`fake LLM: POST /__reset answered ${response.status}`);
  }

  // Sends SIGTERM (by PID) and resolves with its exit status; SIGKILL if that is not enough.
  async stop(timeoutMs = 10_000) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.child.pid, 'SIGTERM');
    }
    try {
      return await withDeadline(this.exited, timeoutMs, 'the fake LLM did not exit after SIGTERM');
    } catch (e) {
      process.kill(this.child.pid, 'SIGKILL');
      throw e;
    }
  }
}

// Starts tests/fake_llm/server.mjs (on the transcripts beside it, or those in the directory
// `transcripts`) and resolves once it prints the port it listens on.
export async function startFakeLlm({ timeoutMs = 10_000, transcripts } = {}) {
  const args = [kFakeLlm];
  if (transcripts) args.push('--transcripts', transcripts);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const fake = new FakeLlm(child);

  const listening = new Promise((resolve, reject) => {
    child.once('error', reject);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline < 0 || fake.url) return;
      const line = out.slice(0, newline);
      let port;
      try {
        port = JSON.parse(line).port;
      } catch {
        // reported below
      }
      if (!Number.isInteger(port) || port <= 0) {
        reject(new Error(`the fake LLM printed ${JSON.stringify(line)}, not {"port":N}`));
        return;
      }
      fake.url = `http://127.0.0.1:${port}`;
      resolve();
    });
    fake.exited.then(({ code, signal }) => {
      reject(new Error(`the fake LLM exited before it listened (code ${code}, ` +
                       `signal ${signal}):\n${fake.log}`));
    });
  });
  try {
    await withDeadline(listening, timeoutMs, 'the fake LLM did not print {"port":N}');
  } catch (e) {
    await fake.stop().catch(() => {});
    throw e;
  }
  return fake;
}
