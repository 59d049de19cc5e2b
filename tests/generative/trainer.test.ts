/**
 * GanTrainer: learns a 1-D distribution (non-saturating, and WGAN-GP with critic steps), repeats
 * exactly with a seed, holds the tensor count constant over 1,000 steps, trains a conditional GAN
 * and a moving average, stops on an AbortSignal, and refuses networks that do not fit.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { registerSecondOrderGradients } from '../../src/backend/index.js';
import { MedkitError } from '../../src/core/index.js';
import { GanTrainer } from '../../src/generative/index.js';
import { describeBackends } from '../helpers/backends.js';

registerSecondOrderGradients(); // the penalties differentiate a gradient

let seed = 10;
const init = () => tfl.initializers.glorotUniform({ seed: seed++ });
const mlp = (inputs: number[], hidden: number, out: number) => {
  const ins = inputs.map((d) => tfl.input({ shape: [d] }));
  const joined =
    ins.length > 1 ? (tfl.layers.concatenate().apply(ins) as tfl.SymbolicTensor) : ins[0]!;
  const h = tfl.layers
    .dense({ units: hidden, kernelInitializer: init() })
    .apply(joined) as tfl.SymbolicTensor;
  const a = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tfl.SymbolicTensor;
  const o = tfl.layers
    .dense({ units: out, kernelInitializer: init() })
    .apply(a) as tfl.SymbolicTensor;
  return tfl.model({ inputs: ins, outputs: o });
};
const data = () =>
  tf.tidy(() => tf.add(tf.mul(tf.randomNormal([512, 1], 0, 1, 'float32', 5), 0.5), 3));
const mean = async (t: tf.Tensor) => {
  const v = await t.data();
  t.dispose();
  return Array.from(v).reduce((a, b) => a + b, 0) / v.length;
};

describeBackends('GanTrainer', () => {
  it('learns a 1-D Gaussian (non-saturating loss)', async () => {
    const x = data();
    const G = mlp([4], 16, 1);
    const D = mlp([1], 16, 1);
    const trainer = new GanTrainer({
      generator: G,
      discriminator: D,
      generatorOptimizer: tf.train.adam(5e-3, 0.5),
      discriminatorOptimizer: tf.train.adam(5e-3, 0.5),
      seed: 1,
    });
    const before = await mean(trainer.sample(256, { seed: 2 }));
    const { history } = await trainer.fit({ x }, { epochs: 25, batchSize: 64 });
    const after = await mean(trainer.sample(256, { seed: 2 }));
    expect(Math.abs(after - 3)).toBeLessThan(0.5);
    expect(Math.abs(after - 3)).toBeLessThan(Math.abs(before - 3));
    expect(history.generatorLoss).toHaveLength(25 * 8);
    trainer.dispose();
    tf.dispose(x);
  });

  it('a reward steers the generator: higher samples when rewarded for them; recorded per step', async () => {
    const run = async (rewardWeight: number) => {
      seed = 40; // the same initial networks for both runs
      const x = data();
      const trainer = new GanTrainer({
        generator: mlp([4], 16, 1),
        discriminator: mlp([1], 16, 1),
        generatorOptimizer: tf.train.adam(5e-3, 0.5),
        discriminatorOptimizer: tf.train.adam(5e-3, 0.5),
        reward: (samples) => tf.reshape(samples, [-1]),
        rewardWeight,
        seed: 1,
      });
      const { history } = await trainer.fit({ x }, { epochs: 10, batchSize: 64 });
      const m = await mean(trainer.sample(256, { seed: 2 }));
      trainer.dispose();
      tf.dispose(x);
      return { m, history };
    };
    const plain = await run(0);
    const rewarded = await run(2);
    expect(rewarded.history.reward).toHaveLength(80);
    // the reward is the samples' mean: what was recorded is the mean of the step's samples
    expect(rewarded.m).toBeGreaterThan(plain.m + 1);
    expect(rewarded.history.reward!.at(-1)!).toBeGreaterThan(plain.m + 1);
    const bad = new GanTrainer({
      generator: mlp([4], 4, 1),
      discriminator: mlp([1], 4, 1),
      reward: () => tf.zeros([3]),
    });
    const x = data();
    const before = tf.memory().numTensors;
    await expect(bad.fit({ x }, { epochs: 1 })).rejects.toThrow(/one value per sample/);
    expect(tf.memory().numTensors).toBe(before); // refused before the first step
    bad.dispose();
    tf.dispose(x);
  });

  it('WGAN-GP with 3 critic steps moves towards the data; the same seed repeats', async () => {
    const x = data();
    const run = async () => {
      seed = 100;
      const trainer = new GanTrainer({
        generator: mlp([4], 16, 1),
        discriminator: mlp([1], 16, 1),
        loss: 'wasserstein',
        criticSteps: 3,
        gradientPenaltyWeight: 10,
        generatorOptimizer: tf.train.adam(5e-3, 0.5, 0.9),
        discriminatorOptimizer: tf.train.adam(5e-3, 0.5, 0.9),
        seed: 4,
      });
      const { history } = await trainer.fit({ x }, { epochs: 10, batchSize: 64 });
      const m = await mean(trainer.sample(256, { seed: 1 }));
      trainer.dispose();
      trainer.generator.dispose();
      trainer.discriminator.dispose();
      return { history, m };
    };
    const a = await run();
    const b = await run();
    expect(b.history).toEqual(a.history);
    expect(b.m).toBe(a.m);
    expect(a.history.discriminatorLoss.every(Number.isFinite)).toBe(true);
    expect(Math.abs(a.m - 3)).toBeLessThan(2.5);
    tf.dispose(x);
  });

  it('holds the tensor count constant over 1,000 steps', async () => {
    const x = tf.randomNormal([8, 2], 0, 1, 'float32', 1);
    const trainer = new GanTrainer({
      generator: mlp([2], 4, 2),
      discriminator: mlp([2], 4, 1),
      emaDecay: 0.99,
      seed: 2,
    });
    await trainer.fit({ x }, { epochs: 1, batchSize: 8 }); // creates the optimizers' slots and the averages
    const before = tf.memory().numTensors;
    await trainer.fit({ x }, { epochs: 1000, batchSize: 8 });
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    tf.dispose(x);
  });

  it('a conditional GAN, the moving average, and an AbortSignal', async () => {
    const x = tf.randomNormal([32, 2], 0, 1, 'float32', 3);
    const condition = tf.cast(
      tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 32 }, (_, i) => i % 2),
          'int32',
        ),
        2,
      ),
      'float32',
    );
    const trainer = new GanTrainer({
      generator: mlp([3, 2], 8, 2),
      discriminator: mlp([2, 2], 8, 1),
      emaDecay: 0.9,
      seed: 5,
    });
    expect(trainer.conditional).toBe(true);
    await trainer.fit({ x, condition }, { epochs: 3, batchSize: 16 });
    const c = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 1], 'int32'), 2), 'float32');
    const ema = trainer.sample(3, { condition: c, seed: 1 });
    const raw = trainer.sample(3, { condition: c, seed: 1, useEma: false });
    expect(ema.shape).toEqual([3, 2]);
    expect(Array.from(ema.dataSync())).not.toEqual(Array.from(raw.dataSync()));
    const controller = new AbortController();
    let steps = 0;
    const r = await trainer.fit(
      { x, condition },
      {
        epochs: 5,
        batchSize: 16,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'stepEnd' && ++steps === 3) controller.abort();
        },
      },
    );
    expect(r.stopReason).toBe('aborted');
    expect(r.history.generatorLoss).toHaveLength(3);
    tf.dispose([x, condition, c, ema, raw]);
    trainer.dispose();
  });

  it('refuses networks that do not fit, unknown losses, NaN data, a missing condition', async () => {
    expect(
      () => new GanTrainer({ generator: mlp([4], 4, 3), discriminator: mlp([1], 4, 1) }),
    ).toThrow(/does not fit/);
    expect(
      () =>
        new GanTrainer({
          generator: mlp([4], 4, 1),
          discriminator: mlp([1], 4, 1),
          loss: 'wgan' as never,
        }),
    ).toThrow(MedkitError);
    expect(() => new GanTrainer({ generator: {} as never, discriminator: mlp([1], 4, 1) })).toThrow(
      /tfjs-layers models/,
    );
    const t = new GanTrainer({ generator: mlp([4], 4, 1), discriminator: mlp([1], 4, 1) });
    await expect(t.fit({ x: tf.tensor2d([[Number.NaN], [1]]) })).rejects.toThrow(/NaN/);
    await expect(t.fit({ x: tf.zeros([4, 2]) })).rejects.toThrow(/does not fit/);
    const cond = new GanTrainer({ generator: mlp([3, 2], 4, 2), discriminator: mlp([2, 2], 4, 1) });
    await expect(cond.fit({ x: tf.zeros([4, 2]) })).rejects.toThrow(/condition/);
    t.dispose();
    cond.dispose();
  });
});
