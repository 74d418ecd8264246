// Profiles Starling with archiving on under the chat saturation load: writes a V8 CPU profile to --dir and prints
// the functions with the most self time. node --import tsx bench/mam/profile.ts --dir /tmp/prof
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSelfSigned, writeCertificate } from '../../src/net/certs.js';
import { PRESETS } from '../params.js';
import { chatRate } from './measure.js';
import { starling } from './servers.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: path.join(os.tmpdir(), 'starling-mam-prof') } } });
const dir = path.resolve(values.dir!);
fs.mkdirSync(dir, { recursive: true });
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-mam-prof-'));
const certPaths = writeCertificate(path.join(workDir, 'certs'), 'localhost', generateSelfSigned('localhost'));
const cert = { ...certPaths, pair: { cert: fs.readFileSync(certPaths.certPath, 'utf8'), key: fs.readFileSync(certPaths.keyPath, 'utf8') } };
const s = starling(workDir, cert, true);
s.nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir];
try {
  await s.prepare(2 * PRESETS.quick.chat.pairs);
  await s.start();
  try {
    const r = await chatRate(s, PRESETS.quick.chat);
    console.log(`archiving on: ${r.rate.toFixed(0)} msgs/s, ${r.cpuUs.toFixed(1)} µs CPU/msg`);
  } finally {
    await s.stop();
  }
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
const file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
if (file) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = p.timeDeltas[i] ?? 0;
    if (n.callFrame.functionName === '(idle)') return;
    total += dt;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.log(`${file}: busy self time by function`);
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}
