// Profiling helper: parses the parser-bench corpus with the tokenizer only, for node --cpu-prof.
import { profileTokenizer } from './parser-bench.js';

profileTokenizer(Number(process.argv[2] ?? 30));
