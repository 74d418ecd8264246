// The built-in modules, by config name. A module is enabled by naming it under `modules:`.
import type { ModuleDefinition } from '../src/api/index.js';
import blocking from './blocking/index.js';
import disco from './disco/index.js';
import ping from './ping/index.js';
import register from './register/index.js';
import time from './time/index.js';
import version from './version/index.js';

export const builtinModules: ReadonlyMap<string, ModuleDefinition<any>> = new Map(
  [blocking, disco, ping, register, time, version].map((m) => [m.name, m as ModuleDefinition<any>]),
);
