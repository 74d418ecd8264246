// XEP-0280 Message Carbons, XEP-0297 forwarding, XEP-0334 hints.
export const NS_CARBONS = 'urn:xmpp:carbons:2';
/** Advertised by servers that follow the eligibility rules of XEP-0280 1.0 (chat, and normal with a body). */
export const NS_CARBONS_RULES = 'urn:xmpp:carbons:rules:0';
export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_HINTS = 'urn:xmpp:hints';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MAM = 'urn:xmpp:mam:2';
