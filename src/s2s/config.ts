// Configuration of federation (s2s, RFC 6120 + XEP-0220/0178/0368) and external components (XEP-0114). Imported by
// src/config/schema.ts, which adds the listener kinds and the top-level `s2s` and `components` sections.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();

/** Incoming server-to-server connections (5269; 5270 for XEP-0368 direct TLS, ALPN 'xmpp-server'). */
export const s2sListenerSchema = z.object({
  service: z.literal('s2s'),
  address: z.string().min(1).default('0.0.0.0'),
  port: port.default(5269),
  tls: z.enum(['starttls', 'direct']).default('starttls'),
}).strict();

/** External components (XEP-0114). Plain TCP: keep it on loopback or a private network. */
export const componentListenerSchema = z.object({
  service: z.literal('component'),
  address: z.string().min(1).default('127.0.0.1'),
  port: port.default(5347),
  tls: z.literal('none').default('none'),
}).strict();

/** host:port, [v6]:port or a bare host (port 5269). */
const routeTarget = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+)(:\d{1,5})?$/, 'expected host or host:port');

export const s2sSchema = z.object({
  /** Federation on or off. Unset: on exactly when a `service: s2s` listener is configured (off in the default
   *  config: a private server does not talk to the network unless asked). true without a listener: outgoing only. */
  enabled: z.boolean().optional(),
  /** Like Prosody's s2s_secure_auth: true = a peer must authenticate with a valid certificate (SASL EXTERNAL,
   *  XEP-0178); false = XEP-0220 dialback is accepted when its certificate does not verify. */
  secureAuth: z.boolean().default(false),
  /** Offer and use XEP-0220 dialback at all. */
  dialback: z.boolean().default(true),
  /** Require TLS on incoming and outgoing s2s streams (refuse peers without STARTTLS). */
  requireEncryption: z.boolean().default(true),
  /** Extra trusted CA certificates (PEM files) for peer certificates, beside the system store. */
  caFiles: z.array(z.string().min(1)).default([]),
  /** Static routes, bypassing DNS: { "example.org": "10.0.0.5:5269" } (private deployments, tests). */
  routes: z.record(z.string(), routeTarget).default({}),
  /** DNS servers for SRV/A lookups ("ip" or "ip:port"); empty = the system's. */
  dnsServers: z.array(z.string().min(1)).default([]),
  /** Time to get an outgoing stream authenticated (all targets together) before queued stanzas bounce. */
  connectTimeoutSeconds: seconds.default(30),
  /** Stanzas queued per outgoing connection while it is being set up; more bounce with resource-constraint. */
  queueSize: z.number().int().positive().default(500),
  /** Open s2s connections (incoming + outgoing + dialback verification). */
  maxConnections: z.number().int().positive().default(1000),
  /** Streams without traffic for this long are closed. */
  idleTimeoutSeconds: seconds.default(600),
  /** An XEP-0199 ping goes out on a quiet outgoing stream after this long; no answer in pingTimeout closes it. */
  keepaliveSeconds: seconds.default(120),
  pingTimeoutSeconds: seconds.default(30),
  /** Time to authenticate an incoming stream. */
  authTimeoutSeconds: seconds.default(60),
}).strict();

export const componentSchema = z.object({
  /** Shared secret of the component (XEP-0114 handshake). */
  secret: z.string().min(1),
}).strict();

/** Component domains (e.g. "gateway.example.org") with their secrets. */
export const componentsSchema = z.record(z.string(), componentSchema);

export type S2SListenerConfig = z.infer<typeof s2sListenerSchema>;
export type ComponentListenerConfig = z.infer<typeof componentListenerSchema>;
export type S2SConfig = z.infer<typeof s2sSchema>;
export type ComponentsConfig = z.infer<typeof componentsSchema>;
