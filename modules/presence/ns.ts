/** RFC 6121 §3.4: subscription pre-approval stream feature. */
export const NS_PREAPPROVAL = 'urn:xmpp:features:pre-approval';
/** XEP-0203 Delayed Delivery. */
export const NS_DELAY = 'urn:xmpp:delay';
