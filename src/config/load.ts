// Reading the configuration (ARCHITECTURE.md §C8): YAML 1.2 through `yaml` v2 (keeping source ranges so every
// problem can name its file line), validation with the zod schema, then normalisation: host names lower-cased and
// checked, paths made absolute relative to the config file, certificate files checked to exist.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { domainToASCII, fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, configSchema, type Config, type LoadedConfig } from './schema.js';

export type ConfigPath = readonly (string | number)[];
/** Maps a key path to "file:line:col", or null when it cannot be placed. */
export type Locator = (path: ConfigPath) => string | null;

/** "listen.0.port"; "(top level)" for the root. */
export function formatPath(p: ConfigPath): string {
  return p.length === 0 ? '(top level)' : p.map(String).join('.');
}

function problem(locate: Locator | undefined, file: string | null, p: ConfigPath, message: string): string {
  const where = locate?.(p) ?? file;
  return `${where ? `${where}: ` : ''}${formatPath(p)}: ${message}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Host names

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A host name as Starling stores it (lower case, NFC), or null when it is not a usable domain name: every label
 * 1–63 letters, digits or hyphens (after IDNA to ASCII), at most 253 bytes, at least two labels unless it is
 * `localhost`, and not an IP address.
 */
export function normalizeHostName(name: string): string | null {
  const lower = name.normalize('NFC').toLowerCase();
  if (lower.length === 0 || lower.endsWith('.') || /[\s/\\@:]/.test(lower)) return null;
  if (lower === 'localhost') return lower;
  const ascii = domainToASCII(lower);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return null;   // 127.0.0.1 and friends
  return lower;
}

// ---------------------------------------------------------------------------------------------------------------
// Locating key paths in a parsed YAML document

function lineCol(lc: LineCounter, offset: number): string {
  const { line, col } = lc.linePos(offset);
  return `${line}:${col}`;
}

/**
 * Builds a locator for a document: the position of the deepest node on the path. When the path ends at a map key
 * the key's position is given (that is where the eye goes: `port: 70000`); a sequence item gives the item's.
 * Map keys are matched exactly first, then case-insensitively (host names are lower-cased after loading).
 */
function documentLocator(doc: Document, lc: LineCounter, file: string): Locator {
  return (p) => {
    let node: unknown = doc.contents;
    let pos: number | undefined = (doc.contents as Node | null)?.range?.[0];
    for (const seg of p) {
      if (isMap(node)) {
        const items = node.items;
        const keyOf = (it: (typeof items)[number]) => (isScalar(it.key) ? String(it.key.value) : String(it.key));
        let pair = items.find((it) => keyOf(it) === String(seg));
        if (!pair && typeof seg === 'string') pair = items.find((it) => keyOf(it).toLowerCase() === seg.toLowerCase());
        if (!pair) break;
        const keyRange = (pair.key as Node | null)?.range;
        pos = keyRange?.[0] ?? pos;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        pos = item.range?.[0] ?? pos;
        node = item;
      } else {
        break;
      }
    }
    return pos === undefined ? file : `${file}:${lineCol(lc, pos)}`;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation and normalisation

function zodProblems(error: z.ZodError, file: string | null, locate?: Locator): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const p = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      // One line per key, placed at the key itself.
      for (const key of issue.keys) out.push(problem(locate, file, [...p, key], `Unrecognized key: "${key}"`));
    } else if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      out.push(problem(locate, file, p, `missing required key (expected ${issue.expected})`));
    } else {
      out.push(problem(locate, file, p, issue.message));
    }
  }
  return out;
}

/** `hosts: { localhost: }` (YAML null) means a host with all defaults. */
function emptyHostsAsObjects(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const hosts = (raw as Record<string, unknown>).hosts;
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) return raw;
  const fixed = Object.fromEntries(Object.entries(hosts).map(([k, v]) => [k, v === null ? {} : v]));
  return { ...raw, hosts: fixed };
}

function fileExists(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Validates a plain object (a parsed file, or a config built in code by tests) and normalises it: defaults applied,
 * host names lower-cased and checked, paths made absolute against the config file's directory (or the current
 * directory when `file` is null), certificate files of enabled hosts checked to exist. Throws ConfigError listing
 * every problem.
 */
export function resolveConfig(raw: unknown, file: string | null, locate?: Locator): LoadedConfig {
  const parsed = configSchema.safeParse(emptyHostsAsObjects(raw));
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error, file, locate));
  const cfg: Config = parsed.data;
  const problems: string[] = [];
  const base = file === null ? process.cwd() : path.dirname(path.resolve(file));
  const abs = (p: string) => path.resolve(base, p);

  const hosts: Config['hosts'] = {};
  const seen = new Map<string, string>();
  for (const [name, host] of Object.entries(cfg.hosts)) {
    const norm = normalizeHostName(name);
    if (norm === null) {
      problems.push(problem(locate, file, ['hosts', name],
        `"${name}" is not a valid host name (a domain name such as example.com, or localhost)`));
      continue;
    }
    const earlier = seen.get(norm);
    if (earlier !== undefined) {
      problems.push(problem(locate, file, ['hosts', name], `host "${name}" is the same as "${earlier}" (names are case-insensitive)`));
      continue;
    }
    seen.set(norm, name);
    if (host.tls) {
      const tls = { cert: abs(host.tls.cert), key: abs(host.tls.key) };
      // A disabled host is not served, so its files may be missing (the example config relies on this).
      for (const which of host.enabled ? ['cert', 'key'] as const : []) {
        if (!fileExists(tls[which])) {
          problems.push(problem(locate, file, ['hosts', name, 'tls', which],
            `${which === 'cert' ? 'certificate' : 'key'} file not found: ${tls[which]}`));
        }
      }
      hosts[norm] = { ...host, tls };
    } else {
      hosts[norm] = host;
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const dataDir = abs(cfg.dataDir);
  const config: LoadedConfig = {
    ...cfg,
    hosts,
    dataDir,
    certsDir: abs(cfg.certsDir),
    storage: { ...cfg.storage, path: cfg.storage.path === undefined ? path.join(dataDir, 'starling.db') : abs(cfg.storage.path) },
    s2s: { ...cfg.s2s, caFiles: cfg.s2s.caFiles.map(abs) },
    file,
    locate: locate ?? (() => null),
  };
  return config;
}

function yamlMessage(msg: string): string {
  const at = msg.indexOf(' at line ');
  return at >= 0 ? msg.slice(0, at) : msg.split('\n')[0]!;
}

/** Reads, parses and validates a YAML config file. Every problem is a ConfigError line "file:line:col: path: what". */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'file not found' : e.code === 'EISDIR' ? 'is a directory, not a file' : e.message;
    throw new ConfigError([`${file}: cannot read the configuration: ${why}`]);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => {
      const where = `${file}:${lineCol(lc, e.pos[0])}`;
      if (e.code === 'DUPLICATE_KEY') {
        let key: string | null = null;
        visit(doc, {
          Pair(_, pair) {
            if (isPair(pair) && isScalar(pair.key) && pair.key.range?.[0] === e.pos[0]) {
              key = String(pair.key.value);
              return visit.BREAK;
            }
            return undefined;
          },
        });
        return `${where}: duplicate key${key === null ? '' : ` "${key}"`} (each key may appear only once in a mapping)`;
      }
      return `${where}: YAML syntax error: ${yamlMessage(e.message)}`;
    }));
  }
  // Found by the fuzzer: a mapping used as a key ("{a: 1}: x") would be stringified with a process warning.
  const complexKeys: string[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && pair.key !== null && !isScalar(pair.key)) {
        const pos = (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
        complexKeys.push(`${file}:${lineCol(lc, pos)}: a key must be a plain name, not a list or mapping`);
      }
      return undefined;
    },
  });
  if (complexKeys.length) throw new ConfigError(complexKeys);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Found by the fuzzer: an alias to an anchor defined later (or never) throws from toJS.
    throw new ConfigError([`${file}: YAML error: ${(err as Error).message}`]);
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError([`${file}: the configuration is empty (at least "hosts:" is required)`]);
  }
  return resolveConfig(raw, file, documentLocator(doc, lc, file));
}

// ---------------------------------------------------------------------------------------------------------------

let packageRoot: string | null = null;

/** The directory of Starling's package.json (works from src/ under tsx and from dist/src/ after a build). */
export function findPackageRoot(): string {
  if (packageRoot !== null) return packageRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: unknown };
      if (pkg.name === 'starling') return (packageRoot = dir);
    } catch {
      // not here (or unreadable): keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Fall back to the layout: src/config/load.ts or dist/src/config/load.js.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up2 = path.resolve(here, '../..');
  return (packageRoot = path.basename(up2) === 'dist' ? path.dirname(up2) : up2);
}

/** `<package root>/config/starling.yaml`. */
export function defaultConfigPath(): string {
  return path.join(findPackageRoot(), 'config', 'starling.yaml');
}
