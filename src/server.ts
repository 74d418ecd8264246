// The composition root: config -> logger -> storage -> hosts (certificates, modules) -> listeners.
import { randomBytes } from 'node:crypto';
import type { LoadedConfig } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import { openStorage } from './storage/index.js';
import type { StorageDriver } from './storage/types.js';
import { VirtualHost } from './core/host.js';
import { HookBus } from './core/hooks.js';
import type { ServerHookMap } from './core/server-events.js';
import { Router } from './core/router.js';
import { checkModuleOptions, loadHostModules, type LoadedModule } from './core/modules.js';
import { StreamError } from './core/errors.js';
import { TlsContexts } from './net/tls.js';
import { listen, type BoundListener } from './net/listeners.js';
import { replayDeletedAccounts } from './core/deleted-accounts.js';
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
import { createFederation, type Federation, type S2SManager, type SrvResolver } from './s2s/index.js';
import { AdminRuntime } from './admin/runtime.js';
import { createServerControl } from './admin/control.js';
import type { ReloadReport, ServerControl } from './admin/types.js';
import { loadConfigFile } from './config/load.js';

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
  /** Federation (s2s connections), or null when it is off. */
  readonly federation: S2SManager | null;
  stop(reason?: string): Promise<void>;
  /** Admin commands, run against this server (the admin socket, REST and ad-hoc use it). */
  readonly admin: AdminRuntime;
  /** What admin commands see of the server (status, reload, modules...). */
  readonly control: ServerControl;
  /** The admin socket's path, or null when admin.socket is false. */
  readonly adminSocket: string | null;
  /** Re-reads and applies the configuration (SIGHUP, `starling reload`); rejects and keeps the old one if invalid. */
  reload(): Promise<ReloadReport>;
  /** Resolves once the server has stopped, whoever stopped it (a signal, `starling stop`). */
  whenStopped(): Promise<void>;
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
  /** DNS for federation (SRV/A lookups); tests inject one. Default: the system's or s2s.dnsServers. */
  resolver?: SrvResolver;
  /** Where reload gets the new configuration (default: the config file again). */
  reloadConfig?: () => Promise<LoadedConfig>;
}

export async function startServer(config: LoadedConfig, opts: StartOptions = {}): Promise<StarlingServer> {
  const log = opts.logger ?? createLogger(config.log);
  const registry = new Map(builtinModules);
  for (const m of opts.extraModules ?? []) registry.set(m.name, m);
  const problems = checkModuleOptions(config, registry);
  if (problems.length) throw new Error(problems.join('\n'));

  const storage = await openStorage({ driver: config.storage.driver, path: config.storage.path, synchronous: config.storage.synchronous });
  const admin = new AdminRuntime(storage, log);
  const hosts = new Map<string, VirtualHost>();
  const serverBus = new HookBus<ServerHookMap>({ log });   // events of any host (ctx.hookServer)
  const contexts = new TlsContexts(config.tls.minVersion);
  const certificates = new Map<string, { cert: string; key: string }>();
  let federation: Federation | null = null;
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
    await admin.close();
    await federation?.stop();
    for (const l of listeners) await l.close();
    for (const m of modules.reverse()) await m.unload();
    await storage.close();
  };

  try {
    for (const [name, hostConfig] of Object.entries(config.hosts)) {
      if (!hostConfig.enabled) continue;
      const pair = await loadHostCertificate(config, name, log);
      contexts.set(name, pair);
      certificates.set(name, pair);
      hosts.set(name, new VirtualHost(name, hostConfig, log.child({ host: name }), serverBus));
    }
    if (hosts.size === 0) throw new Error('no enabled hosts in the configuration');

    const router = new Router(hosts, log);
    const serverInfo = { name: 'Starling', version: VERSION, startedAt, hosts: () => [...hosts.keys()], dataDir: config.dataDir };
    const moduleEnv = {
      router, storage, server: serverInfo, log, scramIterations: config.auth.scramIterations,
      http: httpRoutes, c2s: { accept: (t: Transport) => acceptTransport(t), limits: config.limits }, admin,
    };
    for (const host of hosts.values()) {
      modules.push(...await loadHostModules(host, config, registry, moduleEnv));
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

    const fed = createFederation({ config, hosts, router, log, secret: await serverSecret(storage), certificates, resolver: opts.resolver });
    federation = fed;
    // Cleanups of accounts deleted while the server was stopped, before anyone can connect.
    await replayDeletedAccounts(storage, hosts, log);

    for (const l of config.listen) {
      listeners.push(l.service === 'http' ? await listenHttp(l, contexts, httpRoutes, log)
        : l.service === 's2s' || l.service === 'component' ? await fed.listen(l) : await listen(l, contexts, accept, log));
    }

    // One sweeper for every session's timers instead of a timer per session.
    const l = config.limits;
    const sweepMs = Math.min(5000, Math.max(100, (Math.min(l.authTimeoutSeconds, l.keepaliveSeconds, l.idleTimeoutSeconds) * 1000) / 4));
    sweeper = setInterval(() => {
      const now = Date.now();
      for (const s of sessions) s.checkTimers(now);
    }, sweepMs);
    sweeper.unref();

    let stopping: Promise<void> | null = null;
    const addresses = () => listeners.map((b) => ({ service: b.config.service, tls: b.config.tls, address: b.address, port: b.port }));
    const control = createServerControl({
      startedAt, version: VERSION, config, storage, log, hosts, modules, registry, moduleEnv, contexts, addresses,
      connectionCount: () => sessions.size,
      s2sConnectionCount: () => fed.manager?.connectionCount ?? 0,
      send: (stanza) => router.send(stanza),
      sendIq: (stanza, timeoutMs = 30_000) => {
        stanza.attrs.id ??= router.tracker.nextId();
        const pending = router.tracker.track(stanza.attrs.id as string, stanza.attrs.to ?? '', timeoutMs);
        void router.send(stanza);
        return pending;
      },
      stop: (reason) => api.stop(reason),
      loadConfig: opts.reloadConfig ?? (() => {
        if (!config.file) throw new Error('the configuration was not read from a file');
        return loadConfigFile(config.file);
      }),
    });
    admin.attach(control);
    const adminSocket = await admin.listen(config);

    for (const host of hosts.values()) await host.bus.fire('server-started', {});
    log.info({ hosts: [...hosts.keys()], version: VERSION }, 'Starling started');

    let markStopped = () => {};
    const stopped = new Promise<void>((resolve) => { markStopped = resolve; });
    const api: StarlingServer = {
      whenStopped: () => stopped,
      admin,
      control,
      adminSocket,
      reload: () => control.reload(),
      config,
      storage,
      log,
      hosts,
      addresses,
      sessionCount: () => sessions.size,
      acceptTransport: (t) => acceptTransport(t),
      federation: fed.manager,
      stop(reason = 'system shutdown') {
        stopping ??= (async () => {
          log.info({ reason }, 'stopping');
          await admin.close();
          for (const host of hosts.values()) await host.bus.fire('server-stopping', { reason });
          if (sweeper) clearInterval(sweeper);
          const closing = Promise.all(listeners.map((b) => b.close()));
          for (const s of sessions) s.close(new StreamError('system-shutdown', reason));
          await federation?.stop();
          // Give clients the close timeout to answer </stream:stream>, then the sockets are dropped.
          const deadline = Date.now() + config.limits.closeTimeoutSeconds * 1000 + 500;
          while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          await closing;
          router.tracker.cancelAll();
          for (const m of modules.reverse()) await m.unload();
          await storage.close();
          log.info('stopped');
          markStopped();
        })();
        return stopping;
      },
    };
    return api;
  } catch (err) {
    await shutdownPartial().catch(() => undefined);
    throw err;
  }
}
