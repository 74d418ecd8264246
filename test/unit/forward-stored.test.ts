// forwardStored (modules/mam/query.ts) carries archived stanzas into MAM results as text (rawElement) instead of
// parsing them; the result must be what the parse-and-serialise path gives, byte for byte.
import { expect } from 'chai';
import { clone, Element } from 'ltx';
import { forwardStored, restoreMessages, resultMessage } from '../../modules/mam/query.js';
import { rawElement, serialize } from '../../src/xml/serialize.js';
import { standaloneXml } from '../../src/net/standalone.js';
import type { ArchiveItem } from '../../src/storage/types.js';

const item = (xml: string, id = 'i1'): ArchiveItem => ({ id, sortId: 1, when: 1_700_000_000_000, with: 'bob@localhost', kind: 'chat', xml });

const ROWS = [
  '<message from="bob@localhost/a" to="alice@localhost" type="chat" id="m1"><body>hi &amp; &lt;bye&gt;</body></message>',
  '<message xmlns="jabber:client" from="bob@localhost/a" to="alice@localhost" type="chat"><body>with its namespace</body></message>',
  // A sender chose an id that looks like a namespace declaration: the message still needs its own.
  '<message from="bob@localhost/a" to="alice@localhost" type="chat" id="x xmlns=&quot;y&quot; xmlns="><body>tricky</body></message>',
  '<message from="bob@localhost/a" to="alice@localhost" type="chat" id="e"/>',
];

describe('forwardStored', () => {
  it('forwards stored messages exactly as parsing and re-serialising them would', () => {
    const items = ROWS.map((x, i) => item(x, `i${i}`));
    const raw = forwardStored(items);
    const parsed = restoreMessages(items);
    for (let i = 0; i < items.length; i++) {
      const wrap = (m: Element) => resultMessage({ from: 'alice@localhost', to: 'alice@localhost/r', queryId: 'q', item: items[i]!, message: m });
      expect(serialize(wrap(raw[i]!))).to.equal(serialize(wrap(parsed[i]!)));
      expect(standaloneXml(wrap(raw[i]!))).to.equal(standaloneXml(wrap(parsed[i]!)));   // WebSocket / BOSH path
      expect(wrap(raw[i]!).toString()).to.equal(wrap(parsed[i]!).toString());
    }
  });

  it('builds the result of a forwarded row as text, with the name and attributes readers look for', () => {
    const items = [item(ROWS[0]!, 'id&"<'), item(ROWS[1]!, 'plain')];
    const raw = forwardStored(items);
    const parsed = restoreMessages(items);
    for (const queryId of ['q"&<\'', undefined]) {
      for (let i = 0; i < items.length; i++) {
        const fast = resultMessage({ from: 'alice@localhost', to: 'alice@localhost/r', queryId, item: items[i]!, message: raw[i]! });
        const built = resultMessage({ from: 'alice@localhost', to: 'alice@localhost/r', queryId, item: items[i]!, message: parsed[i]! });
        expect(serialize(fast)).to.equal(serialize(built));
        expect(serialize(clone(fast))).to.equal(serialize(built));
        const result = fast.getChild('result', 'urn:xmpp:mam:2')!;   // what stream management's unacked check reads
        expect(result.attrs).to.deep.equal(built.getChild('result')!.attrs);
      }
    }
  });

  it('parses rows that are not a message start tag it recognises, and drops those that do not parse', () => {
    const out = forwardStored([item("<message from='bob@localhost' type='chat'><body>single quotes</body></message>"), item('<message><body>broken')]);
    expect(out[0]!.getChildText('body')).to.equal('single quotes');
    expect(out[1]).to.equal(undefined);
  });

  it('rawElement serialises verbatim through serialize() and ltx toString(), also when cloned', () => {
    const wrapper = new Element('forwarded', { xmlns: 'urn:xmpp:forward:0' });
    wrapper.cnode(rawElement('message', '<message xmlns="jabber:client"><body>x</body></message>'));
    const expected = '<forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client"><body>x</body></message></forwarded>';
    expect(serialize(wrapper)).to.equal(expected);
    expect(wrapper.toString()).to.equal(expected);
    const copy = clone(wrapper);   // offline storage and others copy stanzas with ltx's clone()
    expect(serialize(copy)).to.equal(expected);
    expect(copy.toString()).to.equal(expected);
  });
});
