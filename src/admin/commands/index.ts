// The core admin commands (modules add theirs with ctx.commands.register).
import type { AdminCommand } from '../types.js';
import { CommandRegistry } from '../registry.js';
import { userAdd, userDelete, userDisable, userEnable, userKick, userList, userPasswd, userSessions, userShow } from './users.js';
import { sessionKick, sessionList } from './sessions.js';
import { messageAnnounce, messageSend } from './messages.js';
import { certCheck, certReload, moduleList, moduleLoad, moduleUnload, serverReload, serverStatus, serverStop, serverVersion } from './server.js';
import { rosterAdd, rosterGet, vcardGet } from './roster.js';
import { tokenCreate, tokenList, tokenRevoke } from './tokens.js';
import { blocklistAdd, blocklistGet, blocklistRemove, vcardSet } from './profile.js';
import { historyRoom, historyUser } from './history.js';

export const coreCommands: readonly AdminCommand<any, any>[] = [
  userAdd, userDelete, userPasswd, userList, userShow, userDisable, userEnable, userSessions, userKick,
  sessionList, sessionKick,
  messageSend, messageAnnounce,
  serverStatus, serverVersion, serverStop, serverReload, moduleList, moduleLoad, moduleUnload,
  certCheck, certReload,
  rosterGet, rosterAdd, vcardGet, vcardSet, blocklistGet, blocklistAdd, blocklistRemove,
  historyUser, historyRoom,
  tokenCreate, tokenList, tokenRevoke,
];

/** A registry holding the core commands. */
export function coreRegistry(): CommandRegistry {
  const r = new CommandRegistry();
  for (const c of coreCommands) r.add(c as AdminCommand);
  return r;
}
