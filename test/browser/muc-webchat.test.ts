// A real MUC client in a real browser: Converse.js 12 (the /chat web chat) in Chromium creates a room on the MUC
// service (it answers the 201 with the instant-room form), talks with a TCP client in it, and kicks that client with
// its /kick command.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { MucUser, errorCondition, statusCodes } from '../helpers/muc.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = path.resolve('test-output');
const ROOM = 'browserroom@conference.localhost';

describe('muc: Converse.js in Chromium', function () {
  this.timeout(120_000);
  let t: WebTestServer;
  let browser: Browser;
  let bob: MucUser | null = null;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.STARLING_CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
      this.skip();
    }
    const { chromium } = await import('playwright-core');
    t = await startWebServer({ webchat: {}, vcard: {}, disco: {}, ping: {}, muc: {} });
    await t.addUser('alice', 'alice secret');
    await t.addUser('bob', 'pw');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    fs.mkdirSync(OUTPUT, { recursive: true });
  });
  after(async () => {
    await bob?.stop();
    await browser?.close();
    await t?.stop();
  });

  it('creates a room, chats with a TCP client in it, and kicks it', async () => {
    const problems: string[] = [];
    const page: Page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.goto(`http://localhost:${t.httpPort}/chat`);
    await page.locator('input[name=jid]').fill('alice');
    await page.locator('input[name=password]').fill('alice secret');
    await page.locator('form#converse-login [type=submit]').click();
    await page.locator('converse-user-profile', { hasText: 'alice@localhost' }).waitFor();

    await page.locator('converse-rooms-list converse-dropdown button.dropdown-toggle').click();
    await page.locator('a.show-add-muc-modal').click();
    const modal = page.locator('converse-add-muc-modal');
    await modal.locator('input[name=chatroom]').fill(ROOM);
    await modal.locator('input[name=nickname]').fill('alice');
    await modal.locator('form input[type=submit]').click();
    const muc = page.locator(`converse-muc[jid="${ROOM}"]`);
    await muc.locator('textarea.chat-textarea').waitFor();

    // The TCP client can enter once Converse has configured the new room.
    bob = await MucUser.login(t.c2sPort, 'bob');
    let entered = false;
    for (let i = 0; i < 50 && !entered; i++) {
      const p = await bob.join(ROOM, 'bob');
      if (p.attrs.type !== 'error') entered = true;
      else if (errorCondition(p) === 'item-not-found') await new Promise((r) => setTimeout(r, 200));
      else throw new Error(`bob could not enter: ${p}`);
    }
    expect(entered, 'the room was configured by Converse').to.equal(true);

    await bob.send(`<message to='${ROOM}' type='groupchat' id='b1'><body>Hello from TCP</body></message>`);
    await muc.locator('.chat-msg__text', { hasText: 'Hello from TCP' }).waitFor({ timeout: 10_000 });
    const input = muc.locator('textarea.chat-textarea');
    await input.fill('Hello from the browser');
    await input.press('Enter');
    const got = await bob.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'Hello from the browser', 10_000);
    expect(got.attrs.from).to.equal(`${ROOM}/alice`);
    expect(got.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.by).to.equal(ROOM);

    await input.fill('/kick bob enough');
    await input.press('Enter');
    const kicked = await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === `${ROOM}/bob` && s.attrs.type === 'unavailable', 10_000);
    expect(statusCodes(kicked)).to.include.members([307, 110]);
    await page.screenshot({ path: path.join(OUTPUT, 'muc-converse.png') });
    expect(problems.filter((p) => !p.includes('conversejs.org'))).to.deep.equal([]);
  });
});
