// Loads modules per host with validated options, in dependency order, and undoes everything a
// module registered when it is unloaded (Prosody's modulemanager + moduleapi, ejabberd's gen_mod).
import type { Element } from 'ltx';
import type { LoadedConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ModuleContext, ModuleDefinition, ServerInfo } from '../api/index.js';
import type { StorageDriver } from '../storage/types.js';
import type { VirtualHost } from './host.js';
import type { Router } from './router.js';
import { createAccountsApi } from './accounts.js';
import { HttpRoutes } from '../net/http/routes.js';
import { limitsSchema } from '../config/schema.js';
import type { C2SApi } from '../api/index.js';
import type { AdminRuntime, ModuleCommandsApi } from '../admin/runtime.js';

export interface LoadedModule {
  name: string;
  host: string;
  definition: ModuleDefinition<unknown>;
  unload(): Promise<void>;
}

export interface ModuleEnv {
  router: Router;
  /** PBKDF2 iterations for passwords set through ctx.accounts. */
  scramIterations: number;
  storage: StorageDriver;
  server: ServerInfo;
  log: Logger;
  /** Routes of the HTTP listeners (ctx.http); optional so that module unit tests can load modules without a server. */
  http?: HttpRoutes;
  /** Client streams over transports other than the TCP listeners (ctx.c2s); optional for the same reason. */
  c2s?: C2SApi;
  /** The admin command registry (ctx.commands); optional for the same reason. */
  admin?: AdminRuntime;
}

const noC2S: C2SApi = {
  accept() {
    throw new Error('this module environment has no client streams');
  },
  limits: limitsSchema.parse({}),
};

const noCommands: ModuleCommandsApi = {
  register() { /* no admin registry in this environment (module unit tests) */ },
  list: () => [],
  run: () => Promise.reject(new Error('this module environment has no admin commands')),
  verifyToken: () => Promise.resolve({ ok: false, reason: 'unknown' }),
  isAdmin: () => false,
};

/** The effective options of every module enabled on a host: global `modules` merged with the host's. */
export function enabledModules(config: LoadedConfig, host: string): Map<string, { raw: unknown; path: (string | number)[] }> {
  const out = new Map<string, { raw: unknown; path: (string | number)[] }>();
  for (const [name, raw] of Object.entries(config.modules)) out.set(name, { raw, path: ['modules', name] });
  for (const [name, raw] of Object.entries(config.hosts[host]?.modules ?? {})) {
    if (raw === false) out.delete(name);
    else out.set(name, { raw: { ...((config.modules[name] as object | undefined) ?? {}), ...raw }, path: ['hosts', host, 'modules', name] });
  }
  return out;
}

function describeIssues(config: LoadedConfig, base: (string | number)[], issues: { path: PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => {
    const path = [...base, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    const where = config.locate(path.slice(0, base.length + i.path.length)) ?? config.locate(base);
    return `${where ? `${where}: ` : ''}${path.join('.')}: ${i.message}`;
  });
}

/** Validates every module's options on every host without loading anything (for `starling check`). */
export function checkModuleOptions(config: LoadedConfig, registry: ReadonlyMap<string, ModuleDefinition<any>>): string[] {
  const problems: string[] = [];
  for (const host of Object.keys(config.hosts)) {
    for (const [name, { raw, path }] of enabledModules(config, host)) {
      const def = registry.get(name);
      if (!def) {
        const where = config.locate(path);
        problems.push(`${where ? `${where}: ` : ''}${path.join('.')}: unknown module '${name}' (available: ${[...registry.keys()].sort().join(', ')})`);
        continue;
      }
      const parsed = def.options.safeParse(raw ?? {});
      if (!parsed.success) problems.push(...describeIssues(config, path, parsed.error.issues));
    }
  }
  return [...new Set(problems)];
}

/** Loads the modules enabled on a host; dependencies first. Names in `skip` count as loaded already (reload). */
export async function loadHostModules(host: VirtualHost, config: LoadedConfig, registry: ReadonlyMap<string, ModuleDefinition<any>>, env: ModuleEnv, skip: ReadonlySet<string> = new Set()): Promise<LoadedModule[]> {
  const wanted = enabledModules(config, host.name);
  const loaded: LoadedModule[] = [];
  const done = new Set<string>(skip);
  const visiting = new Set<string>();

  const load = async (name: string, requiredBy?: string): Promise<void> => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle through ${name}`);
    const def = registry.get(name);
    if (!def) throw new Error(`unknown module '${name}'${requiredBy ? ` (needed by ${requiredBy})` : ''}`);
    visiting.add(name);
    for (const dep of def.depends ?? []) await load(dep, name);
    const parsed = def.options.safeParse(wanted.get(name)?.raw ?? {});
    if (!parsed.success) throw new Error(describeIssues(config, wanted.get(name)?.path ?? ['modules', name], parsed.error.issues).join('\n'));
    loaded.push(await instantiate(host, def, parsed.data, env));
    visiting.delete(name);
    done.add(name);
  };
  try {
    for (const name of wanted.keys()) await load(name);
  } catch (err) {
    for (const m of loaded.reverse()) await m.unload();
    throw err;
  }
  return loaded;
}

async function instantiate(host: VirtualHost, def: ModuleDefinition<any>, options: unknown, env: ModuleEnv): Promise<LoadedModule> {
  const owner = def.name;
  const undo: (() => void | Promise<void>)[] = [];
  const unloadFns: (() => void | Promise<void>)[] = [];
  const log = env.log.child({ module: def.name, host: host.name });
  const http = (env.http ??= new HttpRoutes(() => [host.name]));

  const ctx: ModuleContext<any> = {
    host: host.name,
    options: options as any,
    log,
    server: env.server,
    hook: (event, fn, priority) => {
      undo.push(host.bus.on(event, fn, priority, owner));
    },
    fire: (event, payload) => host.bus.fire(event, payload),
    hookServer: (event, fn, priority) => {
      undo.push(host.serverBus.on(event, fn, priority, owner));
    },
    iq: {
      get: (target, xmlns, name, fn) => { undo.push(host.iq.register(target, 'get', xmlns, name, fn, owner)); },
      set: (target, xmlns, name, fn) => { undo.push(host.iq.register(target, 'set', xmlns, name, fn, owner)); },
    },
    addFeature: (xmlns, scope = 'server') => (scope === 'account' ? host.disco.account.addFeature(xmlns, owner) : host.disco.addFeature(xmlns, owner)),
    addIdentity: (category, type, name) => host.disco.addIdentity(name ? { category, type, name } : { category, type }, owner),
    addDiscoItem: (item) => host.disco.addItem(item, owner),
    addDiscoForm: (form) => host.disco.addForm(form, owner),
    disco: {
      features: () => host.disco.features(),
      identities: () => host.disco.identities(),
      items: () => host.disco.items(),
      forms: () => host.disco.forms(),
      accountFeatures: () => host.disco.account.features(),
      revision: () => host.disco.revision,
    },
    addRoute: (domain, handler) => {
      undo.push(env.router.addRoute(domain, handler, owner));
    },
    openStore: (name, kind) => env.storage.open(host.name, `${def.name}${name ? `_${name}` : ''}`, kind),
    send: (stanza: Element) => env.router.send(stanza),
    sendIq: (stanza: Element, timeoutMs = 30_000) => {
      if (stanza.attrs.id === undefined) stanza.attrs.id = env.router.tracker.nextId();
      const pending = env.router.tracker.track(stanza.attrs.id, stanza.attrs.to ?? host.name, timeoutMs);
      void env.router.send(stanza);
      return pending;
    },
    timer: (ms, fn, opts) => {
      const t = opts?.repeat ? setInterval(fn, ms) : setTimeout(fn, ms);
      t.unref();
      const cancel = () => (opts?.repeat ? clearInterval(t) : clearTimeout(t));
      undo.push(cancel);
      return { cancel };
    },
    sessions: {
      ofUser: (username) => host.sessions.ofUser(username),
      get: (username, resource) => host.sessions.get(username, resource),
      get count() { return host.sessions.size; },
    },
    accounts: createAccountsApi(host, env.storage, env.scramIterations),
    provide: (name, service) => {
      undo.push(host.services.provide(name as string, service, owner));
    },
    use: (name) => {
      const svc = host.services.get(name as string);
      if (svc === undefined) throw new Error(`module ${owner} needs the '${String(name)}' service: enable the module that provides it`);
      return svc as never;
    },
    tryUse: (name) => host.services.get(name as string) as never,
    onUnload: (fn) => {
      unloadFns.push(fn);
    },
    http: {
      route: (method, path, handler) => {
        undo.push(http.add(host.name, method, path, handler, owner));
      },
      upgrade: (path, handler) => {
        undo.push(http.addUpgrade(host.name, path, handler, owner));
      },
    },
    c2s: env.c2s ?? noC2S,
    commands: env.admin ? env.admin.forModule(owner, host.name, (fn) => { undo.push(fn); }) : noCommands,
  };

  await def.setup(ctx);
  log.debug('module loaded');
  let unloaded = false;
  return {
    name: def.name,
    host: host.name,
    definition: def,
    async unload() {
      if (unloaded) return;
      unloaded = true;
      for (const fn of undo.reverse()) await fn();
      host.bus.removeOwner(owner);
      host.iq.removeOwner(owner);
      host.disco.removeOwner(owner);
      for (const fn of unloadFns.reverse()) {
        try {
          await fn();
        } catch (err) {
          log.error({ err }, 'module unload hook failed');
        }
      }
      log.debug('module unloaded');
    },
  };
}
