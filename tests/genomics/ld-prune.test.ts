/**
 * ldPrune: every kept pair within a window has r² ≤ the threshold; duplicates lose their
 * lower-MAF copy; windows stay within a chromosome; against plink2 --indep-pairwise on a cohort
 * with LD blocks (tests/fixtures/ld-plink2.json): everything plink2 keeps is kept, and plink2
 * removes only a few more (it visits pairs in another order).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/core/index.js';
import { ldPrune, readVcf } from '../../src/genomics/index.js';
import { genotypeR2 } from '../../src/genomics/ld-prune.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/ld-plink2.json', import.meta.url), 'utf8'),
) as {
  kept: string[];
};

describe('ldPrune', () => {
  it('leaves no pair above the threshold within a window; keeps what plink2 keeps', async () => {
    const d = await readVcf(
      new Uint8Array(readFileSync(new URL('../fixtures/vcf/ld.vcf.gz', import.meta.url))),
    );
    const matrix = {
      genotypes: d.genotypes,
      samples: d.samples.length,
      variants: d.variants.length,
    };
    const chrom = d.variants.map((v) => v.chrom);
    const kept = ldPrune(matrix, { window: 50, step: 5, r2: 0.2, chrom });
    for (let a = 0; a < kept.length; a++) {
      for (let b = a + 1; b < kept.length && kept[b]! - kept[a]! < 50; b++) {
        if (chrom[kept[a]!] !== chrom[kept[b]!]) continue;
        expect(genotypeR2(matrix, kept[a]!, kept[b]!)).toBeLessThanOrEqual(0.2);
      }
    }
    const ids = new Set(kept.map((v) => d.variants[v]!.id));
    for (const id of fixture.kept) expect(ids.has(id)).toBe(true);
    expect(kept.length).toBeLessThanOrEqual(Math.ceil(fixture.kept.length * 1.1));
    expect(kept.length).toBeLessThan(d.variants.length / 2);
  });

  it('of two identical variants keeps the one with the higher MAF (the first on a tie)', () => {
    // 4 samples × 3 variants: v0 and v1 identical, v2 independent
    const genotypes = Int8Array.from([0, 0, 1, 1, 1, 0, 2, 2, 1, 0, 0, 2]);
    expect(
      ldPrune({ genotypes, samples: 4, variants: 3 }, { window: 3, step: 1, r2: 0.5 }),
    ).toEqual([0, 2]);
    expect(() => ldPrune({ genotypes, samples: 4, variants: 3 }, { window: 2, step: 3 })).toThrow(
      MedkitError,
    );
    expect(() => ldPrune({ genotypes, samples: 4, variants: 3 }, { chrom: ['1'] })).toThrow(
      /chromosome of each/,
    );
  });
});
