// XEP-0484 FAST inside SASL2: which HT mechanisms a connection may use, the mechanism over the stored tokens, the
// replay check once the proof matched, and the <token/> a success carries (requested, or rotation of an aging one).
import type { Element } from 'ltx';
import { el, type ChannelBindingType, type SaslMechanismFactory } from '../../src/api/index.js';
import { HT_BINDINGS, htBindingAvailable, htMechanism, type HtBinding } from '../../src/auth/fast-ht.js';
import { tryParseJid } from '../../src/jid.js';
import { NS_FAST } from './ns.js';
import type { FastTokens, Slot } from './tokens.js';

export const HT_NAMES = HT_BINDINGS.map((b) => `HT-SHA-256-${b}`);

export interface FastSettings {
  enabled: boolean;
  mechanisms: string[];
}

/** What a FAST login found: the token slot that matched (set by the mechanism once the proof checks out). */
export interface FastUse {
  uaId: string;
  slot: Slot | null;
}

const bindingOf = (mechanism: string): HtBinding => mechanism.slice('HT-SHA-256-'.length) as HtBinding;

export function localpart(username: string, host: string): string | null {
  return tryParseJid(`${username}@${host}`)?.local ?? null;
}

export class Fast {
  constructor(private readonly settings: FastSettings, private readonly tokens: FastTokens) {}

  isFast(mechanism: string): boolean {
    return HT_NAMES.includes(mechanism);
  }

  /** The FAST mechanisms a connection with these channel-binding types can use. */
  mechanisms(channelBindingTypes: readonly ChannelBindingType[]): string[] {
    if (!this.settings.enabled) return [];
    return this.settings.mechanisms.filter((m) => htBindingAvailable(bindingOf(m), channelBindingTypes));
  }

  /**
   * The HT mechanism for one login over this user agent's tokens that were issued under the account's current
   * credential stamp (none for an unknown or disabled account); `use.slot` says which token matched.
   */
  factory(mechanism: string, host: string, use: FastUse, stampOf: (user: string) => Promise<string | null>): SaslMechanismFactory {
    return htMechanism(bindingOf(mechanism), {
      tokens: async (username) => {
        const user = localpart(username, host);
        const stamp = user ? await stampOf(user) : null;
        return user && stamp ? this.tokens.candidates(user, use.uaId, mechanism, stamp) : [];
      },
      matched: (_u, c) => {
        use.slot = c.id as Slot;
      },
    });
  }

  /** After the proof matched: refuses a replayed or shrinking `count`, and a token that was replaced. */
  accept(user: string, use: FastUse, fastEl: Element | undefined): Promise<boolean> {
    const raw = fastEl?.attrs.count;
    const count = raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
    return this.tokens.use(user, use.uaId, use.slot!, count);
  }

  /**
   * The <token/> for a success, if one is due: the client requested one, or the token it used is past half its life;
   * none after <fast invalidate='true'/> (its tokens are revoked).
   */
  async tokenFor(user: string, mechanismUsed: string, uaId: string | null, use: FastUse | null, request: Element,
    stampOf: (user: string) => Promise<string | null>): Promise<Element | null> {
    if (!uaId || !this.settings.enabled) return null;
    const fastEl = request.getChild('fast', NS_FAST);
    if (use?.slot && fastEl?.attrs.invalidate === 'true') {
      await this.tokens.invalidate(user, uaId);
      return null;
    }
    const requested = request.getChild('request-token', NS_FAST)?.attrs.mechanism;
    const slot = use?.slot ?? null;
    const mechanism = requested && this.settings.mechanisms.includes(requested) ? requested
      : slot && (await this.tokens.aging(user, uaId, slot)) ? mechanismUsed : null;
    if (!mechanism) return null;
    const stamp = await stampOf(user);
    if (!stamp) return null;
    const t = await this.tokens.issue(user, uaId, mechanism, slot, stamp);
    return el('token', { xmlns: NS_FAST, expiry: new Date(t.expiry).toISOString(), token: t.token });
  }
}
