// A virtual host: its own event bus, session index, IQ handlers and disco entries.
import type { HostConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { DiscoRegistry } from './disco-registry.js';
import { HookBus } from './hooks.js';
import type { HookMap } from './hookmap.js';
import type { ServerBus, ServerHookMap } from './server-events.js';
import { IqRegistry } from './iq.js';
import { SessionRegistry } from '../session/registry.js';
import { ServiceRegistry } from './services.js';

export class VirtualHost {
  readonly bus: HookBus<HookMap>;
  readonly sessions = new SessionRegistry();
  readonly iq = new IqRegistry();
  readonly disco = new DiscoRegistry();
  readonly services = new ServiceRegistry();

  /** The server-wide bus shared by every host (a host made alone, as in unit tests, gets its own). */
  readonly serverBus: ServerBus;

  constructor(readonly name: string, readonly config: HostConfig, readonly log: Logger, serverBus?: ServerBus) {
    this.bus = new HookBus<HookMap>({ log });
    this.serverBus = serverBus ?? new HookBus<ServerHookMap>({ log });
  }
}
