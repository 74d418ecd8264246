// Stored form of an offline message: the stanza with its XEP-0203 delay, serialised, and back.
import { clone, type Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { StreamParser } from '../../src/xml/parser.js';

export const NS_DELAY = 'urn:xmpp:delay';

/**
 * A copy of the stanza with <delay from='host' stamp='...'>Offline Storage</delay> (XEP-0160 §2, XEP-0203),
 * the stamp being the time it arrived here (XEP-0082 UTC, millisecond precision). It is added when the
 * message is stored, so the stamp is exact whatever the storage's ordering keys are. Only this server may
 * say when it stored something, so a delay claiming to be from this host is removed first.
 */
export function stampForStorage(stanza: Element, host: string, now: number): Element {
  const copy = clone(stanza);
  copy.children = copy.children.filter((c) => typeof c === 'string' || !(c.name === 'delay' && c.attrs.xmlns === NS_DELAY && c.attrs.from === host));
  copy.cnode(el('delay', { xmlns: NS_DELAY, from: host, stamp: new Date(now).toISOString() }, 'Offline Storage'));
  return copy;
}

const STREAM_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
// Stored text is our own serialisation of a stanza that passed the stream limits; these only bound a damaged row.
const LIMITS = { maxStanzaBytes: 64 * 1024 * 1024, maxDepth: 1024, maxChildren: 1_000_000 };

/** Parses a stored stanza with the server's own XML parser, inside a jabber:client stream as it was received. */
export function parseStored(xml: string): Element {
  let out: Element | undefined;
  let failure: string | undefined;
  const parser = new StreamParser({
    onStreamStart: () => undefined,
    onElement: (e) => { out ??= e; },
    onStreamEnd: () => undefined,
    onError: (condition, text) => { failure = `${condition}: ${text}`; },
  }, LIMITS);
  parser.write(STREAM_OPEN);
  parser.write(xml);
  if (!out || failure) throw new Error(`stored message does not parse (${failure ?? 'incomplete'})`);
  return out;
}
