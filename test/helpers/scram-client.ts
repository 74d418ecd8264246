// A client side of SCRAM (RFC 5802/7677/9266) for driving the server from tests, including -PLUS.
import crypto from 'node:crypto';
import type tls from 'node:tls';

export type ScramAlgo = 'SHA-1' | 'SHA-256';

const nodeHash = (a: ScramAlgo) => (a === 'SHA-1' ? 'sha1' : 'sha256');

export interface ScramClientOptions {
  username: string;
  password: string;
  algo: ScramAlgo;
  /** gs2 flag: 'n' (no CB), 'y' (client supports CB, thinks server does not), or a CB type for -PLUS. */
  cb?: 'n' | 'y' | 'tls-exporter' | 'tls-server-end-point';
  cbData?: Buffer;
  authzid?: string;
}

export class ScramClient {
  readonly nonce = crypto.randomBytes(18).toString('base64');
  #gs2: string;
  #clientFirstBare: string;
  #serverSignature: Buffer | null = null;

  constructor(private readonly o: ScramClientOptions) {
    const flag = !o.cb || o.cb === 'n' ? 'n' : o.cb === 'y' ? 'y' : `p=${o.cb}`;
    this.#gs2 = `${flag},${o.authzid ? `a=${o.authzid}` : ''},`;
    const user = o.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.#clientFirstBare = `n=${user},r=${this.nonce}`;
  }

  first(): string {
    return this.#gs2 + this.#clientFirstBare;
  }

  /** Computes the client-final message from the server-first message. */
  final(serverFirst: string, override?: { nonce?: string; cbind?: string; proof?: Buffer }): string {
    const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
    const salt = Buffer.from(attrs.s!, 'base64');
    const iterations = Number(attrs.i);
    const h = nodeHash(this.o.algo);
    const salted = crypto.pbkdf2Sync(this.o.password, salt, iterations, this.o.algo === 'SHA-1' ? 20 : 32, h);
    const clientKey = crypto.createHmac(h, salted).update('Client Key').digest();
    const storedKey = crypto.createHash(h).update(clientKey).digest();
    const cbInput = Buffer.concat([Buffer.from(this.#gs2), this.o.cbData ?? Buffer.alloc(0)]);
    const withoutProof = `c=${override?.cbind ?? cbInput.toString('base64')},r=${override?.nonce ?? attrs.r}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = crypto.createHmac(h, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    const serverKey = crypto.createHmac(h, salted).update('Server Key').digest();
    this.#serverSignature = crypto.createHmac(h, serverKey).update(authMessage).digest();
    return `${withoutProof},p=${(override?.proof ?? proof).toString('base64')}`;
  }

  /** True if the server-final message proves the server knew the password's keys. */
  verify(serverFinal: string): boolean {
    return serverFinal === `v=${this.#serverSignature!.toString('base64')}`;
  }
}

/** Channel-binding data as the client sees it. */
export function clientChannelBinding(socket: tls.TLSSocket, type: 'tls-exporter' | 'tls-server-end-point'): Buffer {
  if (type === 'tls-exporter') return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  const cert = socket.getPeerX509Certificate();
  if (!cert) throw new Error('no server certificate');
  return crypto.createHash('sha256').update(cert.raw).digest();
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');
export const unb64 = (s: string) => Buffer.from(s, 'base64').toString();
