// Where to connect for a domain (RFC 6120 §3.2, XEP-0368): a static route from s2s.routes; else the SRV records
// _xmpps-server._tcp (TLS from the first byte) and _xmpp-server._tcp, merged by priority and ordered by weight
// (RFC 2782); else the domain itself on 5269. A single "." target means the service is not offered.
import dns from 'node:dns';
import net from 'node:net';

export interface Target {
  host: string;
  port: number;
  directTls: boolean;
}

export interface SrvResolver {
  resolveSrv(name: string): Promise<dns.SrvRecord[]>;
  /** Addresses of a host name; IP literals are returned as they are. */
  addresses(host: string): Promise<string[]>;
}

export class ServiceUnavailable extends Error {}

/** The system resolver, or one asking the given DNS servers ("ip" or "ip:port"). */
export function createResolver(servers: readonly string[]): SrvResolver {
  const r = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
  if (servers.length) r.setServers([...servers]);
  return {
    resolveSrv: (name) => r.resolveSrv(name),
    async addresses(host) {
      if (net.isIP(host)) return [host];
      if (!servers.length) return (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
      const [v4, v6] = await Promise.all([r.resolve4(host).catch(() => []), r.resolve6(host).catch(() => [])]);
      return [...v4, ...v6];
    },
  };
}

/** A route value ("host:port", "[v6]:port" or "host") as a target. */
export function parseRoute(value: string): Target {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(value);
  if (!m) throw new Error(`bad s2s route ${value}`);
  return { host: m[1] ?? m[2]!, port: m[3] ? Number(m[3]) : 5269, directTls: false };
}

function notFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === dns.NOTFOUND || code === dns.NODATA;
}

async function srv(resolver: SrvResolver, name: string): Promise<dns.SrvRecord[] | null> {
  try {
    return await resolver.resolveSrv(name);
  } catch (err) {
    if (notFound(err)) return null;
    throw err;
  }
}

/** RFC 2782 order: ascending priority; within a priority, a weighted random draw (weight 0 still gets a chance). */
export function orderSrv<T extends dns.SrvRecord>(records: T[], random: () => number = Math.random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: T[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    const pool = [...byPriority.get(p)!];
    while (pool.length) {
      const total = pool.reduce((s, r) => s + r.weight + 1, 0);
      let pick = random() * total;
      let i = 0;
      for (; i < pool.length - 1; i++) {
        pick -= pool[i]!.weight + 1;
        if (pick < 0) break;
      }
      out.push(pool.splice(i, 1)[0]!);
    }
  }
  return out;
}

export async function resolveTargets(domain: string, routes: Readonly<Record<string, string>>, resolver: SrvResolver): Promise<Target[]> {
  const route = routes[domain];
  if (route) return [parseRoute(route)];
  const [secure, plain] = await Promise.all([srv(resolver, `_xmpps-server._tcp.${domain}`), srv(resolver, `_xmpp-server._tcp.${domain}`)]);
  if (secure === null && plain === null) return [{ host: domain, port: 5269, directTls: false }];
  const all = [
    ...(secure ?? []).map((r) => ({ ...r, directTls: true })),
    ...(plain ?? []).map((r) => ({ ...r, directTls: false })),
  ].filter((r) => r.name !== '' && r.name !== '.');
  if (all.length === 0) throw new ServiceUnavailable(`${domain} does not offer XMPP federation (SRV target ".")`);
  return orderSrv(all).map((r) => ({ host: r.name, port: r.port, directTls: r.directTls }));
}
