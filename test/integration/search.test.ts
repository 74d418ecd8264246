// XEP-0055 user search over real sockets. The vCards are stored while the search module is not
// loaded; the server is then restarted with it, so the directory is built from stored data.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS = 'jabber:iq:search';
const DATA = 'jabber:x:data';
const PUBLIC = '<CLASS><PUBLIC/></CLASS>';

const card = (given: string, family: string, nick: string, email: string, extra = '') =>
  `<vCard xmlns='vcard-temp'><N><GIVEN>${given}</GIVEN><FAMILY>${family}</FAMILY></N><NICKNAME>${nick}</NICKNAME>` +
  `<EMAIL><INTERNET/><USERID>${email}</USERID></EMAIL>${extra}</vCard>`;

const cards: Record<string, string> = {
  alice: card('Alice', 'Liddell', 'ally', 'alice@example.org', PUBLIC),
  bob: card('Alicia', 'Liddell', 'bobby', 'bob@example.org'),                                  // never opted in
  carol: card('Alina', 'Liddell', 'caz', 'carol@example.org', '<CLASS><PRIVATE/></CLASS>'),   // explicitly not
  dave: card('David', 'Liddell', 'dl', 'dave@example.net', PUBLIC),
  erin: card('Erin', 'Liddell', 'e', 'erin@example.net', PUBLIC),
};

describe('search (XEP-0055)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  let searcher: RawClient;
  let n = 0;

  const login = async (username: string, resource = 'r', host = 'localhost') => {
    const { client } = await rawLogin({ port: t.c2sPort, username, password: 'pw', resource, host });
    open.push(client);
    return client;
  };
  const iq = async (c: RawClient, type: 'get' | 'set', payload: string, to = 'localhost'): Promise<string> => {
    const id = `s${++n}`;
    c.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
    return (await c.expect(new RegExp(`<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>)`, 's')))[0];
  };
  const legacy = (c: RawClient, fields: string) => iq(c, 'set', `<query xmlns='${NS}'>${fields}</query>`);
  const form = (c: RawClient, fields: Record<string, string>, formType = NS) => iq(c, 'set',
    `<query xmlns='${NS}'><x xmlns='${DATA}' type='submit'><field var='FORM_TYPE' type='hidden'><value>${formType}</value></field>` +
    Object.entries(fields).map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`).join('') + '</x></query>');
  const jids = (answer: string) => [...answer.matchAll(/<item jid="([^"]+)"/g)].map((m) => m[1]);
  const formJids = (answer: string) => [...answer.matchAll(/<field var="jid"><value>([^<]+)<\/value>/g)].map((m) => m[1]);

  before(async () => {
    // vCards stored first, without the search module.
    t = await startTestServer({ modules: { vcard: {} } }, ['localhost', 'a.example']);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) await t.addUser(u, 'pw');
    await t.addUser('zed', 'pw', 'a.example');
    for (const [u, vcard] of Object.entries(cards)) {
      const c = await login(u);
      expect(await iq(c, 'set', vcard, `${u}@localhost`)).to.include('type="result"');
      c.close();
    }
    await t.stop(true);
    t = await startTestServer({ modules: { disco: {}, vcard: {}, register: { allowRegistration: false }, search: { maxResults: 2 } } },
      ['localhost', 'a.example'], { dataDir: t.dataDir });
    searcher = await login('frank');
  });
  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('announces jabber:iq:search and offers the legacy fields and a data form', async () => {
    expect(await iq(searcher, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>")).to.include(`<feature var="${NS}"/>`);
    const fields = await iq(searcher, 'get', `<query xmlns='${NS}'/>`);
    expect(fields).to.match(/<instructions>[^<]+<\/instructions><first\/><last\/><nick\/><email\/><x xmlns="jabber:x:data" type="form">/);
    expect(fields).to.include(`<field type="hidden" var="FORM_TYPE"><value>${NS}</value></field>`);
    for (const v of ['first', 'last', 'nick', 'email', 'user']) expect(fields).to.include(`var="${v}"`);
  });

  it('finds only users who opted in, with the legacy fields, up to maxResults', async () => {
    const res = await legacy(searcher, '<last>liddell</last>');
    // alice, dave and erin opted in; bob (no CLASS) and carol (PRIVATE) never appear; maxResults is 2.
    expect(jids(res)).to.deep.equal(['alice@localhost', 'dave@localhost']);
    expect(res).to.include('<item jid="alice@localhost"><first>Alice</first><last>Liddell</last><nick>ally</nick><email>alice@example.org</email></item>');
    expect(res).to.not.include('bob').and.not.include('carol').and.not.include('Alicia');
    expect(jids(await legacy(searcher, '<first>ali</first>'))).to.deep.equal(['alice@localhost']);
    expect(jids(await legacy(searcher, '<email>EXAMPLE.NET</email>'))).to.deep.equal(['dave@localhost', 'erin@localhost']);
  });

  it('answers a data form with a result form; nick also matches the username, user only the username', async () => {
    const res = await form(searcher, { user: 'erin' });
    expect(res).to.include(`<x xmlns="${DATA}" type="result">`).and.include('<reported>')
      .and.include('<field var="jid" label="JID" type="jid-single"/>');
    expect(formJids(res)).to.deep.equal(['erin@localhost']);
    expect(formJids(await form(searcher, { nick: 'dave' }))).to.deep.equal(['dave@localhost']);
    expect(formJids(await form(searcher, { user: 'bob' }))).to.deep.equal([]);
    // All fields given must match.
    expect(formJids(await form(searcher, { first: 'alice', last: 'nope' }))).to.deep.equal([]);
  });

  it('answers an empty query when nothing matches', async () => {
    expect(await legacy(searcher, '<nick>nobody-here</nick>')).to.match(new RegExp(`<query xmlns="${NS}"/></iq>$`));
  });

  it('refuses empty or too short queries, bad forms and remote users', async () => {
    expect(await legacy(searcher, '<first> </first>')).to.include('<not-acceptable');
    expect(await legacy(searcher, '<first>a</first>')).to.include('<not-acceptable').and.include('at least 2 characters');
    expect(await form(searcher, { first: 'alice' }, 'urn:other')).to.include('<bad-request');
    expect(await form(searcher, { gender: 'male' })).to.include('<bad-request').and.include('gender');
    const zed = await login('zed', 'z', 'a.example');
    expect(await iq(zed, 'get', `<query xmlns='${NS}'/>`)).to.include('<forbidden');
    expect(await legacy(zed, '<last>liddell</last>')).to.include('<forbidden').and.not.include('alice');
  });

  it('follows vCard changes: opting out, opting in, and the removed vCard', async () => {
    const alice = await login('alice');
    await iq(alice, 'set', card('Alice', 'Liddell', 'ally', 'alice@example.org'), 'alice@localhost');
    expect(jids(await legacy(searcher, '<first>ali</first>'))).to.deep.equal([]);
    const bob = await login('bob');
    await iq(bob, 'set', card('Alicia', 'Liddell', 'bobby', 'bob@example.org', PUBLIC), 'bob@localhost');
    expect(jids(await legacy(searcher, '<first>ali</first>'))).to.deep.equal(['bob@localhost']);
    await iq(bob, 'set', "<vCard xmlns='vcard-temp'/>", 'bob@localhost');
    expect(jids(await legacy(searcher, '<first>ali</first>'))).to.deep.equal([]);
  });

  it('forgets a deleted account', async () => {
    const dave = await login('dave');
    dave.send("<iq type='set' id='rm1'><query xmlns='jabber:iq:register'><remove/></query></iq>");
    await dave.expect(/<iq [^>]*id="rm1"/);
    await dave.waitClosed();
    expect(jids(await legacy(searcher, '<last>liddell</last>'))).to.deep.equal(['erin@localhost']);
  });
});
