// XEP-0353 Jingle Message Initiation: a call proposal (and its ringing/proceed/reject/retract/finish
// answers) sent to a bare JID rings every device of the callee, not only the resource with the highest
// priority that RFC 6121 picks for chat messages. The message itself goes to each available resource
// (so clients need not enable carbons to ring); the archive still sees it first (MAM runs above this),
// and without any available resource it falls through to the usual rules (offline storage). The
// caller's other devices learn of it from XEP-0280 carbons (a JMI message is of type chat), and Jingle
// IQs (XEP-0166/0167) between full JIDs are routed unchanged by the core.
import { z } from 'zod';
import { defineModule, PRIORITY, type ModuleContext } from '../../src/api/index.js';
import { allEligible } from '../message/rules.js';

export const NS_JMI = 'urn:xmpp:jingle-message:0';
const ACTIONS = new Set(['propose', 'retract', 'accept', 'reject', 'proceed', 'ringing', 'finish']);

/** Above carbons (100): the resources get the message itself, so no <received/> copies are needed. */
const PRIORITY_JMI = PRIORITY.DEFAULT + 150;

const options = z.object({}).strict();

export default defineModule({
  name: 'jingle_message',
  description: 'Call proposals (XEP-0353) ring every device of the callee',
  xeps: [{ xep: 353, version: '0.6.0', status: 'complete', note: 'server side: fan-out to all resources; carbons and MAM as their modules do' }],
  options,
  setup(ctx: ModuleContext<z.infer<typeof options>>) {
    ctx.addFeature(NS_JMI, 'account');
    ctx.hook('message/bare', (ev) => {
      const type = ev.stanza.attrs.type;
      if (type === 'error' || type === 'groupchat' || type === 'headline') return false;
      const jmi = ev.stanza.getChildElements().some((c) => c.attrs.xmlns === NS_JMI && ACTIONS.has(c.name));
      if (!jmi) return false;
      const sessions = allEligible(ctx.sessions.ofUser(ev.to.local).values());
      if (sessions.length === 0) return false;
      for (const s of sessions) s.send(ev.stanza);
      return true;
    }, PRIORITY_JMI);
  },
});
