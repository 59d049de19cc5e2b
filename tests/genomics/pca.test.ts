/**
 * genotypePcs against plink2 --pca on a structured cohort (three drifted populations;
 * tests/fixtures/vcf/structured.vcf.gz and pca-plink2.json, made by scripts/fixtures/pca_plink2.sh):
 * eigenvalues and eigenvectors (up to sign).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { associationScan, genotypePcs, readVcf } from '../../src/genomics/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/pca-plink2.json', import.meta.url), 'utf8'),
) as {
  samples: string[];
  eigenvalues: number[];
  eigenvectors: number[][];
};

describe('genotypePcs', () => {
  it('equals plink2 --pca: eigenvalues, and eigenvectors up to sign', async () => {
    const d = await readVcf(
      new Uint8Array(readFileSync(new URL('../fixtures/vcf/structured.vcf.gz', import.meta.url))),
    );
    expect(d.samples).toEqual(fixture.samples);
    const pcs = genotypePcs(
      { genotypes: d.genotypes, samples: d.samples.length, variants: d.variants.length },
      { components: 3, seed: 1, iterations: 60 },
    );
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(pcs.eigenvalues[c]! - fixture.eigenvalues[c]!)).toBeLessThanOrEqual(
        1e-4 * fixture.eigenvalues[c]!,
      );
      const ours = pcs.scores.map((r) => r[c]!);
      const ref = fixture.eigenvectors.map((r) => r[c]!);
      const dot = ours.reduce((a, v, i) => a + v * ref[i]!, 0);
      const sign = Math.sign(dot);
      const worst = Math.max(...ours.map((v, i) => Math.abs(sign * v - ref[i]!)));
      expect(worst).toBeLessThan(1e-4);
    }
    expect(pcs.varianceExplained[0]!).toBeGreaterThan(pcs.varianceExplained[2]!);
    // the two structure components separate the three populations
    const mean = (k: number, c: number) =>
      pcs.scores.slice(k * 100, k * 100 + 100).reduce((a, r) => a + r[c]!, 0) / 100;
    const centroids = [0, 1, 2].map((k) => [mean(k, 0), mean(k, 1)]);
    for (let a = 0; a < 3; a++)
      for (let b = a + 1; b < 3; b++)
        expect(
          Math.hypot(centroids[a]![0]! - centroids[b]![0]!, centroids[a]![1]! - centroids[b]![1]!),
        ).toBeGreaterThan(0.05);
  });

  it('PCs as covariates in a scan; bad options', async () => {
    const d = await readVcf(
      new Uint8Array(readFileSync(new URL('../fixtures/vcf/structured.vcf.gz', import.meta.url))),
    );
    const matrix = {
      genotypes: d.genotypes,
      samples: d.samples.length,
      variants: d.variants.length,
    };
    const pcs = genotypePcs(matrix, { components: 2 });
    // a phenotype that follows population, not any variant
    const y = d.samples.map((s) => (s.startsWith('p0') ? 1 : 0));
    const raw = associationScan(matrix, y, { firth: 'always' });
    const adjusted = associationScan(matrix, y, { covariates: pcs.scores, firth: 'always' });
    const hits = (r: { p: number }[]) => r.filter((x) => x.p < 1e-3).length;
    expect(hits(adjusted)).toBeLessThan(hits(raw)); // stratification mostly removed
    expect(() => genotypePcs(matrix, { components: 301 })).toThrow(/exceeds/);
  });
});
