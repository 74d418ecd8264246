// The routes modules register, per virtual host. A request goes to the host its Host header names (or a
// parent domain of it, e.g. xmpp.example.com -> example.com), else to the first host, so that
// http://127.0.0.1:5280/chat works too.
import type { HttpHandler, HttpMethod, HttpUpgradeHandler } from './types.js';

interface Route {
  host: string;
  methods: ReadonlySet<string>;
  path: string;
  prefix: boolean;
  handler: HttpHandler;
  owner: string;
}

interface Upgrade {
  host: string;
  path: string;
  handler: HttpUpgradeHandler;
  owner: string;
}

export type RouteMatch =
  | { kind: 'found'; handler: HttpHandler; subpath: string }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

function checkPath(path: string): { path: string; prefix: boolean } {
  if (!path.startsWith('/') || path.includes('?') || path.includes('#')) throw new Error(`invalid HTTP route path '${path}'`);
  if (path.endsWith('/*')) return { path: path.slice(0, -2), prefix: true };
  return { path, prefix: false };
}

export class HttpRoutes {
  #routes: Route[] = [];
  #upgrades: Upgrade[] = [];

  constructor(private readonly hosts: () => readonly string[]) {}

  add(host: string, method: HttpMethod | readonly HttpMethod[], rawPath: string, handler: HttpHandler, owner: string): () => void {
    const { path, prefix } = checkPath(rawPath);
    const methods = new Set<string>(typeof method === 'string' ? [method] : method);
    if (methods.has('GET')) methods.add('HEAD');
    for (const r of this.#routes) {
      if (r.host === host && r.path === path && r.prefix === prefix && [...methods].some((m) => r.methods.has(m))) {
        throw new Error(`HTTP route ${rawPath} on ${host} is already registered by ${r.owner}`);
      }
    }
    const route: Route = { host, methods, path, prefix, handler, owner };
    this.#routes.push(route);
    return () => {
      this.#routes = this.#routes.filter((r) => r !== route);
    };
  }

  addUpgrade(host: string, rawPath: string, handler: HttpUpgradeHandler, owner: string): () => void {
    const { path } = checkPath(rawPath);
    if (this.#upgrades.some((u) => u.host === host && u.path === path)) throw new Error(`HTTP upgrade ${path} on ${host} is already registered`);
    const up: Upgrade = { host, path, handler, owner };
    this.#upgrades.push(up);
    return () => {
      this.#upgrades = this.#upgrades.filter((u) => u !== up);
    };
  }

  /** The virtual host for a Host header name. */
  vhostFor(hostname: string): string {
    const hosts = this.hosts();
    let name = hostname;
    while (name) {
      if (hosts.includes(name)) return name;
      const dot = name.indexOf('.');
      if (dot < 0) break;
      name = name.slice(dot + 1);
    }
    return hosts[0] ?? '';
  }

  match(host: string, method: string, path: string): RouteMatch {
    let best: Route | null = null;
    const allowed = new Set<string>();
    for (const r of this.#routes) {
      if (r.host !== host) continue;
      const hit = r.prefix ? path === r.path || path.startsWith(`${r.path}/`) : path === r.path;
      if (!hit) continue;
      if (!r.methods.has(method)) {
        for (const m of r.methods) allowed.add(m);
        continue;
      }
      // The exact route, or the longest prefix, wins.
      if (!best || (!r.prefix && best.prefix) || (r.prefix && best.prefix && r.path.length > best.path.length)) best = r;
    }
    if (best) return { kind: 'found', handler: best.handler, subpath: best.prefix ? path.slice(best.path.length + 1) : '' };
    if (allowed.size > 0) return { kind: 'method', allowed: [...allowed].sort() };
    return { kind: 'none' };
  }

  matchUpgrade(host: string, path: string): HttpUpgradeHandler | null {
    return this.#upgrades.find((u) => u.host === host && u.path === path)?.handler ?? null;
  }
}
