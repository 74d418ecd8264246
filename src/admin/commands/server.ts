// server.*, module.* and cert.*: the running server itself.
import fs from 'node:fs';
import { z } from 'zod';
import * as R from './results.js';
import { VERSION } from '../../version.js';
import { certificatePaths, checkCertificate } from '../../net/certs.js';
import { CommandError } from '../errors.js';
import { command, hostArg, hostsOf, running } from './define.js';

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${d || h ? `${h}h ` : ''}${m}m ${s % 60}s`;
}

export const serverStatus = command({
  name: 'server.status', result: R.status, summary: 'whether the server runs, its uptime, hosts, listeners and connections', scope: 'server:read', needs: 'running',
  args: z.object({}),
  http: { method: 'GET', path: '/server/status' },
  async run(env) {
    const srv = running(env);
    const now = Date.now();
    return {
      version: srv.version,
      pid: process.pid,
      startedAt: new Date(srv.startedAt).toISOString(),
      uptimeSeconds: Math.floor((now - srv.startedAt) / 1000),
      hosts: [...srv.hosts.values()].map((h) => ({ host: h.name, sessions: h.sessions.size })),
      connections: srv.connectionCount(),
      s2sConnections: srv.s2sConnectionCount(),
      listeners: srv.addresses(),
      memory: { rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed },
    };
  },
  format: (r) => [
    `running: Starling ${r.version}, pid ${r.pid}, up ${duration(r.uptimeSeconds * 1000)} (since ${r.startedAt})`,
    ...r.hosts.map((h) => `host ${h.host}: ${h.sessions} session${h.sessions === 1 ? '' : 's'}`),
    ...r.listeners.map((l) => `listener ${l.service} (${l.tls}) on ${l.address}:${l.port}`),
    `${r.connections} client connection${r.connections === 1 ? '' : 's'}, ${r.s2sConnections} server-to-server`,
  ].join('\n'),
});

export const serverVersion = command({
  name: 'server.version', result: R.version, summary: "the server's version", scope: 'server:read', needs: 'any',
  args: z.object({}),
  http: { method: 'GET', path: '/server/version' },
  async run(env) {
    return { version: env.server?.version ?? VERSION, running: env.server !== null };
  },
  format: (r) => r.version,
});

export const serverStop = command({
  name: 'server.stop', summary: 'stop the server (clients get system-shutdown)', scope: 'server:write', needs: 'running',
  surfaces: ['cli', 'adhoc'],
  args: z.object({ reason: z.string().max(1000).default('system shutdown').describe('text sent to clients') }),
  async run(env, a) {
    const srv = running(env);
    // Answer first: stopping closes the admin socket this answer goes out on.
    setTimeout(() => { void srv.stop(a.reason); }, 50).unref();
    return { stopping: true };
  },
  format: () => 'stopping',
});

export const serverReload = command({
  name: 'server.reload', result: R.reload, summary: 're-read and apply the configuration file (an invalid one is refused and the old one kept)', scope: 'server:write', needs: 'running',
  args: z.object({}),
  http: { method: 'POST', path: '/server/reload' },
  async run(env) {
    return running(env).reload();
  },
  format: (r) => [
    'configuration reloaded',
    ...(r.unloaded.length ? [`unloaded: ${r.unloaded.join(', ')}`] : []),
    ...(r.loaded.length ? [`loaded: ${r.loaded.join(', ')}`] : []),
    ...(r.certificates.length ? [`certificates: ${r.certificates.join(', ')}`] : []),
    ...(r.restartNeeded.length ? [`changed, applied after a restart: ${r.restartNeeded.join(', ')}`] : []),
  ].join('\n'),
});

export const moduleList = command({
  name: 'module.list', result: R.modules, summary: 'modules loaded on each host', scope: 'server:read', needs: 'running',
  args: z.object({ host: hostArg }), positional: ['host'],
  http: { method: 'GET', path: '/modules' },
  async run(env, a) {
    const hosts = hostsOf(env, a.host);
    return { modules: running(env).modules().filter((m) => hosts.includes(m.host)) };
  },
  format: (r) => r.modules.map((m) => `${m.host}: ${m.name}`).join('\n'),
});

const moduleArgs = z.object({
  name: z.string().min(1).max(100).describe('module name'),
  host: z.string().min(1).max(1023).describe('virtual host'),
});

export const moduleLoad = command({
  name: 'module.load', summary: 'load a module on a host (options from the configuration; until the next reload)', scope: 'server:write', needs: 'running',
  args: moduleArgs, positional: ['name', 'host'],
  http: { method: 'POST', path: '/modules/{host}/{name}' },
  async run(env, a) {
    await running(env).loadModule(hostsOf(env, a.host)[0]!, a.name);
    return { loaded: `${a.name}@${a.host}` };
  },
  format: (r) => `loaded ${r.loaded}`,
});

export const moduleUnload = command({
  name: 'module.unload', summary: 'unload a module from a host (until the next reload)', scope: 'server:write', needs: 'running',
  args: moduleArgs, positional: ['name', 'host'],
  http: { method: 'DELETE', path: '/modules/{host}/{name}' },
  async run(env, a) {
    await running(env).unloadModule(hostsOf(env, a.host)[0]!, a.name);
    return { unloaded: `${a.name}@${a.host}` };
  },
  format: (r) => `unloaded ${r.unloaded}`,
});

export const certCheck = command({
  name: 'cert.check', result: R.certificates, summary: "check each host's certificate files (match, expiry, key)", scope: 'server:read', needs: 'any',
  args: z.object({ host: hostArg }), positional: ['host'],
  http: { method: 'GET', path: '/certificates' },
  async run(env, a) {
    const out: { host: string; cert: string; ok: boolean; problems: string[] }[] = [];
    for (const h of hostsOf(env, a.host)) {
      const hc = env.config.hosts[h]!;
      const paths = hc.tls ? { certPath: hc.tls.cert, keyPath: hc.tls.key } : certificatePaths(env.config.certsDir, h);
      let problems: string[];
      try {
        problems = checkCertificate(fs.readFileSync(paths.certPath, 'utf8'), fs.readFileSync(paths.keyPath, 'utf8'), h);
      } catch (err) {
        problems = [(err as Error).message];
      }
      out.push({ host: h, cert: paths.certPath, ok: problems.every((p) => p.startsWith('warning:')), problems });
    }
    return { certificates: out };
  },
  format: (r) => r.certificates.map((c) => `${c.host}: ${c.ok ? 'OK' : 'PROBLEM'} ${c.cert}${c.problems.map((p) => `\n  ${p}`).join('')}`).join('\n'),
});

export const certReload = command({
  name: 'cert.reload', summary: "re-read every host's certificate files (new connections use them)", scope: 'server:write', needs: 'running',
  args: z.object({}),
  http: { method: 'POST', path: '/certificates/reload' },
  async run(env) {
    const hosts = await running(env).reloadCertificates();
    if (hosts.length === 0) throw new CommandError('failed', 'no certificate was reloaded');
    return { reloaded: hosts };
  },
  format: (r) => `reloaded: ${r.reloaded.join(', ')}`,
});
