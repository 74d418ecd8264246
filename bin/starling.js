#!/usr/bin/env node
// The `starling` command. Runs the compiled CLI (dist/) when it exists; otherwise, or when STARLING_FROM_SOURCE is
// set, runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/src/cli/main.js', import.meta.url);
let cli;
if (!process.env.STARLING_FROM_SOURCE && existsSync(fileURLToPath(built))) {
  cli = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv);
