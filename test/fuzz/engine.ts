// A small seeded mutational fuzzer: deterministic for a seed, so a failure is replayed by its seed.
// Targets are functions that must never break an invariant (throw the wrong thing, emit after an
// error, loop); the engine mutates a corpus of valid inputs with structure-aware token splices.

/** mulberry32: a tiny fast PRNG; good enough to drive mutations reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzTarget {
  name: string;
  corpus: Buffer[];
  /** Interesting fragments spliced into inputs (tags, entities, separators, odd bytes). */
  dictionary: string[];
  /** Runs one input; throws an Error describing the broken invariant. */
  run(input: Buffer, random: () => number): void | Promise<void>;
}

export function mutate(input: Buffer, dictionary: string[], random: () => number): Buffer {
  let buf = Buffer.from(input);
  const rounds = 1 + Math.floor(random() * 4);
  for (let r = 0; r < rounds; r++) {
    const pos = Math.floor(random() * (buf.length + 1));
    switch (Math.floor(random() * 7)) {
      case 0: // flip a bit
        if (buf.length) buf[Math.min(pos, buf.length - 1)]! ^= 1 << Math.floor(random() * 8);
        break;
      case 1: { // random byte
        const b = Buffer.from([Math.floor(random() * 256)]);
        buf = Buffer.concat([buf.subarray(0, pos), b, buf.subarray(pos)]);
        break;
      }
      case 2: { // delete a range
        const len = Math.floor(random() * 16);
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + len)]);
        break;
      }
      case 3: { // duplicate a range (grows nesting and repetition)
        const len = Math.floor(random() * 64);
        buf = Buffer.concat([buf.subarray(0, pos + len), buf.subarray(pos, pos + len), buf.subarray(pos + len)]);
        break;
      }
      case 4: // dictionary token
      case 5: {
        const tok = Buffer.from(dictionary[Math.floor(random() * dictionary.length)] ?? '');
        buf = Buffer.concat([buf.subarray(0, pos), tok, buf.subarray(pos)]);
        break;
      }
      default: { // truncate
        buf = buf.subarray(0, pos);
      }
    }
  }
  return buf.length > 1 << 16 ? buf.subarray(0, 1 << 16) : buf;
}

export interface FuzzResult {
  target: string;
  runs: number;
  failures: { seed: number; input: string; error: string }[];
}

/** Runs a target for `runs` inputs or until `ms` elapse, from `seed`. */
export async function fuzz(target: FuzzTarget, opts: { seed: number; runs?: number; ms?: number }): Promise<FuzzResult> {
  const deadline = Date.now() + (opts.ms ?? Infinity);
  const maxRuns = opts.runs ?? Infinity;
  const failures: FuzzResult['failures'] = [];
  let runs = 0;
  for (; runs < maxRuns && Date.now() < deadline; runs++) {
    const seed = (opts.seed + runs) >>> 0;
    const random = rng(seed);
    const base = target.corpus[Math.floor(random() * target.corpus.length)]!;
    const input = mutate(base, target.dictionary, random);
    try {
      await target.run(input, random);
    } catch (err) {
      failures.push({ seed, input: input.toString('base64'), error: (err as Error).stack ?? String(err) });
      if (failures.length >= 10) break;
    }
  }
  return { target: target.name, runs, failures };
}
