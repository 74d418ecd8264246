export const NS_BLOCKING = 'urn:xmpp:blocking';
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';
/** session.data key: the resource asked for the blocklist, so it gets pushes (XEP-0191 §3.3). */
export const INTERESTED = 'blocking.interested';
