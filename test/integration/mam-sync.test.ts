// The "done when": a second device fetches the last week page by page through MAM, then sees new messages
// from the first device as carbons, whose stanza-ids it can match with the archive.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { mamQuery } from '../helpers/mam.js';

describe('a second device catches up with MAM and follows with carbons', function () {
  let t: TestServer;
  const clients: TestClient[] = [];
  const connect = async (username: string, resource: string): Promise<TestClient> => {
    const c = await connectClient({ port: t.c2sPort, username, password: 'pw', resource });
    clients.push(c);
    await c.xmpp.send(xml('presence', {}));
    await c.waitFor((e) => e.is('presence') && e.attrs.from === c.jid);
    return c;
  };

  before(async () => {
    // The default module set: mam and carbons are on without configuration.
    t = await startTestServer();
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });
  after(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await t.stop();
  });

  it('pages back through the week, then receives carbons with archive ids', async () => {
    const phone = await connect('alice', 'phone');
    const bob = await connect('bob', 'desk');
    const sent: string[] = [];
    for (let i = 0; i < 23; i++) {
      const [from, to] = i % 3 === 0 ? [bob, phone] : [phone, bob];
      const id = `conv-${i}`;
      sent.push(id);
      await from.xmpp.send(xml('message', { to: to.jid.split('/')[0], type: 'chat', id }, xml('body', {}, `message ${i}`)));
      await to.waitFor((e) => e.is('message') && e.attrs.id === id);
    }

    const laptop = await connect('alice', 'laptop');
    await laptop.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'carbons' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const history: string[] = [];
    let before: string | true = true;
    let pages = 0;
    for (;;) {
      const page = await mamQuery(laptop, { start: weekAgo, max: 5, before });
      pages++;
      history.unshift(...page.items.map((i) => i.message.attrs.id!));
      if (page.complete) break;
      before = page.first!;
    }
    expect(pages).to.equal(5);
    expect(history).to.deep.equal(sent);

    await phone.xmpp.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'live' }, xml('body', {}, 'from the phone')));
    const carbon = await laptop.waitFor((e) => e.is('message') && e.getChild('sent', 'urn:xmpp:carbons:2') !== undefined);
    const copy = carbon.getChild('sent', 'urn:xmpp:carbons:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    expect(copy.attrs.id).to.equal('live');
    const sid = copy.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id;
    const newest = await mamQuery(laptop, { max: 1, before: true });
    expect(newest.items[0]!.id).to.equal(sid);
    expect(newest.items[0]!.message.getChildText('body')).to.equal('from the phone');
  });
});
