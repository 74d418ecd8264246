// The MAM page-latency load generator in a process of its own (see pageLatency in measure.ts): logs the users in,
// runs the queries one at a time and prints the latencies (ms) as one JSON line. Argument: a PageClientJob as JSON.
import { pageQueries, type PageClientJob } from './measure.js';

const job = JSON.parse(process.argv[2] ?? '') as PageClientJob;
const latencies = await pageQueries({ target: job.target }, job);
process.stdout.write(`${JSON.stringify(latencies)}\n`);
process.exit(0);
