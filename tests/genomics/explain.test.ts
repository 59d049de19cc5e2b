/**
 * simulateCohort (a known truth), explainPatient (contributions that add up to the model's
 * log-odds) and planForRisk (the user's bands), end to end: the scan finds the causal variants,
 * the classifier's top drivers for a patient are causal variants.
 */
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/core/index.js';
import {
  associationScan,
  encodeGenotypes,
  explainPatient,
  GenotypeStandardizer,
  LogisticRegression,
  planForRisk,
  simulateCohort,
} from '../../src/genomics/index.js';

describe('simulateCohort', () => {
  it('is seeded, hits the prevalence, and its causal variants are what a scan finds', () => {
    const a = simulateCohort({
      samples: 600,
      variants: 120,
      causal: 4,
      effectSd: 1,
      prevalence: 0.3,
      seed: 3,
    });
    const b = simulateCohort({
      samples: 600,
      variants: 120,
      causal: 4,
      effectSd: 1,
      prevalence: 0.3,
      seed: 3,
    });
    expect(b).toEqual(a);
    const share = a.phenotype.reduce((s, v) => s + v, 0) / a.phenotype.length;
    expect(share).toBeGreaterThan(0.24);
    expect(share).toBeLessThan(0.36);
    const results = associationScan(a.matrix, a.phenotype);
    const strongest = [...results]
      .sort((x, y) => x.p - y.p)
      .slice(0, 2)
      .map((r) => r.variant);
    const big = a.causal.filter((_, j) => Math.abs(a.effects[j]!) > 0.5);
    for (const v of strongest) expect(a.causal).toContain(v);
    expect(big.length).toBeGreaterThan(0);
  });

  it('puts a phenotype on given genotypes, with missing calls on request', () => {
    const base = simulateCohort({ samples: 50, variants: 20, causal: 0, seed: 1 });
    const on = simulateCohort({ genotypes: base.matrix, causal: 2, missingRate: 0.1, seed: 2 });
    expect(on.matrix.samples).toBe(50);
    const missing = on.matrix.genotypes.filter((g) => g < 0).length / on.matrix.genotypes.length;
    expect(missing).toBeGreaterThan(0.05);
    expect(missing).toBeLessThan(0.15);
    expect(base.matrix.genotypes.some((g) => g < 0)).toBe(false); // the input is not modified
    expect(() => simulateCohort({ variants: 3, causal: 5 })).toThrow(/exceeds/);
    expect(() => simulateCohort({ mafRange: [0.3, 0.2] })).toThrow(MedkitError);
  });
});

describe('explainPatient and planForRisk', () => {
  it('contributions add up to the log-odds; the top drivers are causal variants', async () => {
    const cohort = simulateCohort({
      samples: 800,
      variants: 60,
      causal: 3,
      effectSd: 1.2,
      seed: 5,
    });
    const encoded = encodeGenotypes(cohort.matrix);
    const x = new GenotypeStandardizer().fit(encoded).transform(encoded);
    const model = await new LogisticRegression({ penalty: 'l1', C: 0.05, maxIter: 500 }).fit(
      x,
      cohort.phenotype,
    );
    const row = Array.from(x.data.subarray(0, x.cols));
    const names = Array.from({ length: x.cols }, (_, j) => `v${j}`);
    const e = explainPatient(model, row, { featureNames: names, top: 3 });
    const decision = (await model.decisionFunction({
      data: Float64Array.from(row),
      rows: 1,
      cols: x.cols,
    })) as number[];
    expect(e.logOdds).toBeCloseTo(decision[0]!, 10);
    expect(e.intercept + e.contributions.reduce((s, c) => s + c.contribution, 0)).toBeCloseTo(
      e.logOdds,
      12,
    );
    const proba = await model.predictProba({ data: Float64Array.from(row), rows: 1, cols: x.cols });
    expect(e.risk).toBeCloseTo(proba[0]![1]!, 12);
    expect(e.drivers.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < e.drivers.length; i++) {
      expect(Math.abs(e.drivers[i - 1]!.contribution)).toBeGreaterThanOrEqual(
        Math.abs(e.drivers[i]!.contribution),
      );
    }
    // the sparse model keeps mostly causal variants; the biggest coefficient is causal
    const size = model.coef[0]!.map(Math.abs);
    expect(cohort.causal).toContain(size.indexOf(Math.max(...size)));
    expect(e.drivers[0]!.name).toBe(`v${e.drivers[0]!.feature}`);
    expect(() => explainPatient(model, row.slice(1))).toThrow(/60 values/);
  });

  it('planForRisk maps a risk to the user’s band', () => {
    const policy = {
      bands: [
        { below: 0.1, plan: 'standard care' },
        { below: 0.4, plan: 'screening' },
      ],
      otherwise: 'refer',
    };
    expect(planForRisk(0.05, policy)).toBe('standard care');
    expect(planForRisk(0.1, policy)).toBe('screening');
    expect(planForRisk(0.9, policy)).toBe('refer');
    expect(() => planForRisk(1.5, policy)).toThrow(/risk/);
    expect(() =>
      planForRisk(0.5, {
        bands: [
          { below: 0.4, plan: 1 },
          { below: 0.2, plan: 2 },
        ],
        otherwise: 3,
      }),
    ).toThrow(/band 1/);
  });
});
