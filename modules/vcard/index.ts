// XEP-0054 vcard-temp: users store their vCard on the server and anyone may read it (it is
// world-readable per §4), plus XEP-0153 avatar hashes in presence (avatar.ts).
//   own vCard, none stored      -> empty <vCard/> result (§3.1 allows it or item-not-found)
//   another user's, none/no user -> service-unavailable, the same in both cases (§3.3, 1.3.0)
//   set to another user's JID    -> forbidden (§3.2)
//   set of an empty <vCard/>     -> the stored vCard is removed
import { z } from 'zod';
import { defineModule, el, StanzaError, type IqRequest, type ModuleContext } from '../../src/api/index.js';
import { standalone } from '../../src/xml/fragment.js';
import { rebroadcast, registerAvatarHashes } from './avatar.js';
import { NS_VCARD } from './ns.js';
import { isEmptyVcard, photoHash, summarize } from './parse.js';
import { VcardStore } from './store.js';
import type { VcardService } from './types.js';

const options = z.object({
  /** Largest vCard accepted, serialised, in bytes (avatars are base64 inside it). */
  maxBytes: z.number().int().positive().default(65_536),
  /** XEP-0153: add the avatar hash to presences that lack it and resend presence when the photo changes. */
  avatarHashes: z.boolean().default(true),
  /** How many users' vCard summaries are kept in memory (read on every broadcast presence). */
  cacheUsers: z.number().int().positive().default(10_000),
}).strict();

type Options = z.infer<typeof options>;

const isSelf = ({ from, to }: IqRequest) => from.local !== '' && from.local === to.local && from.domain === to.domain;

export default defineModule({
  name: 'vcard',
  description: 'vCards stored on the server (XEP-0054) and vCard-based avatar hashes in presence (XEP-0153)',
  xeps: [
    { xep: 54, version: '1.3.0', status: 'complete' },
    { xep: 153, version: '1.1.1', status: 'complete', note: 'server side: hashes added to presences that lack them' },
  ],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    const store = new VcardStore(ctx, opts.cacheUsers);
    ctx.addFeature(NS_VCARD);

    ctx.iq.get('bare', NS_VCARD, 'vCard', async (req) => {
      const vcard = await store.get(req.to.local);
      if (vcard) return vcard;
      if (isSelf(req)) return el('vCard', { xmlns: NS_VCARD });
      throw new StanzaError('service-unavailable');
    });

    ctx.iq.set('bare', NS_VCARD, 'vCard', async (req) => {
      if (!isSelf(req)) throw new StanzaError('forbidden', "only the owner may change a vCard");
      const user = req.to.local;
      const before = await store.summary(user);
      let summary = null;
      let xml: string | null = null;
      if (!isEmptyVcard(req.payload)) {
        xml = standalone(req.payload).toString();
        const size = Buffer.byteLength(xml);
        if (size > opts.maxBytes) throw new StanzaError('not-acceptable', `the vCard is ${size} bytes; at most ${opts.maxBytes} are accepted`);
        summary = summarize(req.payload, photoHash(req.payload));
      }
      await store.put(user, xml, summary);
      const photoChanged = (before?.photoHash ?? null) !== (summary?.photoHash ?? null) || (before === null) !== (summary === null);
      await ctx.fire('vcard-updated', { username: user, summary, photoChanged });
      // After the result has gone out, so the client sees its set acknowledged first.
      if (opts.avatarHashes && photoChanged) {
        setImmediate(() => {
          rebroadcast(ctx, user, summary?.photoHash ?? null).catch((err: unknown) => ctx.log.warn({ err, user }, 'avatar presence rebroadcast failed'));
        });
      }
    });

    if (opts.avatarHashes) registerAvatarHashes(ctx, store);
    ctx.hook('user-deleted', ({ username }) => store.forget(username).then(() => undefined));

    const service: VcardService = {
      get: (user) => store.get(user),
      summary: (user) => store.summary(user),
      users: () => store.users(),
    };
    ctx.provide('vcard', service);
  },
});
