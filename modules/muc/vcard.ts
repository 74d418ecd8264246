// Room vCards (vcard-temp on the room's bare JID, XEP-0486 avatars): anyone may read, owners may set;
// a new photo is announced with a presence from the room carrying its hash (vcard-temp:x:update).
import { createHash } from 'node:crypto';
import { parseFragment, standalone } from '../../src/xml/fragment.js';
import { el, StanzaError } from '../../src/api/index.js';
import { MUC } from './ns.js';
import { hasAffiliationPrivilege } from './permissions.js';
import type { MucService } from './service.js';

export function registerRoomVcard(svc: MucService): void {
  svc.roomIq('get', MUC.VCARD, 'vCard', (room) => (room.record.vcard ? parseFragment(room.record.vcard.xml) : el('vCard', { xmlns: MUC.VCARD })));
  svc.roomIq('set', MUC.VCARD, 'vCard', async (room, req) => {
    if (!hasAffiliationPrivilege(room.affiliation(req.from.bare()), 'change-config')) throw new StanzaError('forbidden', 'only owners may change the room vCard');
    const binval = req.payload.getChild('PHOTO')?.getChildText('BINVAL');
    let photoHash: string | null = null;
    if (binval) {
      const bytes = Buffer.from(binval.replace(/\s+/g, ''), 'base64');
      if (bytes.length === 0) throw new StanzaError('bad-request', 'the photo is not valid base64');
      photoHash = createHash('sha1').update(bytes).digest('hex');
    }
    const before = room.record.vcard?.photoHash ?? null;
    room.record.vcard = { xml: standalone(req.payload).toString(), photoHash };
    await room.save();
    if (before !== photoHash) {
      const update = el('x', { xmlns: MUC.VCARD_UPDATE }, el('photo', null, photoHash ?? ''));
      room.broadcast(el('presence', { from: room.jid }, update));
    }
    room.announce([104]);
  });
}
