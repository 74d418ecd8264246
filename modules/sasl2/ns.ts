// Namespaces of XEP-0388 SASL2, XEP-0386 Bind2, XEP-0484 FAST and the features Bind2 can enable inline.
export const NS_SASL2 = 'urn:xmpp:sasl:2';
export const NS_BIND2 = 'urn:xmpp:bind:0';
export const NS_FAST = 'urn:xmpp:fast:0';
export const NS_SM = 'urn:xmpp:sm:3';
export const NS_CSI = 'urn:xmpp:csi:0';
export const NS_CARBONS = 'urn:xmpp:carbons:2';
