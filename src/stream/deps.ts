// What a stream needs from the server, passed in rather than reached for (no globals).
import type { LoadedConfig } from '../config/schema.js';
import type { SaslMechanismFactory } from '../auth/types.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { VirtualHost } from '../core/host.js';
import type { Router } from '../core/router.js';
import type { ClientSession } from '../core/session.js';
import type { Logger } from '../log.js';
import type { AccountStore } from '../storage/types.js';

export interface StreamDeps {
  hosts: ReadonlyMap<string, VirtualHost>;
  /** Named in stream headers sent before the client said which host it wants. */
  defaultHost: string;
  router: Router;
  config: LoadedConfig;
  accounts: AccountStore;
  mechanisms: SaslMechanismFactory[];
  throttle: LoginThrottle;
  /** Per-server secret (fake SCRAM salts for unknown users). */
  secret: Buffer;
  log: Logger;
  onClosed(session: ClientSession): void;
}
