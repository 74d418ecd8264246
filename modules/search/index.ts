// XEP-0055 Jabber Search as a user directory at the host's JID, over the vCards of users who opted
// in. Not in the default module list: loading the module turns it on for a host.
//
// Opting in: a user puts <CLASS><PUBLIC/></CLASS> in their vCard (XEP-0054; the vCard access
// classification of RFC 2426 §3.7.1), and opts out by removing it or making it PRIVATE. Nobody else is
// ever returned (optIn: 'all' lists every user who has a vCard, like ejabberd's mod_vcard).
//   requester not a user of this host (unless allowRemote) -> forbidden
//   no field filled in, or a value shorter than minLength    -> not-acceptable
//   a form that is not a jabber:iq:search submission          -> bad-request
import { z } from 'zod';
import { defineModule, StanzaError, type IqRequest, type ModuleContext } from '../../src/api/index.js';
import type { VcardSummary } from '../vcard/types.js';
import { Directory } from './directory.js';
import { formResult, legacyResult, readQuery, searchForm, type Field, type Hit } from './form.js';
import { NS_SEARCH } from './ns.js';

const options = z.object({
  /** Most results one search returns (XEP-0055 has no paging). */
  maxResults: z.number().int().positive().max(10_000).default(50),
  /** Shortest value a field may be searched with. */
  minLength: z.number().int().positive().default(2),
  /** Who is listed: users whose vCard has CLASS PUBLIC, or everyone with a vCard. */
  optIn: z.enum(['vcard-class', 'all']).default('vcard-class'),
  /** Let users of other servers search (by default only this host's users may). */
  allowRemote: z.boolean().default(false),
  instructions: z.string().min(1).max(1000).default('Fill in one or more fields to search for users of this server who chose to be listed. Matching is by case-insensitive substring.'),
}).strict();

type Options = z.infer<typeof options>;

const MATCHERS: Record<Field, (user: string, c: VcardSummary) => string[]> = {
  first: (_u, c) => [c.given],
  last: (_u, c) => [c.family],
  nick: (u, c) => [c.nickname, u],
  email: (_u, c) => [c.email],
  user: (u) => [u],
};

export default defineModule({
  name: 'search',
  description: 'User directory search over opted-in vCards (XEP-0055); not enabled by default',
  xeps: [{ xep: 55, version: '1.3', status: 'complete', note: 'data forms (XEP-0004) and legacy fields; users opt in with vCard CLASS PUBLIC' }],
  depends: ['vcard'],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    const directory = new Directory(ctx.use('vcard'), opts.optIn, ctx.log);
    ctx.addFeature(NS_SEARCH);
    ctx.hook('vcard-updated', ({ username, summary }) => directory.update(username, summary));
    ctx.hook('user-deleted', ({ username }) => directory.update(username, null));

    const checkRequester = ({ from }: IqRequest) => {
      if (!from.local || (from.domain !== ctx.host && !opts.allowRemote)) throw new StanzaError('forbidden', 'the directory is for users of this server');
    };

    ctx.iq.get('host', NS_SEARCH, 'query', (req) => {
      checkRequester(req);
      return searchForm(opts.instructions);
    });

    ctx.iq.set('host', NS_SEARCH, 'query', async (req) => {
      checkRequester(req);
      const { terms, form } = readQuery(req.payload);
      const wanted = Object.entries(terms) as [Field, string][];
      if (wanted.length === 0) throw new StanzaError('not-acceptable', 'fill in at least one field');
      for (const [field, value] of wanted) {
        if ([...value].length < opts.minLength) throw new StanzaError('not-acceptable', `'${field}' needs at least ${opts.minLength} characters`);
      }
      const needles = wanted.map(([field, value]) => [MATCHERS[field], value.toLowerCase()] as const);
      const hits: Hit[] = [];
      for (const [user, card] of [...(await directory.entries())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!needles.every(([values, needle]) => values(user, card).some((v) => v.toLowerCase().includes(needle)))) continue;
        hits.push({ jid: `${user}@${ctx.host}`, first: card.given, last: card.family, nick: card.nickname, email: card.email });
        if (hits.length >= opts.maxResults) break;
      }
      return form ? formResult(hits) : legacyResult(hits);
    });
  },
});
