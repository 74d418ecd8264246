// XEP-0050 ad-hoc commands with the XEP-0133 service administration nodes, for the administrators listed in the
// configuration (admin.admins). Besides the XEP-0133 nodes, every registry command offered over ad-hoc appears as
// node urn:starling:admin:<name> with a form generated from its arguments. Others see an empty command list and get
// forbidden. Multi-stage sessions: execute -> form (status executing) -> complete/cancel.
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import { z } from 'zod';
import { CommandError, defineModule, el, iqResult, PRIORITY, StanzaError, type CommandInfo, type ModuleContext, type StanzaErrorCondition } from '../../src/api/index.js';
import { argsFrom, fieldsFor, formElement, submitted, type FieldSpec } from './form.js';
import { NODE_PREFIX, NS_ADMIN, NS_COMMANDS, NS_INFO, NS_ITEMS } from './ns.js';
import { ADMIN_NODES, type AdminNode } from './xep0133.js';

const options = z.object({
  /** Seconds a started multi-stage command waits for its form. */
  sessionTimeoutSeconds: z.number().int().positive().default(600),
}).strict();

type Options = z.infer<typeof options>;

const CONDITION: Partial<Record<CommandError['code'], StanzaErrorCondition>> = {
  'invalid-argument': 'bad-request', 'not-found': 'item-not-found', conflict: 'conflict', forbidden: 'forbidden',
  unavailable: 'service-unavailable', 'not-running': 'service-unavailable', refused: 'not-acceptable',
};

interface Pending { node: string; owner: string; expires: number }

/** What a node does: one of XEP-0133's, or a registry command. */
interface NodeDef { node: string; name: string; fields: FieldSpec[]; run: AdminNode['run'] }

export default defineModule({
  name: 'adhoc',
  description: 'XEP-0050 ad-hoc commands and XEP-0133 service administration for the configured admins',
  xeps: [
    { xep: 50, version: '1.3.0', status: 'complete' },
    { xep: 133, version: '1.3.1', status: 'partial', note: 'add/delete/disable/re-enable user, change password, end session, announce, user counts and lists, user statistics' },
  ],
  options,
  setup(ctx: ModuleContext<Options>) {
    const pending = new Map<string, Pending>();
    ctx.addFeature(NS_COMMANDS);
    ctx.timer(30_000, () => {
      const now = Date.now();
      for (const [id, p] of pending) if (p.expires < now) pending.delete(id);
    }, { repeat: true });

    const registryNode = (info: CommandInfo): NodeDef => ({
      node: `${NODE_PREFIX}${info.name}`,
      name: info.summary,
      fields: fieldsFor(info),
      async run(values, _host, run) {
        const result = await run(info.name, argsFrom(info, values));
        return { fields: [{ var: 'result', type: 'text-multi', label: 'Result', value: JSON.stringify(result, null, 2).split('\n') }], note: 'done' };
      },
    });
    const nodes = (): NodeDef[] => {
      const commands = ctx.commands.list().filter((c) => c.surfaces.includes('adhoc'));
      const present = new Set(commands.map((c) => c.name));
      return [...ADMIN_NODES.filter((n) => !n.requires || present.has(n.requires)), ...commands.map(registryNode)];
    };
    const isAdmin = (jid: { bare(): string }) => ctx.commands.isAdmin(jid.bare());

    // Command discovery (XEP-0050 §2.2): disco#items on the commands node. The disco module answers other nodes.
    ctx.hook('pre-iq', (ev) => {
      const { stanza, to, origin } = ev;
      if (!origin || stanza.attrs.type !== 'get' || to.local || to.resource || to.domain !== ctx.host) return false;
      const q = stanza.getChild('query');
      const node = q?.attrs.node;
      if (!q || !node) return false;
      if (q.attrs.xmlns === NS_ITEMS && node === NS_COMMANDS) {
        const items = el('query', { xmlns: NS_ITEMS, node: NS_COMMANDS });
        if (isAdmin(ev.from)) for (const n of nodes()) items.cnode(el('item', { jid: ctx.host, node: n.node, name: n.name }));
        origin.send(iqResult(stanza, items));
        return true;
      }
      if (q.attrs.xmlns === NS_INFO && (node.startsWith(`${NS_ADMIN}#`) || node.startsWith(NODE_PREFIX))) {
        if (!isAdmin(ev.from) || !nodes().some((n) => n.node === node)) {
          ev.reply(new StanzaError('item-not-found'));
          return true;
        }
        origin.send(iqResult(stanza, el('query', { xmlns: NS_INFO, node },
          el('identity', { category: 'automation', type: 'command-node' }),
          el('feature', { var: NS_COMMANDS }), el('feature', { var: 'jabber:x:data' }))));
        return true;
      }
      return false;
    }, PRIORITY.DEFAULT + 100);

    ctx.iq.set('host', NS_COMMANDS, 'command', async ({ payload, from }) => {
      const nodeName = payload.attrs.node ?? '';
      const action = payload.attrs.action ?? 'execute';
      if (!isAdmin(from)) throw new StanzaError('forbidden', 'only server administrators may run these commands');
      const def = nodes().find((n) => n.node === nodeName);
      if (!def) throw new StanzaError('item-not-found', 'no such command');
      const answer = (status: string, sessionid: string, ...children: (Element | null)[]) =>
        el('command', { xmlns: NS_COMMANDS, node: nodeName, sessionid, status }, ...children);

      const sid = payload.attrs.sessionid;
      if (!sid) {
        if (action !== 'execute' && action !== 'complete') throw new StanzaError('bad-request', `cannot ${action} a command that has not started`);
        const id = randomBytes(9).toString('base64url');
        // A command without fields runs at once (XEP-0133 counts and lists).
        if (def.fields.length === 0) return complete(def, id, new Map(), from.bare(), answer);
        pending.set(id, { node: nodeName, owner: from.full(), expires: Date.now() + ctx.options.sessionTimeoutSeconds * 1000 });
        return answer('executing', id,
          el('actions', { execute: 'complete' }, el('complete')),
          formElement('form', def.name, def.fields, nodeName.startsWith(NS_ADMIN) ? NS_ADMIN : undefined));
      }
      const p = pending.get(sid);
      if (!p || p.node !== nodeName || p.owner !== from.full()) {
        throw new StanzaError('bad-request', 'no such command session', 'modify', el('bad-sessionid', { xmlns: NS_COMMANDS }));
      }
      pending.delete(sid);
      if (action === 'cancel') return answer('canceled', sid);
      if (action !== 'complete' && action !== 'execute') throw new StanzaError('bad-request', `unsupported action ${action}`);
      return complete(def, sid, submitted(payload), from.bare(), answer);
    });

    async function complete(def: NodeDef, sid: string, values: Map<string, string[]>, actor: string,
      answer: (status: string, sessionid: string, ...children: (Element | null)[]) => Element): Promise<Element> {
      try {
        const caller = { via: 'adhoc' as const, actor, scopes: ['*'] };
        ctx.log.info({ node: def.node, admin: actor }, 'ad-hoc admin command');
        const out = await def.run(values, ctx.host, (name, args) => ctx.commands.run(name, args, caller, 'adhoc'));
        return answer('completed', sid,
          out.note ? el('note', { type: 'info' }, out.note) : null,
          out.fields?.length ? formElement('result', def.name, out.fields, def.node.startsWith(NS_ADMIN) ? NS_ADMIN : undefined) : null);
      } catch (err) {
        if (err instanceof CommandError) throw new StanzaError(CONDITION[err.code] ?? 'internal-server-error', err.message);
        throw err;
      }
    }
  },
});
