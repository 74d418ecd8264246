// XEP-0352 Client State Indication: while a client says it is <inactive/>, stanzas that can wait are held
// (presence coalesced per sender) and sent in their original order together with the next urgent stanza,
// on <active/>, when too many wait, or before the session detaches or closes (see importance.ts for what is
// urgent). It is an output filter ranked before stream management, so what it holds is not yet counted
// as sent, and what it releases is.
import { z } from 'zod';
import { defineModule, isStanza, type ClientSession, type ModuleContext, type OutputFilterHandle } from '../../src/api/index.js';
import { HeldStanzas } from './buffer.js';
import { importance } from './importance.js';

export const NS_CSI = 'urn:xmpp:csi:0';
/** Output filter rank: before stream management (900), after filters that only look (push). */
export const CSI_FILTER_RANK = 500;

const options = z.object({
  /** Stanzas held per inactive session before they are all sent anyway. */
  maxHeld: z.number().int().min(1).max(10_000).default(100),
}).strict();

type Options = z.infer<typeof options>;

interface CsiState {
  inactive: boolean;
  held: HeldStanzas;
  handle: OutputFilterHandle;
}

const KEY = 'csi';
const stateOf = (s: ClientSession): CsiState | undefined => s.data.get(KEY) as CsiState | undefined;

/** Whether the client said it is inactive (for push and other modules). */
export function isInactive(s: ClientSession): boolean {
  return stateOf(s)?.inactive ?? false;
}

export default defineModule({
  name: 'csi',
  description: 'Client state indication: holds presence and other stanzas that can wait while the client is inactive (XEP-0352)',
  xeps: [{ xep: 352, version: '1.0.0', status: 'complete' }],
  options,
  setup(ctx: ModuleContext<Options>) {
    const { maxHeld } = ctx.options;

    ctx.hook('stream-features', ({ features, stage }) => {
      if (stage === 'post-auth') features.c('csi', { xmlns: NS_CSI });
    });

    ctx.hook('stream-element', ({ session, element }) => {
      if (element.attrs.xmlns !== NS_CSI || (element.name !== 'active' && element.name !== 'inactive')) return false;
      setInactive(session, element.name === 'inactive');
      return true;
    });

    ctx.provide('csi', { setInactive, isInactive });

    function setInactive(session: ClientSession, inactive: boolean): void {
      let st = stateOf(session);
      if (!st) {
        if (!inactive) return;
        st = attach(session);
      }
      st.inactive = inactive;
      if (!inactive) release(st);
    }

    function attach(session: ClientSession): CsiState {
      const held = new HeldStanzas();
      const st: CsiState = {
        inactive: false,
        held,
        handle: session.addOutputFilter({
          rank: CSI_FILTER_RANK,
          write(stanza, next) {
            if (!st.inactive || !session.jid || !isStanza(stanza)) {
              next(stanza);
              return;
            }
            const kind = importance(stanza, session.jid);
            if (kind === 'urgent') {
              for (const e of held.take()) next(e);
              next(stanza);
              return;
            }
            held.add(stanza, kind);
            if (held.size > maxHeld) for (const e of held.take()) next(e);
          },
          flush(next) {
            for (const e of held.take()) next(e);
          },
        }),
      };
      session.data.set(KEY, st);
      return st;
    }

    function release(st: CsiState): void {
      for (const e of st.held.take()) st.handle.pass(e);
    }
  },
});

export interface CsiService {
  setInactive(session: ClientSession, inactive: boolean): void;
  isInactive(session: ClientSession): boolean;
}

declare module '../../src/api/index.js' {
  interface Services {
    csi: CsiService;
  }
}
