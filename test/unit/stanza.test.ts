import { expect } from 'chai';
import { Element } from 'ltx';
import { el, errorReply, iqResult, checkText, isXmlSafe } from '../../src/xml/stanza.js';
import { StanzaError, StreamError } from '../../src/core/errors.js';

describe('stanza builders', () => {
  it('rejects control characters and lone surrogates where text is added', () => {
    expect(() => el('body', null, 'a\u0001b')).to.throw(/not allowed in XML/);
    expect(() => el('x', { attr: 'a\u0000' })).to.throw(/attribute attr/);
    expect(isXmlSafe('tab\tnewline\ncr\r emoji 😀')).to.equal(true);
    expect(isXmlSafe('lone \uD800 surrogate')).to.equal(false);
    expect(() => checkText('\uFFFE')).to.throw();
  });

  it('builds an IQ result addressed back to the sender', () => {
    const iq = new Element('iq', { type: 'get', id: 'a1', from: 'u@h/r', to: 'h' });
    expect(iqResult(iq).toString()).to.equal('<iq type="result" id="a1" to="u@h/r" from="h"/>');
  });

  it('builds error replies with the RFC 6120 default type and optional text', () => {
    const iq = new Element('iq', { type: 'set', id: 'x', from: 'u@h/r', to: 'h' });
    iq.c('query', { xmlns: 'urn:x' });
    const reply = errorReply(iq, new StanzaError('service-unavailable'));
    expect(reply.toString()).to.equal('<iq type="error" id="x" to="u@h/r" from="h"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>');
    const msg = new Element('message', { id: 'm', from: 'u@h/r', to: 'v@h' }).c('body').t('hi').root();
    const mreply = errorReply(msg, new StanzaError('not-authorized', 'no'));
    expect(mreply.toString()).to.include('<body>hi</body>').and.include('<error type="auth"><not-authorized').and.include('<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">no</text>');
  });

  it('serialises stream errors with an application condition', () => {
    const e = new StreamError('policy-violation', 'too big', new Element('stanza-too-big', { xmlns: 'urn:xmpp:errors' }));
    expect(e.toElement().toString()).to.equal('<stream:error><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="en">too big</text><stanza-too-big xmlns="urn:xmpp:errors"/></stream:error>');
  });
});
