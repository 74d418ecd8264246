// The `starling` command line (ARCHITECTURE.md §C9), on commander ^14.
//
// Exit codes: 0 ok; 1 the operation failed (user exists, port in use, ...); 2 usage or configuration error.
// `main()` returns the code instead of exiting so tests can call it; only `start`'s signal handler calls
// process.exit. Heavy modules (the server, storage, node-forge) are imported by the commands that need them, so
// `starling --version` and `starling --help` stay fast.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, type LoadedConfig } from '../config/schema.js';
import { defaultConfigPath, findPackageRoot, loadConfigFile, normalizeHostName } from '../config/load.js';
import type { StorageDriver } from '../storage/types.js';
import { addAdminCommands, runningModuleCommands } from './admin-commands.js';
import type { CommandInfo } from '../admin/types.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

const USAGE_HINT = "(run 'starling --help' for usage)";

/** A failure with its exit code, reported as "starling: <message>". */
class CliFailure extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function positiveInt(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive whole number.');
  }
  return Number(value);
}

function hostArg(value: string): string {
  const host = normalizeHostName(value);
  if (host === null) throw new InvalidArgumentError('expected a domain name such as example.com, or localhost.');
  return host;
}

// -------------------------------------------------------------------------------------------------------------
// Passwords

/** The first line of a non-interactive stdin (without the line ending); stops reading after it. */
function readFirstLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (line: string) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      // A paused pipe still keeps the process alive until the writer closes it: let go of our own stdin.
      if (stream === process.stdin) process.stdin.destroy();
      resolve(line.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl));
    };
    const onEnd = () => finish(buf);
    const onError = (err: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      reject(err);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}

/** Prompts on a terminal with echo off. Ctrl-C cancels. */
function promptHidden(stdin: ReadStream, out: Writable, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let pw: string[] = [];
    const wasRaw = stdin.isRaw;
    out.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const done = (err: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(pw.join(''));
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(null);
        if (ch === '\u0003') return done(new CliFailure('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') pw = pw.slice(0, -1);
        else if (ch === '\u0015') pw = [];                 // Ctrl-U: erase the line
        else if (ch >= ' ') pw.push(ch);
      }
      return undefined;
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readPassword(io: CliIo, who: string, confirm: boolean): Promise<string> {
  const stdin = io.stdin as Partial<ReadStream> & Readable;
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') {
    const tty = stdin as ReadStream;
    const pw = await promptHidden(tty, io.stderr, `Password for ${who}: `);
    if (confirm && pw.length > 0) {
      const again = await promptHidden(tty, io.stderr, 'Retype the password: ');
      if (again !== pw) throw new CliFailure('the passwords do not match', 2);
    }
    return pw;
  }
  return readFirstLine(io.stdin);
}

// -------------------------------------------------------------------------------------------------------------
// Helpers shared by the commands

async function openConfiguredStorage(config: LoadedConfig, io: CliIo): Promise<StorageDriver> {
  if (config.storage.driver === 'memory') {
    io.stderr.write('starling: warning: storage.driver is "memory": nothing is kept after this command\n');
  }
  // Creates the database (and its directory) on first use and migrates it.
  const { openStorage } = await import('../storage/index.js');
  return openStorage({ driver: config.storage.driver, path: config.storage.path });
}

function formatAddress(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

function report(io: CliIo, err: unknown): number {
  if (err instanceof ConfigError) {
    for (const p of err.problems) io.stderr.write(`${p}\n`);
    const n = err.problems.length;
    io.stderr.write(`starling: the configuration has ${n} problem${n === 1 ? '' : 's'}\n`);
    return 2;
  }
  const e = err as { name?: string; message?: string; exitCode?: unknown };
  if (err instanceof CliFailure || (e?.name === 'AdminError' && typeof e.exitCode === 'number')) {
    io.stderr.write(`starling: ${e.message}\n`);
    return e.exitCode as number;
  }
  io.stderr.write(`starling: ${e?.message ?? String(err)}\n`);
  return 1;
}

// -------------------------------------------------------------------------------------------------------------
// Commands

interface GlobalOptions {
  config: string;
}

async function cmdStart(g: GlobalOptions, io: CliIo): Promise<number> {
  const config = await loadConfigFile(g.config);
  const { startServer, checkModules } = await import('../server.js');
  const problems = checkModules(config);
  if (problems.length) throw new ConfigError(problems);
  const { createLogger } = await import('../log.js');
  const log = createLogger(config.log);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const server = await startServer(config, { logger: log });
  // One write for all the lines, so whoever reads the output (scripts, tests) sees the whole list at once.
  let listening = '';
  for (const a of server.addresses()) {
    const how = a.service === 'http' ? (a.tls === 'direct' ? 'HTTPS' : 'plain HTTP') : a.tls === 'direct' ? 'direct TLS' : 'STARTTLS';
    listening += `listening: ${a.service} (${how}) on ${formatAddress(a.address, a.port)}\n`;
  }
  io.stdout.write(listening);
  // Runs until a signal; the handler exits the process (a second signal exits at once).
  return new Promise<number>(() => {
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.stderr.write(`starling: ${signal} again, exiting without finishing the shutdown\n`);
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down (send the signal again to exit at once)');
      server.stop('system shutdown').then(
        () => { clearInterval(keepAlive); process.exit(0); },
        (err: unknown) => {
          io.stderr.write(`starling: error during shutdown: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Stopped from elsewhere (`starling stop` over the admin socket): exit too.
    void server.whenStopped().then(() => { clearInterval(keepAlive); process.exit(0); });
    // SIGHUP: re-read the configuration; an invalid one is refused (logged) and the running one kept.
    process.on('SIGHUP', () => {
      server.reload().catch((err: unknown) => log.error({ problems: (err as { details?: string[] }).details }, `reload refused: ${(err as Error).message}`));
    });
  });
}

type UserOp = 'add' | 'passwd' | 'del';

async function cmdUser(op: UserOp, jid: string, password: string | undefined, g: GlobalOptions, io: CliIo): Promise<number> {
  const config = await loadConfigFile(g.config);
  const users = await import('../admin/users.js');
  const scope = users.hostScope(config);
  const user = users.resolveUser(jid, scope);
  const storage = await openConfiguredStorage(config, io);
  try {
    const exists = (await storage.accounts.get(user.domain, user.local)) !== null;
    if (op === 'add' && exists) throw new users.AdminError(`user ${user.bare} already exists`, 1);
    if (op !== 'add' && !exists) throw new users.AdminError(`user ${user.bare} does not exist`, 1);
    if (op === 'del') {
      await users.deleteUser(storage, user.bare, scope);
      io.stdout.write(`deleted user ${user.bare}\n`);
      return 0;
    }
    const pw = password ?? await readPassword(io, user.bare, true);
    if (pw.length === 0) throw new users.AdminError('the password is empty', 2);
    if (op === 'add') {
      await users.addUser(storage, user.bare, pw, config.auth.scramIterations, scope);
      io.stdout.write(`added user ${user.bare}\n`);
    } else {
      await users.changePassword(storage, user.bare, pw, config.auth.scramIterations, scope);
      io.stdout.write(`changed the password of ${user.bare}\n`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}

async function cmdCertGenerate(
  host: string, opts: { days?: number; out?: string; force?: boolean }, g: GlobalOptions, io: CliIo,
): Promise<number> {
  let config: LoadedConfig | null = null;
  let dir: string;
  if (opts.out !== undefined) {
    dir = path.resolve(opts.out);
  } else {
    config = await loadConfigFile(g.config);
    dir = config.certsDir;
  }
  const certs = await import('../net/certs.js');
  const paths = certs.certificatePaths(dir, host);
  if (!opts.force) {
    const existing = [paths.certPath, paths.keyPath].filter((p) => fs.existsSync(p));
    if (existing.length) throw new CliFailure(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; add --force to replace`, 1);
  }
  const pair = certs.generateSelfSigned(host, opts.days === undefined ? {} : { days: opts.days });
  certs.writeCertificate(dir, host, pair);
  const days = opts.days ?? 825;
  io.stdout.write(`wrote ${paths.certPath}\nwrote ${paths.keyPath}\n`);
  io.stdout.write(`self-signed certificate for ${host} and *.${host}, valid for ${days} days\n`);
  if (config && !(host in config.hosts)) {
    io.stderr.write(`starling: note: ${host} is not a host in ${config.file}\n`);
  }
  return 0;
}

async function cmdCheck(g: GlobalOptions, io: CliIo): Promise<number> {
  const config = await loadConfigFile(g.config);
  const errors: string[] = [];
  const warnings: string[] = [];

  const { checkModules } = await import('../server.js');
  errors.push(...checkModules(config));

  const seen = new Map<string, number>();
  config.listen.forEach((l, i) => {
    const key = `${l.address}:${l.port}`;
    const first = seen.get(key);
    if (first !== undefined && l.port !== 0) {
      errors.push(`${config.locate(['listen', i]) ?? config.file}: listen.${i}: ${formatAddress(l.address, l.port)} is also used by listen.${first}`);
    } else {
      seen.set(key, i);
    }
  });

  const certs = await import('../net/certs.js');
  for (const [host, hostConfig] of Object.entries(config.hosts)) {
    if (!hostConfig.enabled) continue;
    const paths = hostConfig.tls
      ? { certPath: hostConfig.tls.cert, keyPath: hostConfig.tls.key }
      : certs.certificatePaths(config.certsDir, host);
    const hasCert = fs.existsSync(paths.certPath);
    const hasKey = fs.existsSync(paths.keyPath);
    if (!hasCert || !hasKey) {
      const missing = [hasCert ? null : paths.certPath, hasKey ? null : paths.keyPath].filter((p) => p !== null).join(' and ');
      if (!hasCert && !hasKey && config.tls.generateMissing) {
        warnings.push(`host ${host}: no certificate (${missing}); a self-signed one will be generated at start `
          + `(or run "starling cert generate ${host}" now)`);
      } else {
        errors.push(`host ${host}: missing ${missing}; run "starling cert generate ${host}" or set hosts.${host}.tls`);
      }
      continue;
    }
    let cert: string;
    let key: string;
    try {
      cert = fs.readFileSync(paths.certPath, 'utf8');
      key = fs.readFileSync(paths.keyPath, 'utf8');
    } catch (err) {
      errors.push(`host ${host}: ${(err as Error).message}`);
      continue;
    }
    for (const p of certs.checkCertificate(cert, key, host)) {
      if (p.startsWith('warning:')) warnings.push(`host ${host}: ${paths.certPath}: ${p.slice('warning:'.length).trim()}`);
      else errors.push(`host ${host}: ${paths.certPath}: ${p}`);
    }
  }

  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  for (const e of errors) io.stderr.write(`error: ${e}\n`);
  if (errors.length) {
    io.stderr.write(`starling: ${config.file}: ${errors.length} error${errors.length === 1 ? '' : 's'}, `
      + `${warnings.length} warning${warnings.length === 1 ? '' : 's'}\n`);
    return 2;
  }
  const hosts = Object.keys(config.hosts).join(', ');
  io.stdout.write(`${config.file}: OK (hosts: ${hosts})${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''}\n`);
  return 0;
}

// -------------------------------------------------------------------------------------------------------------

function buildProgram(io: CliIo, setResult: (p: Promise<number>) => void, moduleCommands: readonly CommandInfo[] = []): Command {
  const program = new Command('starling');
  program
    .description('Starling, an XMPP server')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { io.stdout.write(s); },
      writeErr: (s) => { io.stderr.write(s); },
    })
    .showHelpAfterError(USAGE_HINT)
    .showSuggestionAfterError(true)
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .option('-c, --config <file>', 'configuration file', defaultConfigPath())
    .option('--json', 'admin commands: print the result as JSON');

  const run = (fn: () => Promise<number>) => {
    const p = (async () => {
      try {
        return await fn();
      } catch (err) {
        return report(io, err);
      }
    })();
    setResult(p);
    return p;
  };
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  program.command('start')
    .description('run the server in the foreground (SIGINT/SIGTERM stop it)')
    .action(async (_opts: unknown, cmd: Command) => { await run(() => cmdStart(globals(cmd), io)); });

  program.command('adduser')
    .description('create an account (password from --password, or the first line of stdin, or a prompt)')
    .argument('<jid>', 'bare JID of the account, e.g. alice@localhost')
    .option('--password <password>', 'the password (visible in the process list: prefer stdin or the prompt)')
    .action(async (jid: string, opts: { password?: string }, cmd: Command) => {
      await run(() => cmdUser('add', jid, opts.password, globals(cmd), io));
    });

  program.command('passwd')
    .description("change an account's password (from --password, the first line of stdin, or a prompt)")
    .argument('<jid>', 'bare JID of the account')
    .option('--password <password>', 'the new password (visible in the process list: prefer stdin or the prompt)')
    .action(async (jid: string, opts: { password?: string }, cmd: Command) => {
      await run(() => cmdUser('passwd', jid, opts.password, globals(cmd), io));
    });

  program.command('deluser')
    .description('delete an account and everything stored for it')
    .argument('<jid>', 'bare JID of the account')
    .action(async (jid: string, _opts: unknown, cmd: Command) => {
      await run(() => cmdUser('del', jid, undefined, globals(cmd), io));
    });

  const cert = program.command('cert').description('manage TLS certificates');
  cert.command('generate')
    .description('write a self-signed certificate for <host> and *.<host> (<dir>/<host>.crt and .key)')
    .argument('<host>', 'host name, e.g. localhost or example.com', hostArg)
    .option('--days <n>', 'validity in days (default 825)', positiveInt)
    .option('--out <dir>', 'directory to write to (default: certsDir from the configuration)')
    .option('--force', 'replace existing files')
    .action(async (host: string, opts: { days?: number; out?: string; force?: boolean }, cmd: Command) => {
      await run(() => cmdCertGenerate(host, opts, globals(cmd), io));
    });

  program.command('check')
    .description("validate the configuration, module options and each host's certificate")
    .action(async (_opts: unknown, cmd: Command) => { await run(() => cmdCheck(globals(cmd), io)); });

  addAdminCommands(program, {
    io,
    run,
    globals: (cmd) => cmd.optsWithGlobals<GlobalOptions & { json?: boolean }>(),
    readSecret: (who) => readPassword(io, who, true),
    openStorage: (config) => openConfiguredStorage(config, io),
  }, moduleCommands);

  return program;
}

/** Runs the CLI with process.argv-style arguments and resolves to the exit code. */
export async function main(argv: string[], io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let result: Promise<number> | null = null;
  let program: Command;
  try {
    // Commands that modules of the running server register (invite create, report list, ...) become subcommands too.
    program = buildProgram(io, (p) => { result = p; }, await runningModuleCommands(argv, defaultConfigPath()));
  } catch (err) {
    return report(io, err);
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return report(io, err);
  }
  return result ?? 0;
}
