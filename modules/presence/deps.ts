// What the presence handlers share, and the presence a user's resources send on the user's behalf.
import { clone } from 'ltx';
import { el, type ModuleContext } from '../../src/api/index.js';
import type { RosterService } from '../roster/types.js';
import type { LastPresence } from './last.js';
import { availableSessions } from './session.js';

export interface PresenceOptions {
  preApproval: boolean;
  maxDirected: number;
}

export interface Deps {
  ctx: ModuleContext<PresenceOptions>;
  roster: RosterService;
  last: LastPresence;
}

export const bareOf = (ctx: ModuleContext<unknown>, user: string) => `${user}@${ctx.host}`;

/** §3.1.5, §3.4: a contact that was just granted a subscription gets the current presence of each available resource. */
export async function sendCurrentPresence({ ctx }: Deps, user: string, to: string): Promise<void> {
  for (const s of availableSessions(ctx.sessions.ofUser(user).values())) {
    const p = clone(s.presence!);
    p.attrs.from = s.jid!.full();
    p.attrs.to = to;
    await ctx.send(p);
  }
}

/** §3.2.2, §3.3.3: a contact whose subscription ended sees every available resource go offline. */
export async function sendUnavailable({ ctx }: Deps, user: string, to: string): Promise<void> {
  for (const s of availableSessions(ctx.sessions.ofUser(user).values())) {
    await ctx.send(el('presence', { type: 'unavailable', from: s.jid!.full(), to }));
  }
}
