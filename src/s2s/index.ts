// Federation and components, wired into the server: the route/remote hook on every host, the s2s and component
// listeners, and the timers. Off unless configured (see src/s2s/config.ts).
import net from 'node:net';
import type { LoadedConfig } from '../config/schema.js';
import type { VirtualHost } from '../core/host.js';
import { PRIORITY } from '../core/hooks.js';
import type { Router } from '../core/router.js';
import type { Logger } from '../log.js';
import { bindListener, directTlsServer, type BoundListener } from '../net/listeners.js';
import type { CertPair } from '../net/tls.js';
import { ComponentRegistry, ComponentStream } from './component.js';
import type { ComponentListenerConfig, S2SListenerConfig } from './config.js';
import { DialbackKeys } from './dialback.js';
import { S2STls, type S2SEnv } from './env.js';
import { S2SManager } from './manager.js';
import { S2S_NS } from './ns.js';
import { createResolver, type SrvResolver } from './resolve.js';
import { S2SSocket } from './socket.js';
import { loadTrustAnchors } from './trust.js';

export type { SrvResolver } from './resolve.js';
export { S2SManager } from './manager.js';

export interface FederationOptions {
  config: LoadedConfig;
  hosts: ReadonlyMap<string, VirtualHost>;
  router: Router;
  log: Logger;
  /** The per-server secret (dialback keys are derived from it). */
  secret: Buffer;
  /** Our certificate per host. */
  certificates: ReadonlyMap<string, CertPair>;
  /** DNS for SRV and address lookups (default: the system's, or s2s.dnsServers). */
  resolver?: SrvResolver;
}

export interface Federation {
  /** Null when federation is off. */
  readonly manager: S2SManager | null;
  listen(cfg: S2SListenerConfig | ComponentListenerConfig): Promise<BoundListener>;
  stop(): Promise<void>;
}

/** Whether federation is on: s2s.enabled, or when unset, whether an s2s listener is configured. */
export function federationEnabled(config: LoadedConfig): boolean {
  return config.s2s.enabled ?? config.listen.some((l) => l.service === 's2s');
}

export function createFederation(opts: FederationOptions): Federation {
  const { config, hosts, router } = opts;
  const log = opts.log.child({ module: 's2s' });
  const unhook: (() => void)[] = [];
  let manager: S2SManager | null = null;
  let env: S2SEnv | null = null;
  let sweeper: NodeJS.Timeout | null = null;

  if (federationEnabled(config)) {
    const s2sTls = new S2STls(loadTrustAnchors(config.s2s.caFiles), config.tls.minVersion);
    for (const [host, pair] of opts.certificates) s2sTls.add(host, pair);
    env = {
      config, s2s: config.s2s, hosts, router, log,
      keys: new DialbackKeys(opts.secret),
      resolver: opts.resolver ?? createResolver(config.s2s.dnsServers),
      tls: s2sTls,
    };
    const m = new S2SManager(env);
    manager = m;
    for (const host of hosts.values()) {
      unhook.push(host.bus.on('route/remote', (ev) => {
        m.send(ev);
        return true;
      }, PRIORITY.FALLBACK, 's2s'));
    }
    const s = config.s2s;
    const sweepMs = Math.max(100, Math.min(5000, (Math.min(s.keepaliveSeconds, s.idleTimeoutSeconds, s.authTimeoutSeconds) * 1000) / 4));
    sweeper = setInterval(() => m.sweep(Date.now()), sweepMs);
    sweeper.unref();
  }

  const components = new ComponentRegistry(router, config.components, log.child({ module: 'component' }));
  components.start();

  return {
    manager,
    async listen(cfg) {
      let server: net.Server;
      if (cfg.service === 's2s') {
        const m = manager;
        if (!m || !env) throw new Error(`an s2s listener on ${cfg.address}:${cfg.port} needs s2s.enabled (it is false)`);
        // XEP-0368 direct TLS: ALPN 'xmpp-server'; the peer's certificate is asked for, never required.
        server = cfg.tls === 'direct'
          ? directTlsServer(env.tls.serverOptions(null, ['xmpp-server']), (socket) => m.accept(socket), log)
          : net.createServer((socket) => m.accept(socket));
      } else {
        server = net.createServer((socket) => {
          new ComponentStream(new S2SSocket(socket, S2S_NS.COMPONENT), config.limits, log, components);
        });
      }
      return bindListener(server, cfg, log);
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
      for (const u of unhook) u();
      await components.stop();
      await manager?.stop();
    },
  };
}
