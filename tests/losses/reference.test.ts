/**
 * Every loss against PyTorch (tests/fixtures/losses-torch.json, made by
 * scripts/fixtures/losses_torch.py): values and gradients for every reduction and combinations of
 * label smoothing, class weights, sample weights, ignoreIndex and posWeight, logits up to ±50ish.
 * Tolerance: 1e-4 relative, values below 1e-3 compared absolutely (|diff| ≤ 1e-4 · max(|ref|, 1e-3)).
 * Gradients scale that absolute floor by their largest element (float32 cancellation in the
 * chain rule, e.g. through the renormalisation p/Σp, is relative to the terms, not the result).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import * as losses from '../../src/losses/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

interface Case {
  name: string;
  kind: keyof typeof FUNCTIONS;
  labels: number[] | number[][] | number[][][];
  input: number[] | number[][] | number[][][];
  options: Record<string, unknown>;
  value: number | number[] | number[][];
  grad: number[] | number[][] | number[][][];
  cotangent: number[] | number[][] | null;
}

const FUNCTIONS = {
  softmaxCrossEntropy: losses.softmaxCrossEntropy,
  sparseSoftmaxCrossEntropy: losses.sparseSoftmaxCrossEntropy,
  categoricalCrossEntropy: losses.categoricalCrossEntropy,
  sparseCategoricalCrossEntropy: losses.sparseCategoricalCrossEntropy,
  softmaxFocalLoss: losses.softmaxFocalLoss,
  sparseSoftmaxFocalLoss: losses.sparseSoftmaxFocalLoss,
  sigmoidCrossEntropy: losses.sigmoidCrossEntropy,
  binaryCrossEntropy: losses.binaryCrossEntropy,
  sigmoidFocalLoss: losses.sigmoidFocalLoss,
} as const;

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/losses-torch.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};
const TOL = { rtol: 1e-4, atol: 1e-7 };

describeBackends('losses against PyTorch', () => {
  it('covers every loss', () => {
    expect(new Set(fixture.cases.map((c) => c.kind))).toEqual(new Set(Object.keys(FUNCTIONS)));
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const fn = FUNCTIONS[c.kind] as (l: unknown, x: tf.Tensor, o: unknown) => tf.Tensor;
    const x = tf.tensor(c.input);
    const cot = c.cotangent ? tf.tensor(c.cotangent) : undefined;
    const before = tf.memory().numTensors;
    const plain = fn(c.labels, x, c.options);
    expectClose(plain, c.value as number[], TOL, 'loss');
    const g = tf.grad((z: tf.Tensor) => {
      const out = fn(c.labels, z, c.options);
      return cot ? tf.sum(tf.mul(out, cot)) : out;
    })(x);
    const largest = Math.max(1, ...(c.grad as number[]).flat(3).map(Math.abs));
    expectClose(g, c.grad as number[], { rtol: TOL.rtol, atol: TOL.atol * largest }, 'gradient');
    tf.dispose([plain, g]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, cot]);
  });
});
