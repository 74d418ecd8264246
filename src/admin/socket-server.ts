// The admin socket of a running server: a Unix socket readable and writable by the owner only (mode 0600, created
// under a 0177 umask so there is no moment it is open to others). Whoever can open it is the server's owner and may
// run every command. A stale socket file from a crashed server is replaced; a live one means another server runs.
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from '../log.js';
import { CommandError } from './errors.js';
import { lineReader, type SocketRequest, type SocketResponse } from './socket-protocol.js';
import type { Caller, CommandInfo } from './types.js';

export interface SocketHandlers {
  catalogue(): CommandInfo[];
  run(command: string, args: unknown, caller: Caller): Promise<unknown>;
}

const OWNER: Caller = { via: 'socket', actor: 'local', scopes: ['*'] };

function probe(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(file);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

export interface AdminSocket {
  readonly path: string;
  close(): Promise<void>;
}

export async function listenAdminSocket(file: string, handlers: SocketHandlers, log: Logger): Promise<AdminSocket> {
  const existing = fs.lstatSync(file, { throwIfNoEntry: false });
  if (existing) {
    if (!existing.isSocket()) throw new Error(`${file} exists and is not a socket: remove it or set admin.socket elsewhere`);
    if (await probe(file)) throw new Error(`another server is running (its admin socket ${file} answers)`);
    fs.unlinkSync(file);
  }
  const conns = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let chain = Promise.resolve();
    const reply = (r: SocketResponse) => { if (!sock.destroyed) sock.write(`${JSON.stringify(r)}\n`); };
    const handle = async (line: string) => {
      let req: SocketRequest;
      try {
        req = JSON.parse(line) as SocketRequest;
        if (typeof req !== 'object' || req === null || typeof req.id !== 'number') throw new Error('not a request');
      } catch {
        reply({ id: -1, ok: false, error: { code: 'invalid-argument', message: 'not a JSON request line' } });
        return;
      }
      try {
        if (req.op === 'catalogue') reply({ id: req.id, ok: true, result: handlers.catalogue() });
        else if (req.op === 'run' && typeof req.command === 'string') reply({ id: req.id, ok: true, result: await handlers.run(req.command, req.args, OWNER) });
        else throw new CommandError('invalid-argument', 'unknown request');
      } catch (err) {
        const e = err instanceof CommandError ? err : new CommandError('failed', (err as Error).message);
        reply({ id: req.id, ok: false, error: e.toJSON() });
      }
    };
    sock.on('data', lineReader((line) => { chain = chain.then(() => handle(line)); }, () => sock.destroy()));
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  fs.chmodSync(file, 0o600);
  log.info({ path: file }, 'admin socket listening');
  return {
    path: file,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of conns) c.end();
        setTimeout(() => { for (const c of conns) c.destroy(); }, 200).unref();
      });
      try { fs.unlinkSync(file); } catch { /* already gone */ }
    },
  };
}
