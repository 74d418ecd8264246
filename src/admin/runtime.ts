// The admin side of a running server: the command registry (core + modules' commands) bound to the server's
// config, storage and control, and the admin socket serving it.
import type { LoadedConfig } from '../config/schema.js';
import type { StorageDriver } from '../storage/types.js';
import type { Logger } from '../log.js';
import { coreRegistry } from './commands/index.js';
import type { CommandRegistry } from './registry.js';
import { TokenStore } from './tokens.js';
import { listenAdminSocket, type AdminSocket } from './socket-server.js';
import { adminSocketPath } from './socket-protocol.js';
import type { AdminCommand, Caller, CommandInfo, ServerControl, Surface } from './types.js';

/** What modules get as ctx.commands. */
export interface ModuleCommandsApi {
  /** Adds a command (CLI over the admin socket, REST, ad-hoc) for this module on this host; removed on unload. */
  register(cmd: AdminCommand<any, any>): void;
  list(): CommandInfo[];
  /** Runs a command as `caller` (REST, ad-hoc and the web admin call this); rejects with a CommandError. */
  run(name: string, args: unknown, caller: Caller, surface: Surface): Promise<unknown>;
  /** Checks a REST API token (stored hashed, revocable, with scopes and an optional expiry). */
  verifyToken(token: string): ReturnType<TokenStore['verify']>;
  /** Whether a bare JID is one of the server administrators (admin.admins in the current configuration). */
  isAdmin(bareJid: string): boolean;
}

export class AdminRuntime {
  readonly registry: CommandRegistry = coreRegistry();
  #control: ServerControl | null = null;
  #socket: AdminSocket | null = null;
  readonly #tokens: TokenStore;
  readonly #audit: Logger;

  constructor(private readonly storage: StorageDriver, private readonly log: Logger) {
    this.#tokens = new TokenStore(storage);
    this.#audit = log.child({ module: 'admin' });
  }

  /** Set once the server is up; until then commands that need it fail with not-running. */
  attach(control: ServerControl): void {
    this.#control = control;
  }

  config(): LoadedConfig | null {
    return this.#control?.config() ?? null;
  }

  async run(name: string, args: unknown, caller: Caller, surface: Surface | 'socket'): Promise<unknown> {
    const control = this.#control;
    if (!control) throw new Error('the server is not started yet');
    // The audit trail: who ran what, how, and whether it worked (arguments are not logged: they hold passwords).
    const audit = { command: name, via: caller.via, actor: caller.actor };
    try {
      const result = await this.registry.run(name, args, { config: control.config(), storage: this.storage, server: control }, caller, surface);
      if (!name.endsWith('.list') && !name.endsWith('.get') && name !== 'server.status' && caller.actor !== 'metrics') this.#audit.info(audit, 'admin command');
      return result;
    } catch (err) {
      this.#audit.warn({ ...audit, code: (err as { code?: string }).code }, `admin command failed: ${(err as Error).message}`);
      throw err;
    }
  }

  forModule(owner: string, host: string, undo: (fn: () => void) => void): ModuleCommandsApi {
    return {
      register: (cmd) => undo(this.registry.register(cmd, owner, host)),
      list: () => this.registry.list(),
      run: (name, args, caller, surface) => this.run(name, args, caller, surface),
      verifyToken: (token) => this.#tokens.verify(token),
      isAdmin: (jid) => this.isAdmin(jid),
    };
  }

  isAdmin(bareJid: string): boolean {
    const admins = this.config()?.admin.admins ?? [];
    return admins.some((a) => a.toLowerCase() === bareJid.toLowerCase());
  }

  async listen(config: LoadedConfig): Promise<string | null> {
    const file = adminSocketPath(config);
    if (!file) return null;
    try {
      this.#socket = await listenAdminSocket(file, {
        catalogue: () => this.registry.list(),
        run: (name, args, caller) => this.run(name, args, caller, 'socket'),
      }, this.log.child({ module: 'admin' }));
    } catch (err) {
      // Another live server on this data directory is fatal; anything else (a path too long for a Unix socket, a
      // read-only directory) only costs the control channel.
      if ((err as Error).message.startsWith('another server is running')) throw err;
      this.log.error({ err, path: file }, 'cannot open the admin socket; `starling status|stop|reload` will not reach this server');
      return null;
    }
    return file;
  }

  async close(): Promise<void> {
    await this.#socket?.close();
    this.#socket = null;
  }
}
