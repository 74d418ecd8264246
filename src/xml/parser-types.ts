// The StreamParser contract, shared by the tokenizer (production) and the saxes-based reference parser (tests).
import type { Element } from 'ltx';

export type ParserErrorCondition =
  | 'not-well-formed'
  | 'restricted-xml'
  | 'policy-violation'
  | 'unsupported-encoding'
  | 'invalid-namespace'
  | 'bad-format';

export interface ParserLimits {
  maxStanzaBytes: number;
  maxDepth: number;
  maxChildren: number;
}

export interface StreamParserHandler {
  /** The stream header (<stream:stream ...> or WebSocket <open/>) arrived. `attrs` are its attributes as written
   *  (including xmlns / xmlns:stream), `name` the qualified name as written, `ns` the resolved namespace of the element. */
  onStreamStart(name: string, ns: string, attrs: Record<string, string>): void;
  /** One complete top-level element (a stanza or a stream-level element such as <starttls/>, <auth/>, <stream:error/>). */
  onElement(el: Element): void;
  /** </stream:stream> arrived. */
  onStreamEnd(): void;
  /** A fatal error: the parser stops (further write() calls are ignored). Called at most once. */
  onError(condition: ParserErrorCondition, text: string): void;
}
