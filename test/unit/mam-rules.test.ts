// The pure rules behind MAM and carbons: what is archived, what is copied, archive ids, form and RSM parsing.
import { expect } from 'chai';
import { parseStored } from '../../modules/offline/codec.js';
import { archivable } from '../../modules/mam/policy.js';
import { decodeItemId, encodeItemId, SortIdClock, timeOf } from '../../src/storage/sqlite/sort-ids.js';
import { parseForm } from '../../modules/mam/form.js';
import { parseRsm } from '../../modules/mam/rsm.js';
import { decide, parsePrefs } from '../../modules/mam/prefs.js';
import { eligible } from '../../modules/carbons/rules.js';
import { parseJid } from '../../src/jid.js';
import { StanzaError } from '../../src/api/index.js';

const m = (xml: string) => parseStored(xml);
const conditionOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
  return 'none';
};

describe('MAM and carbons rules', () => {
  it('archives chat/normal with a body or a conversation payload, never errors, headlines, groupchat or chat states', () => {
    expect(archivable(m("<message type='chat'><body>hi</body></message>"))).to.equal(true);
    expect(archivable(m("<message><body>hi</body></message>"))).to.equal(true);
    expect(archivable(m("<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='x'/></message>"))).to.equal(true);
    expect(archivable(m("<message type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'/></message>"))).to.equal(true);
    expect(archivable(m("<message type='chat'><retract xmlns='urn:xmpp:message-retract:1' id='x'/></message>"))).to.equal(true);
    expect(archivable(m("<message type='chat'><request xmlns='urn:xmpp:receipts'/></message>"))).to.equal(false);
    expect(archivable(m("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"))).to.equal(false);
    expect(archivable(m("<message type='error'><body>x</body></message>"))).to.equal(false);
    expect(archivable(m("<message type='headline'><body>x</body></message>"))).to.equal(false);
    expect(archivable(m("<message type='groupchat'><body>x</body></message>"))).to.equal(false);
    expect(archivable(m("<message type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>"))).to.equal(false);
    expect(archivable(m("<message type='chat'><body>x</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>"))).to.equal(false);
    expect(archivable(m("<message type='chat'><store xmlns='urn:xmpp:hints'/><x xmlns='urn:example'/></message>"))).to.equal(true);
  });

  it('copies chat and normal-with-body, not private, no-copy, MUC or forwarded carbons', () => {
    expect(eligible(m("<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"))).to.equal(true);
    expect(eligible(m("<message><body>x</body></message>"))).to.equal(true);
    expect(eligible(m("<message><subject>x</subject></message>"))).to.equal(false);
    expect(eligible(m("<message type='chat'><body>x</body><private xmlns='urn:xmpp:carbons:2'/></message>"))).to.equal(false);
    expect(eligible(m("<message type='chat'><body>x</body><no-copy xmlns='urn:xmpp:hints'/></message>"))).to.equal(false);
    expect(eligible(m("<message type='chat'><body>x</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>"))).to.equal(false);
    expect(eligible(m("<message type='chat'><sent xmlns='urn:xmpp:carbons:2'/></message>"))).to.equal(false);
    expect(eligible(m("<message type='groupchat'><body>x</body></message>"))).to.equal(false);
  });

  it('makes unguessable archive ids that carry their sort id, in time order', () => {
    const clock = new SortIdClock(-1);
    const none = () => null;
    const ids = new Set<string>();
    const sortIds: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = clock.next(1_700_000_000_000 + Math.floor(i / 1000), none);
      sortIds.push(s);
      const id = encodeItemId(s);
      ids.add(id);
      expect(decodeItemId(id)).to.equal(s);
    }
    expect(ids.size).to.equal(2000);
    for (const id of ids) expect(id).to.match(/^[A-Za-z0-9_-]{20}$/);
    expect(sortIds.every((s, i) => i === 0 || s > sortIds[i - 1]!)).to.equal(true);
    expect(timeOf(sortIds[999]!)).to.equal(1_700_000_000_000);
    expect(timeOf(sortIds[1000]!)).to.equal(1_700_000_000_001);
    expect(decodeItemId('not-an-id')).to.equal(null);
  });

  it('gives a time in the past a free slot of its millisecond, never one handed out before', () => {
    const clock = new SortIdClock(-1);
    const stored = new Set<number>();
    const highest = (lo: number, hi: number) => Math.max(...[...stored].filter((s) => s >= lo && s <= hi), lo - 1);
    stored.add(clock.next(2000, highest));               // the present
    const a = clock.next(1000, highest);                  // the past: slot 0 of ms 1000
    const b = clock.next(1000, highest);                  // reserved, not yet stored: the next slot
    expect([timeOf(a), timeOf(b)]).to.deep.equal([1000, 1000]);
    expect(b).to.equal(a + 1);
    stored.add(a);
    stored.add(b);
    clock.settle(a);
    clock.settle(b);
    expect(clock.next(1000, highest)).to.equal(b + 1);
    expect(timeOf(clock.next(2000, highest))).to.equal(2000);   // the present goes on after the newest
  });

  it('parses query forms and RSM sets, refusing bad input with the XEP-0313 conditions', () => {
    const q = (fields: string, set = '') => m(`<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>${fields}</x>${set}</query>`);
    const f = (v: string, ...values: string[]) => `<field var='${v}'>${values.map((x) => `<value>${x}</value>`).join('')}</field>`;
    expect(parseForm(q(f('FORM_TYPE', 'urn:xmpp:mam:2') + f('with', 'Juliet@Capulet.lit/balcony') + f('start', '2024-01-01T00:00:00Z') + f('ids', 'a', 'b'))))
      .to.deep.equal({ with: 'juliet@capulet.lit', start: Date.UTC(2024, 0, 1), ids: ['a', 'b'] });
    expect(parseForm(q(f('end', '2024-01-01T01:00:00.5+01:00'))).end).to.equal(Date.UTC(2024, 0, 1, 0, 0, 0, 500));
    expect(conditionOf(() => parseForm(q(f('start', '2024-01-01'))))).to.equal('bad-request');
    expect(conditionOf(() => parseForm(q(f('start', 'a', 'b'))))).to.equal('bad-request');
    expect(conditionOf(() => parseForm(q(f('with', 'a@b') + f('with', 'c@d'))))).to.equal('bad-request');
    expect(conditionOf(() => parseForm(q(f('include-groupchat', 'true'))))).to.equal('feature-not-implemented');
    expect(parseRsm(q('', "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set>"))).to.deep.equal({ max: 10, before: '' });
    expect(conditionOf(() => parseRsm(q('', "<set xmlns='http://jabber.org/protocol/rsm'><max>ten</max></set>")))).to.equal('bad-request');
    expect(conditionOf(() => parseRsm(q('', "<set xmlns='http://jabber.org/protocol/rsm'><after>a</after><before>b</before></set>")))).to.equal('bad-request');
    expect(conditionOf(() => parseRsm(q('', "<set xmlns='http://jabber.org/protocol/rsm'><index>3</index></set>")))).to.equal('feature-not-implemented');
  });

  it('decides prefs: never beats always, lists match full, bare or domain JIDs', () => {
    const p = parsePrefs(m("<prefs xmlns='urn:xmpp:mam:2' default='always'><always><jid>a@x</jid></always><never><jid>spam.example</jid><jid>b@x/r</jid></never></prefs>"));
    expect(decide(p, parseJid('c@x'))).to.equal(true);
    expect(decide(p, parseJid('anyone@spam.example/r'))).to.equal(false);
    expect(decide(p, parseJid('b@x/r'))).to.equal(false);
    expect(decide(p, parseJid('b@x/other'))).to.equal(true);
    expect(decide({ ...p, default: 'roster' }, parseJid('c@x'))).to.equal('roster');
    expect(decide({ ...p, default: 'never' }, parseJid('a@x/r'))).to.equal(true);
  });
});
