// Strict streaming parser for XMPP streams (ARCHITECTURE.md §B1, RFC 6120 §11.1, RFC 7395): bytes in; stream start,
// top-level elements (ltx Elements), stream end and at most one error out.
//
// The engine is the byte tokenizer in tokenizer.ts: UTF-8 validated natively per chunk, no DTDs, PIs, comments or
// entities beyond XML's five, XML 1.0 name and character rules and Namespaces, and three limits (stanza size in bytes,
// nesting depth, elements per stanza). It replaced a saxes-based parser that cost about 1.5x more per stanza; that one is
// kept in saxes-parser.ts as the reference oracle: test/unit/parser-differential.test.ts requires both to accept,
// reject and deliver exactly the same on the strictness matrix and on seeded random and mutated input.
export type { ParserErrorCondition, ParserLimits, StreamParserHandler } from './parser-types.js';
export { XmlStreamTokenizer as StreamParser } from './tokenizer.js';
