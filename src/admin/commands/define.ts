// Helpers shared by the core admin commands.
import { z } from 'zod';
import type { AdminCommand, AnyObjectSchema, CommandEnv, ServerControl } from '../types.js';
import { CommandError } from '../errors.js';
import { hostScope, resolveUser, type UserAddress } from '../users.js';
import type { VirtualHost } from '../../core/host.js';
import type { Services } from '../../api/index.js';

/** Identity function that lets TypeScript infer the argument and result types of a command. */
export function command<S extends AnyObjectSchema, R>(c: AdminCommand<S, R>): AdminCommand<S, R> {
  return c;
}

export const jidArg = z.string().min(1).max(3071).describe('bare JID of the account, e.g. alice@example.com');
export const hostArg = z.string().min(1).max(1023).optional().describe('virtual host (default: every host)');

/** A bare user JID on a configured host (CommandError invalid-argument otherwise). */
export function user(env: CommandEnv, jid: string): UserAddress {
  return resolveUser(jid, hostScope(env.config));
}

/** The running server, or not-running. */
export function running(env: CommandEnv): ServerControl {
  if (!env.server) throw new CommandError('not-running', 'this command needs a running server');
  return env.server;
}

/** A running, enabled host. */
export function liveHost(env: CommandEnv, name: string): VirtualHost {
  const host = running(env).hosts.get(name);
  if (!host) throw new CommandError('not-found', `${name} is not an enabled host`);
  return host;
}

/** Hosts to act on: the one named (checked against the config), or all configured ones. */
export function hostsOf(env: CommandEnv, host: string | undefined): string[] {
  const all = Object.keys(env.config.hosts);
  if (host === undefined) return all;
  const h = host.toLowerCase();
  if (!all.includes(h)) throw new CommandError('invalid-argument', `${host} is not a host in the configuration (hosts: ${all.join(', ')})`);
  return [h];
}

/** A module's service on a running host, or unavailable when the module is not loaded there. */
export function service<K extends keyof Services>(env: CommandEnv, hostName: string, name: K, module: string): Services[K] {
  const svc = liveHost(env, hostName).services.get(name as string);
  if (svc === undefined) throw new CommandError('unavailable', `the ${module} module is not loaded on ${hostName}`);
  return svc as Services[K];
}

export function assertAccount(exists: boolean, bare: string): void {
  if (!exists) throw new CommandError('not-found', `user ${bare} does not exist`);
}
