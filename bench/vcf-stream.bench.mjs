#!/usr/bin/env node
/**
 * Benchmark: streaming a large VCF through readVcfBlocks, and the process's peak resident
 * memory. The VCF (100,000 variants × 2,500 samples by default, ~1 GB of text) is generated on
 * the fly as a byte stream, so it never sits in memory whole; each block's genotypes are
 * summarised (allele counts) and dropped. Target: resident memory under 1.5 GB.
 *
 *   node bench/vcf-stream.bench.mjs [--variants 100000] [--samples 2500]
 */
import { parseArgs } from 'node:util';
import { readVcfBlocks } from 'tfjs-medkit/genomics';

const { values: args } = parseArgs({
  options: {
    variants: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '2500' },
  },
});
const m = Number(args.variants);
const n = Number(args.samples);
const encoder = new TextEncoder();
const calls = ['0/0', '0/1', '1/1', './.', '0|1', '1|0'];
async function* source() {
  yield encoder.encode(
    `##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${Array.from({ length: n }, (_, i) => `s${i}`).join('\t')}\n`,
  );
  let chunk = '';
  for (let v = 0; v < m; v++) {
    let line = `1\t${v + 1}\trs${v}\tA\tG\t50\tPASS\tDP=30\tGT:DP`;
    for (let s = 0; s < n; s++) line += `\t${calls[(v * 7 + s * 13) % 6]}:12`;
    chunk += `${line}\n`;
    if (chunk.length > 1 << 20) {
      yield encoder.encode(chunk);
      chunk = '';
    }
  }
  if (chunk) yield encoder.encode(chunk);
}
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const t = performance.now();
let variants = 0;
let alt = 0;
for await (const block of readVcfBlocks(source(), { blockSize: 4096 })) {
  variants += block.variants.length;
  for (const g of block.genotypes) if (g > 0) alt += g;
  peak = Math.max(peak, process.memoryUsage().rss);
}
clearInterval(timer);
const seconds = (performance.now() - t) / 1000;
console.log(
  JSON.stringify({
    bench: 'VCF stream',
    variants,
    samples: n,
    seconds: Number(seconds.toFixed(1)),
    callsPerSecond: Math.round((variants * n) / seconds),
    peakRssMB: Math.round(peak / 1e6),
    altAlleles: alt,
  }),
);
console.log(`peak resident memory ${Math.round(peak / 1e6)} MB (target < 1500 MB)`);
