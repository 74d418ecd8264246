// Namespaces of federation and components.
export const S2S_NS = {
  SERVER: 'jabber:server',
  DIALBACK: 'jabber:server:dialback',
  DIALBACK_FEATURE: 'urn:xmpp:features:dialback',
  COMPONENT: 'jabber:component:accept',
  PING: 'urn:xmpp:ping',
} as const;
