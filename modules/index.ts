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
import sm from './sm/index.js';
import csi from './csi/index.js';
import sasl2 from './sasl2/index.js';
import push from './push/index.js';
import mam from './mam/index.js';
import carbons from './carbons/index.js';
import pep from './pep/index.js';
import bookmarks from './bookmarks/index.js';
import pepVcard from './pep-vcard/index.js';
import upload from './upload/index.js';
import pubsub from './pubsub/index.js';
import extdisco from './extdisco/index.js';
import jingleMessage from './jingle-message/index.js';
import muc from './muc/index.js';
import rest from './rest/index.js';
import adhoc from './adhoc/index.js';
import metrics from './metrics/index.js';
import webadmin from './admin-web/index.js';
import moderation from './admin-moderation/index.js';

export const builtinModules: ReadonlyMap<string, ModuleDefinition<any>> = new Map(
  [blocking, disco, message, offline, ping, presence, register, roster, time, version, last, privateStorage, search, vcard, websocket, bosh, hostmeta, webchat, mam, carbons, sm, csi, muc, pep, bookmarks, pepVcard, rest, adhoc, metrics, webadmin, moderation, sasl2, upload, push, pubsub, extdisco, jingleMessage].map((m) => [m.name, m as ModuleDefinition<any>]),
);
