// XEP-0363 HTTP File Upload end to end over real sockets: slot request over XMPP, real HTTP PUT to the
// signed URL, GET of the bytes with the right headers; limits, quota, expiry, CORS, traversal, methods.
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { errorOf, expectResult, iq } from '../helpers/pep.js';

const NS = 'urn:xmpp:http:upload:0';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A server whose HTTP listener is at a known port, so the URLs it hands out are the ones to use. */
async function startUploadServer(upload: Record<string, unknown>): Promise<{ t: TestServer; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await startTestServer({
    modules: { disco: {}, ping: {}, roster: {}, presence: {}, upload: { publicUrl: base, ...upload } },
    listen: [
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' },
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'direct' },
      { service: 'http', address: '127.0.0.1', port, tls: 'none' },
    ],
  });
  return { t, base };
}

const request = (c: TestClient, filename: string, size: number, type = 'image/png') =>
  iq(c, 'get', `<request xmlns='${NS}' filename='${filename}' size='${size}' content-type='${type}'/>`, 'upload.localhost');

function slotOf(reply: Element): { put: string; get: string } {
  const slot = expectResult(reply).getChild('slot', NS)!;
  return { put: slot.getChild('put')!.attrs.url!, get: slot.getChild('get')!.attrs.url! };
}

/** A raw request with the path exactly as given (fetch would normalise '..'). */
function rawRequest(base: string, method: string, pathname: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: pathname }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP upload (XEP-0363)', function () {
  this.timeout(20_000);
  let t: TestServer;
  let base: string;
  let alice: TestClient;
  const png = Buffer.from('\x89PNG\r\n\x1a\n' + 'pixels '.repeat(100), 'latin1');

  before(async () => {
    ({ t, base } = await startUploadServer({ maxFileBytes: 4096, quotaBytes: 10_000 }));
    await t.addUser('alice', 'pw');
    alice = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw' });
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
  });

  it('is advertised: an item of the server, with store/file identity, the feature and max-file-size', async () => {
    const items = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#items'/>", 'localhost'));
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.include('upload.localhost');
    const info = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", 'upload.localhost')).getChild('query')!;
    expect(info.getChild('identity')!.attrs).to.include({ category: 'store', type: 'file' });
    expect(info.getChildren('feature').map((f) => f.attrs.var)).to.include(NS);
    const field = info.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'max-file-size')!;
    expect(field.getChildText('value')).to.equal('4096');
  });

  it('slot -> real HTTP PUT -> GET returns the bytes with type, disposition and caching headers', async () => {
    const slot = slotOf(await request(alice, 'très cool.png', png.length));
    expect(slot.put.startsWith(`${base}/upload/`)).to.equal(true);
    expect(slot.get).to.match(/\/tr%C3%A8s%20cool\.png$/);
    const put = await fetch(slot.put, { method: 'PUT', body: png, headers: { 'Content-Type': 'image/png' } });
    expect(put.status).to.equal(201);
    const get = await fetch(slot.get);
    expect(get.status).to.equal(200);
    expect(Buffer.from(await get.arrayBuffer()).equals(png)).to.equal(true);
    expect(get.headers.get('content-type')).to.equal('image/png');
    expect(get.headers.get('content-disposition')).to.equal(`inline; filename="tr_s cool.png"; filename*=UTF-8''tr%C3%A8s%20cool.png`);
    expect(get.headers.get('cache-control')).to.match(/^public, max-age=\d+, immutable$/);
    expect(get.headers.get('access-control-allow-origin')).to.equal('*');
    expect(get.headers.get('x-content-type-options')).to.equal('nosniff');
    // A second PUT to the same slot is refused: slots are single-use.
    const again = await fetch(slot.put, { method: 'PUT', body: png, headers: { 'Content-Type': 'image/png' } });
    expect(again.status).to.equal(403);
    // The file is stored under a name of ours, not the client's.
    const dir = path.join(t.dataDir, 'upload', 'localhost');
    expect(fs.readdirSync(dir).every((f) => /^[A-Za-z0-9_-]{22}(\.json)?$/.test(f))).to.equal(true);
  });

  it('a file that is not an image is served as an attachment', async () => {
    const html = Buffer.from('<script>alert(1)</script>');
    const slot = slotOf(await request(alice, 'page.html', html.length, 'text/html'));
    expect((await fetch(slot.put, { method: 'PUT', body: html, headers: { 'Content-Type': 'text/html' } })).status).to.equal(201);
    const get = await fetch(slot.get);
    expect(get.headers.get('content-disposition')).to.match(/^attachment;/);
    expect(get.headers.get('content-security-policy')).to.include('sandbox');
  });

  it('refuses an oversize request with not-acceptable / file-too-large naming the limit', async () => {
    const reply = await request(alice, 'big.bin', 4097, 'application/octet-stream');
    expect(errorOf(reply)).to.include({ type: 'modify', condition: 'not-acceptable' });
    const tooLarge = reply.getChild('error')!.getChild('file-too-large', NS)!;
    expect(tooLarge.getChildText('max-file-size')).to.equal('4096');
  });

  it('refuses filenames that are paths (traversal) and malformed sizes or types', async () => {
    for (const name of ['../../etc/passwd', 'a/b.png', '..', 'back\\slash.png']) {
      expect(errorOf(await request(alice, name, 10)).condition, name).to.equal('bad-request');
    }
    expect(errorOf(await iq(alice, 'get', `<request xmlns='${NS}' filename='x.png' size='-1'/>`, 'upload.localhost')).condition).to.equal('bad-request');
    expect(errorOf(await request(alice, 'x.png', 10, 'not a type')).condition).to.equal('bad-request');
  });

  it('PUT must match the slot: size, type and signature', async () => {
    const slot = slotOf(await request(alice, 'a.png', 10));
    const wrongType = await fetch(slot.put, { method: 'PUT', body: Buffer.alloc(10), headers: { 'Content-Type': 'text/plain' } });
    expect(wrongType.status).to.equal(400);
    const slot2 = slotOf(await request(alice, 'b.png', 10));
    const tooBig = await fetch(slot2.put, { method: 'PUT', body: Buffer.alloc(11), headers: { 'Content-Type': 'image/png' } });
    expect(tooBig.status).to.equal(413);
    const slot3 = slotOf(await request(alice, 'c.png', 10));
    const forged = slot3.put.replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(forged, { method: 'PUT', body: Buffer.alloc(10), headers: { 'Content-Type': 'image/png' } })).status).to.equal(403);
    expect((await fetch(slot3.put.split('?')[0]!, { method: 'PUT', body: Buffer.alloc(10), headers: { 'Content-Type': 'image/png' } })).status).to.equal(403);
  });

  it('answers CORS preflights and refuses other methods with 405', async () => {
    const slot = slotOf(await request(alice, 'd.png', 5));
    const pre = await fetch(slot.put, { method: 'OPTIONS', headers: { Origin: 'https://web.example', 'Access-Control-Request-Method': 'PUT' } });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-methods')).to.include('PUT');
    expect(pre.headers.get('access-control-allow-origin')).to.equal('*');
    expect((await fetch(slot.put, { method: 'POST', body: 'hello' })).status).to.equal(405);
    expect((await fetch(slot.get, { method: 'DELETE' })).status).to.equal(405);
  });

  it('no path outside the upload store is reachable', async () => {
    for (const p of ['/upload/../../etc/passwd', '/upload/%2e%2e/%2e%2e/etc/passwd', '/upload/..%2f..%2fstarling.db', '/upload/starling.db/x']) {
      const r = await rawRequest(base, 'GET', p);
      expect(r.status, p).to.be.oneOf([400, 404]);
    }
  });

  it('enforces the per-user quota (stored files plus unused slots) with resource-constraint', async () => {
    // 10 000 bytes allowed; well under 1 000 are stored or reserved by the tests above.
    expectResult(await request(alice, 'quota1.png', 4000));
    expectResult(await request(alice, 'quota2.png', 4000));
    const over = await request(alice, 'quota3.png', 4000);
    expect(errorOf(over)).to.include({ type: 'wait', condition: 'resource-constraint' });
    expect(over.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).to.match(/Quota/);
  });

  it('a slot request is an IQ get; a set is not served', async () => {
    const reply = await iq(alice, 'set', `<request xmlns='${NS}' filename='x' size='1'/>`, 'upload.localhost');
    expect(errorOf(reply).condition).to.equal('service-unavailable');   // requests are IQ get
  });
});

describe('HTTP upload expiry (XEP-0363)', function () {
  this.timeout(20_000);
  let t: TestServer;
  let alice: TestClient;

  before(async () => {
    ({ t } = await startUploadServer({ slotSeconds: 0.3, expireSeconds: 1, quotaBytes: 5 }));
    await t.addUser('alice', 'pw');
    alice = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw' });
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
  });

  it('refuses a PUT to an expired slot', async () => {
    const slot = slotOf(await request(alice, 'late.png', 3));
    await new Promise((r) => setTimeout(r, 400));
    const put = await fetch(slot.put, { method: 'PUT', body: Buffer.from('abc'), headers: { 'Content-Type': 'image/png' } });
    expect(put.status).to.equal(403);
    expect(await put.text()).to.match(/slot/);
  });

  it('deletes files after expireSeconds and frees the quota', async () => {
    const slot = slotOf(await request(alice, 'short.png', 3));
    expect((await fetch(slot.put, { method: 'PUT', body: Buffer.from('abc'), headers: { 'Content-Type': 'image/png' } })).status).to.equal(201);
    expect((await fetch(slot.get)).status).to.equal(200);
    expect(errorOf(await request(alice, 'more.png', 3)).condition).to.equal('resource-constraint');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(slot.get)).status).to.equal(404);
    expectResult(await request(alice, 'more.png', 3));
    const dir = path.join(t.dataDir, 'upload', 'localhost');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
