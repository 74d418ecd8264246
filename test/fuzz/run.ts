// `npm run fuzz [-- --seconds N --seed S --target NAME]`: runs every fuzz target for N seconds each
// and prints failing seeds (replay one with --seed S --runs 1). Exit code 1 when anything failed.
import { fuzz } from './engine.js';
import { targets } from './targets.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const seconds = Number(opt('seconds', '30'));
const seed = Number(opt('seed', String(Date.now() % 1_000_000)));
const runs = Number(opt('runs', 'Infinity'));
const only = opt('target', '');

let failed = 0;
for (const target of targets) {
  if (only && !target.name.includes(only)) continue;
  const r = await fuzz(target, { seed, ms: seconds * 1000, runs });
  console.log(`${target.name}: ${r.runs} inputs from seed ${seed}, ${r.failures.length} failures`);
  for (const f of r.failures) console.log(`  seed ${f.seed}: ${f.error.split('\n').slice(0, 3).join(' | ')}\n  input (base64): ${f.input.slice(0, 400)}`);
  failed += r.failures.length;
}
process.exit(failed ? 1 : 0);
