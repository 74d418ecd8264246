// Server disco (XEP-0030) with entity capabilities (XEP-0115), extended info (XEP-0128), contact
// addresses (XEP-0157) and disco on behalf of accounts, over real sockets.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import * as ltx from 'ltx';
import { z } from 'zod';
import { defineModule, el } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSecure, rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
const parse = (ltx as unknown as { parse(s: string): ltx.Element }).parse;

/** XEP-0115 §5.1, written again independently of the server's code: identities, features, forms. */
function expectedVer(query: ltx.Element): string {
  const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const ids = query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`);
  let s = ids.sort(cmp).map((x) => `${x}<`).join('');
  s += query.getChildren('feature').map((f) => f.attrs.var!).sort(cmp).map((x) => `${x}<`).join('');
  const forms = query.getChildren('x', 'jabber:x:data').map((x) => {
    const fields = x.getChildren('field');
    const type = fields.find((f) => f.attrs.var === 'FORM_TYPE')!.getChildText('value')!;
    const rest = fields.filter((f) => f.attrs.var !== 'FORM_TYPE').sort((a, b) => cmp(a.attrs.var!, b.attrs.var!));
    return { type, text: `${type}<${rest.map((f) => `${f.attrs.var}<${f.getChildren('value').map((v) => v.getText()).sort(cmp).map((v) => `${v}<`).join('')}`).join('')}` };
  });
  s += forms.sort((a, b) => cmp(a.type, b.type)).map((f) => f.text).join('');
  return createHash('sha1').update(s).digest('base64');
}

/** Sends an IQ and returns the parsed answer with that id. */
async function iq(c: RawClient, xml: string, id: string): Promise<ltx.Element> {
  c.send(xml);
  const m = await c.expect(new RegExp(`<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>)`, 's'));
  return parse(m[0]);
}

function capsOf(features: string): { node: string; ver: string; hash: string } {
  const c = /<c xmlns="http:\/\/jabber.org\/protocol\/caps"[^>]*\/>/.exec(features);
  expect(c, `caps in ${features}`).to.not.equal(null);
  const e = parse(c![0]);
  return { node: e.attrs.node!, ver: e.attrs.ver!, hash: e.attrs.hash! };
}

// A test module: an extended form (XEP-0128), a feature announced on demand, and a fake roster
// service that says carol is subscribed to alice's presence.
const extras = defineModule({
  name: 'disco_extras',
  description: 'test helper',
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.addDiscoForm(el('x', { xmlns: 'jabber:x:data', type: 'result' },
      el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, 'urn:example:test-info')),
      el('field', { var: 'zeta' }, el('value', null, 'b'), el('value', null, 'a')),
      el('field', { var: 'alpha' }, el('value', null, 'x<y'))));
    ctx.iq.set('host', 'urn:example:late', 'announce', () => {
      ctx.addFeature('urn:example:late-feature');
    });
    (ctx.provide as (name: string, svc: unknown) => void)('roster', {
      isSubscribed: async (user: string, contact: string) => user === 'alice' && contact === 'carol@localhost',
    });
  },
});

describe('disco: server info, caps, extended info, contact addresses', function () {
  let t: TestServer;
  let alice: RawClient;

  before(async () => {
    t = await startTestServer({
      modules: {
        disco: { contacts: { abuse: ['mailto:abuse@localhost', 'xmpp:abuse@localhost'], security: ['https://localhost/security'] } },
        ping: {},
        disco_extras: {},
      },
    }, ['localhost'], { extraModules: [extras] });
    await t.addUser('alice', 'wonderland');
    await t.addUser('bob', 'builder');
    await t.addUser('carol', 'singer');
    ({ client: alice } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'a' }));
  });
  after(async () => {
    alice.close();
    await t.stop();
  });

  it('advertises caps in pre-auth and post-auth stream features, with a ver that matches disco#info', async () => {
    const { client, features } = await connectSecure({ port: t.c2sPort });
    client.close();
    const pre = capsOf(features);
    expect(pre.hash).to.equal('sha-1');
    expect(pre.node).to.equal('https://github.com/starling-xmpp');

    const info = await iq(alice, `<iq type='get' to='localhost' id='i1'><query xmlns='${NS_INFO}'/></iq>`, 'i1');
    const query = info.getChild('query', NS_INFO)!;
    expect(pre.ver).to.equal(expectedVer(query));

    // Post-auth features carry the same caps.
    const { client: c2 } = await connectSecure({ port: t.c2sPort });
    c2.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0bob\0builder').toString('base64')}</auth>`);
    await c2.expect(/<success/);
    c2.open('localhost');
    const post = await c2.expect(/<stream:features>.*?<\/stream:features>/s);
    c2.close();
    expect(post[0]).to.include('<bind');
    expect(capsOf(post[0]).ver).to.equal(pre.ver);
  });

  it('answers disco#info for node#ver with the same information, and item-not-found for other nodes', async () => {
    const { features, client } = await connectSecure({ port: t.c2sPort });
    client.close();
    const { node, ver } = capsOf(features);
    const plain = await iq(alice, `<iq type='get' to='localhost' id='n0'><query xmlns='${NS_INFO}'/></iq>`, 'n0');
    const withNode = await iq(alice, `<iq type='get' to='localhost' id='n1'><query xmlns='${NS_INFO}' node='${node}#${ver}'/></iq>`, 'n1');
    const q = withNode.getChild('query', NS_INFO)!;
    expect(withNode.attrs.type).to.equal('result');
    expect(q.attrs.node).to.equal(`${node}#${ver}`);
    expect(q.children.map(String)).to.deep.equal(plain.getChild('query', NS_INFO)!.children.map(String));
    expect(expectedVer(q)).to.equal(ver);

    const old = await iq(alice, `<iq type='get' to='localhost' id='n2'><query xmlns='${NS_INFO}' node='${node}#AAAA'/></iq>`, 'n2');
    expect(old.attrs.type).to.equal('error');
    expect(old.getChild('error')!.getChild('item-not-found')).to.not.equal(undefined);
  });

  it('includes the XEP-0157 serverinfo form and a module-added XEP-0128 form', async () => {
    const info = await iq(alice, `<iq type='get' to='localhost' id='f1'><query xmlns='${NS_INFO}'/></iq>`, 'f1');
    const forms = info.getChild('query', NS_INFO)!.getChildren('x', 'jabber:x:data');
    const byType = new Map(forms.map((f) => [f.getChildren('field').find((x) => x.attrs.var === 'FORM_TYPE')!.getChildText('value'), f]));
    expect([...byType.keys()].sort()).to.deep.equal(['http://jabber.org/network/serverinfo', 'urn:example:test-info']);
    const serverinfo = byType.get('http://jabber.org/network/serverinfo')!;
    expect(serverinfo.attrs.type).to.equal('result');
    const values = (v: string) => serverinfo.getChildren('field').find((f) => f.attrs.var === v)?.getChildren('value').map((x) => x.getText());
    expect(values('abuse-addresses')).to.deep.equal(['mailto:abuse@localhost', 'xmpp:abuse@localhost']);
    expect(values('security-addresses')).to.deep.equal(['https://localhost/security']);
    expect(values('admin-addresses')).to.equal(undefined);   // not configured, not announced
    const custom = byType.get('urn:example:test-info')!;
    expect(custom.getChildren('field').find((f) => f.attrs.var === 'alpha')!.getChildText('value')).to.equal('x<y');
  });

  it('recomputes the caps ver when a module announces a new feature', async () => {
    const before = capsOf((await connectSecure({ port: t.c2sPort }).then((r) => (r.client.close(), r))).features).ver;
    await iq(alice, "<iq type='set' to='localhost' id='late1'><announce xmlns='urn:example:late'/></iq>", 'late1');
    const { features, client } = await connectSecure({ port: t.c2sPort });
    client.close();
    const after = capsOf(features).ver;
    expect(after).to.not.equal(before);
    const info = await iq(alice, `<iq type='get' to='localhost' id='late2'><query xmlns='${NS_INFO}'/></iq>`, 'late2');
    const query = info.getChild('query', NS_INFO)!;
    expect(query.getChildren('feature').map((f) => f.attrs.var)).to.include('urn:example:late-feature');
    expect(expectedVer(query)).to.equal(after);
  });

  describe('account disco', () => {
    it('answers the user about their own account', async () => {
      const r = await iq(alice, `<iq type='get' to='alice@localhost' id='a1'><query xmlns='${NS_INFO}'/></iq>`, 'a1');
      expect(r.attrs.type).to.equal('result');
      expect(r.attrs.from).to.equal('alice@localhost');
      const q = r.getChild('query', NS_INFO)!;
      expect(q.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).to.deep.equal(['account/registered']);
      expect(q.getChildren('feature').map((f) => f.attrs.var)).to.include(NS_INFO);
      const items = await iq(alice, `<iq type='get' id='a2'><query xmlns='${NS_ITEMS}'/></iq>`, 'a2');
      expect(items.attrs.type).to.equal('result');
      expect(items.getChild('query', NS_ITEMS)!.children).to.have.length(0);
    });

    it('answers a contact with a presence subscription', async () => {
      const { client: carol } = await rawLogin({ port: t.c2sPort, username: 'carol', password: 'singer', resource: 'c' });
      try {
        const r = await iq(carol, `<iq type='get' to='alice@localhost' id='c1'><query xmlns='${NS_INFO}'/></iq>`, 'c1');
        expect(r.attrs.type).to.equal('result');
        expect(r.getChild('query', NS_INFO)!.getChild('identity')!.attrs.category).to.equal('account');
      } finally {
        carol.close();
      }
    });

    it('refuses others with service-unavailable, the same as for a JID that does not exist', async () => {
      const { client: bob } = await rawLogin({ port: t.c2sPort, username: 'bob', password: 'builder', resource: 'b' });
      try {
        const r = await iq(bob, `<iq type='get' to='alice@localhost' id='b1'><query xmlns='${NS_INFO}'/></iq>`, 'b1');
        expect(r.attrs.type).to.equal('error');
        expect(r.getChild('error')!.getChild('service-unavailable')).to.not.equal(undefined);
        const items = await iq(bob, `<iq type='get' to='alice@localhost' id='b2'><query xmlns='${NS_ITEMS}'/></iq>`, 'b2');
        expect(items.getChild('error')!.getChild('service-unavailable')).to.not.equal(undefined);
        const ghost = await iq(bob, `<iq type='get' to='nobody@localhost' id='b3'><query xmlns='${NS_INFO}'/></iq>`, 'b3');
        expect(ghost.getChild('error')!.toString()).to.equal(r.getChild('error')!.toString());
      } finally {
        bob.close();
      }
    });
  });
});
