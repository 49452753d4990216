// Starts a private hearthd for end-to-end tests: its own XDG directories in a temp dir, a port the
// kernel picks (no LISTEN_FDS), readiness taken from the "listening on" line it logs at the moment
// it sends READY=1. Every wait has a deadline; nothing sleeps.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kReadyLine = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/;
const kLoginUrl = /^http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f-]{36}$/;

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
    this.url = '';   // "http://127.0.0.1:PORT/"
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

// Starts hearthd and resolves once it serves HTTP.
export async function startDaemon(binary, { timeoutMs = 10_000 } = {}) {
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

  const env = { ...process.env, ...dirs };
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
      if (m && !daemon.url) {
        daemon.url = m[1];
        daemon.port = Number(m[2]);
        resolve();
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
