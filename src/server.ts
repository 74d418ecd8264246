// The composition root: config -> logger -> storage -> hosts (certificates, modules) -> listeners.
import { randomBytes } from 'node:crypto';
import type { LoadedConfig } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import { openStorage } from './storage/index.js';
import type { StorageDriver } from './storage/types.js';
import { VirtualHost } from './core/host.js';
import { Router } from './core/router.js';
import { checkModuleOptions, loadHostModules, type LoadedModule } from './core/modules.js';
import { StreamError } from './core/errors.js';
import { TlsContexts } from './net/tls.js';
import { listen, type BoundListener } from './net/listeners.js';
import { HttpRoutes, listenHttp } from './net/http.js';
import type { Transport } from './net/transport.js';
import { loadHostCertificate } from './net/certs.js';
import { C2SSession } from './stream/c2s.js';
import type { StreamDeps } from './stream/deps.js';
import { buildMechanisms } from './auth/mechanisms.js';
import { LoginThrottle } from './auth/throttle.js';
import { builtinModules } from '../modules/index.js';
import type { ModuleDefinition } from './api/index.js';
import { VERSION } from './version.js';

export interface ServerAddress {
  service: string;
  /** c2s: starttls | direct; http: none | direct. */
  tls: 'starttls' | 'direct' | 'none';
  address: string;
  port: number;
}

export interface StarlingServer {
  readonly config: LoadedConfig;
  readonly storage: StorageDriver;
  readonly log: Logger;
  readonly hosts: ReadonlyMap<string, VirtualHost>;
  addresses(): ServerAddress[];
  /** Connected client sessions (any state). */
  sessionCount(): number;
  /** Starts a client stream on any transport (WebSocket, BOSH), with the same connection limits as the TCP listeners. */
  acceptTransport(transport: Transport): void;
  stop(reason?: string): Promise<void>;
}

/** Module-option problems for `starling check` (already formatted with file lines). */
export function checkModules(config: LoadedConfig): string[] {
  return checkModuleOptions(config, builtinModules);
}

/** A stable per-server secret, kept in the database so that fake SCRAM salts survive restarts. */
async function serverSecret(storage: StorageDriver): Promise<Buffer> {
  const store = storage.open('', 'server', 'keyval');
  const saved = await store.get('secret');
  if (typeof saved === 'string') return Buffer.from(saved, 'base64');
  const fresh = randomBytes(32);
  await store.set('secret', fresh.toString('base64'));
  return fresh;
}

export interface StartOptions {
  logger?: Logger;
  /** Extra module definitions beside the built-in ones (tests, embedding); they load only if enabled in config. */
  extraModules?: readonly ModuleDefinition<any>[];
}

export async function startServer(config: LoadedConfig, opts: StartOptions = {}): Promise<StarlingServer> {
  const log = opts.logger ?? createLogger(config.log);
  const registry = new Map(builtinModules);
  for (const m of opts.extraModules ?? []) registry.set(m.name, m);
  const problems = checkModuleOptions(config, registry);
  if (problems.length) throw new Error(problems.join('\n'));

  const storage = await openStorage({ driver: config.storage.driver, path: config.storage.path, synchronous: config.storage.synchronous });
  const hosts = new Map<string, VirtualHost>();
  const contexts = new TlsContexts(config.tls.minVersion);
  const modules: LoadedModule[] = [];
  const listeners: BoundListener[] = [];
  const sessions = new Set<C2SSession>();
  const perIp = new Map<string, number>();
  let sweeper: NodeJS.Timeout | null = null;
  const startedAt = Date.now();
  const httpRoutes = new HttpRoutes(() => [...hosts.keys()]);
  // Modules receive this before the stream dependencies exist; it is bound below, before any listener opens.
  let acceptTransport = (_transport: Transport): void => {
    throw new Error('the server does not accept connections yet');
  };

  const shutdownPartial = async () => {
    for (const l of listeners) await l.close();
    for (const m of modules.reverse()) await m.unload();
    await storage.close();
  };

  try {
    for (const [name, hostConfig] of Object.entries(config.hosts)) {
      if (!hostConfig.enabled) continue;
      const pair = await loadHostCertificate(config, name, log);
      contexts.set(name, pair);
      hosts.set(name, new VirtualHost(name, hostConfig, log.child({ host: name })));
    }
    if (hosts.size === 0) throw new Error('no enabled hosts in the configuration');

    const router = new Router(hosts, log);
    const serverInfo = { name: 'Starling', version: VERSION, startedAt, hosts: () => [...hosts.keys()] };
    for (const host of hosts.values()) {
      modules.push(...await loadHostModules(host, config, registry, {
        router, storage, server: serverInfo, log, scramIterations: config.auth.scramIterations,
        http: httpRoutes, c2s: { accept: (t) => acceptTransport(t), limits: config.limits },
      }));
    }

    const deps: StreamDeps = {
      hosts,
      defaultHost: hosts.keys().next().value!,
      router,
      config,
      accounts: storage.accounts,
      // Unknown users are shown the same iteration count as real accounts (no enumeration).
      mechanisms: buildMechanisms({ fakeIterations: config.auth.scramIterations }),
      throttle: new LoginThrottle({
        maxFailures: config.auth.maxFailures,
        windowMs: config.auth.failureWindowSeconds * 1000,
        delayMs: config.auth.failureDelayMs,
      }),
      secret: await serverSecret(storage),
      log: log.child({ module: 'c2s' }),
      onClosed: (session) => {
        const s = session as C2SSession;
        if (!sessions.delete(s)) return;
        const n = (perIp.get(s.ip) ?? 1) - 1;
        if (n <= 0) perIp.delete(s.ip);
        else perIp.set(s.ip, n);
      },
    };

    const accept = (transport: Transport) => {
      const limits = config.limits;
      const ipCount = perIp.get(transport.remoteAddress) ?? 0;
      let unauthed = 0;
      for (const s of sessions) if (!s.authenticated) unauthed++;
      const session = new C2SSession(transport, deps);
      sessions.add(session);
      perIp.set(session.ip, ipCount + 1);
      if (ipCount >= limits.maxConnectionsPerIp) {
        session.close(new StreamError('policy-violation', 'too many connections from your address'));
      } else if (unauthed >= limits.maxUnauthenticated) {
        session.close(new StreamError('resource-constraint', 'the server is busy; try again later'));
      }
    };

    acceptTransport = accept;

    for (const l of config.listen) {
      listeners.push(l.service === 'http' ? await listenHttp(l, contexts, httpRoutes, log) : await listen(l, contexts, accept, log));
    }

    // One sweeper for every session's timers instead of a timer per session.
    const l = config.limits;
    const sweepMs = Math.min(5000, Math.max(100, (Math.min(l.authTimeoutSeconds, l.keepaliveSeconds, l.idleTimeoutSeconds) * 1000) / 4));
    sweeper = setInterval(() => {
      const now = Date.now();
      for (const s of sessions) s.checkTimers(now);
    }, sweepMs);
    sweeper.unref();

    for (const host of hosts.values()) await host.bus.fire('server-started', {});
    log.info({ hosts: [...hosts.keys()], version: VERSION }, 'Starling started');

    let stopping: Promise<void> | null = null;
    return {
      config,
      storage,
      log,
      hosts,
      addresses: () => listeners.map((b) => ({ service: b.config.service, tls: b.config.tls, address: b.address, port: b.port })),
      sessionCount: () => sessions.size,
      acceptTransport: (t) => acceptTransport(t),
      stop(reason = 'system shutdown') {
        stopping ??= (async () => {
          log.info({ reason }, 'stopping');
          for (const host of hosts.values()) await host.bus.fire('server-stopping', { reason });
          if (sweeper) clearInterval(sweeper);
          const closing = Promise.all(listeners.map((b) => b.close()));
          for (const s of sessions) s.close(new StreamError('system-shutdown', reason));
          // Give clients the close timeout to answer </stream:stream>, then the sockets are dropped.
          const deadline = Date.now() + config.limits.closeTimeoutSeconds * 1000 + 500;
          while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          await closing;
          router.tracker.cancelAll();
          for (const m of modules.reverse()) await m.unload();
          await storage.close();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await shutdownPartial().catch(() => undefined);
    throw err;
  }
}
