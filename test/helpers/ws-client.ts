// A raw WebSocket client for RFC 7395 tests: exact frames in, every received text frame kept in order.
import WebSocket from 'ws';

export interface WsConnectOptions {
  protocols?: string[];
  origin?: string;
  headers?: Record<string, string>;
  /** Offer permessage-deflate (the server must not accept it). */
  deflate?: boolean;
}

export class WsClient {
  readonly frames: string[] = [];
  closeCode: number | null = null;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? `[binary ${String(data)}]` : String(data));
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
    ws.on('error', () => undefined);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Connects; rejects with the HTTP status when the server refuses the upgrade. */
  static connect(url: string, o: WsConnectOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const headers = { ...(o.headers ?? {}) };
      const ws = new WebSocket(url, o.protocols ?? ['xmpp'], { headers, origin: o.origin, perMessageDeflate: o.deflate ?? false });
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(frame: string | Buffer, binary = false): void {
    this.ws.send(frame, { binary });
  }

  /** Waits for the next frame that matches, dropping the frames before it; returns the match. */
  async expect(pattern: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.frames.length > 0) {
        const f = this.frames.shift()!;
        const m = f.match(pattern);
        if (m) return m;
      }
      if (this.closeCode !== null) throw new Error(`WebSocket closed (${this.closeCode}) while waiting for ${pattern}`);
      await this.#wait(deadline, `timed out waiting for ${pattern}`);
    }
  }

  /** The next frame, whatever it is. */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closeCode !== null) throw new Error(`WebSocket closed (${this.closeCode})`);
      await this.#wait(deadline, 'timed out waiting for a frame');
    }
    return this.frames.shift()!;
  }

  /** Resolves with the close code once the connection is closed. */
  async waitClosed(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) await this.#wait(deadline, 'the WebSocket did not close');
    return this.closeCode;
  }

  #wait(deadline: number, message: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new Error(message));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(message)), left);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
