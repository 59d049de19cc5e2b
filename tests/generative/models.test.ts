/**
 * GAN factories: shapes, parameter counts worked by hand, conditional inputs, the softmax output,
 * a DCGAN training step on every backend, an MLP GAN that learns a 2-D Gaussian, bad options,
 * and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { ArgumentError } from '../../src/core/index.js';
import { createDcgan, createMlpGan, GanTrainer } from '../../src/generative/index.js';
import { describeBackends } from '../helpers/backends.js';

const trainable = (m: { trainableWeights: { shape: (number | null)[] }[] }) =>
  m.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);

describeBackends('createMlpGan', () => {
  it('builds the networks asked for (shapes, parameters by hand, softmax rows)', () => {
    const before = tf.memory().numTensors;
    const { generator: G, discriminator: D } = createMlpGan({
      dataShape: [5, 7],
      latentDim: 16,
      hidden: [32, 64],
      outputActivation: 'softmax',
    });
    // G: 16→32→64→35; D: 35→64→32→1
    expect(trainable(G)).toBe(16 * 32 + 32 + 32 * 64 + 64 + 64 * 35 + 35);
    expect(trainable(D)).toBe(35 * 64 + 64 + 64 * 32 + 32 + 32 + 1);
    const z = tf.randomNormal([3, 16], 0, 1, 'float32', 1);
    const x = G.predict(z) as tf.Tensor;
    expect(x.shape).toEqual([3, 5, 7]);
    const rows = tf.sum(x, -1);
    for (const v of rows.dataSync()) expect(v).toBeCloseTo(1, 5);
    const logits = D.predict(x) as tf.Tensor;
    expect(logits.shape).toEqual([3, 1]);
    tf.dispose([z, x, rows, logits]);
    G.dispose();
    D.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('conditional: both networks take the condition as a second input', () => {
    const { generator: G, discriminator: D } = createMlpGan({
      dataShape: [4],
      latentDim: 8,
      hidden: [16],
      conditionDim: 3,
    });
    expect(G.inputs.map((i) => i.shape)).toEqual([
      [null, 8],
      [null, 3],
    ]);
    expect(D.inputs.map((i) => i.shape)).toEqual([
      [null, 4],
      [null, 3],
    ]);
    expect(trainable(G)).toBe(11 * 16 + 16 + 16 * 4 + 4);
    expect(trainable(D)).toBe(7 * 16 + 16 + 16 + 1);
    G.dispose();
    D.dispose();
  });

  it('learns a 2-D Gaussian with GanTrainer (least squares, which settles where the others orbit)', async () => {
    const x = tf.tidy(() =>
      tf.add(tf.mul(tf.randomNormal([512, 2], 0, 1, 'float32', 3), 0.5), tf.tensor1d([2, -1])),
    );
    const { generator, discriminator } = createMlpGan({
      dataShape: [2],
      latentDim: 8,
      hidden: [32, 32],
      outputActivation: 'linear',
      seed: 1,
    });
    const trainer = new GanTrainer({
      generator,
      discriminator,
      loss: 'least-squares',
      generatorOptimizer: tf.train.adam(2e-3, 0.5),
      discriminatorOptimizer: tf.train.adam(2e-3, 0.5),
      seed: 1,
    });
    await trainer.fit({ x }, { epochs: 40, batchSize: 64 });
    const s = trainer.sample(512, { seed: 2 });
    const { mean, variance } = tf.moments(s, 0);
    const [mx, my] = Array.from(mean.dataSync());
    const [sx, sy] = Array.from(variance.dataSync()).map(Math.sqrt);
    expect(Math.abs(mx! - 2)).toBeLessThan(0.3);
    expect(Math.abs(my! + 1)).toBeLessThan(0.3);
    expect(Math.abs(sx! - 0.5)).toBeLessThan(0.2);
    expect(Math.abs(sy! - 0.5)).toBeLessThan(0.2);
    tf.dispose([s, mean, variance, x]);
    trainer.dispose();
    generator.dispose();
    discriminator.dispose();
  });
});

describeBackends('createDcgan', () => {
  it('16×16 images: shapes in [-1, 1], parameters by hand, one training step', async () => {
    const { generator: G, discriminator: D } = createDcgan({
      imageSize: 16,
      channels: 1,
      latentDim: 10,
      baseFilters: 4,
    });
    // G: dense 10→4·4·8 (no bias), BN(8), deconv 8→4 (no bias), BN(4), deconv 4→1 (+bias)
    expect(trainable(G)).toBe(10 * 128 + 2 * 8 + 4 * 4 * 8 * 4 + 2 * 4 + 4 * 4 * 4 * 1 + 1);
    // D: conv 1→4 (+bias), conv 4→8 (no bias), BN(8), dense 4·4·8→1
    expect(trainable(D)).toBe(4 * 4 * 1 * 4 + 4 + 4 * 4 * 4 * 8 + 2 * 8 + 128 + 1);
    const z = tf.randomNormal([2, 10], 0, 1, 'float32', 1);
    const img = G.predict(z) as tf.Tensor;
    expect(img.shape).toEqual([2, 16, 16, 1]);
    expect(tf.max(tf.abs(img)).dataSync()[0]).toBeLessThanOrEqual(1);
    const real = tf.tidy(() =>
      tf.sub(tf.mul(tf.randomUniform([8, 16, 16, 1], 0, 1, 'float32', 2), 2), 1),
    );
    const trainer = new GanTrainer({ generator: G, discriminator: D, seed: 1 });
    registerTrainingKernels(); // wasm lacks the convolution backprops
    const { history } = await trainer.fit({ x: real }, { epochs: 1, batchSize: 8 });
    expect(history.generatorLoss).toHaveLength(1);
    expect(Number.isFinite(history.discriminatorLoss[0])).toBe(true);
    tf.dispose([z, img, real]);
    trainer.dispose();
    G.dispose();
    D.dispose();
  });

  it('conditional, without batch norm in the discriminator (WGAN-GP)', () => {
    const { generator: G, discriminator: D } = createDcgan({
      imageSize: 8,
      channels: 3,
      latentDim: 4,
      baseFilters: 2,
      conditionDim: 5,
      discriminatorBatchNorm: false,
    });
    expect(G.inputs.length).toBe(2);
    expect(D.inputs.map((i) => i.shape)).toEqual([
      [null, 8, 8, 3],
      [null, 5],
    ]);
    expect(D.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(false);
    expect(G.outputs[0]!.shape).toEqual([null, 8, 8, 3]);
    G.dispose();
    D.dispose();
  });
});

it('factories refuse bad options with an ArgumentError', () => {
  expect(() => createDcgan({ imageSize: 24 })).toThrow(/4 · 2\^k/);
  expect(() => createDcgan({ imageSize: 16, channels: 0 })).toThrow(ArgumentError);
  expect(() => createMlpGan({ dataShape: [] })).toThrow(/dataShape/);
  expect(() => createMlpGan({ dataShape: [2], hidden: [0] })).toThrow(/hidden/);
  expect(() => createMlpGan({ dataShape: [2], outputActivation: 'relu' as never })).toThrow(
    ArgumentError,
  );
  expect(() => createMlpGan({ dataShape: [2], depth: 3 } as never)).toThrow(/depth/);
});
