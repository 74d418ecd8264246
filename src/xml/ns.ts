// Namespace constants used by the core. Modules define their own next to their code.
export const NS = {
  CLIENT: 'jabber:client',
  SERVER: 'jabber:server',
  STREAMS: 'http://etherx.jabber.org/streams',
  STREAM_ERRORS: 'urn:ietf:params:xml:ns:xmpp-streams',
  STANZA_ERRORS: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  TLS: 'urn:ietf:params:xml:ns:xmpp-tls',
  SASL: 'urn:ietf:params:xml:ns:xmpp-sasl',
  BIND: 'urn:ietf:params:xml:ns:xmpp-bind',
  SESSION: 'urn:ietf:params:xml:ns:xmpp-session',
  SASL_CB: 'urn:xmpp:sasl-cb:0',
  XMPP_ERRORS: 'urn:xmpp:errors',
  FRAMING: 'urn:ietf:params:xml:ns:xmpp-framing',
} as const;
