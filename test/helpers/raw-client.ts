// A raw XMPP client for tests where exact bytes matter: it sends strings and waits for patterns in
// what the server wrote, consuming the input up to each match.
import net from 'node:net';
import tls from 'node:tls';

export class RawClient {
  socket: net.Socket;
  buffer = '';
  closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.#attach(socket);
  }

  #attach(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, opts: { tls?: boolean; servername?: string; alpn?: string[]; host?: string } = {}): Promise<RawClient> {
    const host = opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = opts.tls
        ? tls.connect({ host, port, servername: opts.servername ?? 'localhost', ALPNProtocols: opts.alpn }, () => resolve(new RawClient(socket)))
        : net.connect({ host, port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  get tlsSocket(): tls.TLSSocket | null {
    return this.socket instanceof tls.TLSSocket ? this.socket : null;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a client stream header. */
  open(to = 'localhost', extra = ''): void {
    this.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'${extra}>`);
  }

  /** Waits until the buffer matches, returns the match and drops everything up to its end. */
  async expect(pattern: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.buffer.match(pattern);
      if (m) {
        this.buffer = this.buffer.slice((m.index ?? 0) + m[0].length);
        return m;
      }
      if (this.closed) throw new Error(`connection closed while waiting for ${pattern}; got: ${this.buffer.slice(0, 500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got: ${this.buffer.slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Upgrades to TLS after <proceed/>; `extra` adds TLS options (e.g. a client certificate for s2s tests). */
  async startTls(servername = 'localhost', extra: tls.ConnectionOptions = {}): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    this.buffer = '';
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ ...extra, socket: raw, servername }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.#attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}
