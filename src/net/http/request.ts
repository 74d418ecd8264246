// Builds the HttpRequest a handler sees: validated Host, scheme and "secure" decided once, a bounded body reader.
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { HttpListenerConfig } from '../../config/schema.js';
import { HttpError, type HttpRequest } from './types.js';

const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?$/;

export function isLoopback(address: string): boolean {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || (net.isIPv4(a) && a.startsWith('127.'));
}

export interface RequestContext {
  listener: HttpListenerConfig;
  vhost: (hostname: string) => string;
}

/** Where the request really comes from and whether it was encrypted on the way (see the listener options). */
export function origin(raw: IncomingMessage, cfg: HttpListenerConfig): { remoteAddress: string; scheme: 'http' | 'https'; secure: boolean } {
  const peer = raw.socket.remoteAddress ?? 'unknown';
  const tls = cfg.tls === 'direct';
  if (cfg.trustProxy && isLoopback(peer)) {
    const fwd = String(raw.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const last = fwd[fwd.length - 1];
    const proto = String(raw.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
    const scheme = tls || proto === 'https' ? 'https' : 'http';
    return { remoteAddress: last && net.isIP(last) ? last : peer, scheme, secure: scheme === 'https' };
  }
  return { remoteAddress: peer, scheme: tls ? 'https' : 'http', secure: tls || (cfg.secureLoopback && isLoopback(peer)) };
}

export function parseHost(header: string | undefined): { host: string; hostname: string } {
  const m = header ? HOST_HEADER.exec(header) : null;
  if (!m) return { host: '', hostname: '' };
  if (m[2] !== undefined && Number(m[2]) > 65535) return { host: '', hostname: '' };
  return { host: header!, hostname: m[1]!.toLowerCase().replace(/\.$/, '') };
}

export function buildRequest(raw: IncomingMessage, ctx: RequestContext, url: URL, path: string, subpath = ''): HttpRequest {
  const { host, hostname } = parseHost(raw.headers.host);
  const o = origin(raw, ctx.listener);
  let bodyPromise: Promise<Buffer> | null = null;
  return {
    method: raw.method ?? 'GET',
    path,
    subpath,
    query: url.searchParams,
    headers: raw.headers,
    host,
    hostname,
    scheme: o.scheme,
    secure: o.secure,
    remoteAddress: o.remoteAddress,
    vhost: ctx.vhost(hostname),
    raw,
    body(maxBytes = ctx.listener.maxBodyBytes) {
      bodyPromise ??= readBody(raw, maxBytes);
      return bodyPromise;
    },
  };
}

function readBody(raw: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = raw.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(new HttpError(413, `the request body is larger than ${maxBytes} bytes`, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        raw.pause();
        reject(new HttpError(413, `the request body is larger than ${maxBytes} bytes`, { Connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onClose = () => {
      cleanup();
      reject(new HttpError(400, 'the request body was cut off'));
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('close', onClose);
    raw.on('error', onClose);
  });
}
