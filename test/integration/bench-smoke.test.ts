// Smoke run of the benchmark tool (bench/, issue 5) against Starling only, with tiny sizes: every scenario must run and
// report sane numbers, so CI keeps `npm run bench` working. Starling runs as its own process, as in a real benchmark.
import { expect } from 'chai';
import { runBench, type RunResult } from '../../bench/runner.js';
import { fullReport } from '../../bench/report.js';
import { SCENARIOS } from '../../bench/scenarios/index.js';

describe('benchmark smoke (npm run bench, tiny sizes, Starling only)', function () {
  this.timeout(60_000);
  let result: RunResult;
  const lines: string[] = [];

  before(async () => {
    result = await runBench({
      servers: ['starling'],
      scenarios: SCENARIOS.map((s) => s.name),
      preset: 'smoke',
      reps: 1,
      restart: 'run',
      log: (m) => lines.push(m),
    });
  });

  const value = (key: string): number => {
    const v = result.servers[0]!.values.get(key);
    expect(v, `${key} measured (log:\n${lines.join('\n')})`).to.be.an('array').with.length(1);
    return v![0]!;
  };

  it('login: SCRAM-SHA-1 (plain and STARTTLS) and SCRAM-SHA-256 logins with rates, latencies and server CPU', () => {
    for (const v of ['sha1', 'sha1-tls', 'sha256']) {
      expect(value(`login.${v}.rate`)).to.be.greaterThan(0);
      expect(value(`login.${v}.cpu`)).to.be.at.least(0);
      expect(value(`login.${v}.p99`)).to.be.at.least(value(`login.${v}.p50`));
    }
  });

  it('chat: saturated throughput, CPU per message and latency at a fixed rate', () => {
    expect(value('chat.rate')).to.be.greaterThan(100);
    expect(value('chat.cpu')).to.be.greaterThan(0);
    expect(value('chat.p99')).to.be.at.least(value('chat.p50'));
  });

  it('churn: chat before and after login/logout cycles', () => {
    expect(value('churn.chat.after')).to.be.greaterThan(0);
    expect(value('churn.cycles')).to.be.greaterThan(0);
  });

  it('idle: RSS per session, plaintext and TLS', () => {
    expect(value('idle.20')).to.be.a('number');
    expect(value('idle-tls.20')).to.be.a('number');
  });

  it('muc: fan-out deliveries, CPU per delivery and latency (or a skip note when no MUC module is built in)', () => {
    const res = result.servers[0]!;
    if (!res.values.has('muc.5.rate')) {
      expect(res.notes.some((n) => n.startsWith('muc:'))).to.equal(true);
      return;
    }
    expect(value('muc.5.rate')).to.be.greaterThan(0);
    expect(value('muc.5.cpu')).to.be.greaterThan(0);
    expect(value('muc.5.p99')).to.be.greaterThan(0);
  });

  it('roster: skipped with a note when no roster module is built in, and the report renders', () => {
    const notes = result.servers[0]!.notes;
    if (!result.servers[0]!.values.has('roster.login')) expect(notes.some((n) => n.startsWith('roster:'))).to.equal(true);
    expect(notes.filter((n) => n.includes('failed'))).to.deep.equal([]);
    const report = fullReport(result, 'test');
    expect(report).to.match(/\| saturated 1:1 msgs\/s/);
  });
});

describe('benchmark smoke over WebSocket (--transport ws)', function () {
  this.timeout(60_000);

  it('logs in and chats over RFC 7395 framing, and skips what needs STARTTLS', async () => {
    const lines: string[] = [];
    const result = await runBench({ servers: ['starling'], scenarios: ['login', 'chat', 'idle-tls'], preset: 'smoke', reps: 1, restart: 'run', transport: 'ws', log: (m) => lines.push(m) });
    const res = result.servers[0]!;
    const log = `log:\n${lines.join('\n')}`;
    expect(res.notes.filter((n) => n.includes('failed')), log).to.deep.equal([]);
    expect(res.values.get('login.sha1.rate')?.[0], log).to.be.greaterThan(0);
    expect(res.values.has('login.sha1-tls.rate'), 'no STARTTLS variant over WebSocket').to.equal(false);
    expect(res.values.get('chat.rate')?.[0], log).to.be.greaterThan(100);
    expect(res.notes.some((n) => n.startsWith('idle-tls:'))).to.equal(true);
    expect(fullReport(result, 'test')).to.match(/Transport: XMPP over WebSocket/);
  });
});
