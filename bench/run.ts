// npm run bench [-- options]
//   (no options)          Starling only, quick sizes, 1 repetition
//   --compare             Prosody, ejabberd and Starling back to back, full sizes (issue #5), 3 repetitions
//   --servers a,b         choose servers (starling, prosody, ejabberd)
//   --scenarios a,b       choose scenarios (login, chat, churn, idle, idle-tls, roster)
//   --preset P            full | quick | smoke
//   --reps N              repetitions (medians and spread are reported)
//   --cpu-prof DIR        run Starling under node --cpu-prof, profiles written to DIR
//   --starling-modules a,b  Starling also loads these built-in modules (default options) besides the bench set,
//                         e.g. metrics, which the default configuration has on
//   --transport T         tcp (default) or ws: the scenarios' clients use XMPP over WebSocket (RFC 7395)
//   --keep                keep the work directory (configs, data, server logs)
//   --out FILE            also write the report (Markdown) to FILE
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { builtinModules } from '../modules/index.js';
import { PRESETS } from './params.js';
import { fullReport } from './report.js';
import { availableServers, runBench } from './runner.js';
import { SCENARIOS } from './scenarios/index.js';
import type { ServerName } from './servers/types.js';

const { values } = parseArgs({
  options: {
    compare: { type: 'boolean', default: false },
    servers: { type: 'string' },
    scenarios: { type: 'string' },
    preset: { type: 'string' },
    reps: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'starling-modules': { type: 'string' },
    keep: { type: 'boolean', default: false },
    transport: { type: 'string', default: 'tcp' },
    out: { type: 'string' },
  },
});

const log = (m: string) => console.log(m);
const servers = (values.servers?.split(',') ?? (values.compare ? ['prosody', 'ejabberd', 'starling'] : ['starling'])) as ServerName[];
for (const s of servers) if (!['starling', 'prosody', 'ejabberd'].includes(s)) throw new Error(`unknown server ${s}`);
const preset = (values.preset ?? (values.compare ? 'full' : 'quick')) as keyof typeof PRESETS;
if (!(preset in PRESETS)) throw new Error(`unknown preset ${preset}`);
const reps = Number(values.reps ?? (values.compare ? 3 : 1));
const scenarios = values.scenarios?.split(',') ?? SCENARIOS.map((s) => s.name);
if (values.transport !== 'tcp' && values.transport !== 'ws') throw new Error(`--transport must be tcp or ws, not ${values.transport}`);
const starlingNodeArgs = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values['cpu-prof'])] : [];

const starlingModules = values['starling-modules']?.split(',').filter(Boolean) ?? [];
for (const m of starlingModules) if (!builtinModules.has(m)) throw new Error(`--starling-modules: no built-in module ${m}`);

const result = await runBench({
  servers: availableServers(servers, log),
  scenarios,
  preset,
  reps,
  restart: 'scenario',
  keep: values.keep,
  starlingNodeArgs,
  starlingModules,
  transport: values.transport,
  log,
});
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const report = fullReport(result, command);
console.log(`\n${report}`);
if (values.keep) console.log(`\nwork directory kept: ${result.workDir}`);
if (values.out) fs.writeFileSync(values.out, `${report}\n`);
