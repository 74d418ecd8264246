// Admin commands for rooms (issue 11): registered in the admin registry, so they are CLI subcommands
// (`starling room list example.com`), REST endpoints under /api/v1/rooms, ad-hoc commands and web admin actions.
// Changes go through the same code paths as the XEP-0045 owner and admin IQs (presence to occupants, saving).
import { z } from 'zod';
import { CommandError, el } from '../../src/api/index.js';
import { parseJid, type Jid } from '../../src/jid.js';
import { applyAffiliation } from './admin.js';
import { destroyRoom } from './owner.js';
import { Room } from './room.js';
import type { MucService } from './service.js';
import { roomConfigSchema, type RoomRecord } from './types.js';

const roomArg = z.string().min(3).max(3071).describe('room JID, e.g. lobby@conference.example.com');
const roomSummary = z.object({ jid: z.string(), name: z.string(), occupants: z.number().int(), persistent: z.boolean(), public: z.boolean(), membersOnly: z.boolean() });

function summary(svc: MucService, room: Room): z.infer<typeof roomSummary> {
  return {
    jid: `${room.name}@${svc.domain}`,
    name: room.config.name || room.name,
    occupants: room.occupants.size,
    persistent: room.config.persistent,
    public: room.config.public,
    membersOnly: room.config.membersOnly,
  };
}

/** The room a `room` argument names on this service (CommandError otherwise). */
function roomJid(svc: MucService, arg: string): Jid {
  let jid: Jid;
  try {
    jid = parseJid(arg);
  } catch (err) {
    throw new CommandError('invalid-argument', `"${arg}" is not a valid JID: ${(err as Error).message}`);
  }
  if (!jid.local || jid.resource) throw new CommandError('invalid-argument', `give the room's bare JID, e.g. lobby@${svc.domain}`);
  if (jid.domain !== svc.domain) throw new CommandError('not-found', `${jid.domain} is not this host's MUC service (${svc.domain})`);
  return jid;
}

function existing(svc: MucService, arg: string): Room {
  const jid = roomJid(svc, arg);
  const room = svc.rooms.get(jid.local);
  if (!room) throw new CommandError('not-found', `there is no room ${jid.bare()}`);
  return room;
}

export function registerRoomCommands(svc: MucService): void {
  const { ctx } = svc;
  ctx.commands.register({
    name: 'room.list', summary: 'rooms of the MUC service with their occupant counts', scope: 'rooms:read', needs: 'running',
    args: z.object({ host: z.string().min(1).describe('virtual host whose MUC service to list') }), positional: ['host'],
    result: z.object({ rooms: z.array(roomSummary) }),
    http: { method: 'GET', path: '/rooms' },
    run: async () => ({ rooms: [...svc.rooms.values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => summary(svc, r)) }),
  });

  ctx.commands.register({
    name: 'room.create', summary: 'creates a persistent room (unlocked), optionally with an owner', scope: 'rooms:write', needs: 'running',
    args: z.object({
      room: roomArg,
      name: z.string().max(200).optional().describe('the room\'s name'),
      owner: z.string().min(3).max(3071).optional().describe('bare JID of the first owner'),
      public: z.boolean().optional(),
      membersOnly: z.boolean().optional(),
    }),
    positional: ['room'],
    result: roomSummary,
    http: { method: 'POST', path: '/rooms' },
    run: async (_env, a) => {
      const jid = roomJid(svc, a.room);
      if (svc.rooms.has(jid.local)) throw new CommandError('conflict', `the room ${jid.bare()} exists already`);
      let owner: string | undefined;
      if (a.owner !== undefined) {
        try {
          owner = parseJid(a.owner).bare();
        } catch (err) {
          throw new CommandError('invalid-argument', `"${a.owner}" is not a valid JID: ${(err as Error).message}`);
        }
      }
      const config = roomConfigSchema.parse({
        ...svc.options.defaults, persistent: true,
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.public !== undefined ? { public: a.public } : {}),
        ...(a.membersOnly !== undefined ? { membersOnly: a.membersOnly } : {}),
      });
      const record: RoomRecord = { config, affiliations: owner ? { [owner]: 'owner' } : {}, subject: null, createdAt: Date.now() };
      const room = new Room(jid.local, svc, record, false);
      svc.rooms.set(jid.local, room);
      await room.save();
      return summary(svc, room);
    },
  });

  ctx.commands.register({
    name: 'room.destroy', summary: 'destroys a room: occupants are told (XEP-0045 §10.9) and its data goes', scope: 'rooms:write', needs: 'running',
    args: z.object({ room: roomArg, reason: z.string().max(1000).optional() }), positional: ['room'],
    result: z.object({ destroyed: z.string() }),
    http: { method: 'DELETE', path: '/rooms/{room}' },
    run: async (_env, a) => {
      const room = existing(svc, a.room);
      await destroyRoom(svc, room, el('destroy', null, a.reason ? el('reason', null, a.reason) : null));
      return { destroyed: `${room.name}@${svc.domain}` };
    },
  });

  ctx.commands.register({
    name: 'room.affiliation', summary: "sets someone's affiliation with a room (owner, admin, member, outcast or none)", scope: 'rooms:write', needs: 'running',
    args: z.object({ room: roomArg, jid: z.string().min(3).max(3071).describe('bare JID'), affiliation: z.enum(['owner', 'admin', 'member', 'outcast', 'none']), reason: z.string().max(1000).optional() }),
    positional: ['room', 'jid', 'affiliation'],
    result: z.object({ room: z.string(), jid: z.string(), affiliation: z.string() }),
    http: { method: 'PUT', path: '/rooms/{room}/affiliations' },
    run: async (_env, a) => {
      const room = existing(svc, a.room);
      let bare: string;
      try {
        bare = parseJid(a.jid).bare();
      } catch (err) {
        throw new CommandError('invalid-argument', `"${a.jid}" is not a valid JID: ${(err as Error).message}`);
      }
      if (a.affiliation !== 'owner' && room.affiliation(bare) === 'owner' && room.owners().length === 1) {
        throw new CommandError('conflict', 'a room keeps at least one owner (XEP-0045 §10.6)');
      }
      applyAffiliation(room, bare, a.affiliation, undefined, a.reason ?? null);
      await room.save();
      return { room: `${room.name}@${svc.domain}`, jid: bare, affiliation: a.affiliation };
    },
  });
}
