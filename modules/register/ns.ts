export const NS_REGISTER = 'jabber:iq:register';
export const NS_FEATURE = 'http://jabber.org/features/iq-register';
export const NS_DATA = 'jabber:x:data';
/** session.data key: this stream already registered an account (XEP-0077 §3.1.1: one per stream). */
export const REGISTERED_HERE = 'register.done';
