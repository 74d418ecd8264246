export const NS_PRIVATE = 'jabber:iq:private';
