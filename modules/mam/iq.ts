// The IQ side of a user's archive: queries, the query form, metadata and preferences, for the account itself only.
import { StanzaError, type IqRequest, type ModuleContext } from '../../src/api/index.js';
import { queryForm, type FormOptions } from './form.js';
import { archiveMetadata } from './metadata.js';
import { NS_MAM, NS_MAM_GROUPCHAT_FIELD } from './ns.js';
import { parsePrefs, prefsElement, type PrefsStore } from './prefs.js';
import { runMamQuery, type PageLimits } from './query.js';
import type { ArchiveStore } from './types.js';

/** A user's archive is theirs alone: any other requester, local or remote, gets <forbidden/>. */
function ownArchive(req: IqRequest): string {
  if (req.from.bare() !== req.to.bare() || req.from.local === '') throw new StanzaError('forbidden', 'only the account owner may use its archive');
  return req.to.local;
}

/**
 * A user archive understands 'include-groupchat' (XEP-0313 §4.1.4) and says so with #groupchat-field. It keeps no
 * groupchat messages (policy.ts: room history is the room's archive), so it does not advertise #groupchat-available
 * and the answer is the same whichever value the client sends.
 */
const USER_FORM: FormOptions = { includeGroupchat: true };

export function registerIq(ctx: ModuleContext<unknown>, store: ArchiveStore, prefs: PrefsStore, limits: PageLimits): void {
  ctx.addFeature(NS_MAM_GROUPCHAT_FIELD, 'account');
  ctx.iq.set('bare', NS_MAM, 'query', (req) => {
    const user = ownArchive(req);
    const requester = req.origin;
    return runMamQuery({
      archive: { store, owner: user, jid: req.to.bare() },
      query: req.payload,
      to: req.from.full(),
      send: (m) => (requester ? requester.send(m) : void ctx.send(m)),
      limits,
      form: USER_FORM,
    });
  });

  ctx.iq.get('bare', NS_MAM, 'query', (req) => {
    ownArchive(req);
    return queryForm(USER_FORM);
  });

  ctx.iq.get('bare', NS_MAM, 'metadata', (req) => archiveMetadata({ store, owner: ownArchive(req) }));

  ctx.iq.get('bare', NS_MAM, 'prefs', async (req) => prefsElement(await prefs.get(ownArchive(req))));

  ctx.iq.set('bare', NS_MAM, 'prefs', async (req) => {
    const user = ownArchive(req);
    const p = parsePrefs(req.payload);
    await prefs.set(user, p);
    return prefsElement(p);
  });
}
