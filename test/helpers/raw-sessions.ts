// Several raw-socket logins in one test file: log in (closed together at the end) and send an IQ, getting back the
// whole answer with the same id as text — for tests that assert exact stanzas.
import { rawLogin } from './login.js';
import type { RawClient } from './raw-client.js';

export class RawSessions {
  readonly open: RawClient[] = [];
  #n = 0;

  /** `port` is read at each login (a test may restart its server); IQ ids are `idPrefix` and a counter. */
  constructor(private readonly port: () => number, private readonly opts: { password?: string; idPrefix?: string } = {}) {}

  async login(username: string, resource: string): Promise<RawClient> {
    const { client } = await rawLogin({ port: this.port(), username, password: this.opts.password ?? 'pw', resource });
    this.open.push(client);
    return client;
  }

  /** Sends `<iq type to>payload</iq>` and resolves with the answer's text. */
  async iq(c: RawClient, type: 'get' | 'set', payload: string, to?: string | null): Promise<string> {
    const id = `${this.opts.idPrefix ?? 'q'}${++this.#n}`;
    c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
    return (await c.expect(new RegExp(`<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>)`, 's')))[0];
  }

  /** A fresh id for stanzas the test builds itself. */
  nextId(prefix = 'x'): string {
    return `${prefix}${++this.#n}`;
  }

  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}
