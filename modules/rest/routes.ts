// Maps REST requests to commands: each command's HTTP binding (method + path template under /api/v1) becomes a
// matcher; arguments come from the path, the query string (typed by the command's JSON Schema) and the JSON body.
import type { CommandInfo } from '../../src/api/index.js';
import { pathParams } from '../../src/api/index.js';

export interface Match {
  info: CommandInfo;
  params: Record<string, string>;
}

function matcher(template: string): RegExp {
  const src = template.split(/(\{[A-Za-z0-9_]+\})/).map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${src}$`);
}

/** The command for a method and path (relative to /api/v1), or which methods the path has. */
export function route(commands: readonly CommandInfo[], method: string, path: string): { kind: 'found'; match: Match } | { kind: 'method'; allowed: string[] } | { kind: 'none' } {
  const allowed: string[] = [];
  for (const info of commands) {
    if (!info.http || !info.surfaces.includes('rest')) continue;
    const m = matcher(info.http.path).exec(path);
    if (!m) continue;
    if (info.http.method !== (method === 'HEAD' ? 'GET' : method)) {
      allowed.push(info.http.method);
      continue;
    }
    const names = pathParams(info.http.path);
    return { kind: 'found', match: { info, params: Object.fromEntries(names.map((n, i) => [n, m[i + 1]!])) } };
  }
  return allowed.length ? { kind: 'method', allowed: [...new Set(allowed)].sort() } : { kind: 'none' };
}

type Prop = { type?: string | string[]; items?: Prop };

function typeOf(s: Prop | undefined): string {
  const t = s?.type;
  return Array.isArray(t) ? (t.find((x) => x !== 'null') ?? 'string') : (t ?? 'string');
}

/** Query parameters typed by the schema: numbers and booleans converted, arrays from repeated keys. */
export function queryArgs(info: CommandInfo, query: URLSearchParams): Record<string, unknown> {
  const props = (info.schema.properties ?? {}) as Record<string, Prop>;
  const out: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const s = props[key];
    const all = query.getAll(key);
    const conv = (v: string, t: string): unknown => {
      if ((t === 'number' || t === 'integer') && /^-?[0-9]+(\.[0-9]+)?$/.test(v)) return Number(v);
      if (t === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
      return v;
    };
    const t = typeOf(s);
    out[key] = t === 'array' ? all.map((v) => conv(v, typeOf(s?.items))) : conv(all[all.length - 1]!, t);
  }
  return out;
}
