// XEP-0398 user avatar to vCard-based avatar conversion: an avatar a client publishes with XEP-0084
// (urn:xmpp:avatar:data + :metadata in PEP) becomes the PHOTO of the account's vCard (so XEP-0153
// clients and the presence hash see it), and a vCard PHOTO set by an old client is published as a
// XEP-0084 avatar. Changes this module makes are not converted back.
import { z } from 'zod';
import { defineModule, el, type ModuleContext } from '../../src/api/index.js';
import '../pep/types.js';
import '../vcard/types.js';
import { fromVcard, NS_AVATAR_DATA, NS_AVATAR_METADATA, NS_CONVERSION, toVcard } from './convert.js';

const options = z.object({
  /** Largest avatar (decoded bytes) copied from PEP into the vCard (the vCard module has its own size limit). */
  maxBytes: z.number().int().positive().default(48_000),
  /** Access model of avatar nodes this module creates (vCards are world-readable). */
  accessModel: z.enum(['open', 'presence']).default('open'),
}).strict();

type Options = z.infer<typeof options>;

export default defineModule({
  name: 'pep_vcard',
  description: 'Keeps XEP-0084 PEP avatars and the vCard PHOTO (XEP-0054/0153) in step (XEP-0398)',
  xeps: [
    { xep: 398, version: '0.2.1', status: 'complete' },
    { xep: 84, version: '1.1.4', status: 'complete', note: 'stored in PEP; HTTP-hosted (url) avatars are not copied into the vCard' },
  ],
  depends: ['pep', 'vcard'],
  options,
  setup(ctx: ModuleContext<Options>) {
    const pep = ctx.use('pep');
    const vcards = ctx.use('vcard');
    ctx.addFeature(NS_CONVERSION, 'account');
    const bare = (user: string) => `${user}@${ctx.host}`;

    const currentAvatarId = async (user: string): Promise<string | null> => {
      const meta = (await pep.items(user, NS_AVATAR_METADATA)) ?? [];
      const last = meta.at(-1);
      return last?.payload?.getChild('info') ? last.id : null;
    };

    /** Stores the vCard as the user would (the vcard module's own checks and presence rebroadcast apply). */
    const setVcard = (user: string, vcard: ReturnType<typeof el>) =>
      ctx.sendIq(el('iq', { type: 'set', from: bare(user), to: bare(user) }, vcard));

    ctx.hook('pep-changed', async (ev) => {
      if (ev.actor === '' || ev.node !== NS_AVATAR_METADATA || ev.action !== 'publish') return false;
      const user = ev.username;
      try {
        const info = ev.payload?.getChildren('info').find((i) => !i.attrs.url) ?? null;
        let photo: { type: string; data: Buffer } | null = null;
        if (info) {
          const data = ((await pep.items(user, NS_AVATAR_DATA)) ?? []).find((i) => i.id === info.attrs.id);
          const b64 = data?.payload?.getText().replace(/\s+/g, '') ?? '';
          if (!b64) return false;   // XEP-0084 §4.1: data is published first; without it there is nothing to copy
          const bytes = Buffer.from(b64, 'base64');
          if (bytes.length > ctx.options.maxBytes) {
            ctx.log.info({ user, bytes: bytes.length }, 'avatar too large for the vCard; not converted');
            return false;
          }
          photo = { type: info.attrs.type ?? 'image/png', data: bytes };
        }
        await setVcard(user, toVcard(await vcards.get(user), photo));
      } catch (err) {
        ctx.log.warn({ err, user }, 'avatar to vCard conversion failed');
      }
      return false;
    });

    ctx.hook('vcard-updated', async ({ username, summary, photoChanged }) => {
      if (!photoChanged) return false;
      try {
        const hash = summary?.photoHash ?? null;
        const current = await currentAvatarId(username);
        if (hash === current) return false;   // already in step (e.g. our own conversion)
        const opts = { access_model: ctx.options.accessModel, persist_items: true } as const;
        if (hash === null) {
          // XEP-0084 §4.5: an empty metadata item disables the avatar.
          await pep.publish(username, NS_AVATAR_METADATA, 'current', el('metadata', { xmlns: NS_AVATAR_METADATA }), opts);
          return false;
        }
        const photo = fromVcard(await vcards.get(username));
        if (!photo) return false;
        await pep.publish(username, NS_AVATAR_DATA, hash, el('data', { xmlns: NS_AVATAR_DATA }, photo.data.toString('base64')), opts);
        await pep.publish(username, NS_AVATAR_METADATA, hash,
          el('metadata', { xmlns: NS_AVATAR_METADATA }, el('info', { id: hash, bytes: String(photo.data.length), type: photo.type })), opts);
      } catch (err) {
        ctx.log.warn({ err, user: username }, 'vCard to avatar conversion failed');
      }
      return false;
    });
  },
});
