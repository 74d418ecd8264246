// Namespaces of message archiving (XEP-0313, XEP-0059, XEP-0297, XEP-0359, XEP-0441).
export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
/** Advertised by an archive that understands the 'include-groupchat' query field (XEP-0313 §7). */
export const NS_MAM_GROUPCHAT_FIELD = 'urn:xmpp:mam:2#groupchat-field';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_DELAY = 'urn:xmpp:delay';
export const NS_DATA = 'jabber:x:data';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_CLIENT = 'jabber:client';
