// Fuzz targets: the parts that read untrusted input (issue 12 §1). Each states its invariants.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamParser, type ParserErrorCondition } from '../../src/xml/parser.js';
import { JidError, parseJid, tryParseJid } from '../../src/jid.js';
import { ScramMechanismFactory } from '../../src/auth/scram.js';
import { fakeCredentials } from '../../src/auth/credentials.js';
import { noChannelBinding } from '../../src/auth/mechanisms.js';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/schema.js';
import type { FuzzTarget } from './engine.js';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const CONDITIONS = new Set<ParserErrorCondition>(['not-well-formed', 'restricted-xml', 'policy-violation', 'unsupported-encoding', 'invalid-namespace', 'bad-format']);

function streamParserTarget(framing: 'stream' | 'websocket'): FuzzTarget {
  const stanzas = [
    "<message to='a@b/c' type='chat' id='1'><body>hi &amp; bye &#x20AC; 😀</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
    "<presence><priority>5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>",
    "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>",
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>",
    "<message><body><![CDATA[<not markup>]]></body></message>",
  ];
  const corpus = framing === 'stream'
    ? [Buffer.from(HEADER + stanzas.join('') + '</stream:stream>'), Buffer.from(HEADER + stanzas[0]!)]
    : stanzas.map((s) => Buffer.from(s)).concat(Buffer.from("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"));
  return {
    name: `parser (${framing})`,
    corpus,
    dictionary: ['<!DOCTYPE x>', '<!ENTITY a "b">', '<!--c-->', '<?pi?>', '&lt;', '&foo;', '&#0;', '&#x1F600;', ']]>', '<![CDATA[', '<a>', '</a>', '<a/>', "xmlns:p='urn:x'", '<p:a/>', "a='1' a='2'", '\u0000', '\uFFFE', '\xC3\x28', '\xF0\x9F', '>', '<', "'", '"', '</stream:stream>', '<stream:stream>', "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"],
    run(input, random) {
      let errors = 0;
      let ended = false;
      let afterError = 0;
      const parser = new StreamParser({
        onStreamStart: () => { if (errors) afterError++; },
        onElement: (el) => {
          if (errors || ended) afterError++;
          if (typeof el.toString() !== 'string') throw new Error('element does not serialise');
        },
        onStreamEnd: () => { if (errors) afterError++; ended = true; },
        onError: (condition) => {
          errors++;
          if (!CONDITIONS.has(condition)) throw new Error(`unknown condition ${condition}`);
        },
      }, { maxStanzaBytes: 10_000, maxDepth: 64, maxChildren: 1000 }, { framing });
      // Random chunking exercises split UTF-8 sequences and tags.
      if (framing === 'websocket') parser.write(input);
      else for (let i = 0; i < input.length;) {
        const n = 1 + Math.floor(random() * 64);
        parser.write(input.subarray(i, i + n));
        i += n;
      }
      if (errors > 1) throw new Error(`onError called ${errors} times`);
      if (afterError) throw new Error('events after an error or after the stream ended');
      if (errors && !parser.failed) throw new Error('failed flag not set after an error');
    },
  };
}

const jidTarget: FuzzTarget = {
  name: 'jid',
  corpus: ['alice@example.com/phone', 'ÄLICE@Exämple.com./res/with@and/', '[::1]', '127.0.0.1', 'ﬀ@x.y', 'a'.repeat(300) + '@b.c'].map((s) => Buffer.from(s)),
  dictionary: ['@', '/', '.', '..', ' ', '\u0000', '\u200B', '"', "'", '<', ':', '[', ']', 'xn--', '\u0301', 'İ', 'ß', '\uD800'],
  run(input) {
    const s = input.toString('utf8');
    const j = tryParseJid(s);
    try {
      parseJid(s);
    } catch (err) {
      if (!(err instanceof JidError)) throw new Error(`parseJid threw ${(err as Error).name}: ${(err as Error).message}`);
    }
    if (j) {
      // Preparation is idempotent: a prepared JID parses to itself.
      const again = tryParseJid(j.toString());
      if (!again || again.toString() !== j.toString()) throw new Error(`not idempotent: ${j.toString()} -> ${again?.toString()}`);
    }
  },
};

const scramFactory = new ScramMechanismFactory('SHA-256', false, { fakeIterations: 4096 });
const creds = fakeCredentials(Buffer.alloc(32, 7), 'user', 4096);
const scramTarget: FuzzTarget = {
  name: 'sasl scram',
  corpus: ['n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL', 'y,,n=user,r=abc', 'p=tls-exporter,,n=user,r=abc', 'n,a=user@localhost,n=us=2Cer,r=x'].map((s) => Buffer.from(s)),
  dictionary: [',', '=', '=2C', '=3D', 'r=', 'c=', 'p=', 's=', 'i=', 'm=', 'n,,', 'biws', '\u0000', 'a='],
  async run(input, random) {
    const mech = scramFactory.create({ host: 'localhost', lookup: async () => creds, channelBinding: noChannelBinding, secret: Buffer.alloc(32) });
    const first = await mech.step(input);
    if (first.kind === 'success') throw new Error('success from a client-first message');
    if (first.kind === 'challenge') {
      const second = await mech.step(Buffer.from(`c=biws,r=${first.data.toString().split(',')[0]!.slice(2)},p=${Buffer.from(String(random())).toString('base64')}`));
      if (second.kind === 'success') throw new Error('success with a random proof');
    }
  },
};

const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-fuzz-'));
const configFile = path.join(configDir, 'c.yaml');
const configTarget: FuzzTarget = {
  name: 'config',
  corpus: [
    'hosts:\n  localhost: {}\nlisten:\n  - { service: c2s, address: 127.0.0.1, port: 5222, tls: starttls }\nlimits: { stanzaBytes: 1000 }\nmodules: { ping: {} }\n',
    'hosts: { a.example: { modules: { disco: false } } }\nlog: { level: debug, format: json }\n',
  ].map((s) => Buffer.from(s)),
  dictionary: ['\n', ': ', '- ', '{', '}', '[', ']', '&a ', '*a', '!!str ', '---', '? ', 'hosts', 'port: 99999', 'tls: { cert: /nope }', '~', '"', "'", '#', '\t', '<<: *a'],
  async run(input) {
    fs.writeFileSync(configFile, input);
    try {
      await loadConfigFile(configFile);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw new Error(`loadConfigFile threw ${(err as Error).name}: ${(err as Error).message}`);
      for (const p of err.problems) if (!p.startsWith(configFile)) throw new Error(`problem without file location: ${p}`);
    }
  },
};

export const targets: FuzzTarget[] = [streamParserTarget('stream'), streamParserTarget('websocket'), jidTarget, scramTarget, configTarget];
