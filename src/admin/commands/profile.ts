// vcard.set and blocklist.*: a user's profile and settings changed as if the user had sent the IQ to their own
// account (from and to their bare JID), so the modules' own checks, storage, events and pushes apply unchanged.
import type { Element } from 'ltx';
import { z } from 'zod';
import { el } from '../../xml/stanza.js';
import { parseFragment } from '../../xml/fragment.js';
import { parseJid } from '../../jid.js';
import { StanzaError } from '../../core/errors.js';
import { CommandError } from '../errors.js';
import { assertAccount, command, jidArg, running, service, user } from './define.js';
import type { CommandEnv } from '../types.js';
import type { UserAddress } from '../users.js';

const NS_VCARD = 'vcard-temp';
const NS_BLOCKING = 'urn:xmpp:blocking';

/** Runs an IQ as the user against their own account; module errors become command errors. */
async function asUser(env: CommandEnv, u: UserAddress, type: 'get' | 'set', payload: Element): Promise<Element> {
  try {
    return await running(env).sendIq(el('iq', { type, from: u.bare, to: u.bare }, payload), 10_000);
  } catch (err) {
    if (!(err instanceof StanzaError)) throw err;
    const code = err.condition === 'bad-request' || err.condition === 'not-acceptable' || err.condition === 'jid-malformed' ? 'invalid-argument'
      : err.condition === 'service-unavailable' || err.condition === 'feature-not-implemented' ? 'unavailable'
      : err.condition === 'item-not-found' ? 'not-found'
      : 'failed';
    throw new CommandError(code, `${err.condition}${err.text ? `: ${err.text}` : ''}`);
  }
}

const field = (max: number, what: string) => z.string().max(max).optional().describe(what);

function setChild(card: Element, name: string, child: Element | null): void {
  card.children = card.children.filter((c) => typeof c === 'string' || c.name !== name);
  if (child) card.cnode(child);
}

export const vcardSet = command({
  name: 'vcard.set', summary: "replace a user's vCard (XML), or change some of its fields", scope: 'vcards:write', needs: 'running',
  args: z.object({
    jid: jidArg,
    xml: z.string().max(262_144).optional().describe("a whole <vCard xmlns='vcard-temp'/> (replaces the stored one)"),
    fn: field(1000, 'full name'), nickname: field(1000, 'nickname'), given: field(1000, 'given name'), family: field(1000, 'family name'),
    email: field(1000, 'email address'), url: field(2000, 'web page'), note: field(10_000, 'free text'),
  }),
  positional: ['jid'],
  result: z.object({ jid: z.string(), vcard: z.string() }),
  http: { method: 'PUT', path: '/users/{jid}/vcard' },
  async run(env, a) {
    const u = user(env, a.jid);
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    let card: Element;
    if (a.xml !== undefined) {
      try {
        card = parseFragment(a.xml, { maxDepth: 16 });
      } catch (err) {
        throw new CommandError('invalid-argument', `the vCard is not well-formed XML: ${(err as Error).message}`);
      }
      if (card.name !== 'vCard' || card.attrs.xmlns !== NS_VCARD) throw new CommandError('invalid-argument', "the XML must be a <vCard xmlns='vcard-temp'/> element");
    } else {
      card = (await service(env, u.domain, 'vcard', 'vcard').get(u.local)) ?? el('vCard', { xmlns: NS_VCARD });
      const text = (name: string, v: string | undefined) => { if (v !== undefined) setChild(card, name, v ? el(name, null, v) : null); };
      text('FN', a.fn);
      text('NICKNAME', a.nickname);
      text('URL', a.url);
      text('DESC', a.note);
      if (a.given !== undefined || a.family !== undefined) {
        const n = card.getChild('N');
        const given = a.given ?? n?.getChildText('GIVEN') ?? '';
        const family = a.family ?? n?.getChildText('FAMILY') ?? '';
        setChild(card, 'N', given || family ? el('N', null, el('FAMILY', null, family), el('GIVEN', null, given)) : null);
      }
      if (a.email !== undefined) setChild(card, 'EMAIL', a.email ? el('EMAIL', null, el('INTERNET'), el('USERID', null, a.email)) : null);
    }
    await asUser(env, u, 'set', card);
    return { jid: u.bare, vcard: card.toString() };
  },
  format: (r) => `stored the vCard of ${r.jid}`,
});

function contactJid(text: string): string {
  try {
    return parseJid(text).toString();
  } catch (err) {
    throw new CommandError('invalid-argument', `"${text}" is not a valid JID: ${(err as Error).message}`);
  }
}

export const blocklistGet = command({
  name: 'blocklist.get', summary: "the addresses a user blocks (XEP-0191)", scope: 'settings:read', needs: 'running',
  args: z.object({ jid: jidArg }), positional: ['jid'],
  result: z.object({ jid: z.string(), blocked: z.array(z.string()) }),
  http: { method: 'GET', path: '/users/{jid}/blocklist' },
  async run(env, a) {
    const u = user(env, a.jid);
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    const res = await asUser(env, u, 'get', el('blocklist', { xmlns: NS_BLOCKING }));
    const blocked = (res.getChild('blocklist', NS_BLOCKING)?.getChildren('item') ?? []).map((i) => String(i.attrs.jid));
    return { jid: u.bare, blocked };
  },
  format: (r) => r.blocked.join('\n') || 'nothing blocked',
});

function blockChange(block: boolean) {
  return command({
    name: block ? 'blocklist.add' : 'blocklist.remove',
    summary: block ? 'block an address for a user (pushed to their sessions)' : 'unblock an address for a user',
    scope: 'settings:write', needs: 'running',
    args: z.object({ jid: jidArg, contact: z.string().min(1).max(3071).describe('the address to (un)block') }), positional: ['jid', 'contact'],
    result: z.object({ jid: z.string(), contact: z.string(), blocked: z.boolean() }),
    http: { method: block ? 'POST' : 'DELETE', path: block ? '/users/{jid}/blocklist' : '/users/{jid}/blocklist/{contact}' },
    async run(env, a) {
      const u = user(env, a.jid);
      assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
      const contact = contactJid(a.contact);
      await asUser(env, u, 'set', el(block ? 'block' : 'unblock', { xmlns: NS_BLOCKING }, el('item', { jid: contact })));
      return { jid: u.bare, contact, blocked: block };
    },
    format: (r) => `${r.blocked ? 'blocked' : 'unblocked'} ${r.contact} for ${r.jid}`,
  });
}
export const blocklistAdd = blockChange(true);
export const blocklistRemove = blockChange(false);
