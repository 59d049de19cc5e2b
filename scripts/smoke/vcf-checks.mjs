/**
 * The runtime-independent VCF checks of the smoke tests (Node, Deno, Chromium): the BGZF and
 * two-member gzip of `vcf-cases.mjs` read whole by `readVcf` (bytes) and `readVcfBlocks` (an
 * async iterable of odd-sized chunks, the first one byte), equal to the plain text's reading.
 */

/** An async iterable delivering `bytes` in chunks of the given sizes, cycled. */
async function* chunks(bytes, sizes) {
  for (let p = 0, i = 0; p < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    yield bytes.slice(p, p + n);
    p += n;
  }
}

/** Variants, and the sum of genotypes weighted by position and sample. */
function fingerprint(blocks) {
  let variants = 0;
  let weighted = 0;
  for (const { variants: v, genotypes, samples } of blocks) {
    const m = v.length;
    for (let s = 0; s < samples.length; s++)
      for (let j = 0; j < m; j++) weighted += (s + 1) * v[j].pos * genotypes[s * m + j];
    variants += m;
  }
  return { variants, weighted };
}

async function streamed(readVcfBlocks, source) {
  const blocks = [];
  for await (const block of readVcfBlocks(source, { blockSize: 256 })) blocks.push(block);
  return fingerprint(blocks);
}

/**
 * Runs the checks with the library's readers; returns `[name, actual, expected]` triples.
 */
export async function vcfChecks({ readVcf, readVcfBlocks }, cases) {
  const expected = fingerprint([await readVcf(cases.text)]);
  const out = [['plain text: variants', expected.variants, 1000]];
  for (const [name, bytes] of [
    ['BGZF', cases.bgzf],
    ['two gzip members', cases.members],
  ]) {
    out.push([`${name}, readVcf(bytes)`, fingerprint([await readVcf(bytes)]), expected]);
    for (const sizes of [[1, 7, 19], [4097], [65_537, 3]]) {
      out.push([
        `${name}, readVcfBlocks(chunks of ${sizes})`,
        await streamed(readVcfBlocks, chunks(bytes, sizes)),
        expected,
      ]);
    }
  }
  return out;
}
