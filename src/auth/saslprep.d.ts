// Types for saslprep@1.0.3 (RFC 4013), which ships none.
declare module 'saslprep' {
  /**
   * Maps, normalises (NFKC) and checks a string. Throws an Error for prohibited characters, bad bidi, and (unless
   * `allowUnassigned` is set, i.e. a "query" rather than a "stored" string) for unassigned code points.
   */
  function saslprep(input: string, opts?: { allowUnassigned?: boolean }): string;
  export = saslprep;
}
