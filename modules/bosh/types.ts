// The service the bosh module offers (type-only imports for other modules).
export interface BoshService {
  /** The HTTP path of the endpoint, e.g. /http-bind. */
  readonly path: string;
}
