// Turns run results into a table (medians, spread, ratio of Starling to the best anchor) and checks the targets of
// issue #5.
import os from 'node:os';
import { median, spread } from './lib/stats.js';
import type { RunResult, ServerResult } from './runner.js';
import type { Metric } from './scenarios/types.js';

interface Target {
  key: string;
  text: string;
  /** vs the best anchor: ratio bound; absolute: value bound */
  kind: 'ratio' | 'absolute';
  op: '>=' | '<=';
  bound: number;
}

const TARGETS: Target[] = [
  { key: 'chat.rate', text: 'saturated 1:1 msgs/s >= 1.5x best anchor', kind: 'ratio', op: '>=', bound: 1.5 },
  { key: 'chat.cpu', text: 'CPU per message <= 2/3 of best anchor', kind: 'ratio', op: '<=', bound: 2 / 3 },
  { key: 'chat.p99', text: 'p99 at 2000 msgs/s no worse than best anchor', kind: 'ratio', op: '<=', bound: 1 },
  { key: 'login.sha1.rate', text: 'logins/s >= 1.5x best anchor', kind: 'ratio', op: '>=', bound: 1.5 },
  { key: 'login.sha1.cpu', text: 'CPU per SCRAM login <= 1 ms', kind: 'absolute', op: '<=', bound: 1 },
  { key: 'churn.cpu.ratio', text: 'no degradation after churn (CPU per message after/before <= 1.1)', kind: 'absolute', op: '<=', bound: 1.1 },
  { key: 'churn.chat.ratio', text: 'no degradation after churn (msgs/s after/before >= 0.9; noisy on a shared machine)', kind: 'absolute', op: '>=', bound: 0.9 },
  // The issue measures idle memory at 10 000 sessions; at 1 000 the server's one-off heap growth dominates.
  { key: 'idle.10000', text: 'idle RSS/session (10k, plaintext) <= 0.7x best anchor', kind: 'ratio', op: '<=', bound: 0.7 },
  { key: 'roster.login', text: 'roster login no slower than best anchor', kind: 'ratio', op: '<=', bound: 1 },
  // Issue #7: fan-out of one room with 100 and 500 occupants.
  { key: 'muc.100.rate', text: 'MUC fan-out deliveries/s, 100 occupants >= 1.5x best anchor', kind: 'ratio', op: '>=', bound: 1.5 },
  { key: 'muc.500.rate', text: 'MUC fan-out deliveries/s, 500 occupants >= 1.5x best anchor', kind: 'ratio', op: '>=', bound: 1.5 },
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US').replace(/,/g, ' ');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function med(r: ServerResult, key: string): number {
  const v = r.values.get(key);
  return v ? median(v) : NaN;
}

function bestAnchor(anchors: ServerResult[], m: Metric): { value: number; name: string } | null {
  let best: { value: number; name: string } | null = null;
  for (const a of anchors) {
    const v = med(a, m.key);
    if (!Number.isFinite(v)) continue;
    if (!best || (m.better === 'higher' ? v > best.value : v < best.value)) best = { value: v, name: a.name };
  }
  return best;
}

/** A Markdown table: one row per metric, one column per server, then the ratio to the best anchor. */
export function resultTable(run: RunResult): string {
  const star = run.servers.find((s) => s.name === 'starling');
  const anchors = run.servers.filter((s) => s.name !== 'starling');
  const keys: Metric[] = [];
  const seen = new Set<string>();
  for (const s of run.servers) {
    for (const m of s.metrics.values()) {
      if (!seen.has(m.key)) {
        seen.add(m.key);
        keys.push(m);
      }
    }
  }
  const head = ['metric', ...run.servers.map((s) => s.name)];
  if (star && anchors.length) head.push('Starling / best anchor');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const m of keys) {
    const cells = [`${m.label} (${m.unit}${m.better === 'higher' ? ', higher is better' : ''})`];
    for (const s of run.servers) {
      const v = s.values.get(m.key);
      if (!v) {
        cells.push('—');
        continue;
      }
      const sp = spread(v);
      cells.push(v.length > 1 ? `${fmt(median(v))} ±${(sp * 50).toFixed(0)}%` : fmt(median(v)));
    }
    if (star && anchors.length) {
      const best = bestAnchor(anchors, m);
      const sv = med(star, m.key);
      cells.push(best && Number.isFinite(sv) && best.value !== 0 ? `${(sv / best.value).toFixed(2)}× (${best.name})` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One line per target: MET / MISSED / n/a with the numbers. */
export function targetReport(run: RunResult): string {
  const star = run.servers.find((s) => s.name === 'starling');
  if (!star) return '';
  const anchors = run.servers.filter((s) => s.name !== 'starling');
  const out: string[] = [];
  for (const t of TARGETS) {
    const m = star.metrics.get(t.key);
    const sv = med(star, t.key);
    if (!m || !Number.isFinite(sv)) continue;
    let value = sv;
    let detail = `${fmt(sv)} ${m.unit}`;
    if (t.kind === 'ratio') {
      const best = bestAnchor(anchors, m);
      if (!best) {
        out.push(`- n/a    ${t.text}: no anchor measured it`);
        continue;
      }
      value = sv / best.value;
      detail = `${fmt(sv)} vs ${fmt(best.value)} ${m.unit} (${best.name}) = ${value.toFixed(2)}×`;
    }
    const ok = t.op === '>=' ? value >= t.bound : value <= t.bound;
    out.push(`- ${ok ? 'MET   ' : 'MISSED'} ${t.text}: ${detail}`);
  }
  return out.join('\n');
}

export function machineInfo(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, `
    + `Linux ${os.release()}, Node ${process.version}, load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}

export function fullReport(run: RunResult, command: string): string {
  const versions = run.servers.map((s) => `${s.name} ${s.version}`).join(', ');
  const notes = run.servers.flatMap((s) => s.notes.map((n) => `- ${s.name}: ${n}`));
  return [
    `Date: ${run.startedAt.toISOString()} — ${run.seconds.toFixed(0)} s, ${run.reps} repetition(s), medians (± half the max-min range)`,
    `Machine: ${machineInfo()}`,
    `Servers: ${versions}`,
    `Command: ${command}`,
    `Transport: ${run.transport === 'ws' ? 'XMPP over WebSocket (RFC 7395), plain on loopback' : 'XMPP over TCP'}`,
    '',
    resultTable(run),
    '',
    notes.length ? `Notes:\n${notes.join('\n')}\n` : '',
    targetReport(run) ? `Targets (issue #5):\n${targetReport(run)}` : '',
  ].join('\n');
}
