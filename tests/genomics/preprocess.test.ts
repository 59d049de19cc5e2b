/**
 * Variant QC against plink2 on a simulated cohort (tests/fixtures/vcf/cohort.vcf.gz and
 * qc-plink2.json, made by scripts/fixtures/qc_plink2.sh): HWE exact p-values (--hardy),
 * alternate-allele frequencies (--freq), call rates (--missing); the HWE test against a direct
 * enumeration; filters, encodings, imputation and the standardiser.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/core/index.js';
import {
  encodeGenotypes,
  GenotypeStandardizer,
  hardyWeinbergExact,
  LogisticRegression,
  qcFilter,
  readVcf,
  sampleCallRates,
  summarizeVariants,
} from '../../src/genomics/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/qc-plink2.json', import.meta.url), 'utf8'),
) as {
  variants: {
    id: string;
    homA1: number;
    het: number;
    homOther: number;
    a1: string;
    hweP: number;
    altFreq: number;
    missingRate: number;
  }[];
  sampleMissingRate: number[];
};
const cohort = async () => {
  const d = await readVcf(
    new Uint8Array(readFileSync(new URL('../fixtures/vcf/cohort.vcf.gz', import.meta.url))),
  );
  return { genotypes: d.genotypes, samples: d.samples.length, variants: d.variants.length };
};

/** P(h hets | n, rare allele count r) from log-factorials, summed over counts no likelier than the observed. */
function bruteHwe(homRef: number, het: number, homAlt: number): number {
  const n = homRef + het + homAlt;
  const r = 2 * Math.min(homRef, homAlt) + het;
  const lf = (k: number) => {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  };
  const logP = (h: number) => {
    const rareHom = (r - h) / 2;
    const commonHom = n - h - rareHom;
    return (
      lf(n) -
      lf(rareHom) -
      lf(h) -
      lf(commonHom) +
      h * Math.log(2) +
      lf(r) +
      lf(2 * n - r) -
      lf(2 * n)
    );
  };
  const all: number[] = [];
  for (let h = r % 2; h <= Math.min(r, 2 * n - r); h += 2) all.push(Math.exp(logP(h)));
  const obs = Math.exp(logP(het));
  return Math.min(
    1,
    all.filter((p) => p <= obs * (1 + 1e-7)).reduce((a, b) => a + b, 0),
  );
}

describe('hardyWeinbergExact', () => {
  it('equals a direct enumeration of the heterozygote distribution', () => {
    for (const [a, b, c] of [
      [57, 14, 50],
      [100, 50, 10],
      [20, 60, 20],
      [5, 0, 5],
      [0, 3, 0],
      [300, 1, 0],
    ] as const) {
      const p = hardyWeinbergExact(a, b, c);
      expect(Math.abs(p - bruteHwe(a, b, c))).toBeLessThanOrEqual(
        1e-10 * Math.max(1, bruteHwe(a, b, c)) + 1e-300,
      );
    }
    expect(hardyWeinbergExact(57, 14, 50)).toBeLessThan(1e-15); // far too few heterozygotes
    expect(hardyWeinbergExact(0, 0, 10)).toBe(1); // monomorphic
    expect(hardyWeinbergExact(20, 60, 20, { midP: true })).toBeLessThan(
      hardyWeinbergExact(20, 60, 20),
    );
  });

  it('refuses counts that are not whole numbers', () => {
    expect(() => hardyWeinbergExact(1.5, 2, 3)).toThrow(MedkitError);
    expect(() => hardyWeinbergExact(1, -2, 3)).toThrow(/het/);
  });
});

describe('variant summaries equal plink2', () => {
  it('genotype counts, HWE p (--hardy), allele frequencies (--freq), call rates (--missing)', async () => {
    const m = await cohort();
    const s = summarizeVariants(m);
    fixture.variants.forEach((ref, v) => {
      // plink2's A1 here is REF: HOM_A1 = homozygous reference
      expect([s.homRef[v], s.het[v], s.homAlt[v]]).toEqual([ref.homA1, ref.het, ref.homOther]);
      expect(Math.abs(s.hweP[v]! - ref.hweP)).toBeLessThanOrEqual(1e-4 * ref.hweP + 1e-12);
      expect(Math.abs(s.altFreq[v]! - ref.altFreq)).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(1 - s.callRate[v]! - ref.missingRate)).toBeLessThanOrEqual(1e-5);
    });
    const rates = sampleCallRates(m);
    fixture.sampleMissingRate.forEach((r, i) => {
      expect(Math.abs(1 - rates[i]! - r)).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe('qcFilter', () => {
  it('removes variants by call rate, MAF and HWE, and samples by call rate', async () => {
    const m = await cohort();
    const s = summarizeVariants(m);
    const qc = qcFilter(m, { minMaf: 0.05, minCallRate: 0.9, minHweP: 1e-3 });
    for (const v of qc.variants) {
      expect(s.maf[v]!).toBeGreaterThanOrEqual(0.05);
      expect(s.callRate[v]!).toBeGreaterThanOrEqual(0.9);
      expect(s.hweP[v]!).toBeGreaterThanOrEqual(1e-3);
    }
    const { maf, callRate, hwe } = qc.removed;
    expect(qc.variants.length + maf + callRate + hwe).toBe(m.variants);
    expect(hwe).toBeGreaterThan(0);
    expect(qc.matrix.variants).toBe(qc.variants.length);
    const strict = qcFilter(m, { minSampleCallRate: 0.95 });
    expect(strict.removed.samples).toBe(
      fixture.sampleMissingRate.filter((r) => 1 - r < 0.95).length,
    );
    expect(() => qcFilter(m, { minMaf: 0.7 })).toThrow(/minMaf/);
  });
});

describe('encodings, imputation, standardisation', () => {
  // 3 samples × 2 variants; sample 2 is missing at variant 0
  const m = { genotypes: Int8Array.from([0, 2, 1, 1, -1, 2]), samples: 3, variants: 2 };

  it('additive, dominant, recessive and genotypic codes; mean and mode imputation', () => {
    expect(Array.from(encodeGenotypes(m).data)).toEqual([0, 2, 1, 1, 0.5, 2]);
    expect(Array.from(encodeGenotypes(m, { encoding: 'dominant', impute: 'mode' }).data)).toEqual([
      0, 1, 1, 1, 0, 1,
    ]);
    expect(Array.from(encodeGenotypes(m, { encoding: 'recessive' }).data)).toEqual([
      0, 1, 0, 0, 0, 1,
    ]);
    const g = encodeGenotypes(m, { encoding: 'genotypic', impute: 'none' });
    expect(g.cols).toBe(4);
    expect(Array.from(g.data.subarray(0, 8))).toEqual([0, 0, 0, 1, 1, 0, 1, 0]);
    expect(Number.isNaN(g.data[8]!)).toBe(true);
  });

  it('the standardiser learns on training rows and applies them to new rows', () => {
    const train = encodeGenotypes(m);
    const scaler = new GenotypeStandardizer().fit(train);
    const z = scaler.transform(train);
    for (let j = 0; j < 2; j++) {
      const col = [0, 1, 2].map((i) => z.data[i * 2 + j]!);
      expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    }
    const patient = scaler.transform({ data: Float64Array.from([2, 0]), rows: 1, cols: 2 });
    expect(patient.data[0]).toBeCloseTo((2 - 0.5) / scaler.sd[0]!, 12);
    expect(() => scaler.transform({ data: new Float64Array(3), rows: 1, cols: 3 })).toThrow(
      /3 columns/,
    );
    expect(() => new GenotypeStandardizer().transform(train)).toThrow(/fit/);
  });

  it('refuses matrices whose sizes disagree', () => {
    expect(() =>
      summarizeVariants({ genotypes: new Int8Array(5), samples: 2, variants: 3 }),
    ).toThrow(/6 calls/);
    expect(() => encodeGenotypes({ genotypes: [0, 1] as never, samples: 1, variants: 2 })).toThrow(
      /Int8Array/,
    );
  });
});

describe('from VCF to a classifier', () => {
  it('QC → encode → standardise → LogisticRegression (L1) picks the causal variant', async () => {
    const m = await cohort();
    const qc = qcFilter(m, { minMaf: 0.05, minCallRate: 0.9 });
    const encoded = encodeGenotypes(qc.matrix);
    const x = new GenotypeStandardizer().fit(encoded).transform(encoded);
    // a phenotype decided by the first kept variant
    const y = Array.from({ length: x.rows }, (_, i) => (x.data[i * x.cols]! > 0 ? 1 : 0));
    const model = await new LogisticRegression({ penalty: 'l1', C: 0.5, maxIter: 300 }).fit(x, y);
    const size = model.coef[0]!.map(Math.abs);
    expect(size.indexOf(Math.max(...size))).toBe(0);
  });
});
