// The SASL mechanism list, which of them to offer on a connection, and channel-binding data from a TLS socket.
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { PlainMechanismFactory } from './plain.js';
import { scramMechanisms } from './scram.js';
import type { ChannelBinding, ChannelBindingType, SaslMechanismFactory } from './types.js';

/**
 * All mechanisms, in preference order, with the iteration count unknown users are shown (use the configured
 * `auth.scramIterations`, so a fake challenge looks like a real one).
 */
export function buildMechanisms(opts: { fakeIterations?: number } = {}): SaslMechanismFactory[] {
  return [...scramMechanisms(opts), new PlainMechanismFactory(opts)];
}

/** SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN (fake iteration count 10 000). */
export const defaultMechanisms: SaslMechanismFactory[] = buildMechanisms();

/** The mechanisms to advertise on a connection, in the order of `all`. PLAIN also needs `allowPlain`. */
export function offeredMechanisms(
  all: readonly SaslMechanismFactory[],
  ctx: { secure: boolean; channelBinding: ChannelBinding; allowPlain: boolean },
): SaslMechanismFactory[] {
  const avail = { secure: ctx.secure, channelBinding: ctx.channelBinding };
  return all.filter((m) => (m.name !== 'PLAIN' || ctx.allowPlain) && m.available(avail));
}

/** No channel binding (plain TCP, or a transport that cannot tell). */
export const noChannelBinding: ChannelBinding = Object.freeze({
  types: Object.freeze([]) as unknown as ChannelBindingType[],
  data: (): Buffer | null => null,
});

// ---- tls-server-end-point (RFC 5929 §4.1) ----------------------------------------------------------------------

interface Tlv { tag: number; start: number; end: number }

/** One DER TLV at `off` (definite lengths up to 4 bytes), or null if it does not fit. */
function readTlv(buf: Buffer, off: number, limit = buf.length): Tlv | null {
  if (off + 2 > limit) return null;
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  return end > limit ? null : { tag, start, end };
}

function oidString(b: Buffer): string {
  const parts: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The OID at the start of an AlgorithmIdentifier SEQUENCE. */
function algorithmOid(buf: Buffer, seq: Tlv): { oid: string; after: number } | null {
  if (seq.tag !== 0x30) return null;
  const oid = readTlv(buf, seq.start, seq.end);
  if (!oid || oid.tag !== 0x06) return null;
  return { oid: oidString(buf.subarray(oid.start, oid.end)), after: oid.end };
}

// Signature algorithms with a single hash, and plain hash OIDs (for RSASSA-PSS parameters).
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5', '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.1': 'sha224', '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1', '2.16.840.1.101.3.4.3.2': 'sha256',
  '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512', '2.16.840.1.101.3.4.2.4': 'sha224',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';

/**
 * The hash RFC 5929 §4.1 prescribes for tls-server-end-point with this DER certificate: the hash of its signature
 * algorithm, upgraded to SHA-256 when that is MD5 or SHA-1. Null when the signature uses no single hash (Ed25519,
 * Ed448, unknown algorithms): the binding is undefined then, and we do not offer it. Node 20's X509Certificate
 * does not expose the signature algorithm, so it is read from the DER here (RSASSA-PSS parameters included).
 */
export function endPointHashName(der: Buffer): string | null {
  const cert = readTlv(der, 0);
  if (!cert || cert.tag !== 0x30) return null;
  const tbs = readTlv(der, cert.start, cert.end);
  if (!tbs || tbs.tag !== 0x30) return null;
  const algSeq = readTlv(der, tbs.end, cert.end);
  if (!algSeq) return null;
  const alg = algorithmOid(der, algSeq);
  if (!alg) return null;
  let hash: string | undefined;
  if (alg.oid === RSASSA_PSS) {
    hash = 'sha1';   // RSASSA-PSS-params default hashAlgorithm
    const params = readTlv(der, alg.after, algSeq.end);
    if (params && params.tag === 0x30) {
      const first = readTlv(der, params.start, params.end);
      if (first && first.tag === 0xa0) {
        const inner = readTlv(der, first.start, first.end);
        const h = inner ? algorithmOid(der, inner) : null;
        hash = h ? SIGNATURE_HASH[h.oid] : undefined;
      }
    }
  } else {
    hash = SIGNATURE_HASH[alg.oid];
  }
  if (hash === undefined) return null;
  return hash === 'md5' || hash === 'sha1' ? 'sha256' : hash;
}

/** tls-server-end-point channel-binding data for a DER certificate, or null if undefined for it. */
export function serverEndPointBinding(der: Buffer): Buffer | null {
  const hash = endPointHashName(der);
  return hash === null ? null : createHash(hash).update(der).digest();
}

/**
 * Channel binding for the server end of a TLS connection. Values are read when asked for, so the object may be
 * built before the handshake finishes (types is empty until then):
 * - `tls-exporter` (RFC 9266) only on TLS 1.3: exportKeyingMaterial(32, "EXPORTER-Channel-Binding", empty context).
 *   (RFC 9266 also allows TLS 1.2 with extended master secret, which Node does not let us check.)
 * - `tls-server-end-point` (RFC 5929): hash of our own certificate's DER, hash chosen by endPointHashName.
 * - `tls-unique` (RFC 5929) only on TLS 1.2: the first Finished message of the latest handshake — the client's
 *   (getPeerFinished on the server) for a full handshake, ours (getFinished) for an abbreviated, resumed one.
 */
export function tlsChannelBinding(socket: TLSSocket, ourEndPoint?: () => Buffer | null): ChannelBinding {
  let endPointFor: Buffer | null = null;
  let endPoint: Buffer | null = null;

  const protocol = (): string | null => {
    const p = socket.getProtocol();
    return p === 'TLSv1.3' || p === 'TLSv1.2' ? p : null;
  };
  const exporter = (): Buffer | null => {
    if (protocol() !== 'TLSv1.3') return null;
    try {
      return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    } catch {
      return null;
    }
  };
  // The caller usually knows which certificate it presented (ourEndPoint, computed once per certificate);
  // otherwise it is read back from the socket.
  const serverEndPoint = (): Buffer | null => {
    if (protocol() === null) return null;
    if (ourEndPoint) return ourEndPoint();
    const raw = socket.getX509Certificate()?.raw;
    if (!raw) return null;
    if (endPointFor === null || !endPointFor.equals(raw)) {
      endPointFor = raw;
      endPoint = serverEndPointBinding(raw);
    }
    return endPoint;
  };
  const unique = (): Buffer | null => {
    if (protocol() !== 'TLSv1.2') return null;
    const finished = socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished();
    return finished && finished.length > 0 ? Buffer.from(finished) : null;
  };
  const readers: Record<ChannelBindingType, () => Buffer | null> = {
    'tls-exporter': exporter,
    'tls-server-end-point': serverEndPoint,
    'tls-unique': unique,
  };

  return {
    get types(): ChannelBindingType[] {
      return (Object.keys(readers) as ChannelBindingType[]).filter((t) => readers[t]() !== null);
    },
    data(type: ChannelBindingType): Buffer | null {
      const read = readers[type];
      return read ? read() : null;
    },
  };
}
