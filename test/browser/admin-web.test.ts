// The web admin at /admin in a real browser (Debian's Chromium via playwright-core): an administrator logs in with
// the XMPP password, sees the dashboard, adds and disables a user, kicks a real client's session and sends an
// announcement that client receives. Plus the HTTP checks: CSRF header, login required, non-admins refused.
import fs from 'node:fs';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { rawLogin } from '../helpers/login.js';

const CHROMIUM = '/usr/bin/chromium';
const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, offline: {}, metrics: {}, webadmin: {}, muc: {} };

/** Polls a selector's text until the predicate holds (page.waitForFunction would need eval, which the CSP forbids). */
async function waitText(page: Page, selector: string, ok: (text: string | null) => boolean, what = selector): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = (await page.locator(selector).count()) ? await page.textContent(selector) : null;
    if (ok(text)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; text: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('web admin', function () {
  this.timeout(60_000);
  let t: WebTestServer;
  let browser: Browser | null = null;

  before(async function () {
    t = await startWebServer(MODULES, { admin: { admins: ['root@localhost'] } });
    await t.addUser('root', 'root secret');
    await t.addUser('alice', 'alice secret');
  });
  after(async () => {
    await browser?.close();
    await t.stop();
  });

  it('guards the API: the X-Starling-Admin header, a login, and an administrator account', async () => {
    const page = await fetch(`${t.httpUrl}/admin`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(await page.text()).not.to.match(/<script>/);
    const noHeader = await fetch(`${t.httpUrl}/admin/api/run/user.list`, { method: 'POST' });
    expect(noHeader.status).to.equal(403);
    const noLogin = await fetch(`${t.httpUrl}/admin/api/run/user.list`, { method: 'POST', headers: { 'X-Starling-Admin': '1' } });
    expect(noLogin.status).to.equal(401);
    const login = (jid: string, password: string) => fetch(`${t.httpUrl}/admin/api/login`, {
      method: 'POST', headers: { 'X-Starling-Admin': '1', 'Content-Type': 'application/json' }, body: JSON.stringify({ jid, password }),
    });
    expect((await login('alice@localhost', 'alice secret')).status, 'not an admin').to.equal(401);
    expect((await login('root@localhost', 'wrong')).status).to.equal(401);
    const ok = await login('root@localhost', 'root secret');
    expect(ok.status).to.equal(200);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).to.match(/^starling_admin=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict/);
    const list = await fetch(`${t.httpUrl}/admin/api/run/user.list`, { method: 'POST', headers: { 'X-Starling-Admin': '1', Cookie: cookie.split(';')[0]! } });
    expect(list.status).to.equal(200);
    expect(((await list.json()) as { users: { jid: string }[] }).users.map((u) => u.jid)).to.deep.equal(['alice@localhost', 'root@localhost']);
    const cliOnly = await fetch(`${t.httpUrl}/admin/api/run/token.create`, { method: 'POST', headers: { 'X-Starling-Admin': '1', Cookie: cookie.split(';')[0]! }, body: '{}' });
    expect(cliOnly.status).to.equal(404);
  });

  it('refuses logins from an address after too many failures (429)', async () => {
    const strict = await startWebServer({ ...MODULES, webadmin: { maxFailedLogins: 2 } }, { admin: { admins: ['root@localhost'] } });
    try {
      await strict.addUser('root', 'root secret');
      const login = (password: string) => fetch(`${strict.httpUrl}/admin/api/login`, {
        method: 'POST', headers: { 'X-Starling-Admin': '1', 'Content-Type': 'application/json' }, body: JSON.stringify({ jid: 'root@localhost', password }),
      });
      expect((await login('bad1')).status).to.equal(401);
      expect((await login('bad2')).status).to.equal(401);
      const locked = await login('root secret');
      expect(locked.status).to.equal(429);
      expect(((await locked.json()) as { error: { code: string } }).error.code).to.equal('too-many-attempts');
    } finally {
      await strict.stop();
    }
  });

  it('runs the dashboard and user and session management in Chromium', async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.STARLING_CI) throw new Error(`${CHROMIUM} is missing`);
      this.skip();
    }
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    const errors: string[] = [];
    const page: Page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

    const alice = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'alice secret', resource: 'laptop' });
    await t.server.admin.run('room.create', { room: 'lobby@conference.localhost', name: 'Lobby' }, { via: 'socket', actor: 'test', scopes: ['*'] }, 'socket');
    await page.goto(`${t.httpUrl}/admin`);
    await page.fill('#login input[name=jid]', 'root@localhost');
    await page.fill('#login input[name=password]', 'wrong');
    await page.click('#login button[type=submit]');
    await waitText(page, '#login-error', (x) => x!.includes('wrong JID or password'));
    await page.fill('#login input[name=password]', 'root secret');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    expect(await page.textContent('#who')).to.equal('root@localhost');
    await waitText(page, '#online', (x) => x === '1');
    expect(await page.textContent('#version')).to.match(/^\d+\.\d+\.\d+/);
    // The muc module's room.list command fills the rooms table.
    await waitText(page, '#rooms', (x) => x!.includes('lobby@conference.localhost'));
    expect(await page.textContent('#sessions')).to.include('alice@localhost/laptop');
    // Traffic shows in the dashboard's message count after a refresh.
    const before = Number(await page.textContent('#messages'));
    for (let i = 0; i < 3; i++) alice.client.send(`<message to='root@localhost' id='c${i}'><body>count me</body></message>`);
    alice.client.send("<iq type='get' to='localhost' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>");
    await alice.client.expect(/id="sync"/);   // the server has handled the messages before it answers this
    await page.click('#refresh');
    await waitText(page, '#messages', (x) => Number(x) === before + 3);
    expect(await page.textContent('#rate')).to.match(/per minute$/);

    await page.fill('#adduser input[name=jid]', 'dora@localhost');
    await page.fill('#adduser input[name=password]', 'dora pw');
    await page.click('#adduser button[type=submit]');
    await page.waitForSelector('#users tr[data-jid="dora@localhost"]');
    expect(await t.server.storage.accounts.get('localhost', 'dora')).not.to.equal(null);
    await page.click('#users tr[data-jid="dora@localhost"] button:text("Disable")');
    await waitText(page, '#users tr[data-jid="dora@localhost"]', (x) => x!.includes('disabled'));
    expect((await t.server.storage.accounts.get('localhost', 'dora'))!.disabled).to.equal(true);

    await page.fill('#announce input[name=body]', 'hello from the web admin');
    await page.click('#announce button[type=submit]');
    await alice.client.expect(/type="headline"[^>]*>.*hello from the web admin/s);

    await page.click('#sessions tr[data-jid="alice@localhost/laptop"] button');
    await alice.client.expect(/<policy-violation /);
    await waitText(page, '#sessions tr[data-jid="alice@localhost/laptop"]', (x) => x === null, 'the kicked session to leave the table');

    // A reload keeps the login (cookie); logging out ends it.
    await page.reload();
    await page.waitForSelector('#app:not([hidden])');
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    // The one refused login above shows as a failed request; nothing else may fail.
    expect(errors).to.deep.equal(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  });
});
