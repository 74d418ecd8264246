// Events of the whole server rather than of one virtual host (Prosody's hook_global): one bus shared by every
// host, for modules that must hear about something on any local host, such as a MUC service cleaning the
// affiliations of an account deleted on another host. Payloads name the host. Modules add events by
// declaration merging on ServerHookMap, as on HookMap.
import type { HookBus } from './hooks.js';

export interface ServerHookMap {
  /** An account of `host` was deleted while the server runs; fired after the host's own 'user-deleted'. */
  'user-deleted': { host: string; username: string };
}

export type ServerBus = HookBus<ServerHookMap>;
