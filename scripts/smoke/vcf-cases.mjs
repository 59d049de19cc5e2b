/**
 * The compressed VCFs of the runtime and browser smoke tests, made in Node or Deno: the same
 * 1,000-variant text as BGZF (bgzip's layout) and as two plain gzip members (`cat a.gz b.gz`).
 * The tests use its BGZF writer too (types in vcf-cases.d.mts).
 */
import { deflateRawSync, gzipSync } from 'node:zlib';

const header =
  '##fileformat=VCFv4.2\n##contig=<ID=1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n';
const rows = (from, to) =>
  Array.from(
    { length: to - from },
    (_, i) => `1\t${from + i + 1}\t.\tA\tG\t.\tPASS\t.\tGT\t${['0/1', '1/1', '0/0'][i % 3]}\t1|0\n`,
  ).join('');

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** BGZF as bgzip writes it: members with the BC extra field, then the empty end-of-file block. */
export function bgzf(bytes, blockSize) {
  const parts = [];
  for (let p = 0; p <= bytes.length; p += blockSize) {
    const chunk = bytes.subarray(p, Math.min(bytes.length, p + blockSize));
    const data = deflateRawSync(chunk);
    const head = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 66, 67, 2, 0, 0, 0]);
    head.writeUInt16LE(head.length + data.length + 8 - 1, 16);
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(crc32(chunk), 0);
    tail.writeUInt32LE(chunk.length, 4);
    parts.push(head, data, tail);
    if (chunk.length === 0) break;
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** `{ text, bgzf, members }`: the plain VCF, its BGZF and its two-member gzip. */
export function vcfCases() {
  const encoder = new TextEncoder();
  return {
    text: encoder.encode(header + rows(0, 1000)),
    bgzf: bgzf(encoder.encode(header + rows(0, 1000)), 4000),
    members: new Uint8Array(
      Buffer.concat([
        gzipSync(encoder.encode(header + rows(0, 600))),
        gzipSync(encoder.encode(rows(600, 1000))),
      ]),
    ),
  };
}
