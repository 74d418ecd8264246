// Hostile clients against the real server (issue 12 §2, the parts the foundation owns): a crowd of
// unauthenticated connections, slowloris, login floods without enumeration, and bounded memory.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectSecure, rawLogin, saslAuth } from '../helpers/login.js';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

describe('adversarial: floods and slow clients', function () {
  this.timeout(60_000);
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ limits: { maxConnectionsPerIp: 10_000, maxUnauthenticated: 10_000 } });
    await t.addUser('alice', 'wonderland');
  });
  after(async () => t.stop());

  it('a legitimate user logs in within 5 s while 5 000 unauthenticated connections are held open', async () => {
    const CROWD = 5000;
    const rssStart = process.memoryUsage().rss;
    const crowd: RawClient[] = [];
    for (let i = 0; i < CROWD; i += 250) {
      crowd.push(...await Promise.all(Array.from({ length: 250 }, async () => {
        const c = await RawClient.connect(t.c2sPort);
        c.send(HEADER);
        return c;
      })));
    }
    const rssWithCrowd = process.memoryUsage().rss;
    const started = Date.now();
    const { client } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland' });
    const took = Date.now() - started;
    client.close();
    for (const c of crowd) c.close();
    expect(took).to.be.below(5000);
    expect(t.server.sessionCount()).to.be.at.least(CROWD);
    // In-process server and clients share the process: both ends of an idle unauthenticated stream together must
    // cost well under 40 KB.
    const perConnection = (rssWithCrowd - rssStart) / CROWD;
    expect(perConnection, `${(perConnection / 1024).toFixed(1)} KB per connection`).to.be.below(40 * 1024);
  });

  it('slowloris: a stanza trickled byte by byte never grows past the size limit and idles out', async () => {
    const s = await startTestServer({ limits: { idleTimeoutSeconds: 0.5, authTimeoutSeconds: 60 } });
    try {
      const c = await RawClient.connect(s.c2sPort);
      c.send(HEADER);
      c.send('<message><body>');
      for (let i = 0; i < 5; i++) {
        c.send('x');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Then silence: the idle timer closes it.
      await c.expect(/<connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/, 5000);
      await c.waitClosed();
    } finally {
      await s.stop();
    }
  });

  it('a login flood from one address is throttled with the same answer for existing and unknown users', async () => {
    const s = await startTestServer({ auth: { maxFailures: 5, failureDelayMs: 50 } });
    try {
      await s.addUser('victim', 'right-password');
      const answers: string[] = [];
      const durations: Record<string, number[]> = { victim: [], nobody: [] };
      for (let i = 0; i < 4; i++) {
        for (const user of ['victim', 'nobody'] as const) {
          const { client } = await connectSecure({ port: s.c2sPort });
          const started = process.hrtime.bigint();
          const r = await saslAuth(client, { port: 0, username: user, password: `guess-${i}`, mechanism: 'SCRAM-SHA-256' });
          durations[user]!.push(Number(process.hrtime.bigint() - started) / 1e6);
          answers.push(`${user}:${r.answer.replace(/<text[^>]*>[^<]*<\/text>/, '')}`);
          client.close();
        }
      }
      // The first failures are not-authorized for both, then both are throttled the same way.
      const forUser = (u: string) => answers.filter((a) => a.startsWith(`${u}:`)).map((a) => a.slice(u.length + 1));
      expect(forUser('victim')).to.deep.equal(forUser('nobody'));
      expect(forUser('victim').at(-1)).to.include('temporary-auth-failure');
      // Timing: no consistent gap between a real and an unknown account (each failure pays the same delay).
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      expect(Math.abs(median(durations.victim!) - median(durations.nobody!))).to.be.below(40);
      // The right password is refused while the address is locked (no password oracle).
      const { client } = await connectSecure({ port: s.c2sPort });
      const r = await saslAuth(client, { port: 0, username: 'victim', password: 'right-password', mechanism: 'SCRAM-SHA-256' });
      expect(r.ok).to.equal(false);
      expect(r.answer).to.include('temporary-auth-failure');
      client.close();
    } finally {
      await s.stop();
    }
  });
});
