export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
export const NS_DATA = 'jabber:x:data';
export const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_ADMIN = 'http://jabber.org/protocol/admin';
/** Nodes of the registry's own commands: urn:starling:admin:<command name>. */
export const NODE_PREFIX = 'urn:starling:admin:';
