#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench/*.bench.mjs in its own process, one after another (each
 * prints JSON lines and a ratio against its anchor measured in the same run).
 *   npm run bench -- losses     runs only the benchmarks whose name contains "losses"
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filter = process.argv[2] ?? '';
const dir = new URL('.', import.meta.url).pathname;
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort();
for (const file of benches) {
  console.log(`\n## ${file}`);
  execFileSync(process.execPath, [`${dir}${file}`], { stdio: 'inherit' });
}
