// A real TURN server (coturn's turnserver, when installed) on loopback for the XEP-0215 tests, and a minimal
// TURN client (RFC 5766 Allocate with the RFC 5389 long-term credential mechanism) to try credentials on it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAGIC = 0x2112a442;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, REALM: 0x0014, NONCE: 0x0015, REQUESTED_TRANSPORT: 0x0019, XOR_RELAYED_ADDRESS: 0x0016 };

export function turnserverInstalled(): boolean {
  return spawnSync('turnserver', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Coturn {
  port: number;
  realm: string;
  stop(): Promise<void>;
}

/** Starts turnserver with the TURN REST API shared secret (use-auth-secret) on 127.0.0.1. */
export async function startCoturn(secret: string): Promise<Coturn> {
  const port = await freeUdpPort();
  const realm = 'starling.test';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coturn-'));
  const child: ChildProcess = spawn('turnserver', [
    '-n', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(port),
    '--use-auth-secret', '--static-auth-secret', secret, '--realm', realm, '--no-tls', '--no-dtls', '--no-cli',
    '--allow-loopback-peers', '--min-port', '49160', '--max-port', '49200', '--userdb', path.join(dir, 'turn.db'),
    '--pidfile', path.join(dir, 'turn.pid'), '--log-file', 'stdout', '--simple-log',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  // Ready once a STUN binding request on the port gets an answer.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`turnserver exited: ${log.slice(-2000)}`);
    const answer = await exchange(port, message(0x0001, randomBytes(12), []), 300).catch(() => null);
    if (answer) break;
    if (Date.now() > deadline) throw new Error(`turnserver did not answer: ${log.slice(-2000)}`);
  }
  return {
    port,
    realm,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function message(type: number, tid: Buffer, attrs: Buffer[], key?: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(body.length + (key ? 24 : 0), 2);
  head.writeUInt32BE(MAGIC, 4);
  tid.copy(head, 8);
  const msg = Buffer.concat([head, body]);
  if (!key) return msg;
  // RFC 5389 §15.4: HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, the length already counting it.
  return Buffer.concat([msg, attr(ATTR.MESSAGE_INTEGRITY, createHmac('sha1', key).update(msg).digest())]);
}

function parse(buf: Buffer): { type: number; attrs: Map<number, Buffer> } {
  const attrs = new Map<number, Buffer>();
  let off = 20;
  while (off + 4 <= buf.length) {
    const t = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    attrs.set(t, buf.subarray(off + 4, off + 4 + len));
    off += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: buf.readUInt16BE(0), attrs };
}

/** Sends one request and waits for the answer, on `socket` (TURN binds allocations and nonces to the 5-tuple). */
function exchange(port: number, msg: Buffer, timeoutMs = 3000, socket?: dgram.Socket): Promise<Buffer> {
  const s = socket ?? dgram.createSocket('udp4');
  const done = () => {
    if (!socket) s.close();
  };
  return new Promise<Buffer>((resolve, reject) => {
    const onMessage = (m: Buffer) => {
      clearTimeout(t);
      done();
      resolve(m);
    };
    const t = setTimeout(() => {
      s.off('message', onMessage);
      done();
      reject(new Error('no STUN answer'));
    }, timeoutMs);
    s.once('message', onMessage);
    s.send(msg, port, '127.0.0.1');
  });
}

/** Tries a TURN Allocate with these credentials: 'allocated', or the STUN error code (401 = refused). */
export async function allocate(port: number, username: string, password: string): Promise<'allocated' | number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  try {
    return await allocateOn(socket, port, username, password);
  } finally {
    socket.close();
  }
}

async function allocateOn(socket: dgram.Socket, port: number, username: string, password: string): Promise<'allocated' | number> {
  const transport = attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0]));
  const first = parse(await exchange(port, message(0x0003, randomBytes(12), [transport]), 3000, socket));
  const realm = first.attrs.get(ATTR.REALM);
  const nonce = first.attrs.get(ATTR.NONCE);
  if (first.type !== 0x0113 || !realm || !nonce) throw new Error(`unexpected first answer 0x${first.type.toString(16)}`);
  const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
  const second = parse(await exchange(port, message(0x0003, randomBytes(12),
    [transport, attr(ATTR.USERNAME, Buffer.from(username)), attr(ATTR.REALM, realm), attr(ATTR.NONCE, nonce)], key), 3000, socket));
  if (second.type === 0x0103 && second.attrs.has(ATTR.XOR_RELAYED_ADDRESS)) return 'allocated';
  const err = second.attrs.get(ATTR.ERROR_CODE);
  return err ? err[2]! * 100 + err[3]! : -1;
}
