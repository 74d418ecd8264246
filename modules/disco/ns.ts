export const NS_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
