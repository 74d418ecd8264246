// The running server as admin commands see it (ServerControl), including configuration reload: the new file is
// validated completely (schema, module options, certificates) before anything changes, so an invalid config is
// refused and the old one keeps serving. Applied live: modules loaded/unloaded/reloaded with new options, host
// certificates, the log level. Listeners, hosts, storage, limits and auth settings are reported as needing a restart.
import type { Element } from 'ltx';
import { ConfigError, type LoadedConfig } from '../config/schema.js';
import type { StorageDriver } from '../storage/types.js';
import type { Logger } from '../log.js';
import type { ModuleDefinition } from '../api/index.js';
import type { VirtualHost } from '../core/host.js';
import { checkModuleOptions, enabledModules, loadHostModules, type LoadedModule, type ModuleEnv } from '../core/modules.js';
import { loadHostCertificate, type HostCertificate } from '../net/certs.js';
import type { TlsContexts } from '../net/tls.js';
import { CommandError } from './errors.js';
import type { ModuleInfo, ReloadReport, ServerControl } from './types.js';

export interface ServerInternals {
  startedAt: number;
  version: string;
  config: LoadedConfig;
  storage: StorageDriver;
  log: Logger;
  hosts: ReadonlyMap<string, VirtualHost>;
  /** Loaded modules, in load order; changed in place. */
  modules: LoadedModule[];
  registry: ReadonlyMap<string, ModuleDefinition<any>>;
  moduleEnv: ModuleEnv;
  contexts: TlsContexts;
  addresses(): { service: string; tls: string; address: string; port: number }[];
  connectionCount(): number;
  s2sConnectionCount(): number;
  send(stanza: Element): void | Promise<void>;
  sendIq(stanza: Element, timeoutMs?: number): Promise<Element>;
  stop(reason: string): Promise<void>;
  /** Reads the configuration again (the file it came from); throws ConfigError when invalid. */
  loadConfig(): Promise<LoadedConfig>;
}

const RESTART_KEYS = ['listen', 'dataDir', 'certsDir', 'storage', 'limits', 'auth', 'sessions', 'tls', 's2s', 'components'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function createServerControl(s: ServerInternals): ServerControl {
  let current = s.config;
  let busy: Promise<unknown> = Promise.resolve();
  /** One reload or module change at a time. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = busy.then(fn, fn);
    busy = p.catch(() => undefined);
    return p;
  };

  const loadedOn = (host: string) => s.modules.filter((m) => m.host === host);

  /** Unloads these modules of a host and every loaded module that depends on them, last loaded first. */
  async function unloadWithDependents(host: string, names: Set<string>): Promise<string[]> {
    let grew = true;
    while (grew) {
      grew = false;
      for (const m of loadedOn(host)) {
        if (!names.has(m.name) && (m.definition.depends ?? []).some((d) => names.has(d))) {
          names.add(m.name);
          grew = true;
        }
      }
    }
    const out: string[] = [];
    for (const m of [...s.modules].reverse()) {
      if (m.host !== host || !names.has(m.name)) continue;
      await m.unload();
      s.modules.splice(s.modules.indexOf(m), 1);
      out.push(`${m.name}@${host}`);
    }
    return out;
  }

  /** Loads what `config` enables on a host and is not loaded yet (dependencies included). */
  async function loadMissing(host: VirtualHost, config: LoadedConfig): Promise<string[]> {
    const skip = new Set(loadedOn(host.name).map((m) => m.name));
    const added = await loadHostModules(host, config, s.registry, s.moduleEnv, skip);
    s.modules.push(...added);
    return added.map((m) => `${m.name}@${host.name}`);
  }

  async function reload(): Promise<ReloadReport> {
    let next: LoadedConfig;
    try {
      next = await s.loadConfig();
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      throw new CommandError('refused', `the new configuration is invalid; the running one is kept: ${problems.join('; ')}`, problems);
    }
    const problems = checkModuleOptions(next, s.registry);
    if (problems.length) throw new CommandError('refused', `the new configuration is invalid; the running one is kept: ${problems.join('; ')}`, problems);

    // Certificates of the hosts that stay: all must load before anything is applied.
    const certs = new Map<string, HostCertificate>();
    for (const name of s.hosts.keys()) {
      if (!next.hosts[name]?.enabled) continue;
      try {
        certs.set(name, await loadHostCertificate(next, name, s.log));
      } catch (err) {
        throw new CommandError('refused', `the new configuration is invalid; the running one is kept: ${(err as Error).message}`, [(err as Error).message]);
      }
    }

    const report: ReloadReport = { unloaded: [], loaded: [], certificates: [], restartNeeded: [] };
    for (const key of RESTART_KEYS) if (!same(current[key as keyof LoadedConfig], next[key as keyof LoadedConfig])) report.restartNeeded.push(key);
    // admin.admins and log.level apply at once; the socket path and the log format need a restart.
    if (!same(current.admin.socket, next.admin.socket)) report.restartNeeded.push('admin.socket');
    if (current.log.format !== next.log.format) report.restartNeeded.push('log.format');
    const oldHosts = Object.keys(current.hosts).filter((h) => current.hosts[h]!.enabled).sort();
    const newHosts = Object.keys(next.hosts).filter((h) => next.hosts[h]!.enabled).sort();
    if (!same(oldHosts, newHosts)) report.restartNeeded.push('hosts');

    for (const [name, pair] of certs) {
      s.contexts.set(name, pair);
      report.certificates.push(name);
    }
    if (current.log.level !== next.log.level) s.log.level = next.log.level;

    for (const host of s.hosts.values()) {
      if (!next.hosts[host.name]?.enabled) continue;
      const before = enabledModules(current, host.name);
      const after = enabledModules(next, host.name);
      const changed = new Set<string>();
      for (const [name, { raw }] of before) if (!after.has(name) || !same(raw, after.get(name)!.raw)) changed.add(name);
      const loadedNames = new Set(loadedOn(host.name).map((m) => m.name));
      for (const name of changed) if (!loadedNames.has(name)) changed.delete(name);
      report.unloaded.push(...await unloadWithDependents(host.name, changed));
      try {
        report.loaded.push(...await loadMissing(host, next));
      } catch (err) {
        // Put back what the old configuration had, so the host keeps serving.
        s.log.error({ err, host: host.name }, 'a module failed to load on reload; restoring the previous modules');
        await loadMissing(host, current).catch((e: unknown) => s.log.error({ err: e }, 'restoring modules failed'));
        throw new CommandError('refused', `a module failed to load: ${(err as Error).message}; the previous modules were restored`);
      }
    }
    current = next;
    s.log.info(report, 'configuration reloaded');
    return report;
  }

  return {
    startedAt: s.startedAt,
    version: s.version,
    config: () => current,
    hosts: s.hosts,
    addresses: () => s.addresses(),
    connectionCount: () => s.connectionCount(),
    s2sConnectionCount: () => s.s2sConnectionCount(),
    send: (stanza) => s.send(stanza),
    sendIq: (stanza, timeoutMs) => s.sendIq(stanza, timeoutMs),
    stop: (reason) => s.stop(reason),
    reload: () => serial(reload),
    modules: (): ModuleInfo[] => s.modules.map((m) => ({ host: m.host, name: m.name })),
    loadModule: (hostName, name) => serial(async () => {
      const host = s.hosts.get(hostName);
      if (!host) throw new CommandError('not-found', `${hostName} is not an enabled host`);
      if (!s.registry.has(name)) throw new CommandError('not-found', `no module '${name}' (available: ${[...s.registry.keys()].sort().join(', ')})`);
      if (loadedOn(hostName).some((m) => m.name === name)) throw new CommandError('conflict', `${name} is already loaded on ${hostName}`);
      const raw = enabledModules(current, hostName).get(name)?.raw ?? {};
      const withIt: LoadedConfig = { ...current, hosts: { ...current.hosts, [hostName]: { ...current.hosts[hostName]!, modules: { ...current.hosts[hostName]!.modules, [name]: raw as Record<string, unknown> } } } };
      try {
        await loadMissing(host, withIt);
      } catch (err) {
        throw new CommandError('failed', `${name} failed to load: ${(err as Error).message}`);
      }
    }),
    unloadModule: (hostName, name) => serial(async () => {
      if (!loadedOn(hostName).some((m) => m.name === name)) throw new CommandError('not-found', `${name} is not loaded on ${hostName}`);
      await unloadWithDependents(hostName, new Set([name]));
    }),
    reloadCertificates: () => serial(async () => {
      const done: string[] = [];
      for (const name of s.hosts.keys()) {
        try {
          s.contexts.set(name, await loadHostCertificate(current, name, s.log));
          done.push(name);
        } catch (err) {
          throw new CommandError('failed', (err as Error).message);
        }
      }
      return done;
    }),
  };
}
