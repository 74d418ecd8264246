// XEP-0388 Extensible SASL Profile (SASL2) with XEP-0386 Bind2, XEP-0198 resumption inline and XEP-0484 FAST
// tokens: a client that reconnects sends one <authenticate/> (a FAST token, its user agent, and either <resume/>
// or <bind/> with SM, CSI) and gets one <success/> that says everything, without a stream restart. The SASL
// mechanics (throttle, failure counting, binding) are the c2s stream's, lent through InlineAuth; XEP-0474 comes
// with SCRAM (the server-first-message proves what was offered), XEP-0440 types are announced by the core.
import type { Element } from 'ltx';
import { z } from 'zod';
import { defineModule, el, NS, type ClientSession, type InlineAuth, type MapStore, type ModuleContext, type SaslMechanism, type SaslMechanismFactory, type SaslStep } from '../../src/api/index.js';
import { decodeSaslBase64 } from '../../src/auth/base64.js';
import { bind2, inlineFeatures } from './bind2.js';
import { Fast, HT_NAMES, localpart, type FastUse } from './fast.js';
import { NS_BIND2, NS_FAST, NS_SASL2, NS_SM } from './ns.js';
import { FastTokens, type TokenRecord } from './tokens.js';

const options = z.object({
  fast: z.object({
    /** Offer XEP-0484 FAST tokens. */
    enabled: z.boolean().default(true),
    /** HT mechanisms offered (those the connection can bind to). */
    mechanisms: z.array(z.enum(HT_NAMES as [string, ...string[]])).default(['HT-SHA-256-NONE', 'HT-SHA-256-ENDP']),
    /** How long a token is valid. */
    tokenLifetimeDays: z.number().min(0.001).max(365).default(14),
  }).strict().prefault({}),
}).strict();

type Options = z.infer<typeof options>;

interface Exchange {
  mechanism: SaslMechanism;
  name: string;
  request: Element;
  uaId: string | null;
  /** For a FAST login: the user agent and the token slot that matched. */
  fast: FastUse | null;
}

const KEY = 'sasl2';
const UA_ID = /^[\x21-\x7e]{1,128}$/;

export default defineModule({
  name: 'sasl2',
  description: 'One-round-trip logins: SASL2 with Bind2, inline stream management and FAST tokens (XEP-0388, XEP-0386, XEP-0484)',
  xeps: [
    { xep: 388, version: '0.4.0', status: 'partial', note: 'no <continue/> tasks' },
    { xep: 386, version: '1.0.0', status: 'complete', note: 'inline SM, carbons and CSI' },
    { xep: 484, version: '0.2.0', status: 'complete', note: 'HT-SHA-256-NONE/-ENDP/-EXPR/-UNIQ, rotation, replay counter, invalidation' },
    { xep: 474, version: '0.4.0', status: 'complete', note: 'SCRAM d= attribute for SASL and SASL2' },
  ],
  options,
  setup(ctx: ModuleContext<Options>) {
    const fast = new Fast(ctx.options.fast, new FastTokens(ctx.openStore('fast', 'map') as MapStore<TokenRecord>, ctx.options.fast.tokenLifetimeDays * 86_400_000));
    const base = ctx as unknown as ModuleContext<unknown>;

    ctx.hook('stream-features', ({ features, stage, auth }) => {
      if (stage !== 'pre-auth' || !auth) return;
      const a = features.c('authentication', { xmlns: NS_SASL2 });
      for (const m of auth.mechanisms) a.c('mechanism').t(m);
      const inline = a.c('inline');
      const bind = inline.c('bind', { xmlns: NS_BIND2 }).c('inline');
      for (const f of inlineFeatures(base)) bind.c('feature', { var: f });
      if (ctx.tryUse('sm')) inline.c('sm', { xmlns: NS_SM });
      const ht = fast.mechanisms(auth.channelBindingTypes);
      if (ht.length > 0) {
        const f = inline.c('fast', { xmlns: NS_FAST });
        for (const m of ht) f.c('mechanism').t(m);
      }
    });

    ctx.hook('pre-auth-element', ({ session, element, auth }) => {
      if (element.attrs.xmlns !== NS_SASL2) return false;
      switch (element.name) {
        case 'authenticate':
          return authenticate(session, element, auth).then(() => true);
        case 'response': {
          const ex = session.data.get(KEY) as Exchange | undefined;
          if (!ex) {
            session.send(failure('not-authorized', 'no authentication in progress'));
            return true;
          }
          return step(session, auth, ex, element.getText()).then(() => true);
        }
        case 'abort':
          session.data.delete(KEY);
          auth.abort();
          session.send(failure('aborted'));
          return true;
        default:
          return false;
      }
    });

    async function authenticate(session: ClientSession, request: Element, auth: InlineAuth): Promise<void> {
      session.data.delete(KEY);
      const name = request.attrs.mechanism ?? '';
      const uaIdRaw = request.getChild('user-agent')?.attrs.id;
      const uaId = uaIdRaw && UA_ID.test(uaIdRaw) ? uaIdRaw : null;
      let factory: SaslMechanismFactory | undefined;
      let use: FastUse | null = null;
      if (fast.isFast(name)) {
        if (!fast.mechanisms(auth.channelBindingTypes).includes(name) || !uaId) {
          session.send(failure('invalid-mechanism', uaId ? `${name} is not offered` : 'FAST needs a <user-agent id/>'));
          return;
        }
        use = { uaId, slot: null };
        factory = fast.factory(name, session.host, use, auth.accountStamp);
      }
      const started = auth.start(name, { factory, offered: auth.mechanisms });
      if (!started.ok) {
        session.send(failure(started.condition, started.text));
        return;
      }
      const ex: Exchange = { mechanism: started.mechanism, name, request, uaId, fast: use };
      session.data.set(KEY, ex);
      const initial = request.getChildText('initial-response');
      if (initial === null) {
        session.send(el('challenge', { xmlns: NS_SASL2 }));
        return;
      }
      return step(session, auth, ex, initial);
    }

    async function step(session: ClientSession, auth: InlineAuth, ex: Exchange, b64: string): Promise<void> {
      const data = decodeSaslBase64(b64);
      const r: SaslStep = data === null
        ? { kind: 'failure', condition: 'incorrect-encoding', text: 'the data is not valid base64' }
        : await ex.mechanism.step(data);
      if (session.data.get(KEY) !== ex) return;   // aborted or superseded meanwhile
      if (r.kind === 'challenge') {
        session.send(el('challenge', { xmlns: NS_SASL2 }, r.data.toString('base64')));
        return;
      }
      session.data.delete(KEY);
      if (r.kind === 'failure') {
        await auth.fail(ex.name, r.condition, r.text, r.username, (c, t) => session.send(failure(c, t)));
        return;
      }
      const user = localpart(r.username, session.host);
      if (ex.fast?.slot && user && !(await fast.accept(user, ex.fast, ex.request.getChild('fast', NS_FAST)))) {
        await auth.fail(ex.name, 'not-authorized', 'this token was already used with that count, or has been replaced', r.username, (c, t) => session.send(failure(c, t)));
        return;
      }
      const ok = await auth.succeed(r.username, ex.name);
      if (!ok.ok) {
        auth.abort();
        session.send(failure(ok.condition, ok.text));
        return;
      }
      const success = el('success', { xmlns: NS_SASL2 });
      if (r.data && r.data.length > 0) success.c('additional-data').t(r.data.toString('base64'));
      const token = await fast.tokenFor(ok.username, ex.name, ex.uaId, ex.fast, ex.request, auth.accountStamp);
      await finish(session, auth, ex, success, token);
    }

    /** After authentication: resume inline, or bind inline, or let the client bind the RFC 6120 way. */
    async function finish(session: ClientSession, auth: InlineAuth, ex: Exchange, success: Element, token: Element | null): Promise<void> {
      const bare = `${session.username}@${session.host}`;
      const resumeEl = ex.request.getChild('resume', NS_SM);
      const sm = ctx.tryUse('sm');
      let smFailed: Element | null = null;
      if (resumeEl && sm) {
        const r = sm.resume(session, resumeEl);
        if (r.ok) {
          success.c('authorization-identifier').t(r.session.jid!.full());
          success.cnode(r.resumed);
          if (token) success.cnode(token);
          r.session.send(success);
          r.finish();
          return;
        }
        smFailed = r.failed;
      }
      const bindEl = ex.request.getChild('bind', NS_BIND2);
      const bound = bindEl ? bind2(base, session, auth, bindEl, ex.uaId) : null;
      success.c('authorization-identifier').t(bound?.ok ? bound.jid : bare);
      if (smFailed) success.cnode(smFailed);
      if (bound?.ok) success.cnode(bound.bound);
      if (token) success.cnode(token);
      session.send(success);
      if (bound?.ok) return bound.announce();
      return auth.sendFeatures();
    }
  },
});

function failure(condition: string, text?: string): Element {
  const f = el('failure', { xmlns: NS_SASL2 }, el(condition, { xmlns: NS.SASL }));
  if (text) f.c('text').t(text);
  return f;
}
