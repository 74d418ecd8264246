// sharedCopies (src/xml/serialize.ts): the per-recipient copies of a fanned-out stanza share their children and
// one serialisation of them; each copy must still serialise exactly as a deep clone with its own attributes would,
// also after a module changed one copy's children.
import { expect } from 'chai';
import { clone } from 'ltx';
import { parseFragment as parse } from '../../src/xml/fragment.js';
import { serialize, sharedCopies } from '../../src/xml/serialize.js';
import { el } from '../../src/xml/stanza.js';

const SOURCE = `<message from="room@conference.localhost/alice" type="groupchat" id="m1"><body>a &amp; b &lt;c&gt;</body>`
  + `<occupant-id xmlns="urn:xmpp:occupant-id:0" id="o1"/><stanza-id xmlns="urn:xmpp:sid:0" id="s1" by="room@conference.localhost"/></message>`;

function expected(to: string): string {
  const c = clone(parse(SOURCE));
  c.attrs.to = to;
  return c.toString();
}

describe('sharedCopies', () => {
  it('serialises every copy as a deep clone with its own attributes would be', () => {
    const copyTo = sharedCopies(parse(SOURCE));
    for (const to of ['bob@localhost/a', "o'neil@localhost/<b>", 'carol@localhost/x']) {
      expect(serialize(copyTo({ to }))).to.equal(expected(to));
    }
  });

  it('a child added to or removed from one copy changes only that copy', () => {
    const copyTo = sharedCopies(parse(SOURCE));
    const a = copyTo({ to: 'a@localhost/1' });
    const b = copyTo({ to: 'b@localhost/1' });
    expect(serialize(a)).to.equal(expected('a@localhost/1'));   // fills the shared serialisation first
    a.cnode(el('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: 'own', by: 'a@localhost' }));
    b.children = b.children.filter((c) => typeof c === 'string' || c.name !== 'occupant-id');
    expect(serialize(a)).to.include('<stanza-id xmlns="urn:xmpp:sid:0" id="own" by="a@localhost"/></message>');
    expect(serialize(b)).to.not.include('occupant-id');
    expect(serialize(copyTo({ to: 'c@localhost/1' }))).to.equal(expected('c@localhost/1'));
  });

  it('copies read like the original (getChild, getChildText, attributes of their own)', () => {
    const source = parse(SOURCE);
    const copyTo = sharedCopies(source);
    const a = copyTo({ to: 'a@localhost/1' });
    a.attrs.type = 'chat';
    expect(a.getChildText('body')).to.equal('a & b <c>');
    expect(a.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id).to.equal('s1');
    expect(source.attrs.type).to.equal('groupchat');
    expect(copyTo({ to: 'b@localhost/1' }).attrs.type).to.equal('groupchat');
  });
});
