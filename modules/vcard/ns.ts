export const NS_VCARD = 'vcard-temp';
/** XEP-0153 avatar hash element in presence. */
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';
/** session.data key: the server added the avatar hash to this session's last broadcast presence. */
export const INJECTED = 'vcard.injectedPhoto';
