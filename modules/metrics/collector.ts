// One collector per server (shared by the metrics module's instances on every host): counters fed by hooks, gauges
// read at scrape time. Hosts are label values (configured names); JIDs never appear.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ServerInfo } from '../../src/api/index.js';
import { MetricsRegistry, type Counter, type Histogram } from './registry.js';

export interface HostProbe {
  sessions(): number;
  /** Rooms and occupants of the host's MUC service, when the muc module is loaded. */
  muc(): { rooms: number; occupants: number } | undefined;
  /** Stored message counts (offline queues, message archive) of the modules that are loaded; read before a scrape. */
  stored(): Promise<{ offline?: number; archive?: number }>;
}

export interface ServerProbe {
  /** Client connections in any state and the listeners, from the server.status command. */
  status(): Promise<{ connections: number; s2sConnections: number; listeners: number; uptimeSeconds: number }>;
}

export class Collector {
  readonly registry = new MetricsRegistry();
  readonly hosts = new Map<string, HostProbe>();
  readonly logins: Counter;
  readonly stanzasIn: Counter;
  readonly delivered: Counter;
  readonly routing: Histogram;
  readonly lag: IntervalHistogram;
  #status = { connections: 0, s2sConnections: 0, listeners: 0, uptimeSeconds: 0 };
  #stored = new Map<string, { offline?: number; archive?: number }>();
  probe: ServerProbe | null = null;

  constructor() {
    const r = this.registry;
    this.lag = monitorEventLoopDelay({ resolution: 20 });
    this.lag.enable();
    r.gauge('starling_connections', 'Open connections by kind: c2s (clients, any state, any transport) and s2s', () => [
      { labels: { kind: 'c2s' }, value: this.#status.connections },
      { labels: { kind: 's2s' }, value: this.#status.s2sConnections },
    ]);
    r.gauge('starling_listeners', 'Listening sockets', () => [{ value: this.#status.listeners }]);
    r.gauge('starling_sessions', 'Bound client sessions by host', () => [...this.hosts].map(([host, p]) => ({ labels: { host }, value: p.sessions() })));
    const mucGauge = (key: 'rooms' | 'occupants') => () => [...this.hosts].flatMap(([host, p]) => {
      const s = p.muc();
      return s ? [{ labels: { host }, value: s[key] }] : [];
    });
    const storedGauge = (key: 'offline' | 'archive') => () => [...this.#stored].flatMap(([host, s]) => {
      const v = s[key];
      return v === undefined ? [] : [{ labels: { host }, value: v }];
    });
    r.gauge('starling_offline_messages', 'Messages waiting in offline storage by host', storedGauge('offline'));
    r.gauge('starling_archived_messages', 'Messages in the users\' message archives (MAM) by host', storedGauge('archive'));
    r.gauge('starling_muc_rooms', 'Rooms of the MUC service by host', mucGauge('rooms'));
    r.gauge('starling_muc_occupants', 'Occupants (nicknames) in the rooms of the MUC service by host', mucGauge('occupants'));
    this.logins = r.counter('starling_logins', 'Authentication attempts by host and result');
    this.stanzasIn = r.counter('starling_stanzas_received', 'Stanzas received from clients by host and kind');
    this.delivered = r.counter('starling_stanzas_delivered', 'Stanzas routed to a local recipient by host and kind');
    this.routing = r.histogram('starling_routing_seconds', 'Time from receiving a client stanza to its delivery to the recipient (sampled: one stanza timed at a time)',
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
    r.gauge('starling_event_loop_lag_seconds', 'Event loop delay since the previous scrape', () => [
      { labels: { stat: 'mean' }, value: Number.isFinite(this.lag.mean) ? this.lag.mean / 1e9 : 0 },
      { labels: { stat: 'p99' }, value: this.lag.percentile(99) / 1e9 },
      { labels: { stat: 'max' }, value: this.lag.max / 1e9 },
    ]);
    r.gauge('starling_memory_bytes', 'Process memory by kind', () => {
      const m = process.memoryUsage();
      return [{ labels: { kind: 'rss' }, value: m.rss }, { labels: { kind: 'heap_used' }, value: m.heapUsed }, { labels: { kind: 'external' }, value: m.external }];
    });
    r.gauge('starling_uptime_seconds', 'Seconds since the server started', () => [{ value: this.#status.uptimeSeconds }]);
  }

  /** Totals over every host, for the metrics.summary command (the web admin's message rate). */
  summary(): { messagesReceived: number; stanzasReceived: number; loginsOk: number; loginsFailed: number } {
    let messagesReceived = 0;
    let stanzasReceived = 0;
    let loginsOk = 0;
    let loginsFailed = 0;
    for (const host of this.hosts.keys()) {
      for (const kind of ['message', 'presence', 'iq']) {
        const n = this.stanzasIn.get({ host, kind });
        stanzasReceived += n;
        if (kind === 'message') messagesReceived += n;
      }
      loginsOk += this.logins.get({ host, result: 'ok' });
      loginsFailed += this.logins.get({ host, result: 'failed' });
    }
    return { messagesReceived, stanzasReceived, loginsOk, loginsFailed };
  }

  async render(): Promise<string> {
    if (this.probe) this.#status = await this.probe.status();
    this.#stored = new Map(await Promise.all([...this.hosts].map(async ([host, p]) => [host, await p.stored()] as const)));
    const text = this.registry.render();
    this.lag.reset();
    return text;
  }

  close(): void {
    this.lag.disable();
  }
}

const collectors = new WeakMap<ServerInfo, Collector>();

/** The collector of this server, created by the first host's module. */
export function collectorFor(server: ServerInfo): Collector {
  let c = collectors.get(server);
  if (!c) {
    c = new Collector();
    collectors.set(server, c);
  }
  return c;
}
