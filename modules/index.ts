// The built-in modules, by config name. A module is enabled by naming it under `modules:`.
import type { ModuleDefinition } from '../src/api/index.js';
import blocking from './blocking/index.js';
import disco from './disco/index.js';
import message from './message/index.js';
import offline from './offline/index.js';
import ping from './ping/index.js';
import presence from './presence/index.js';
import register from './register/index.js';
import roster from './roster/index.js';
import time from './time/index.js';
import version from './version/index.js';
import last from './last/index.js';
import privateStorage from './private/index.js';
import search from './search/index.js';
import vcard from './vcard/index.js';
import websocket from './websocket/index.js';
import bosh from './bosh/index.js';
import hostmeta from './hostmeta/index.js';
import webchat from './webchat/index.js';

export const builtinModules: ReadonlyMap<string, ModuleDefinition<any>> = new Map(
  [blocking, disco, message, offline, ping, presence, register, roster, time, version, last, privateStorage, search, vcard, websocket, bosh, hostmeta, webchat].map((m) => [m.name, m as ModuleDefinition<any>]),
);
