/**
 * readVcf / readVcfBlocks: genotypes equal plink2's on three real VCFs (GATK, freebayes with
 * multi-allelic sites, bcftools without GT), every GT form (phased, haploid, half-missing,
 * multi-allelic count and split), filters, gzip and BGZF, streams, and a clear error (or a
 * counted skip) for each kind of malformed line.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bgzf } from '../../scripts/smoke/vcf-cases.mjs';
import { FormatError, MedkitError } from '../../src/core/index.js';
import { readVcf, readVcfBlocks } from '../../src/genomics/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/vcf-plink2.json', import.meta.url), 'utf8'),
) as {
  files: Record<
    string,
    {
      samples: string[];
      variants: { pos: number; id: string; ref: string; alt: string[] }[];
      genotypes: number[][];
    }
  >;
};
const file = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../fixtures/vcf/${name}.vcf.gz`, import.meta.url)));

const HEADER =
  '##fileformat=VCFv4.2\n##contig=<ID=1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n';
const vcf = (...lines: string[]) => `${HEADER + lines.join('\n')}\n`;

describe('readVcf equals plink2 on real files', () => {
  it.each(['gatk', 'freebayes', 'bcftools'])('%s', async (name) => {
    const ref = fixture.files[name]!;
    const data = await readVcf(file(name));
    expect(data.samples).toEqual(ref.samples);
    expect(
      data.variants.map((v) => [v.pos, v.id ?? '.', v.ref, v.alt.length ? v.alt : ['.']]),
    ).toEqual(ref.variants.map((v) => [v.pos, v.id, v.ref, v.alt]));
    const m = data.variants.length;
    const rows = ref.samples.map((_, s) => Array.from(data.genotypes.subarray(s * m, (s + 1) * m)));
    expect(rows).toEqual(ref.genotypes);
    expect(data.header.fileformat).toMatch(/^VCFv4/);
    expect(data.skipped).toEqual([]);
  });
});

describe('genotype forms', () => {
  it('unphased, phased, haploid, missing and half-missing calls', async () => {
    const d = await readVcf(
      vcf(
        '1\t10\trs1\tA\tG\t50\tPASS\tDP=10;DB\tGT:DP\t0/0:3\t0|1:4\t1/1:5',
        '1\t20\t.\tC\tT\t.\t.\t.\tGT\t./.\t./1\t1',
        '1\t30\t.\tG\tA\t12.5\tq10\t.\tGT\t0\t.\t1|1',
      ),
    );
    expect(d.samples).toEqual(['A', 'B', 'C']);
    // row = sample
    expect(Array.from(d.genotypes)).toEqual([0, -1, 0, 1, -1, -1, 2, 1, 2]);
    expect(d.variants[0]).toEqual({
      chrom: '1',
      pos: 10,
      id: 'rs1',
      ref: 'A',
      alt: ['G'],
      qual: 50,
      filter: ['PASS'],
      info: { DP: '10', DB: true },
    });
    expect(d.variants[1]!.qual).toBeNull();
    expect(d.variants[1]!.id).toBeNull();
    expect(d.variants[2]!.filter).toEqual(['q10']);
  });

  it("multi-allelic sites: 'count' adds every alternate allele, 'split' gives one record each", async () => {
    const text = vcf('1\t5\t.\tA\tC,T\t.\tPASS\t.\tGT\t1/2\t0/2\t2/2');
    const counted = await readVcf(text);
    expect(counted.variants[0]!.alt).toEqual(['C', 'T']);
    expect(Array.from(counted.genotypes)).toEqual([2, 1, 2]);
    const split = await readVcf(text, { multiallelic: 'split' });
    expect(split.variants.map((v) => [v.alt, v.alleleIndex])).toEqual([
      [['C'], 1],
      [['T'], 2],
    ]);
    // sample A: one C and one T; B: one T; C: two T
    expect(Array.from(split.genotypes)).toEqual([1, 1, 0, 1, 0, 2]);
  });

  it('a FORMAT without GT gives missing calls; GT need not be the first key', async () => {
    const d = await readVcf(
      vcf('1\t5\t.\tA\tC\t.\t.\t.\tDP\t3\t4\t5', '1\t6\t.\tA\tC\t.\t.\t.\tDP:GT\t3:0/1\t4\t5:1/1'),
    );
    expect(Array.from(d.genotypes)).toEqual([-1, 1, -1, -1, -1, 2]);
  });
});

describe('filters', () => {
  const text = vcf(
    '1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0',
    '1\t20\t.\tA\tG\t.\tlowq\t.\tGT\t0/1\t1/1\t0/0',
    '2\t15\t.\tA\tG\t.\tPASS\t.\tGT\t1/1\t0/0\t0/1',
  );

  it('PASS only, a sample subset in a chosen order, regions', async () => {
    expect((await readVcf(text, { passOnly: true })).variants.map((v) => v.pos)).toEqual([10, 15]);
    const sub = await readVcf(text, { samples: ['C', 'A'] });
    expect(sub.samples).toEqual(['C', 'A']);
    expect(Array.from(sub.genotypes)).toEqual([0, 0, 1, 1, 1, 2]);
    const region = await readVcf(text, {
      regions: [
        { chrom: '1', start: 15 },
        { chrom: '2', end: 15 },
      ],
    });
    expect(region.variants.map((v) => `${v.chrom}:${v.pos}`)).toEqual(['1:20', '2:15']);
  });

  it('a file whose records are all filtered out still gives its samples', async () => {
    const none = await readVcf(text, { regions: [{ chrom: '9' }] });
    expect(none.samples).toEqual(['A', 'B', 'C']);
    expect(none.variants).toEqual([]);
    expect(none.genotypes.length).toBe(0);
  });
});

describe('compression and streams', () => {
  const text = vcf(
    ...Array.from(
      { length: 300 },
      (_, i) =>
        `1\t${i + 1}\t.\tA\tG\t.\tPASS\t.\tGT\t${['0/0', '0/1', '1/1', './.'][i % 4]}\t0|1\t1`,
    ),
  );

  it('plain bytes, gzip and BGZF give the same result', async () => {
    const bytes = new TextEncoder().encode(text);
    const plain = await readVcf(bytes);
    expect(plain.variants).toHaveLength(300);
    expect(await readVcf(new Uint8Array(gzipSync(bytes)))).toEqual(plain);
    const blocked = bgzf(bytes, 1000);
    expect(blocked[12]).toBe(66); // the BC subfield
    expect(await readVcf(blocked)).toEqual(plain);
    expect(await readVcf(bytes.buffer as ArrayBuffer)).toEqual(plain);
  });

  it('readVcf and readVcfBlocks read every member: BGZF and concatenated gzip, chunks of odd sizes', async () => {
    const bytes = new TextEncoder().encode(text);
    const whole = await readVcf(bytes);
    const cut = bytes.indexOf(10, bytes.length >> 1) + 1; // a member boundary at a line end
    const members = new Uint8Array(
      Buffer.concat([gzipSync(bytes.subarray(0, cut)), gzipSync(bytes.subarray(cut))]),
    );
    expect(await readVcf(members)).toEqual(whole);
    async function* chunks(b: Uint8Array, sizes: number[]) {
      yield new Uint8Array(0); // an empty chunk first, then a single byte
      for (let p = 0, i = 0; p < b.length; i++) {
        const n = sizes[i % sizes.length]!;
        yield b.slice(p, p + n);
        p += n;
      }
    }
    for (const source of [bgzf(bytes, 700), members]) {
      for (const sizes of [
        [1, 7, 19],
        [4097, 3],
      ]) {
        const rows: number[][] = [[], [], []];
        let n = 0;
        for await (const block of readVcfBlocks(chunks(source, sizes), { blockSize: 128 })) {
          const m = block.variants.length;
          n += m;
          for (let s = 0; s < 3; s++)
            rows[s]!.push(...block.genotypes.subarray(s * m, (s + 1) * m));
        }
        expect(n).toBe(whole.variants.length);
        const m = whole.variants.length;
        for (let s = 0; s < 3; s++)
          expect(rows[s]).toEqual(Array.from(whole.genotypes.subarray(s * m, (s + 1) * m)));
      }
    }
  });

  it('readVcfBlocks streams a gzip file arriving in small chunks, block by block', async () => {
    const gz = new Uint8Array(gzipSync(new TextEncoder().encode(text)));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let p = 0; p < gz.length; p += 97) controller.enqueue(gz.subarray(p, p + 97));
        controller.close();
      },
    });
    const whole = await readVcf(text);
    const sizes: number[] = [];
    const rows: number[][] = [[], [], []];
    for await (const block of readVcfBlocks(stream, { blockSize: 128 })) {
      sizes.push(block.variants.length);
      const m = block.variants.length;
      for (let s = 0; s < 3; s++) rows[s]!.push(...block.genotypes.subarray(s * m, (s + 1) * m));
    }
    expect(sizes).toEqual([128, 128, 44]);
    const m = whole.variants.length;
    for (let s = 0; s < 3; s++)
      expect(rows[s]).toEqual(Array.from(whole.genotypes.subarray(s * m, (s + 1) * m)));
  });
});

describe('malformed input gets a FormatError naming the line, or is skipped and counted', () => {
  it.each([
    [
      'too few columns',
      '1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1',
      /line 5: 11 columns where the header has 12/,
    ],
    [
      'a GT of ploidy 3',
      '1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/1/1\t0/0\t0/0',
      /line 5: a GT of ploidy above 2/,
    ],
    [
      'an allele the site lacks',
      '1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/2\t0/0\t0/0',
      /line 5: GT allele 2 but the site has 1 alternate allele/,
    ],
    [
      'a bad POS',
      '1\tten\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t0/0\t0/0',
      /line 5: POS must be a positive integer/,
    ],
    [
      'a bad QUAL',
      '1\t10\t.\tA\tG\thigh\tPASS\t.\tGT\t0/1\t0/0\t0/0',
      /line 5: QUAL must be a number/,
    ],
    [
      'a GT that is not a genotype',
      '1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0-1\t0/0\t0/0',
      /line 5: a GT that is not alleles/,
    ],
  ])('%s', async (_what, line, message) => {
    const text = vcf(
      '1\t5\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t0/0\t1/1',
      line,
      '1\t50\t.\tA\tG\t.\tPASS\t.\tGT\t1/1\t0/0\t0/1',
    );
    await expect(readVcf(text)).rejects.toThrow(FormatError);
    await expect(readVcf(text)).rejects.toThrow(message);
    const skipped = await readVcf(text, { onMalformed: 'skip' });
    expect(skipped.variants.map((v) => v.pos)).toEqual([5, 50]);
    expect(skipped.skipped).toHaveLength(1);
    expect(skipped.skipped[0]!.line).toBe(5);
  });

  it.each([
    ['not a VCF', 'hello\nworld\n', /##fileformat=VCF/],
    ['an empty file', '', /empty/],
    ['no #CHROM line', '##fileformat=VCFv4.2\n', /no #CHROM header line/],
    [
      'a data line before the header',
      '##fileformat=VCFv4.2\n1\t5\t.\tA\tG\t.\t.\t.\n',
      /before the #CHROM header line/,
    ],
    ['a bad header line', '##fileformat=VCFv4.2\n#CHROM\tPOS\tREF\n', /must start with CHROM/],
  ])('%s', async (_what, text, message) => {
    await expect(readVcf(text)).rejects.toThrow(MedkitError);
    await expect(readVcf(text)).rejects.toThrow(message);
  });

  it('truncated gzip data, an unknown sample, bad options', async () => {
    const gz = file('gatk');
    await expect(readVcf(gz.subarray(0, gz.length - 100))).rejects.toThrow(/corrupt or truncated/);
    await expect(readVcf(file('gatk'), { samples: ['nobody'] })).rejects.toThrow(/does not have/);
    await expect(readVcf('x', { multiallelic: 'merge' as never })).rejects.toThrow(/multiallelic/);
    await expect(readVcf(42 as never)).rejects.toThrow(/must be bytes/);
  });
});
