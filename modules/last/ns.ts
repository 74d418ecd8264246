export const NS_LAST = 'jabber:iq:last';
/** session.data key: the status text of the session's last unavailable broadcast presence. */
export const STATUS = 'last.status';
