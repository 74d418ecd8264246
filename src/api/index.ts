// THE surface for modules. A module imports from here (and src/xml, src/jid), never from the core's
// internals, and registers everything through its context so the loader can undo it on unload.
import type { Element } from 'ltx';
import type { HookHandler } from '../core/hooks.js';
import type { HookMap } from '../core/hookmap.js';
import type { ServerHookMap } from '../core/server-events.js';
import type { IqHandler, IqTarget } from '../core/iq.js';
import type { DiscoItem, DiscoScope, Identity } from '../core/disco-registry.js';
import type { RouteHandler } from '../core/router.js';
import type { ClientSession } from '../core/session.js';
import type { Logger } from '../log.js';
import type { StoreTypes } from '../storage/types.js';
import type { LimitsConfig } from '../config/schema.js';
import type { Transport } from '../net/transport.js';
import type { HttpApi } from '../net/http/types.js';
import type { ModuleCommandsApi } from '../admin/runtime.js';

export type { HookMap, PreAuthIqEvent, StanzaEvent, StreamFeaturesEvent, StreamElementEvent, SessionEvent } from '../core/hookmap.js';
export type { HookHandler, HookResult } from '../core/hooks.js';
export type { ServerHookMap } from '../core/server-events.js';
export { PRIORITY } from '../core/hooks.js';
export type { IqHandler, IqRequest, IqTarget } from '../core/iq.js';
export type { ClientSession, C2SState, OutputFilter, OutputFilterHandle } from '../core/session.js';
export type { InlineAuth, InlineAuthRefusal, PreAuthElementEvent } from '../core/inline-auth.js';
export type { SaslMechanism, SaslMechanismFactory, SaslStep, SaslFailureCondition, SaslContext, ChannelBinding, ChannelBindingType } from '../auth/types.js';
export type { DiscoItem, DiscoScope, Identity } from '../core/disco-registry.js';
export type { RouteHandler } from '../core/router.js';
export { StanzaError, StreamError } from '../core/errors.js';
export type { StanzaErrorCondition, StanzaErrorType, StreamErrorCondition } from '../core/errors.js';
export type { KeyValueStore, MapStore, ArchiveStore, StoreTypes } from '../storage/types.js';
export { NS } from '../xml/ns.js';
export { el, iqResult, errorReply, checkText, isXmlSafe, isStanza } from '../xml/stanza.js';
export { sharedCopies } from '../xml/serialize.js';
// HTTP routes and the web transports (RFC 7395 WebSocket, XEP-0124/0206 BOSH) for the modules that serve them.
export type { Transport, TransportHandlers } from '../net/transport.js';
export type { HttpApi, HttpHandler, HttpMethod, HttpRequest, HttpUpgradeHandler } from '../net/http/types.js';
export { HttpError } from '../net/http/types.js';
export { send as sendHttp, sendError as sendHttpError, refuseUpgrade } from '../net/http/respond.js';
export { originAllowed, corsOrigin } from '../net/http/origin.js';
export { httpPathSchema, originSchema } from '../net/http/schemas.js';
export { createWebSocketEndpoint, type WebSocketEndpoint } from '../net/websocket.js';
export { BoshManager, type BoshOptions } from '../net/bosh.js';
export type { LimitsConfig } from '../config/schema.js';
// Admin commands (src/admin): a module defines commands with a zod schema and registers them with ctx.commands.
export type { ModuleCommandsApi } from '../admin/runtime.js';
export type { AdminCommand, Caller, CommandEnv, CommandInfo, HttpBinding, Surface } from '../admin/types.js';
export { CommandError, type CommandErrorCode } from '../admin/errors.js';
export { allows as scopeAllows } from '../admin/registry.js';
export { openApiDocument, pathParams, API_PREFIX, ERROR_CODES } from '../admin/openapi.js';

/** What the server tells modules about itself. */
export interface ServerInfo {
  readonly name: string;
  readonly version: string;
  readonly startedAt: number;
  hosts(): string[];
  /** The server's data directory (absolute); modules that keep files (HTTP upload) use a subdirectory named after themselves. */
  readonly dataDir?: string;
}

export interface ModuleContext<Opts> {
  /** The virtual host this instance serves. */
  readonly host: string;
  readonly options: Readonly<Opts>;
  readonly log: Logger;
  readonly server: ServerInfo;
  /** Registers an event handler on this host; higher priority runs first; returning true stops the chain. */
  hook<K extends keyof HookMap>(event: K, fn: HookHandler<HookMap[K]>, priority?: number): void;
  fire<K extends keyof HookMap>(event: K, payload: HookMap[K]): boolean | Promise<boolean>;
  /** Registers a handler on the server-wide bus: events of every local host (payloads name the host). */
  hookServer<K extends keyof ServerHookMap>(event: K, fn: HookHandler<ServerHookMap[K]>, priority?: number): void;
  /** IQ handlers by target and payload element; exactly one handler per (target, type, xmlns, name). */
  iq: {
    get(target: IqTarget, xmlns: string, name: string, fn: IqHandler): void;
    set(target: IqTarget, xmlns: string, name: string, fn: IqHandler): void;
  };
  /** Service discovery entries of this host. */
  addFeature(xmlns: string, scope?: DiscoScope): void;
  addIdentity(category: string, type: string, name?: string): void;
  addDiscoItem(item: DiscoItem): void;
  /** XEP-0128 extended info for the server's disco#info: <x xmlns='jabber:x:data' type='result'/> with a FORM_TYPE. */
  addDiscoForm(form: Element): void;
  /** Read access to everything announced on this host (for the disco module); revision() changes with any of it. */
  readonly disco: { features(): string[]; identities(): Identity[]; items(): DiscoItem[]; forms(): Element[]; accountFeatures(): string[]; revision(): number };
  /** Claims a subdomain (e.g. conference.<host>) for this module. */
  addRoute(domain: string, handler: RouteHandler): void;
  /** A store owned by this module ('keyval' | 'map' | 'archive'); names are prefixed with the module name. */
  openStore<K extends keyof StoreTypes>(name: string, kind: K): StoreTypes[K];
  /** Routes a stanza from the server (from and to must be set). */
  send(stanza: Element): void | Promise<void>;
  /** Sends an IQ get/set (an id is added when missing) and resolves with the result; rejects with StanzaError. */
  sendIq(stanza: Element, timeoutMs?: number): Promise<Element>;
  /** A timer the loader cancels on unload. */
  timer(ms: number, fn: () => void, opts?: { repeat?: boolean }): { cancel(): void };
  /** Bound client sessions of this host. */
  readonly sessions: {
    ofUser(username: string): ReadonlyMap<string, ClientSession>;
    get(username: string, resource: string): ClientSession | undefined;
    readonly count: number;
  };
  /** Accounts of this host. */
  readonly accounts: AccountsApi;
  /** Offers a typed service to other modules of this host (removed on unload). */
  provide<K extends keyof Services>(name: K, service: Services[K]): void;
  /** A service another module provides; throws if that module is not loaded (declare it in `depends`). */
  use<K extends keyof Services>(name: K): Services[K];
  /** Like use(), but undefined when no module provides it (optional integration). */
  tryUse<K extends keyof Services>(name: K): Services[K] | undefined;
  /** Runs when the module is unloaded (after its hooks and handlers are removed). */
  onUnload(fn: () => void | Promise<void>): void;
  /** Routes on the HTTP listeners (`listen: [{ service: http }]`) for this host, removed on unload. A request goes to
   *  the host its Host header names (or a parent domain of it), else to the first host. */
  readonly http: HttpApi;
  /** Client streams over other transports than the TCP listeners (WebSocket, BOSH). */
  readonly c2s: C2SApi;
  /** Admin commands: register this module's (CLI over the admin socket, REST API, ad-hoc), list and run them. */
  readonly commands: ModuleCommandsApi;
}

export interface C2SApi {
  /** Starts a client stream on a transport: the same state machine, limits and connection caps as TCP. */
  accept(transport: Transport): void;
  /** The server's stream limits (stanza sizes, XML depth and children, timeouts). */
  readonly limits: Readonly<LimitsConfig>;
}

/** Services modules offer each other; a module adds its own by declaration merging:
 *  `declare module '../../src/api/index.js' { interface Services { roster: RosterService } }` */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

export interface AccountsApi {
  exists(username: string): Promise<boolean>;
  /** Creates the account (password SASLprepped and stored as SCRAM keys); false if it exists. */
  create(username: string, password: string): Promise<boolean>;
  /** Replaces the password; false if there is no such account. */
  setPassword(username: string, password: string): Promise<boolean>;
  /** Deletes the account and everything stored for it, fires user-deleted and closes its sessions. */
  delete(username: string): Promise<boolean>;
  /** Whether the password is right for an enabled account (constant-time; the same work for unknown users). */
  checkPassword(username: string, password: string): Promise<boolean>;
}

export interface XepClaim {
  xep: number;
  version: string;
  status: 'complete' | 'partial';
  note?: string;
}

/** A module: its contract as data (ejabberd's gen_mod) plus one setup function. */
export interface ModuleDefinition<Opts = unknown> {
  /** Config key under `modules:`. */
  name: string;
  /** One line for `starling module list` and the docs. */
  description: string;
  xeps?: XepClaim[];
  /** Modules loaded first (automatically, with default options, if not enabled). */
  depends?: string[];
  /** Validates and fills in defaults for the module's options (a zod object schema fits). */
  options: { safeParse(input: unknown): { success: true; data: Opts } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } };
  setup(ctx: ModuleContext<Opts>): void | Promise<void>;
}

export function defineModule<Opts>(definition: ModuleDefinition<Opts>): ModuleDefinition<Opts> {
  return definition;
}
