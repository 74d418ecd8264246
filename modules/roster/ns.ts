export const NS_ROSTER = 'jabber:iq:roster';
/** RFC 6121 §2.6.1: roster versioning stream feature. */
export const NS_ROSTERVER = 'urn:xmpp:features:rosterver';
