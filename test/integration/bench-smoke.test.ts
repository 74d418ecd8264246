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

  it('roster: skipped with a note when no roster module is built in, and the report renders', () => {
    const notes = result.servers[0]!.notes;
    if (!result.servers[0]!.values.has('roster.login')) expect(notes.some((n) => n.startsWith('roster:'))).to.equal(true);
    expect(notes.filter((n) => n.includes('failed'))).to.deep.equal([]);
    const report = fullReport(result, 'test');
    expect(report).to.match(/\| saturated 1:1 msgs\/s/);
  });
});
