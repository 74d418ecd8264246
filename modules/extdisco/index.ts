// XEP-0215 External Service Discovery: the STUN/TURN servers from the configuration, with TURN
// credentials made per request from a secret shared with the TURN server (coturn's use-auth-secret),
// so calls work through a standard TURN server. Only this host's users are answered.
import { z } from 'zod';
import type { Element } from 'ltx';
import { defineModule, el, StanzaError, type IqRequest, type ModuleContext } from '../../src/api/index.js';
import { turnCredentials } from './credentials.js';

const NS = 'urn:xmpp:extdisco:2';

const service = z.object({
  type: z.enum(['stun', 'stuns', 'turn', 'turns']),
  host: z.string().min(1).max(1023),
  port: z.number().int().min(1).max(65535).optional(),
  transport: z.enum(['udp', 'tcp']).optional(),
  name: z.string().max(200).optional(),
  /** coturn static-auth-secret: TURN credentials are derived from it for each request. */
  secret: z.string().min(16).optional(),
  /** Lifetime of derived credentials. */
  ttlSeconds: z.number().int().positive().max(7 * 86_400).default(86_400),
  /** Fixed credentials (instead of a secret), for servers that use them. */
  username: z.string().optional(),
  password: z.string().optional(),
}).strict().refine((s) => !(s.secret && (s.username || s.password)), 'use either secret or username/password');

const options = z.object({ services: z.array(service).max(50).default([]) }).strict();
type Options = z.infer<typeof options>;
type Service = z.infer<typeof service>;

export default defineModule({
  name: 'extdisco',
  description: 'STUN/TURN discovery with time-limited TURN credentials (XEP-0215)',
  xeps: [{ xep: 215, version: '1.0.0', status: 'complete', note: 'coturn REST-API shared-secret credentials' }],
  options,
  setup(ctx: ModuleContext<Options>) {
    ctx.addFeature(NS);
    const local = (req: IqRequest): string => {
      if (req.from.domain !== ctx.host || !req.from.local) throw new StanzaError('forbidden', 'external services are for users of this server');
      return req.from.bare();
    };

    const element = (s: Service, user: string): Element => {
      const creds = s.secret ? turnCredentials(s.secret, user, s.ttlSeconds) : null;
      return el('service', {
        type: s.type, host: s.host, port: s.port, transport: s.transport, name: s.name,
        username: creds?.username ?? s.username, password: creds?.password ?? s.password,
        expires: creds ? creds.expires.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined,
        restricted: creds || s.password ? '1' : undefined,
      });
    };

    ctx.iq.get('host', NS, 'services', (req) => {
      const user = local(req);
      const type = req.payload.attrs.type;
      const out = el('services', { xmlns: NS, type });
      for (const s of ctx.options.services) if (!type || s.type === type) out.cnode(element(s, user));
      return out;
    });

    // §3.3: credentials for one service, named by host and type (and port when several share them).
    ctx.iq.get('host', NS, 'credentials', (req) => {
      const user = local(req);
      const want = req.payload.getChild('service');
      if (!want?.attrs.host || !want.attrs.type) throw new StanzaError('bad-request', 'name the service by host and type');
      const match = ctx.options.services.find((s) => s.host === want.attrs.host && s.type === want.attrs.type && (!want.attrs.port || String(s.port) === want.attrs.port));
      if (!match) throw new StanzaError('item-not-found', 'no such service');
      return el('credentials', { xmlns: NS }, element(match, user));
    });
  },
});
