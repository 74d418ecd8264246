// The HT-* SASL mechanisms (draft-schmaus-kitten-sasl-ht) that XEP-0484 FAST uses: one message from the client,
// `authcid NUL HMAC(token, "Initiator" || cb-data)`, answered by success with `HMAC(token, "Responder" || cb-data)`
// as additional data. -NONE binds to nothing, -ENDP to tls-server-end-point, -EXPR to tls-exporter, -UNIQ to
// tls-unique. Which tokens are valid is the caller's business (`tokens`); this file only checks the proof.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelBinding, ChannelBindingType, SaslContext, SaslMechanism, SaslMechanismFactory, SaslStep } from './types.js';

export type HtBinding = 'NONE' | 'ENDP' | 'EXPR' | 'UNIQ';
export type HtMechanismName = `HT-SHA-256-${HtBinding}`;

const CB_TYPE: Record<HtBinding, ChannelBindingType | null> = {
  NONE: null, ENDP: 'tls-server-end-point', EXPR: 'tls-exporter', UNIQ: 'tls-unique',
};

export const HT_BINDINGS: readonly HtBinding[] = ['NONE', 'ENDP', 'EXPR', 'UNIQ'];

/** A token the account may use; `id` is handed back to say which one matched. */
export interface HtCandidate {
  id: string;
  token: string;
}

export interface HtOptions {
  /** The tokens valid for this login (username is the authcid as sent); empty for unknown users. */
  tokens(username: string): Promise<HtCandidate[]>;
  /** Called with the token that matched before success is reported. */
  matched?(username: string, candidate: HtCandidate): void;
}

export function htHmac(token: string, label: 'Initiator' | 'Responder', cbData: Buffer): Buffer {
  return createHmac('sha256', Buffer.from(token, 'utf8')).update(Buffer.concat([Buffer.from(label, 'utf8'), cbData])).digest();
}

/** Whether a connection with these channel-binding types can use a binding. */
export function htBindingAvailable(binding: HtBinding, types: readonly ChannelBindingType[]): boolean {
  const type = CB_TYPE[binding];
  return type === null || types.includes(type);
}

/** Channel-binding data for a binding, or null if this connection cannot give it. */
export function htChannelData(binding: HtBinding, cb: ChannelBinding): Buffer | null {
  const type = CB_TYPE[binding];
  if (type === null) return Buffer.alloc(0);
  return cb.types.includes(type) ? cb.data(type) : null;
}

class HtMechanism implements SaslMechanism {
  #done = false;
  constructor(readonly name: HtMechanismName, private readonly binding: HtBinding, private readonly ctx: SaslContext, private readonly opts: HtOptions) {}

  async step(data: Buffer): Promise<SaslStep> {
    if (this.#done) return { kind: 'failure', condition: 'malformed-request', text: 'the exchange is over' };
    this.#done = true;
    const nul = data.indexOf(0);
    if (nul <= 0 || data.length - nul - 1 !== 32) return { kind: 'failure', condition: 'malformed-request', text: 'expected authcid NUL 32-byte HMAC' };
    const username = data.subarray(0, nul).toString('utf8');
    const proof = data.subarray(nul + 1);
    const cbData = htChannelData(this.binding, this.ctx.channelBinding);
    if (cbData === null) return { kind: 'failure', condition: 'not-authorized', username };
    for (const c of await this.opts.tokens(username)) {
      if (timingSafeEqual(htHmac(c.token, 'Initiator', cbData), proof)) {
        this.opts.matched?.(username, c);
        return { kind: 'success', username, data: htHmac(c.token, 'Responder', cbData) };
      }
    }
    return { kind: 'failure', condition: 'not-authorized', username };
  }
}

/** A factory for one HT mechanism over a token source. */
export function htMechanism(binding: HtBinding, opts: HtOptions): SaslMechanismFactory {
  const name: HtMechanismName = `HT-SHA-256-${binding}`;
  return {
    name,
    available: ({ channelBinding }) => htChannelData(binding, channelBinding) !== null,
    create: (ctx) => new HtMechanism(name, binding, ctx, opts),
  };
}
