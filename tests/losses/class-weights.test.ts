import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/index.js';
import { classBalancedWeights, computeClassWeights } from '../../src/losses/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/class-weights-sklearn.json', import.meta.url), 'utf8'),
) as {
  cases: { labels: number[]; weights: number[] }[];
};

describe('computeClassWeights', () => {
  it("'balanced' equals scikit-learn's compute_class_weight", () => {
    for (const c of fixture.cases)
      expectClose(computeClassWeights(c.labels, 'balanced'), c.weights, { rtol: 1e-12 });
  });

  it('takes a map; unnamed classes get 1', () => {
    expect(computeClassWeights([0, 1, 2], { 2: 5 })).toEqual([1, 1, 5]);
    expect(computeClassWeights([0, 1], { 1: 3 }, { numClasses: 4 })).toEqual([1, 3, 1, 1]);
  });

  it.each([
    [() => computeClassWeights([], 'balanced'), /must not be empty/],
    [() => computeClassWeights([0, 2], 'balanced'), /class 1 has no sample/],
    [() => computeClassWeights([0, 1.5], 'balanced'), /class indices/],
    [() => computeClassWeights([0, 3], 'balanced', { numClasses: 2 }), /\[0, 2\)/],
    [() => computeClassWeights([0, 1], { 5: 1 }), /names class 5/],
    [() => computeClassWeights([0, 1], { 1: -1 }), /weights ≥ 0/],
    [() => classBalancedWeights([10, 0]), /whole counts ≥ 1/],
    [() => classBalancedWeights([10, 5], 1), /beta.*\[0, 1\)/],
  ])('bad input %# → MedkitError', (call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});

describeBackends('computeClassWeights on tensors', () => {
  it('reads a label tensor without leaking', async () => {
    const labels = tf.tensor1d([0, 0, 0, 1], 'int32');
    const w = await expectNoLeak(() => computeClassWeights(labels, 'balanced'));
    expectClose(w, [4 / 6, 2]);
    labels.dispose();
  });
});

describe('classBalancedWeights (Cui et al. 2019)', () => {
  it('follows (1 − β)/(1 − β^n), normalised to sum to C', () => {
    const n = [900, 100, 10];
    const beta = 0.999;
    const raw = n.map((k) => (1 - beta) / (1 - beta ** k));
    const total = raw.reduce((a, b) => a + b);
    expectClose(
      classBalancedWeights(n, beta),
      raw.map((r) => (r * 3) / total),
      { rtol: 1e-12 },
    );
    expect(classBalancedWeights([5, 500], 0)).toEqual([1, 1]);
  });
});
