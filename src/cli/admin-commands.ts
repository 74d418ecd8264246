// The admin commands on the command line, generated from the registry: `starling <group> <action> [args] [--opts]`
// (user add, session list, ...), plus `status`, `stop` and `reload`, `commands` (the catalogue) and
// `run <command> [key=value...]` for commands that modules register on the running server.
// Each command goes to the running server over the admin socket; without one, commands that can work on the database
// alone run here against it, the others fail with exit code 3 (not running).
import { Command, Option } from 'commander';
import type { CliIo } from './main.js';
import type { LoadedConfig } from '../config/schema.js';
import { loadConfigFile } from '../config/load.js';
import { coreRegistry } from '../admin/commands/index.js';
import { CommandError } from '../admin/errors.js';
import { AdminClient } from '../admin/socket-client.js';
import { adminSocketPath } from '../admin/socket-protocol.js';
import type { CommandInfo, JsonSchema } from '../admin/types.js';

export interface AdminCliDeps {
  io: CliIo;
  run(fn: () => Promise<number>): Promise<number>;
  globals(cmd: Command): { config: string; json?: boolean };
  /** Reads a secret (password) from the prompt or the first stdin line. */
  readSecret(label: string): Promise<string>;
  openStorage(config: LoadedConfig): Promise<import('../storage/types.js').StorageDriver>;
}

const LOCAL = { via: 'cli' as const, actor: 'local', scopes: ['*'] };

function typeOf(s: JsonSchema | undefined): string {
  const t = s?.type;
  return Array.isArray(t) ? (t.find((x) => x !== 'null') ?? 'string') : (t ?? 'string');
}

/** Turns command-line text into the JSON type the schema wants (the registry validates it afterwards). */
function coerce(value: string, s: JsonSchema | undefined): unknown {
  const t = typeOf(s);
  if ((t === 'number' || t === 'integer') && /^-?[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  if (t === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (t === 'array') return value.split(',').filter(Boolean).map((v) => coerce(v, s?.items));
  return value;
}

/** Executes a command on the running server, or offline against the database when it can. */
export async function execute(deps: AdminCliDeps, configFile: string, name: string, args: Record<string, unknown>): Promise<unknown> {
  const config = await loadConfigFile(configFile);
  const file = adminSocketPath(config);
  const client = file ? await AdminClient.connect(file) : null;
  if (client) {
    try {
      return await client.run(name, args);
    } finally {
      client.close();
    }
  }
  const registry = coreRegistry();
  const known = registry.get(name);
  if (!known) throw new CommandError('not-running', `no running server (admin socket ${file ?? 'turned off'}), and '${name}' is not a built-in command`);
  if (known.info.needs === 'running') throw new CommandError('not-running', `starling is not running (no server at ${file ?? 'the admin socket: admin.socket is false'})`);
  const storage = await deps.openStorage(config);
  try {
    return await registry.run(name, args, { config, storage, server: null }, LOCAL, 'cli');
  } finally {
    await storage.close();
  }
}

function print(deps: AdminCliDeps, name: string, result: unknown, json: boolean): void {
  const cmd = coreRegistry().get(name)?.command;
  const text = !json && cmd?.format ? cmd.format(result as never) : JSON.stringify(result, null, 2);
  if (text) deps.io.stdout.write(`${text}\n`);
}

function addCommand(parent: Command, name: string, info: CommandInfo, deps: AdminCliDeps): void {
  const cmd = parent.command(name).description(info.summary);
  const props = info.schema.properties ?? {};
  const required = new Set(info.schema.required ?? []);
  for (const p of info.positional) {
    const opt = required.has(p) && !info.secret.includes(p);
    cmd.argument(opt ? `<${p}>` : `[${p}]`, props[p]?.description ?? '');
  }
  for (const [key, s] of Object.entries(props)) {
    if (info.positional.includes(key)) continue;
    const t = typeOf(s);
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const desc = `${s.description ?? key}${s.enum ? ` (${s.enum.join(', ')})` : ''}${s.default !== undefined && t !== 'boolean' ? ` (default ${JSON.stringify(s.default)})` : ''}`;
    const o = t === 'boolean' ? new Option(`--${flag}`, desc) : new Option(`--${flag} <${t === 'array' ? 'values...' : 'value'}>`, desc);
    if (required.has(key) && !info.secret.includes(key)) o.makeOptionMandatory(true);
    cmd.addOption(o);
  }
  cmd.action(async (...all: unknown[]) => {
    const command = all[all.length - 1] as Command;
    const opts = all[all.length - 2] as Record<string, unknown>;
    const g = deps.globals(command);
    await deps.run(async () => {
      const args: Record<string, unknown> = {};
      info.positional.forEach((p, i) => {
        const v = all[i];
        if (typeof v === 'string') args[p] = coerce(v, props[p]);
      });
      for (const key of Object.keys(props)) {
        const v = opts[key];
        if (v === undefined) continue;
        args[key] = Array.isArray(v) ? v.flatMap((x) => coerce(String(x), props[key]) as unknown[]) : typeof v === 'string' ? coerce(v, props[key]) : v;
      }
      for (const secret of info.secret) {
        if (args[secret] === undefined) {
          const who = typeof args.jid === 'string' ? args.jid : info.name;
          const value = await deps.readSecret(who);
          if (value.length === 0) throw new CommandError('invalid-argument', `the ${secret} is empty`);
          args[secret] = value;
        }
      }
      print(deps, info.name, await execute(deps, g.config, info.name, args), g.json === true);
      return 0;
    });
  });
}

const STATIC = new Set(['start', 'adduser', 'passwd', 'deluser', 'cert', 'check', 'status', 'stop', 'reload', 'commands', 'run', 'help']);

/**
 * The running server's module commands, when the command line names a group the CLI does not know by itself
 * (e.g. `starling invite create ...`); [] otherwise, or when no server answers. Only then is the socket asked, so
 * the usual commands cost no connection.
 */
export async function runningModuleCommands(argv: readonly string[], defaultConfig: string): Promise<CommandInfo[]> {
  const args = argv.slice(2);
  let config = defaultConfig;
  let first: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--config') config = args[++i] ?? config;
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else if (!a.startsWith('-')) {
      first = a;
      break;
    }
  }
  const core = coreRegistry().list();
  if (!first || STATIC.has(first) || core.some((c) => c.name.split('.')[0] === first)) return [];
  try {
    const file = adminSocketPath(await loadConfigFile(config));
    const client = file ? await AdminClient.connect(file, 2000) : null;
    if (!client) return [];
    try {
      const known = new Set(core.map((c) => c.name));
      return (await client.catalogue()).filter((c) => !known.has(c.name) && c.surfaces.includes('cli'));
    } finally {
      client.close();
    }
  } catch {
    return [];   // the command then fails as unknown, or with the config's own error when it runs
  }
}

/** Adds the generated commands to the program (core ones, plus `extra` from the running server's modules). */
export function addAdminCommands(program: Command, deps: AdminCliDeps, extra: readonly CommandInfo[] = []): void {
  const catalogue = [...coreRegistry().list().filter((c) => c.surfaces.includes('cli')), ...extra];
  const groups = new Map<string, Command>();
  const GROUP_HELP: Record<string, string> = {
    user: 'accounts', session: 'connected sessions', message: 'messages from the server', server: 'the running server',
    module: 'modules of the running server', cert: 'TLS certificates', roster: 'rosters', vcard: 'vCards', token: 'REST API tokens',
    blocklist: 'addresses users block (XEP-0191)', history: 'message archives (XEP-0313)',
  };
  for (const info of catalogue) {
    const [group, ...rest] = info.name.split('.');
    let parent = groups.get(group!) ?? program.commands.find((c) => c.name() === group);
    if (!parent) parent = program.command(group!).description(GROUP_HELP[group!] ?? group!);
    groups.set(group!, parent);
    addCommand(parent, rest.join('-'), info, deps);
  }
  for (const [alias, name] of [['status', 'server.status'], ['stop', 'server.stop'], ['reload', 'server.reload']] as const) {
    addCommand(program, alias, catalogue.find((c) => c.name === name)!, deps);
  }

  program.command('commands')
    .description('list the admin commands (those of the running server, with its modules\' commands, when it runs)')
    .action(async (_o: unknown, command: Command) => {
      const g = deps.globals(command);
      await deps.run(async () => {
        const config = await loadConfigFile(g.config);
        const file = adminSocketPath(config);
        const client = file ? await AdminClient.connect(file) : null;
        let list: CommandInfo[];
        try {
          list = client ? await client.catalogue() : coreRegistry().list();
        } finally {
          client?.close();
        }
        if (g.json) deps.io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else for (const c of list) deps.io.stdout.write(`${c.name.padEnd(20)} ${c.scope.padEnd(16)} ${c.needs === 'running' ? 'running ' : 'any     '} ${c.summary}\n`);
        return 0;
      });
    });

  program.command('run')
    .description('run any admin command by name (e.g. those modules register): starling run room.list host=example.com')
    .argument('<command>', 'command name, e.g. user.list')
    .argument('[args...]', 'arguments as key=value (JSON values allowed: groups=["a","b"])')
    .action(async (name: string, pairs: string[], _o: unknown, command: Command) => {
      const g = deps.globals(command);
      await deps.run(async () => {
        const args: Record<string, unknown> = {};
        for (const p of pairs) {
          const eq = p.indexOf('=');
          if (eq <= 0) throw new CommandError('invalid-argument', `"${p}" is not key=value`);
          const raw = p.slice(eq + 1);
          let v: unknown = raw;
          if (/^[[{"]|^(true|false|null|-?[0-9]+(\.[0-9]+)?)$/.test(raw)) {
            try { v = JSON.parse(raw); } catch { v = raw; }
          }
          args[p.slice(0, eq)] = v;
        }
        print(deps, name, await execute(deps, g.config, name, args), g.json === true);
        return 0;
      });
    });
}
