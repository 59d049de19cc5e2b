/**
 * fusedAdam: bit for bit tf.train.adam (weights, moments, iterations) on cpu and wasm, odd sizes
 * included (the SIMD loop's scalar tail); one MedkitAdamUpdate kernel call a step on both; no
 * leaks; the bad arguments refused.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  FusedAdamOptimizer,
  fusedAdam,
  registerTrainingKernels,
} from '../../src/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

beforeAll(() => {
  registerTrainingKernels();
});

const SHAPES = [[7], [3, 5], [64], [2, 3, 4, 5]];

/** Runs `steps` Adam steps from seeded variables; returns weights, moments and the iteration. */
async function train(optimizer: tf.Optimizer, steps: number) {
  const vars = SHAPES.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 100 + i)));
  const targets = SHAPES.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 200 + i));
  for (let k = 0; k < steps; k++) {
    const cost = optimizer.minimize(
      () =>
        tf.addN(
          vars.map((v, i) => tf.sum(tf.square(tf.sub(tf.mul(v, v), targets[i]!)))),
        ) as tf.Scalar,
      true,
      vars,
    );
    cost!.dispose();
  }
  const saved = await optimizer.getWeights();
  const out = {
    weights: vars.map((v) => Array.from(v.dataSync())),
    state: saved.map((w) => ({
      name: w.name.replace(/\d+/g, '#'),
      values: Array.from(w.tensor.dataSync()),
    })),
  };
  tf.dispose([...vars, ...targets, saved[0]!.tensor]);
  return out;
}

/** fusedAdam on two variables (10 and 3 floats) after one step, so that its moments exist. */
function twoVariables() {
  const optimizer = fusedAdam();
  const v = [tf.variable(tf.ones([10])), tf.variable(tf.ones([3]))];
  const step = () => {
    optimizer.minimize(
      () => tf.add(tf.sum(tf.square(v[0]!)), tf.sum(v[1]!)) as tf.Scalar,
      false,
      v,
    );
  };
  step();
  return { optimizer, v, step };
}

describeBackends('fusedAdam', (backend) => {
  it(`${backend}: equals tf.train.adam bit for bit over 6 steps, moments and iterations included`, async () => {
    const stock = tf.train.adam(0.01, 0.8, 0.99);
    const fused = fusedAdam(0.01, 0.8, 0.99);
    const a = await train(stock, 6);
    const b = await train(fused, 6);
    expect(b.weights).toEqual(a.weights);
    expect(b.state).toEqual(a.state);
    expect(fused.getClassName()).toBe('Adam');
    expect(fused.getConfig()).toEqual(stock.getConfig());
    stock.dispose();
    fused.dispose();
  });

  it.each([
    [0.5, 0.5],
    [0.5, 0.99],
    [0.9, 0.5],
  ])(
    `${backend}: β1 %d, β2 %d over 30 steps (bias corrections that round to 1), bit for bit`,
    async (beta1, beta2) => {
      // 1 − βᵗ is 1 in float32 once βᵗ < 2⁻²⁵: from step 25 for β = 0.5
      const stock = tf.train.adam(0.01, beta1, beta2);
      const fused = fusedAdam(0.01, beta1, beta2);
      const a = await train(stock, 30);
      const b = await train(fused, 30);
      expect(b.weights).toEqual(a.weights);
      expect(b.state).toEqual(a.state);
      stock.dispose();
      fused.dispose();
    },
  );

  it(`${backend}: no tensor left behind once the moments exist`, async () => {
    const { optimizer, v, step } = twoVariables();
    await expectNoLeak(() => {
      for (let k = 0; k < 5; k++) step();
    });
    optimizer.dispose();
    tf.dispose(v);
  });

  it(`${backend}: one MedkitAdamUpdate kernel call for all the variables`, async () => {
    const { optimizer, v, step } = twoVariables();
    const info = await tf.profile(step);
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'MedkitAdamUpdate')).toHaveLength(1);
    expect(names).not.toContain('Sqrt');
    optimizer.dispose();
    tf.dispose(v);
  });
});

describe('fusedAdam arguments', () => {
  it('refuses rates and decays out of range', () => {
    for (const args of [[0], [Number.NaN], [0.01, 1], [0.01, 0.9, -0.1], [0.01, 0.9, 0.999, 0]])
      expect(() => fusedAdam(...(args as [number]))).toThrow(ArgumentError);
    expect(fusedAdam()).toBeInstanceOf(FusedAdamOptimizer);
  });
});
