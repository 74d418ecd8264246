// The core configuration schema (ARCHITECTURE.md §C8). Module option schemas are validated separately
// by the module manager, against each module's own `options` schema, under `modules.<name>`.
import { z } from 'zod';
import { componentListenerSchema, componentsSchema, s2sListenerSchema, s2sSchema } from '../s2s/config.js';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();
const bytes = z.number().int().positive();

/** A TLS certificate/key pair (PEM files). Paths are relative to the config file. */
export const tlsPairSchema = z.object({
  cert: z.string().min(1),
  key: z.string().min(1),
}).strict();

export const c2sListenerSchema = z.object({
  /** Which service this socket serves: c2s (XMPP clients over TCP) or http (WebSocket, BOSH, web pages). */
  service: z.literal('c2s'),
  /** Bind address: an IP literal; tests and federation need 127.0.0.x. */
  address: z.string().min(1).default('0.0.0.0'),
  port,
  /** starttls: plain TCP that upgrades (RFC 6120); direct: TLS from the first byte (XEP-0368). */
  tls: z.enum(['starttls', 'direct']).default('starttls'),
}).strict();

/** One HTTP(S) server shared by every HTTP feature (routes come from modules: websocket, bosh, hostmeta, webchat). */
export const httpListenerSchema = z.object({
  service: z.literal('http'),
  address: z.string().min(1).default('0.0.0.0'),
  port,
  /** none: plain HTTP; direct: HTTPS with the hosts' certificates (chosen by SNI, as for c2s). */
  tls: z.enum(['none', 'direct']).default('none'),
  /** Largest request body a route accepts unless it sets its own limit. */
  maxBodyBytes: bytes.default(1_048_576),
  /** Time allowed to receive a request's headers, and the whole request (a held BOSH response is not counted). */
  headersTimeoutSeconds: seconds.default(10),
  requestTimeoutSeconds: seconds.default(30),
  /** Simultaneous HTTP connections on this listener (upgraded WebSockets are counted by the c2s limits instead). */
  maxConnections: z.number().int().positive().default(10_000),
  /** Plain HTTP from a loopback address counts as encrypted (a browser on this machine cannot be sniffed), so
   *  auth.requireEncryption still lets it log in; plain HTTP from any other address never does. */
  secureLoopback: z.boolean().default(true),
  /** A reverse proxy on loopback: take the client's address from X-Forwarded-For and https from X-Forwarded-Proto. */
  trustProxy: z.boolean().default(false),
}).strict();

export const listenerSchema = z.discriminatedUnion('service', [c2sListenerSchema, httpListenerSchema, s2sListenerSchema, componentListenerSchema]);

export const hostSchema = z.object({
  /** Certificate for this host; when absent, certsDir/<host>.crt and .key are used (generated if missing). */
  tls: tlsPairSchema.optional(),
  /** Per-host module overrides: an options object, or false to disable a globally enabled module. */
  modules: z.record(z.string(), z.union([z.literal(false), z.record(z.string(), z.unknown())])).default({}),
  enabled: z.boolean().default(true),
}).strict();

export const limitsSchema = z.object({
  unauthedStanzaBytes: bytes.default(10_000),
  stanzaBytes: bytes.default(262_144),
  maxDepth: z.number().int().min(2).default(64),
  maxChildren: z.number().int().positive().default(10_000),
  authTimeoutSeconds: seconds.default(300),
  /** Idle c2s sessions get a whitespace keepalive after this long without traffic... */
  keepaliveSeconds: seconds.default(240),
  /** ...and are closed with connection-timeout after this long without any traffic. */
  idleTimeoutSeconds: seconds.default(900),
  closeTimeoutSeconds: seconds.default(5),
  /** A session whose socket write buffer passes this is closed (policy-violation). */
  writeBufferBytes: bytes.default(1_048_576),
  /** Elements queued for processing before the socket is paused. */
  pendingElements: z.number().int().positive().default(64),
  maxConnectionsPerIp: z.number().int().positive().default(100),
  maxUnauthenticated: z.number().int().positive().default(2000),
  /** Bound resources per account; one more is refused with resource-constraint (RFC 6120 §7.6.2.1). */
  maxSessionsPerAccount: z.number().int().positive().default(10),
}).strict();

export const authSchema = z.object({
  /** STARTTLS (or direct TLS) is required before SASL on c2s. */
  requireEncryption: z.boolean().default(true),
  /** Offer PLAIN (only ever over TLS). */
  allowPlain: z.boolean().default(true),
  /** PBKDF2 iterations for newly stored SCRAM keys. */
  scramIterations: z.number().int().min(4096).default(10_000),
  /** Failed attempts before an IP or account is throttled, and the throttle window. */
  maxFailures: z.number().int().positive().default(5),
  failureWindowSeconds: seconds.default(300),
  /** Delay added to every failed attempt (same for unknown users and wrong passwords). */
  failureDelayMs: z.number().int().min(0).default(1000),
}).strict();

export const configSchema = z.object({
  /** Virtual hosts served by this server. */
  hosts: z.record(z.string(), hostSchema.prefault({})).refine((h) => Object.keys(h).length > 0, {
    message: 'at least one host is required',
  }),
  // prefault: the defaults go through the listener schemas, which fill in the http listeners' options.
  listen: z.array(listenerSchema).prefault([
    { service: 'c2s', address: '0.0.0.0', port: 5222, tls: 'starttls' },
    { service: 'c2s', address: '0.0.0.0', port: 5223, tls: 'direct' },
    { service: 'http', address: '0.0.0.0', port: 5280, tls: 'none' },
    { service: 'http', address: '0.0.0.0', port: 5281, tls: 'direct' },
  ]),
  /** Directory for the database and other state. */
  dataDir: z.string().default('data'),
  /** Where generated self-signed certificates go, and where certificates are looked up by host name. */
  certsDir: z.string().default('certs'),
  tls: z.object({
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    /** Generate a self-signed certificate on start when a host has none. */
    generateMissing: z.boolean().default(true),
  }).strict().prefault({}),
  storage: z.object({
    driver: z.enum(['sqlite', 'memory']).default('sqlite'),
    /** SQLite file; default <dataDir>/starling.db. */
    path: z.string().optional(),
    /** SQLite durability. normal: accepted writes survive a crash or kill -9 of the server; full: also an OS crash
     *  or power loss, at the cost of an fsync per write (see SECURITY.md, "Crash durability"). */
    synchronous: z.enum(['normal', 'full']).default('normal'),
  }).strict().prefault({}),
  log: z.object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** json: one JSON object per line (for collectors); pretty: short human-readable lines. */
    format: z.enum(['json', 'pretty']).default('pretty'),
  }).strict().prefault({}),
  limits: limitsSchema.prefault({}),
  /** Federation (server-to-server) and its policies; see src/s2s/config.ts. */
  s2s: s2sSchema.prefault({}),
  /** External components (XEP-0114) by domain, each with its shared secret. */
  components: componentsSchema.default({}),
  auth: authSchema.prefault({}),
  sessions: z.object({
    /** What happens when a resource is bound twice: the old session is replaced, or the new one refused. */
    conflict: z.enum(['kick-old', 'kick-new']).default('kick-old'),
  }).strict().prefault({}),
  /** Administration: the local admin socket (`starling status|stop|reload` and every admin command reach the
   *  running server through it; owner-only file mode) and the accounts allowed to administer over XMPP and the web. */
  admin: z.object({
    /** Socket path (relative paths resolve against dataDir), or false for none. Default <dataDir>/admin.sock. */
    socket: z.union([z.string().min(1), z.literal(false)]).optional(),
    /** Bare JIDs of the server administrators (XEP-0133 ad-hoc commands, the web admin). */
    admins: z.array(z.string().min(3)).default([]),
  }).strict().prefault({}),
  /** Modules enabled on every host, with their options ({} = defaults). */
  modules: z.record(z.string(), z.record(z.string(), z.unknown())).default({
    disco: {}, ping: {}, version: {}, time: {},
    roster: {}, presence: {}, message: {}, offline: {},
    vcard: {}, private: {}, last: {}, blocking: {},
    sm: {}, csi: {},
    mam: {}, carbons: {},
    muc: {},
    metrics: {}, adhoc: {},
    pep: {}, bookmarks: {}, pep_vcard: {}, jingle_message: {},
  }),
}).strict();

export type Config = z.infer<typeof configSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type C2SListenerConfig = z.infer<typeof c2sListenerSchema>;
export type HttpListenerConfig = z.infer<typeof httpListenerSchema>;
export type HostConfig = z.infer<typeof hostSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type AuthConfig = z.infer<typeof authSchema>;

/** A loaded, validated config with every path made absolute (relative paths resolve against the file). */
export interface LoadedConfig extends Config {
  /** The file it came from, or null when built in code (tests). */
  file: string | null;
  /** Where a key path is in the file ("starling.yaml:12:3"), for error messages; null if unknown. */
  locate(path: readonly (string | number)[]): string | null;
}

/** A configuration problem a person can act on: names the key path and, when known, the file line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
