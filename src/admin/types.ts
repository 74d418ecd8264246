// What admin commands are (name, typed arguments, permission, handler) and what they run against: the database
// alone (offline, from the CLI) or a running server (through the admin socket, the REST API or ad-hoc commands).
import type { z } from 'zod';
import type { Element } from 'ltx';
import type { LoadedConfig } from '../config/schema.js';
import type { StorageDriver } from '../storage/types.js';
import type { VirtualHost } from '../core/host.js';

export type Surface = 'cli' | 'rest' | 'adhoc';

/** Who runs a command; `scopes` are what it may do ('*' = everything). */
export interface Caller {
  via: 'cli' | 'socket' | 'rest' | 'adhoc' | 'web';
  /** Who: 'local' for the CLI and the socket, the token id for REST, the admin's JID for ad-hoc and the web admin. */
  actor: string;
  scopes: readonly string[];
}

export interface ModuleInfo { host: string; name: string }

export interface ReloadReport {
  /** Modules unloaded and loaded, as "name@host". */
  unloaded: string[];
  loaded: string[];
  certificates: string[];
  /** Changed settings that only take effect after a restart (listeners, hosts, storage...). */
  restartNeeded: string[];
}

/** What admin commands see of a running server. */
export interface ServerControl {
  readonly startedAt: number;
  readonly version: string;
  config(): LoadedConfig;
  readonly hosts: ReadonlyMap<string, VirtualHost>;
  addresses(): { service: string; tls: string; address: string; port: number }[];
  /** Connected client streams in any state. */
  connectionCount(): number;
  /** Server-to-server connections (incoming, outgoing, being dialled). */
  s2sConnectionCount(): number;
  /** Routes a stanza from the server. */
  send(stanza: Element): void | Promise<void>;
  /** Sends an IQ get/set (an id is added) and resolves with the result; rejects with StanzaError. */
  sendIq(stanza: Element, timeoutMs?: number): Promise<Element>;
  stop(reason: string): Promise<void>;
  /** Re-reads the config file, validates it and applies it; throws CommandError('refused') and keeps the old one. */
  reload(): Promise<ReloadReport>;
  modules(): ModuleInfo[];
  loadModule(host: string, name: string): Promise<void>;
  unloadModule(host: string, name: string): Promise<void>;
  /** Re-reads every enabled host's certificate files. */
  reloadCertificates(): Promise<string[]>;
}

export interface CommandEnv {
  config: LoadedConfig;
  storage: StorageDriver;
  /** Null when the command runs offline against the database. */
  server: ServerControl | null;
  caller: Caller;
  /** The command catalogue itself (for the list and help commands). */
  registry: CommandCatalogue;
}

export interface HttpBinding {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under /api/v1, with {arg} placeholders filled from arguments, e.g. /users/{jid}/sessions. */
  path: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyObjectSchema = z.ZodObject<any>;

export interface AdminCommand<S extends AnyObjectSchema = AnyObjectSchema, R = unknown> {
  /** Dotted, group first: 'user.add', 'room.list'. The CLI turns it into `starling user add`. */
  name: string;
  summary: string;
  args: S;
  /** The result's shape (documents the REST response in the OpenAPI document); default: any JSON. */
  result?: z.ZodType;
  /** Permission, '<group>:read' or '<group>:write'; a REST token needs it (write implies read). */
  scope: string;
  /** 'running' needs a running server; 'any' also runs offline against the database. */
  needs: 'any' | 'running';
  /** Arguments given positionally on the command line, in order. */
  positional?: readonly (keyof z.infer<S> & string)[];
  /** Arguments read from stdin or a hidden prompt when not given (passwords). */
  secret?: readonly (keyof z.infer<S> & string)[];
  http?: HttpBinding;
  /** Where it is offered; default everywhere. */
  surfaces?: readonly Surface[];
  run(env: CommandEnv, args: z.infer<S>): Promise<R>;
  /** Text for the CLI; default: JSON. */
  format?(result: R): string;
}

/** A command as the outside world sees it (the socket sends these to the CLI; the OpenAPI document is built from them). */
export interface CommandInfo {
  name: string;
  summary: string;
  scope: string;
  needs: 'any' | 'running';
  positional: string[];
  secret: string[];
  http?: HttpBinding;
  surfaces: Surface[];
  /** JSON Schema (draft 2020-12) of the arguments, as input. */
  schema: JsonSchemaObject;
  /** JSON Schema of the result ({} when undocumented). */
  resultSchema: JsonSchema;
  /** Module that registered it, or 'core'. */
  owner: string;
}

export interface JsonSchemaObject {
  type: 'object';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [k: string]: unknown;
}

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  items?: JsonSchema;
  [k: string]: unknown;
}

export interface CommandCatalogue {
  list(): CommandInfo[];
  get(name: string): RegisteredCommand | undefined;
}

export interface RegisteredCommand {
  command: AdminCommand;
  info: CommandInfo;
  /** For module commands: which host's registration runs it. */
  hosts: ReadonlySet<string>;
}
