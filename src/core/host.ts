// A virtual host: its own event bus, session index, IQ handlers and disco entries.
import type { HostConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { DiscoRegistry } from './disco-registry.js';
import { HookBus } from './hooks.js';
import type { HookMap } from './hookmap.js';
import { IqRegistry } from './iq.js';
import { SessionRegistry } from '../session/registry.js';
import { ServiceRegistry } from './services.js';

export class VirtualHost {
  readonly bus: HookBus<HookMap>;
  readonly sessions = new SessionRegistry();
  readonly iq = new IqRegistry();
  readonly disco = new DiscoRegistry();
  readonly services = new ServiceRegistry();

  constructor(readonly name: string, readonly config: HostConfig, readonly log: Logger) {
    this.bus = new HookBus<HookMap>({ log });
  }
}
