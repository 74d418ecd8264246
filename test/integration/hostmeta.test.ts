// XEP-0156 host-meta (XRD and JSON) over real HTTP, and the HTTP listener itself: routing by Host, security headers,
// 404/405/408/413/500 answers with bodies, HEAD, HTTPS.
import net from 'node:net';
import { expect } from 'chai';
import { z } from 'zod';
import { defineModule, HttpError, sendHttp } from '../../src/api/index.js';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';

/** Reads a raw HTTP exchange: sends `request` (in parts, with pauses) and returns everything until the server closes. */
async function rawHttp(port: number, parts: string[], pauseMs = 0, timeoutMs = 5000): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (data += d));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const p of parts) {
    socket.write(p);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await closed;
  clearTimeout(timer);
  return data;
}

/** A test-only module with routes that exercise the listener's limits and error handling. */
const httpProbe = defineModule({
  name: 'http-probe',
  description: 'test routes',
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.http.route('POST', '/echo', async (req, res) => {
      const body = await req.body();
      sendHttp(res, 200, `${req.vhost} ${req.secure} ${req.scheme} ${body.length}`, 'text/plain');
    });
    ctx.http.route('GET', '/boom', () => {
      throw new Error('handler bug');
    });
    ctx.http.route('GET', '/teapot', () => {
      throw new HttpError(418, 'short and stout');
    });
  },
});

describe('XEP-0156 host-meta', function () {
  let t: WebTestServer;
  before(async () => {
    t = await startWebServer({ hostmeta: {}, websocket: {}, bosh: {} });
  });
  after(async () => {
    await t.stop();
  });

  it('serves the XRD with the WebSocket and BOSH URLs as the client reached the server, readable from any origin', async () => {
    const res = await fetch(`${t.httpUrl}/.well-known/host-meta`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/xrd+xml; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(await res.text()).to.equal([
      "<?xml version='1.0' encoding='utf-8'?>",
      "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>",
      `  <Link rel='urn:xmpp:alt-connections:websocket' href='ws://127.0.0.1:${t.httpPort}/xmpp-websocket'/>`,
      `  <Link rel='urn:xmpp:alt-connections:xbosh' href='http://127.0.0.1:${t.httpPort}/http-bind'/>`,
      '</XRD>',
      '',
    ].join('\n'));
  });

  it('serves the JSON form, with wss:// and https:// on the HTTPS listener', async () => {
    const res = await fetch(`https://localhost:${t.httpsPort}/.well-known/host-meta.json`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/json');
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(await res.json()).to.deep.equal({
      links: [
        { rel: 'urn:xmpp:alt-connections:websocket', href: `wss://localhost:${t.httpsPort}/xmpp-websocket` },
        { rel: 'urn:xmpp:alt-connections:xbosh', href: `https://localhost:${t.httpsPort}/http-bind` },
      ],
    });
  });

  it('lists only the endpoints enabled on the host, at the configured public URL', async () => {
    const u = await startWebServer({ hostmeta: { publicUrl: 'https://xmpp.example.com/base/' }, websocket: { path: '/ws' } });
    try {
      const res = await fetch(`${u.httpUrl}/.well-known/host-meta.json`);
      expect(await res.json()).to.deep.equal({ links: [{ rel: 'urn:xmpp:alt-connections:websocket', href: 'wss://xmpp.example.com/base/ws' }] });
      const none = await startWebServer({ hostmeta: {} });
      try {
        expect(await (await fetch(`${none.httpUrl}/.well-known/host-meta.json`)).json()).to.deep.equal({ links: [] });
      } finally {
        await none.stop();
      }
    } finally {
      await u.stop();
    }
  });

  it('refuses bad module options (a public URL that is not http(s))', async () => {
    let err: unknown = null;
    await startWebServer({ hostmeta: { publicUrl: 'ftp://example.com' } }).then((s) => s.stop(), (e: unknown) => (err = e));
    expect(String(err)).to.include('modules.hostmeta.publicUrl').and.to.include('http: or https:');
  });
});

describe('HTTP listener', function () {
  let t: WebTestServer;
  before(async () => {
    t = await startWebServer({ 'http-probe': {}, hostmeta: {} }, {
      http: { maxBodyBytes: 1000, requestTimeoutSeconds: 1, headersTimeoutSeconds: 1 },
      hosts: { 'example.org': { tls: undefined } },
    }, { extraModules: [httpProbe] });
  });
  after(async () => {
    await t.stop();
  });

  it('answers unknown paths with 404 and every response with the security headers', async () => {
    const res = await fetch(`${t.httpUrl}/nothing/here`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await res.text()).to.equal('404 Not Found: nothing is served at /nothing/here\n');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
    expect(res.headers.get('content-security-policy')).to.include("default-src 'none'").and.to.include("frame-ancestors 'none'");
  });

  it('answers a wrong method with 405 and Allow; HEAD works wherever GET does', async () => {
    const res = await fetch(`${t.httpUrl}/echo`);
    expect(res.status).to.equal(405);
    expect(res.headers.get('allow')).to.equal('POST');
    expect(await res.text()).to.equal('405 Method Not Allowed: GET is not allowed here; use POST\n');
    const head = await fetch(`${t.httpUrl}/.well-known/host-meta`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(Number(head.headers.get('content-length'))).to.be.above(50);
    expect(await head.text()).to.equal('');
  });

  it('limits request bodies (413), by Content-Length and while reading', async () => {
    const ok = await fetch(`${t.httpUrl}/echo`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(await ok.text()).to.equal('localhost true http 1000');
    const big = await fetch(`${t.httpUrl}/echo`, { method: 'POST', body: 'x'.repeat(1001) });
    expect(big.status).to.equal(413);
    expect(await big.text()).to.equal('413 Payload Too Large: the request body is larger than 1000 bytes\n');
    // Chunked, so no Content-Length: the limit is found while reading.
    const chunked = await rawHttp(t.httpPort, [
      'POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n',
      `3e8\r\n${'y'.repeat(1000)}\r\n`,
      `3e8\r\n${'y'.repeat(1000)}\r\n`,
    ], 20);
    expect(chunked).to.match(/^HTTP\/1\.1 413 /).and.to.include('larger than 1000 bytes');
  });

  it('answers a request that does not arrive in time with 408 and a body', async () => {
    const started = Date.now();
    const [slowBody, slowHeaders] = await Promise.all([
      rawHttp(t.httpPort, ['POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly part of it']),
      rawHttp(t.httpPort, ['GET /.well-known/host-meta HTTP/1.1\r\nHost: loc']),
    ]);
    expect(slowBody).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/).and.to.include('the request was not received in time');
    expect(slowHeaders).to.match(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).to.be.below(3000);
  });

  it('answers malformed requests with 400, handler failures with 500, HttpError with its status', async () => {
    expect(await rawHttp(t.httpPort, ['BREW / HTTP/1.1 extra\r\n\r\n'])).to.match(/^HTTP\/1\.1 400 Bad Request\r\n[^]*malformed HTTP request/);
    const boom = await fetch(`${t.httpUrl}/boom`);
    expect(boom.status).to.equal(500);
    expect(await boom.text()).to.equal('500 Internal Server Error: the server failed to answer this request\n');
    const teapot = await fetch(`${t.httpUrl}/teapot`);
    expect(teapot.status).to.equal(418);
    expect(await teapot.text()).to.include('short and stout');
  });

  it('dispatches by Host to the virtual host (or a parent domain), else to the first host', async () => {
    const post = (host: string) => rawHttp(t.httpPort, [`POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`]);
    expect(await post('example.org')).to.match(/\r\n\r\nexample\.org true http 2$/);
    expect(await post('chat.example.org:5280')).to.match(/\r\n\r\nexample\.org /);
    expect(await post('unknown.example')).to.match(/\r\n\r\nlocalhost /);
    expect(await post('bad host!')).to.match(/\r\n\r\nlocalhost /);
  });

  it('serves HTTPS with the host certificate chosen by SNI', async () => {
    const res = await fetch(`https://localhost:${t.httpsPort}/echo`, { method: 'POST', body: 'abc' });
    expect(await res.text()).to.equal('localhost true https 3');
  });
});
