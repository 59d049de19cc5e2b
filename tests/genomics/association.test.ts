/**
 * associationScan against plink2 --glm (omit-ref, hide-covar; no-firth and firth) on the QC
 * cohort with a simulated phenotype, three covariates and one separated variant
 * (tests/fixtures/assoc-plink2.json, made by scripts/fixtures/assoc_plink2.sh): odds ratios,
 * standard errors, Wald statistics and p-values within 1e-4 relative; likelihood-ratio statistics
 * against scipy fits; p-value adjustment.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/core/index.js';
import { adjustPValues, associationScan, readVcf } from '../../src/genomics/index.js';

interface Row {
  id: string;
  n: number;
  or: number | null;
  se: number | null;
  z: number | null;
  p: number | null;
  error: string;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/assoc-plink2.json', import.meta.url), 'utf8'),
) as {
  phenotype: number[];
  covariates: number[][];
  'no-firth': Row[];
  firth: Row[];
  lrt: { stat: number; p: number }[];
  exact: Record<'no-firth' | 'firth', ({ or: number; se: number; z: number; p: number } | null)[]>;
};
const cohort = async () => {
  const d = await readVcf(
    new Uint8Array(readFileSync(new URL('../fixtures/vcf/cohort.vcf.gz', import.meta.url))),
  );
  return { genotypes: d.genotypes, samples: d.samples.length, variants: d.variants.length };
};
const rel = (a: number, e: number, tol = 1e-4) =>
  expect(Math.abs(a - e)).toBeLessThanOrEqual(tol * Math.abs(e) + 1e-12);

/**
 * plink2 fits in single precision: its ORs agree to ~1e-5, but its standard errors (and so Z and
 * P) can be off in the fourth digit (v113: SE 0.237854 against 0.2380884 in double precision,
 * which scipy confirms). So each result is held to the exact double-precision computation at
 * 1e-6, and to plink2 at the precision plink2 has.
 */
const PLINK = { or: 2e-5, se: 2e-3, p: 1e-2 };

describe('associationScan equals plink2 --glm (and the exact double-precision fit)', () => {
  it("plain logistic ('never' = no-firth): OR, SE, Z, P; the separated variant is an error", async () => {
    const m = await cohort();
    const results = associationScan(m, fixture.phenotype, {
      covariates: fixture.covariates,
      firth: 'never',
    });
    expect(results).toHaveLength(m.variants);
    fixture['no-firth'].forEach((ref, v) => {
      const r = results[v]!;
      expect(r.n).toBe(ref.n);
      if (ref.error !== '.') {
        expect(ref.error).toMatch(/SEPARATION/);
        expect(r.error).toBe('separation');
        expect(Number.isNaN(r.p)).toBe(true);
        return;
      }
      expect(r.error).toBeNull();
      expect(r.firth).toBe(false);
      const exact = fixture.exact['no-firth'][v]!;
      rel(r.oddsRatio, exact.or, 1e-6);
      rel(r.se, exact.se, 1e-6);
      rel(r.p, exact.p, 1e-6);
      rel(r.oddsRatio, ref.or!, PLINK.or);
      rel(r.se, ref.se!, PLINK.se);
      rel(r.p, ref.p!, PLINK.p);
    });
  });

  it("Firth ('always' = plink2 firth), including the separated variant", async () => {
    const m = await cohort();
    const results = associationScan(m, fixture.phenotype, {
      covariates: fixture.covariates,
      firth: 'always',
    });
    fixture.firth.forEach((ref, v) => {
      const r = results[v]!;
      expect(r.firth).toBe(true);
      const exact = fixture.exact.firth[v]!;
      rel(r.oddsRatio, exact.or, 1e-6);
      rel(r.se, exact.se, 1e-6);
      rel(r.p, exact.p, 1e-6);
      rel(r.oddsRatio, ref.or!, 1e-3);
      rel(r.se, ref.se!, PLINK.se);
      rel(r.p, ref.p!, PLINK.p);
    });
    // the separated variant: a finite odds ratio only Firth can give
    expect(results[0]!.oddsRatio).toBeGreaterThan(10);
  });

  it("'fallback' uses Firth exactly where the plain fit fails", async () => {
    const m = await cohort();
    const results = associationScan(m, fixture.phenotype, { covariates: fixture.covariates });
    expect(results.filter((r) => r.firth).map((r) => r.variant)).toEqual([0]);
    rel(results[0]!.oddsRatio, fixture.firth[0]!.or!);
    rel(results[1]!.oddsRatio, fixture['no-firth'][1]!.or!);
  });

  it('likelihood-ratio test equals scipy fits', async () => {
    const m = await cohort();
    const results = associationScan(m, fixture.phenotype, {
      covariates: fixture.covariates,
      test: 'lrt',
      firth: 'never',
    });
    const errored: number[] = [];
    let checked = 0;
    fixture.lrt.forEach((ref, v) => {
      const r = results[v]!;
      if (r.error) {
        errored.push(v); // the separated variant has no finite maximum likelihood
        return;
      }
      rel(r.lrtStat!, ref.stat, 1e-5);
      rel(r.p, ref.p, 1e-4);
      checked++;
    });
    // every variant is compared but the one that separates cases from controls
    expect(errored).toEqual([0]);
    expect(checked).toBe(fixture.lrt.length - 1);
  });

  it('a variant with uncalled samples equals the scan without those samples', async () => {
    const m = await cohort();
    const results = associationScan(m, fixture.phenotype, { covariates: fixture.covariates });
    let checked = 0;
    for (let v = 1; v < m.variants && checked < 5; v++) {
      const missing: number[] = [];
      for (let i = 0; i < m.samples; i++) if (m.genotypes[i * m.variants + v]! < 0) missing.push(i);
      if (missing.length === 0 || results[v]!.error) continue;
      // the same variant alone, those samples' phenotype unknown instead of their call
      const one = {
        genotypes: Int8Array.from({ length: m.samples }, (_, i) =>
          Math.max(0, m.genotypes[i * m.variants + v]!),
        ),
        samples: m.samples,
        variants: 1,
      };
      const phenotype = fixture.phenotype.map((y, i) => (missing.includes(i) ? Number.NaN : y));
      const [alone] = associationScan(one, phenotype, { covariates: fixture.covariates });
      expect(alone!.n).toBe(results[v]!.n);
      // the two start from different null models: equal to within the Newton tolerance
      rel(alone!.oddsRatio, results[v]!.oddsRatio, 1e-6);
      rel(alone!.se, results[v]!.se, 1e-6);
      rel(alone!.p, results[v]!.p, 1e-6);
      checked++;
    }
    expect(checked).toBe(5);
  });

  it('confidence intervals: e^(β ± 1.96·SE), wider at 99%', async () => {
    const m = await cohort();
    const [r95] = associationScan(m, fixture.phenotype, { covariates: fixture.covariates }).slice(
      4,
      5,
    );
    const [r99] = associationScan(m, fixture.phenotype, {
      covariates: fixture.covariates,
      confidence: 0.99,
    }).slice(4, 5);
    rel(r95!.ciLower, Math.exp(r95!.beta - 1.959963984540054 * r95!.se), 1e-12);
    rel(r95!.ciUpper, Math.exp(r95!.beta + 1.959963984540054 * r95!.se), 1e-12);
    expect(r99!.ciLower).toBeLessThan(r95!.ciLower);
    expect(r99!.ciUpper).toBeGreaterThan(r95!.ciUpper);
  });
});

describe('adjustPValues', () => {
  it('Bonferroni and Benjamini–Hochberg (as statsmodels/R p.adjust)', () => {
    expect(adjustPValues([0.01, 0.04, 0.03], 'bonferroni')).toEqual([0.03, 0.12, 0.09]);
    const bh = adjustPValues([0.01, 0.04, 0.03, 0.5], 'bh');
    // R: p.adjust(c(.01,.04,.03,.5), "BH") = 0.04 0.0533 0.0533 0.5
    const expected = [0.04, (0.04 * 4) / 3, (0.04 * 4) / 3, 0.5];
    for (const [i, e] of expected.entries()) expect(bh[i]).toBeCloseTo(e, 12);
    const withNaN = adjustPValues([0.01, Number.NaN], 'bonferroni');
    expect(withNaN[0]).toBe(0.01);
    expect(Number.isNaN(withNaN[1]!)).toBe(true);
    expect(() => adjustPValues([1.5], 'bh')).toThrow(MedkitError);
    expect(() => adjustPValues([0.5], 'holm' as never)).toThrow(/method/);
  });
});

describe('bad input', () => {
  const m = { genotypes: Int8Array.from([0, 1, 2, 1]), samples: 4, variants: 1 };
  it.each([
    [
      'a phenotype that is not 0/1',
      () => associationScan(m, [0, 1, 2, 1]),
      /1 \(case\), 0 \(control\)/,
    ],
    ['a single class', () => associationScan(m, [1, 1, 1, 1]), /single class/],
    ['a phenotype of another length', () => associationScan(m, [0, 1]), /one value per sample/],
    [
      'NaN covariates',
      () => associationScan(m, [0, 1, 0, 1], { covariates: [[1], [Number.NaN], [1], [2]] }),
      /finite/,
    ],
    [
      'ragged covariates',
      () => associationScan(m, [0, 1, 0, 1], { covariates: [[1], [1, 2], [1], [2]] }),
      /one row/,
    ],
    [
      'an unknown option',
      () => associationScan(m, [0, 1, 0, 1], { model: 'x' } as never),
      /unknown option `model`/,
    ],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });

  it('constant genotypes and too few samples are reported, not thrown', () => {
    const r = associationScan(
      { genotypes: Int8Array.from([1, 1, 1, 1]), samples: 4, variants: 1 },
      [0, 1, 0, 1],
    );
    expect(r[0]!.error).toBe('constant-genotype');
    const few = associationScan(
      { genotypes: Int8Array.from([0, -1, -1, 1]), samples: 4, variants: 1 },
      [0, 1, 0, 1],
    );
    expect(few[0]!.error).toBe('too-few-samples');
  });
});
