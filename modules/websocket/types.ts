// The service the websocket module offers (type-only imports for other modules).
export interface WebSocketService {
  /** The HTTP path of the endpoint, e.g. /xmpp-websocket. */
  readonly path: string;
}
