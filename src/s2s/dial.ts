// Opening the TCP (or direct TLS) connection of an outgoing stream: the targets in order, each address of each
// target, until one answers, within the caller's deadline.
import net from 'node:net';
import tls from 'node:tls';
import type { S2SEnv } from './env.js';
import { resolveTargets, type Target } from './resolve.js';

/** Per-address connect timeout (the caller's overall deadline still applies). */
const ATTEMPT_MS = 10_000;

export class DialError extends Error {
  constructor(message: string, readonly condition: 'remote-server-not-found' | 'remote-server-timeout') {
    super(message);
  }
}

function connectOnce(host: string, port: number, target: Target, tlsOptions: tls.ConnectionOptions, ms: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = target.directTls ? tls.connect({ ...tlsOptions, host, port, rejectUnauthorized: false }) : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timeout connecting to ${host}:${port}`));
    }, ms);
    timer.unref();
    socket.once(target.directTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/** Connects to the first reachable target of `remote`; rejects with DialError. `cancelled()` stops between attempts. */
export async function dial(env: S2SEnv, local: string, remote: string, deadline: number, cancelled: () => boolean): Promise<{ socket: net.Socket; target: Target }> {
  let targets: Target[];
  try {
    targets = await resolveTargets(remote, env.s2s.routes, env.resolver);
  } catch (err) {
    throw new DialError(`cannot resolve ${remote}: ${(err as Error).message}`, 'remote-server-not-found');
  }
  const errors: string[] = [];
  for (const target of targets) {
    let addresses: string[];
    try {
      addresses = await env.resolver.addresses(target.host);
    } catch (err) {
      errors.push(`${target.host}: ${(err as Error).message}`);
      continue;
    }
    for (const address of addresses) {
      const left = deadline - Date.now();
      if (left <= 0 || cancelled()) throw new DialError(`no connection to ${remote} in time`, 'remote-server-timeout');
      try {
        const tlsOptions = target.directTls ? env.tls.clientOptions(local, remote, ['xmpp-server']) : {};
        const socket = await connectOnce(address, target.port, target, tlsOptions, Math.min(left, ATTEMPT_MS));
        if (cancelled()) {
          socket.destroy();
          throw new DialError(`no connection to ${remote} in time`, 'remote-server-timeout');
        }
        return { socket, target };
      } catch (err) {
        if (err instanceof DialError) throw err;
        errors.push(`${address}:${target.port}: ${(err as Error).message}`);
      }
    }
  }
  throw new DialError(`cannot connect to ${remote} (${errors.join('; ') || 'no addresses'})`, 'remote-server-not-found');
}
