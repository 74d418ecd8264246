// TCP listeners from the config: c2s with STARTTLS (5222) and with direct TLS (5223, XEP-0368,
// ALPN 'xmpp-client'). Connection limits are applied before any parsing happens.
import net from 'node:net';
import tls from 'node:tls';
import type { ListenerConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { TcpTransport, type Transport } from './transport.js';
import type { TlsContexts } from './tls.js';

export interface BoundListener {
  config: ListenerConfig;
  address: string;
  port: number;
  close(): Promise<void>;
}

export type AcceptFn = (transport: Transport) => void;

export async function listen(cfg: ListenerConfig, contexts: TlsContexts, accept: AcceptFn, log: Logger): Promise<BoundListener> {
  const server = cfg.tls === 'direct'
    ? directTlsServer(contexts.serverOptions(['xmpp-client']), (socket) => accept(new TcpTransport(socket, contexts)), log)
    : net.createServer((socket) => accept(new TcpTransport(socket, contexts)));
  return bindListener(server, cfg, log);
}

/** A TLS-from-the-first-byte server (XEP-0368): failed handshakes are logged at debug level and dropped. */
export function directTlsServer(options: tls.TlsOptions, onSocket: (socket: tls.TLSSocket) => void, log: Logger): tls.Server {
  const server = tls.createServer({ ...options, handshakeTimeout: 30_000 });
  server.on('secureConnection', onSocket);
  server.on('tlsClientError', (err, socket) => {
    log.debug({ err: err.message, ip: socket.remoteAddress }, 'TLS handshake failed');
    socket.destroy();
  });
  return server;
}

/** Binds `server` to the listener's address; a bind failure rejects with a message an admin can act on. */
export async function bindListener(server: net.Server, cfg: ListenerConfig, log: Logger): Promise<BoundListener> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use'
        : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
          : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.message;
      reject(new Error(`cannot listen for ${cfg.service} on ${cfg.address}:${cfg.port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(cfg.port, cfg.address, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'listener error'));
  const addr = server.address() as net.AddressInfo;
  log.info({ service: cfg.service, tls: cfg.tls, address: addr.address, port: addr.port }, 'listening');
  return {
    config: cfg,
    address: addr.address,
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
