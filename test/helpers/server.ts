// Starts the real server in-process on 127.0.0.1 ephemeral ports with a temporary data directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, type LoadedConfig } from '../../src/config/schema.js';
import { startServer, type StarlingServer } from '../../src/server.js';
import { deriveCredentials } from '../../src/auth/credentials.js';
import { silentLogger, createLogger } from '../../src/log.js';
import { runCli, type CliResult } from './server-process.js';
import { CERT_DIR, ensureTestCerts } from '../fixtures/make-certs.js';
import type { ModuleDefinition } from '../../src/api/index.js';
import type { SrvResolver } from '../../src/s2s/index.js';

export interface TestServer {
  server: StarlingServer;
  dataDir: string;
  /** Port of the first STARTTLS c2s listener. */
  c2sPort: number;
  /** Port of the first direct-TLS c2s listener. */
  tlsPort: number;
  addUser(username: string, password: string, host?: string): Promise<void>;
  /** Deletes an account while the server runs, through the admin command the CLI uses (`user.delete`). */
  deleteUser(username: string, host?: string): Promise<void>;
  stop(keepData?: boolean): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | T[K] : T[K] };

function merge(base: any, over: any): any {
  if (over === undefined) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out = { ...base };
  for (const k of Object.keys(over)) out[k] = merge(base[k], over[k]);
  return out;
}

export function testConfig(overrides: DeepPartial<Record<string, unknown>> = {}, hosts = ['localhost']): LoadedConfig {
  const parsed = configSchema.parse(rawTestConfig(overrides, hosts));
  return { ...parsed, file: null, locate: () => null };
}

/** The configuration testConfig validates, as a config file would hold it. */
function rawTestConfig(overrides: DeepPartial<Record<string, unknown>>, hosts: string[]): Record<string, unknown> {
  ensureTestCerts();
  const dataDir = typeof overrides.dataDir === 'string' ? overrides.dataDir : fs.mkdtempSync(path.join(os.tmpdir(), 'starling-test-'));
  return merge({
    hosts: Object.fromEntries(hosts.map((h) => [h, { tls: { cert: path.join(CERT_DIR, `${h}.crt`), key: path.join(CERT_DIR, `${h}.key`) } }])),
    listen: [
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' },
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'direct' },
    ],
    dataDir,
    certsDir: path.join(dataDir, 'certs'),
    storage: { driver: 'sqlite', path: path.join(dataDir, 'starling.db') },
    log: { level: 'silent' },
    auth: { failureDelayMs: 20, scramIterations: 4096, maxFailures: 50 },
  }, overrides);
}

export interface TestServerOptions {
  /** Module definitions available besides the built-in ones (enable them in `modules`). */
  extraModules?: ModuleDefinition<any>[];
  /** Reuse a data directory (e.g. to restart a server on the same database). */
  dataDir?: string;
  /** DNS for federation (test names, SRV records). */
  resolver?: SrvResolver;
}

/** Overrides that put a test server on an existing data directory (its database and certificates). */
function inDataDir(dataDir: string | undefined, overrides: DeepPartial<Record<string, unknown>>): DeepPartial<Record<string, unknown>> {
  return dataDir ? merge(overrides, { dataDir, certsDir: path.join(dataDir, 'certs'), storage: { path: path.join(dataDir, 'starling.db') } }) : overrides;
}

/**
 * Runs the real `starling` CLI (a process of its own) with `args` against the data directory of a stopped
 * TestServer (kept with stop(true)): with no server running, commands work offline on its database.
 */
export function runCliOn(dataDir: string, hosts: string[], args: string[], stdin = ''): Promise<CliResult> {
  const file = path.join(dataDir, 'cli.yaml');
  fs.writeFileSync(file, JSON.stringify(rawTestConfig(inDataDir(dataDir, {}), hosts)));   // JSON is YAML
  return runCli(['-c', file, ...args], stdin);
}

export async function startTestServer(overrides: DeepPartial<Record<string, unknown>> = {}, hosts = ['localhost'], opts: TestServerOptions = {}): Promise<TestServer> {
  const config = testConfig(inDataDir(opts.dataDir, overrides), hosts);
  const logger = process.env.STARLING_TEST_LOG ? createLogger({ level: process.env.STARLING_TEST_LOG as 'debug', format: 'pretty' }) : silentLogger();
  const server = await startServer(config, { logger, extraModules: opts.extraModules, resolver: opts.resolver });
  const addrs = server.addresses();
  return {
    server,
    dataDir: config.dataDir,
    c2sPort: addrs.find((a) => a.tls === 'starttls')?.port ?? 0,
    tlsPort: addrs.find((a) => a.tls === 'direct')?.port ?? 0,
    async addUser(username, password, host = hosts[0]!) {
      const ok = await server.storage.accounts.create(host, username, await deriveCredentials(password, config.auth.scramIterations));
      if (!ok) throw new Error(`user ${username}@${host} exists`);
    },
    async deleteUser(username, host = hosts[0]!) {
      await server.admin.run('user.delete', { jid: `${username}@${host}` }, { via: 'socket', actor: 'test', scopes: ['*'] }, 'socket');
    },
    /** Stops the server and removes its data directory (unless `keepData`, for restart tests). */
    async stop(keepData = false) {
      await server.stop('test finished');
      if (!keepData) fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
