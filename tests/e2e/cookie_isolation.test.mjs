// SPDX-License-Identifier: Apache-2.0
// End-to-end: the session cookie stays with Hearth. A browser sends a cookie to every port of the
// host that set it, so another server on 127.0.0.1 that the user opens (another user's process, a
// dev server, a link in an answer) would receive a cookie set there, and a page there could set
// cookies that Hearth then receives. Hearth's pages live under a host name of their own
// (h-….localhost); these scenarios show, in Chromium, what another local server gets and what
// its cookies do. The other server is a tiny logging server on a port of its own.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { assertNoProblems, closeAllContexts, expectProblems, kTimeout, launch, newConversation,
         problems, send } from './browser.mjs';
import { startDaemon, withDeadline } from './daemon.mjs';

// Shaped like session cookies, but none; each tosser sets its own, so a test can tell them apart.
const kJunk = { js: 'a'.repeat(64), header: 'b'.repeat(64), domain: 'c'.repeat(64) };

// A server on 127.0.0.1:0 that records every request's Cookie header. /toss-js sets cookies from
// a script, /toss-header with Set-Cookie, /toss-domain with Domain=localhost (meant to be opened
// as evil.localhost:PORT); everything else is a plain page.
async function startLoggingServer() {
  const seen = [];  // {host, path, cookie}
  const server = http.createServer((req, res) => {
    if (req.url !== '/favicon.ico') {
      seen.push({ host: req.headers.host, path: req.url, cookie: req.headers.cookie ?? '' });
    }
    const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
    let body = '<!doctype html><title>another local server</title><p>hello';
    if (req.url === '/toss-js') {
      body += `<script>
        document.cookie = 'hearth_session=${kJunk.js}; path=/c';
        document.cookie = 'hearth_session=; path=/';
      </script>`;
    } else if (req.url === '/toss-header') {
      headers['Set-Cookie'] = [`hearth_session=${kJunk.header}; Path=/c; SameSite=Strict`,
                               'hearth_session=deleted; Path=/; Max-Age=0'];
    } else if (req.url === '/toss-domain') {
      headers['Set-Cookie'] = [`hearth_session=${kJunk.domain}; Domain=localhost; Path=/c`];
    }
    res.writeHead(200, headers);
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, seen, port: server.address().port };
}

// GET `path` from Hearth on 127.0.0.1:port naming `host`, with `cookie`; resolves with the status.
// Node's resolver (glibc) does not know .localhost names, so it connects to 127.0.0.1 and says the
// name in Host, as a browser does.
function replay(port, host, path, cookie) {
  return withDeadline(new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET',
                               headers: { Host: host, Cookie: cookie, 'HX-Request': 'true' } },
                             (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end();
  }), kTimeout, `GET ${path} from Hearth`);
}

let daemon;
let other;
let context;
let page;

describe('The session cookie', () => {
  before(async () => {
    daemon = await startDaemon(process.env.HEARTHD, { timeoutMs: kTimeout });
    other = await startLoggingServer();
    context = await launch('cookies');
    page = context.pages()[0] ?? await context.newPage();
    const response = await page.goto(await daemon.loginUrl());
    assert.equal(response.status(), 200);
    assert.equal(page.url(), daemon.url);
  });

  beforeEach(() => {
    problems.length = 0;
  });

  after(async () => {
    await closeAllContexts();
    if (other) await new Promise((resolve) => other.server.close(resolve));
    if (daemon) await daemon.cleanup();
  });

  it('lives on Hearth\'s own host name, host-only', async () => {
    assert.match(daemon.url, /^http:\/\/h-[0-9a-f]{40}\.localhost:\d+\/$/);
    const [session, ...more] = (await context.cookies(daemon.url))
      .filter((c) => c.name === 'hearth_session');
    assert.ok(session, 'signed in');
    assert.equal(more.length, 0);
    assert.equal(session.domain, new URL(daemon.url).hostname, 'host-only: no leading dot');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
  });

  it('gives a server on another local port nothing that authenticates', async () => {
    const id = await newConversation(page);
    await send(page, 'a secret only Hearth should see');
    const cookie = (await context.cookies(daemon.url)).find((c) => c.name === 'hearth_session');
    const own = `hearth_session=${cookie.value}`;
    // Our own cookie works when replayed to Hearth under its name: the check below can fail.
    assert.equal(await replay(daemon.port, new URL(daemon.url).host, `/c/${id}`, own), 200);

    other.seen.length = 0;
    for (const url of [`http://127.0.0.1:${other.port}/`, `http://localhost:${other.port}/`,
                       `http://127.0.0.1:${other.port}/c/${id}`]) {
      const response = await page.goto(url);
      assert.equal(response.status(), 200, url);
    }
    assert.equal(other.seen.length, 3, JSON.stringify(other.seen));
    for (const { host, path, cookie: received } of other.seen) {
      assert.doesNotMatch(received, /hearth_session/, `${host}${path} received ${received}`);
      // Whatever it got, replayed to Hearth on either address, opens nothing.
      for (const target of [new URL(daemon.url).host, `127.0.0.1:${daemon.port}`]) {
        const status = await replay(daemon.port, target, `/c/${id}`, received);
        assert.ok(status === 401 || status === 421, `replay to ${target} answered ${status}`);
      }
    }
    // The browser would not send it to Hearth's listening address either, nor to any other name.
    for (const url of [`http://127.0.0.1:${daemon.port}/`, `http://127.0.0.1:${other.port}/`,
                       `http://evil.localhost:${daemon.port}/`]) {
      const names = (await context.cookies(url)).map((c) => c.name);
      assert.ok(!names.includes('hearth_session'), `${url} has ${names}`);
    }
    assertNoProblems();
  });

  it('is neither signed out nor broken by cookies another local page sets', async () => {
    await page.goto(daemon.url);
    const id = await newConversation(page);
    await send(page, 'before the cookies were tossed');

    // Pages on another port toss cookies of the same name: from a script and in headers, with
    // path=/c (sent before ours, were it sent at all) and path=/ (overwriting, were it the same
    // host). One more tries Domain=localhost from evil.localhost, to reach every .localhost name.
    // Each is checked before the next tosses its own (the header's replaces the script's).
    const jar = async (url) => (await context.cookies(url))
      .filter((c) => c.name === 'hearth_session').map((c) => `${c.value}@${c.path}`);
    const loopbackConversation = `http://127.0.0.1:${daemon.port}/c/${id}`;
    assert.equal((await page.goto(`http://127.0.0.1:${other.port}/toss-js`)).status(), 200);
    assert.ok((await jar(loopbackConversation)).includes(`${kJunk.js}@/c`),
              'a script on another port sets a cookie that 127.0.0.1:HEARTH would receive');
    assert.equal((await page.goto(`http://127.0.0.1:${other.port}/toss-header`)).status(), 200);
    assert.ok((await jar(loopbackConversation)).includes(`${kJunk.header}@/c`),
              'so does a Set-Cookie from another port');
    assert.equal((await page.goto(`http://evil.localhost:${other.port}/toss-domain`)).status(),
                 200);
    // Chromium (156 here) refuses the Domain=localhost cookie altogether; were one kept, two cookies of
    // the name would reach Hearth, which tries each (tests/integration/host_isolation_test.cpp).
    const appConversation = new URL(`/c/${id}`, daemon.url).href;
    const mine = await jar(appConversation);
    assert.ok(!mine.some((c) => c.startsWith(kJunk.js) || c.startsWith(kJunk.header)),
              `cookies for 127.0.0.1 would reach Hearth's name: ${mine}`);

    // Every request Hearth's pages make from now on must carry our cookie, whatever else. (Not
    // the assets: Chromium serves those from its memory cache, and reports no Cookie for them.)
    const sent = [];
    const onRequest = async (r) => {
      if (r.url().startsWith(daemon.url) && !new URL(r.url()).pathname.startsWith('/assets/')) {
        sent.push((await r.allHeaders()).cookie ?? '');
      }
    };
    page.on('request', onRequest);
    try {
      const view = await page.goto(new URL(`/c/${id}`, daemon.url).href);
      assert.equal(view.status(), 200);
      await page.getByText('before the cookies were tossed').waitFor();
      await send(page, 'after the cookies were tossed');
      await page.reload();
      await page.getByText('after the cookies were tossed').waitFor();
      const settings = await page.goto(new URL('/settings', daemon.url).href);
      assert.equal(settings.status(), 200);
      assert.equal(await page.locator('dl.status dd code').first().textContent(), daemon.url);
      const home = await page.goto(daemon.url);
      assert.equal(home.status(), 200);
      await page.locator(`#conv-${id}`).waitFor();
    } finally {
      page.off('request', onRequest);
    }
    assert.ok(sent.length > 0);
    for (const header of sent) {
      assert.ok(!header.includes(kJunk.js) && !header.includes(kJunk.header),
                `a cookie for 127.0.0.1 reached Hearth: ${header}`);
      assert.match(header, /hearth_session=[0-9a-f]{64}/, JSON.stringify(sent));
    }

    // Hearth's listening address shows no page, not even with the cookies sent there.
    const loopback = await page.goto(`http://127.0.0.1:${daemon.port}/c/${id}`);
    assert.equal(loopback.status(), 421);
    await page.getByRole('heading', { name: /not at this address/i }).waitFor();
    expectProblems('cookies', [/the server responded with a status of 421/]);
    assertNoProblems();
  });
});
