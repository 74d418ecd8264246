// The command registry: core commands plus those modules register (ctx.commands.register), each with a zod schema
// for its arguments. Every surface (CLI, admin socket, REST, ad-hoc) looks commands up and runs them here, so the
// argument checks, permissions and errors are the same everywhere.
import { z } from 'zod';
import { CommandError, toCommandError } from './errors.js';
import type { AdminCommand, Caller, CommandCatalogue, CommandEnv, CommandInfo, JsonSchema, JsonSchemaObject, RegisteredCommand, Surface } from './types.js';

const ALL_SURFACES: readonly Surface[] = ['cli', 'rest', 'adhoc'];

interface Entry {
  info: CommandInfo;
  core: AdminCommand | null;
  /** Module registrations by host (a module is loaded per host, each instance with its own state). */
  perHost: Map<string, AdminCommand>;
}

export function describeCommand(cmd: AdminCommand, owner: string): CommandInfo {
  const schema = z.toJSONSchema(cmd.args, { io: 'input', unrepresentable: 'any' }) as JsonSchemaObject;
  delete schema.$schema;
  return {
    name: cmd.name,
    summary: cmd.summary,
    scope: cmd.scope,
    needs: cmd.needs,
    positional: [...(cmd.positional ?? [])],
    secret: [...(cmd.secret ?? [])],
    ...(cmd.http ? { http: cmd.http } : {}),
    surfaces: [...(cmd.surfaces ?? ALL_SURFACES)],
    schema,
    resultSchema: cmd.result ? strip(z.toJSONSchema(cmd.result, { io: 'output', unrepresentable: 'any' }) as JsonSchema) : {},
    owner,
  };
}

function strip(s: JsonSchema): JsonSchema {
  delete s.$schema;
  return s;
}

/** Whether a caller's scopes allow a command's scope ('*' is everything; 'x:write' includes 'x:read'). */
export function allows(scopes: readonly string[], scope: string): boolean {
  if (scopes.includes('*') || scopes.includes(scope)) return true;
  const [group, level] = scope.split(':');
  return level === 'read' && scopes.includes(`${group}:write`);
}

const NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

export class CommandRegistry implements CatalogueWithRun {
  #entries = new Map<string, Entry>();

  /** A core command (available offline too when its `needs` is 'any'). */
  add(cmd: AdminCommand): void {
    this.#check(cmd);
    if (this.#entries.has(cmd.name)) throw new Error(`admin command ${cmd.name} is already registered`);
    this.#entries.set(cmd.name, { info: describeCommand(cmd, 'core'), core: cmd, perHost: new Map() });
  }

  /** A module's command on one host; returns the undo for unload. */
  register(cmd: AdminCommand, owner: string, host: string): () => void {
    this.#check(cmd);
    const mod: AdminCommand = { ...cmd, needs: 'running' };
    let entry = this.#entries.get(cmd.name);
    if (entry?.core) throw new Error(`admin command ${cmd.name} is a core command`);
    if (entry && entry.info.owner !== owner) throw new Error(`admin command ${cmd.name} is already registered by ${entry.info.owner}`);
    if (entry?.perHost.has(host)) throw new Error(`admin command ${cmd.name} is already registered on ${host}`);
    if (!entry) {
      entry = { info: describeCommand(mod, owner), core: null, perHost: new Map() };
      this.#entries.set(cmd.name, entry);
    }
    entry.perHost.set(host, mod);
    const e = entry;
    return () => {
      if (e.perHost.get(host) !== mod) return;
      e.perHost.delete(host);
      if (e.perHost.size === 0 && this.#entries.get(cmd.name) === e) this.#entries.delete(cmd.name);
    };
  }

  #check(cmd: AdminCommand): void {
    if (!NAME.test(cmd.name)) throw new Error(`invalid admin command name '${cmd.name}'`);
    if (!/^[a-z-]+:(read|write)$/.test(cmd.scope)) throw new Error(`invalid scope '${cmd.scope}' for ${cmd.name}`);
  }

  list(): CommandInfo[] {
    return [...this.#entries.values()].map((e) => e.info).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): RegisteredCommand | undefined {
    const e = this.#entries.get(name);
    if (!e) return undefined;
    return { command: e.core ?? e.perHost.values().next().value!, info: e.info, hosts: new Set(e.perHost.keys()) };
  }

  /** Validates, checks permission and runs a command. Every failure is a CommandError. */
  async run(name: string, rawArgs: unknown, base: Omit<CommandEnv, 'caller' | 'registry'>, caller: Caller, surface: Surface | 'socket'): Promise<unknown> {
    const entry = this.#entries.get(name);
    if (!entry) throw new CommandError('not-found', `no admin command '${name}'`);
    if (surface !== 'socket' && !entry.info.surfaces.includes(surface)) {
      throw new CommandError('not-found', `admin command '${name}' is not offered over ${surface}`);
    }
    if (!allows(caller.scopes, entry.info.scope)) {
      throw new CommandError('forbidden', `'${name}' needs the ${entry.info.scope} permission`);
    }
    const parsed = (entry.core ?? entry.perHost.values().next().value!).args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
      throw new CommandError('invalid-argument', `invalid arguments for ${name}: ${details.join('; ')}`, details);
    }
    const args = parsed.data as Record<string, unknown>;
    const cmd = entry.core ?? pickHost(entry, args);
    if (cmd.needs === 'running' && !base.server) {
      throw new CommandError('not-running', `'${name}' needs a running server (start it, or check admin.socket)`);
    }
    try {
      return await cmd.run({ ...base, caller, registry: this }, args);
    } catch (err) {
      throw toCommandError(err);
    }
  }
}

interface CatalogueWithRun extends CommandCatalogue {
  run(name: string, rawArgs: unknown, base: Omit<CommandEnv, 'caller' | 'registry'>, caller: Caller, surface: Surface | 'socket'): Promise<unknown>;
}

/** For a module command: the host named by `host`, or the domain of `jid`/`room` (or its parent domain). */
function pickHost(entry: Entry, args: Record<string, unknown>): AdminCommand {
  const hosts = [...entry.perHost.keys()];
  const want = typeof args.host === 'string' ? args.host
    : [args.room, args.jid, args.user].find((v): v is string => typeof v === 'string')?.split('/')[0]?.split('@').pop();
  if (want) {
    const host = hosts.find((h) => h === want) ?? hosts.find((h) => want.endsWith(`.${h}`));
    if (!host) throw new CommandError('not-found', `${want} is not served by a host with ${entry.info.name}`);
    return entry.perHost.get(host)!;
  }
  if (hosts.length === 1) return entry.perHost.get(hosts[0]!)!;
  throw new CommandError('invalid-argument', `give the host (${hosts.join(', ')})`);
}
