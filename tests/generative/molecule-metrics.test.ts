/**
 * moleculeMetrics against Debian RDKit (tests/fixtures/molecule-metrics-rdkit.json, made by
 * scripts/fixtures/molecule_metrics.py): real NCI molecules, the same molecules in another atom
 * order, shuffled strings, an empty string and unparseable SMILES; zero denominators; bad input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/core/index.js';
import {
  loadRdkit,
  moleculeMetrics,
  propertyDistances,
  useRdkit,
  wasserstein1d,
} from '../../src/generative/index.js';
// as in Node: tfjs-medkit/node registers the installed optional packages
import '../../src/node/index.js';

interface Case {
  generated: string[];
  training: string[];
  expected: {
    validity: number;
    uniqueness: number;
    novelty: number;
    internalDiversity: number;
    valid: number;
    distinct: number;
  };
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/molecule-metrics-rdkit.json', import.meta.url), 'utf8'),
) as Record<'mixed' | 'nci300', Case> & {
  distances: {
    generated: string[];
    training: string[];
    expected: { logP: number; qed: number; molecularWeight: number };
  };
};

describe('moleculeMetrics', () => {
  for (const name of ['mixed', 'nci300'] as const) {
    it(`equals RDKit's figures (${name})`, async () => {
      const { generated, training, expected } = fixture[name];
      const m = await moleculeMetrics(generated, training);
      expect(m.valid).toBe(expected.valid);
      expect(m.distinct).toBe(expected.distinct);
      expect(m.validity).toBeCloseTo(expected.validity, 12);
      expect(m.uniqueness).toBeCloseTo(expected.uniqueness, 12);
      expect(m.novelty).toBeCloseTo(expected.novelty, 12);
      expect(m.internalDiversity).toBeCloseTo(expected.internalDiversity, 9);
    });
  }

  it('the documented example, and zero denominators give 0', async () => {
    const m = await moleculeMetrics(['CCO', 'OCC', 'C1CC', 'c1ccccc1'], ['CCO']);
    expect(m).toMatchObject({ validity: 0.75, novelty: 0.5, valid: 3, distinct: 2, novel: 1 });
    expect(m.uniqueness).toBeCloseTo(2 / 3, 12);
    expect(m.internalDiversity).toBe(1); // ethanol and benzene share no Morgan bit
    expect(await moleculeMetrics([], [])).toMatchObject({
      validity: 0,
      uniqueness: 0,
      novelty: 0,
      internalDiversity: 0,
    });
    expect(await moleculeMetrics(['', 'xyz', ' '], ['CCO'])).toMatchObject({
      validity: 0,
      uniqueness: 0,
      novelty: 0,
      internalDiversity: 0,
    });
    // one distinct molecule: no pair, diversity 0; novelty against an invalid training set
    expect(await moleculeMetrics(['CCO', 'OCC'], ['C1CC', ''])).toMatchObject({
      validity: 1,
      uniqueness: 0.5,
      novelty: 1,
      internalDiversity: 0,
    });
  });

  it('refuses bad arguments with an ArgumentError', async () => {
    await expect(moleculeMetrics('CCO' as never, [])).rejects.toThrow(ArgumentError);
    await expect(moleculeMetrics(['CCO', 3 as never], [])).rejects.toThrow(/generated\[1\]/);
    await expect(moleculeMetrics(['CCO'], null as never)).rejects.toThrow(/training/);
    await expect(moleculeMetrics(['CCO'], [], { nBits: 100 })).rejects.toThrow(/nBits/);
    await expect(moleculeMetrics(['CCO'], [], { radius: -1 })).rejects.toThrow(/radius/);
    expect(() => useRdkit({} as never)).toThrow(ArgumentError);
  });

  it('loads RDKit once', async () => {
    const a = await loadRdkit();
    const b = await loadRdkit();
    expect(a).toBe(b);
    expect(a.version()).toMatch(/^\d{4}\./);
  });
});

describe('propertyDistances', () => {
  it("equals scipy's Wasserstein distances over RDKit's logP, QED and molecular weight", async () => {
    const { generated, training, expected } = fixture.distances;
    const d = await propertyDistances(generated, training);
    expect(d.logP).toBeCloseTo(expected.logP, 6);
    expect(d.qed).toBeCloseTo(expected.qed, 4);
    // RDKit WASM reports the average weight to six significant digits
    expect(Math.abs(d.molecularWeight - expected.molecularWeight)).toBeLessThan(1e-3);
    const same = await propertyDistances(training, training);
    expect(same).toEqual({ logP: 0, qed: 0, molecularWeight: 0 });
  });

  it('wasserstein1d: shifts, unequal sizes, errors', async () => {
    expect(wasserstein1d([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
    expect(wasserstein1d([0, 1], [0, 0, 1, 1])).toBe(0);
    expect(wasserstein1d([0], [1, 3])).toBeCloseTo(2, 12);
    expect(() => wasserstein1d([], [1])).toThrow(ArgumentError);
    expect(() => wasserstein1d([Number.NaN], [1])).toThrow(/finite/);
    await expect(propertyDistances(['C1CC', ''], ['CCO'])).rejects.toThrow(
      /generated` has no valid/,
    );
    await expect(propertyDistances(['CCO'], 'CCO' as never)).rejects.toThrow(ArgumentError);
  });
});
