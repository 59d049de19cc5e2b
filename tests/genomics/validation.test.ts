/**
 * The regularisation path (warm starts; L1 keeps more variants as C grows; each point equals a
 * cold fit at that C) and cross-validated C (the best mean score wins; stratified folds).
 */
import { describe, expect, it } from 'vitest';
import { stratifiedFolds } from '../../src/core/index.js';
import {
  crossValidateC,
  encodeGenotypes,
  GenotypeStandardizer,
  LogisticRegression,
  regularizationPath,
  simulateCohort,
} from '../../src/genomics/index.js';

const cohort = simulateCohort({ samples: 400, variants: 40, causal: 4, effectSd: 1, seed: 9 });
const encoded = encodeGenotypes(cohort.matrix);
const x = new GenotypeStandardizer().fit(encoded).transform(encoded);
const y = cohort.phenotype;

describe('stratifiedFolds', () => {
  it('deals each class evenly across the folds, seeded', () => {
    const labels = [...new Array(30).fill(0), ...new Array(12).fill(1)];
    const f = stratifiedFolds(labels, 3, 1);
    for (let k = 0; k < 3; k++) {
      const members = labels.filter((_, i) => f[i] === k);
      expect(members.filter((v) => v === 1)).toHaveLength(4);
      expect(members.filter((v) => v === 0)).toHaveLength(10);
    }
    expect(stratifiedFolds(labels, 3, 1)).toEqual(f);
    expect(() => stratifiedFolds(labels, 1)).toThrow(/folds/);
  });
});

describe('regularizationPath', () => {
  it('L1: more variants enter as C grows; warm starts match cold fits', async () => {
    const path = await regularizationPath(x, y, [0.005, 0.02, 0.1, 1], {
      penalty: 'l1',
      maxIter: 1000,
      tol: 1e-6,
    });
    const kept = path.map((p) => p.coef[0]!.filter((v) => v !== 0).length);
    for (let i = 1; i < kept.length; i++) expect(kept[i]!).toBeGreaterThanOrEqual(kept[i - 1]!);
    expect(kept[0]!).toBeLessThan(kept[3]!);
    const cold = await new LogisticRegression({
      penalty: 'l1',
      C: 0.1,
      maxIter: 1000,
      tol: 1e-6,
    }).fit(x, y);
    const probe = { data: x.data.subarray(0, 20 * x.cols), rows: 20, cols: x.cols };
    const fromPath = LogisticRegression.fromJSON({
      type: 'LogisticRegression',
      options: { penalty: 'l1', C: 0.1 },
      classes: [0, 1],
      coef: path[2]!.coef,
      intercept: path[2]!.intercept,
      iterations: 0,
      converged: true,
    });
    const [a, b] = [await fromPath.predictProba(probe), await cold.predictProba(probe)];
    const worst = Math.max(...a.map((row, i) => Math.abs(row[1]! - b[i]![1]!)));
    expect(worst).toBeLessThan(1e-5);
    await expect(regularizationPath(x, y, [0, 1])).rejects.toThrow(/positive/);
  });
});

describe('crossValidateC', () => {
  it('picks the C with the best mean held-out score and refits on all the data', async () => {
    const cv = await crossValidateC(x, y, { Cs: 6, folds: 4, scoring: 'auc', seed: 2 });
    expect(cv.Cs).toHaveLength(6);
    expect(cv.foldScores).toHaveLength(4);
    const best = cv.meanScores.indexOf(Math.max(...cv.meanScores));
    expect(cv.bestC).toBe(cv.Cs[best]);
    expect(cv.meanScores[best]!).toBeGreaterThan(0.6);
    expect((await cv.model.predictProba(x)).length).toBe(400);
    const ll = await crossValidateC(x, y, { Cs: [0.001, 0.1, 10], folds: 3 });
    const bestLl = ll.meanScores.indexOf(Math.min(...ll.meanScores));
    expect(ll.bestC).toBe(ll.Cs[bestLl]);
    await expect(
      crossValidateC(
        x,
        y.map((v, i) => (i % 3 === 0 ? 2 : v)),
        { scoring: 'auc' },
      ),
    ).rejects.toThrow(/two classes/);
  });
});
