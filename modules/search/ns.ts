export const NS_SEARCH = 'jabber:iq:search';
export const NS_DATA = 'jabber:x:data';
