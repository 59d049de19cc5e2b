/**
 * DP-SGD in trainClassifier: one step on 8 examples is minus the mean of the per-example
 * gradients each clipped to C (against per-example gradients computed one by one), noise of
 * standard deviation σC/B per weight, the fast path (dense and convolution layers) equal to the
 * loop over examples, ε per epoch from the accountant, Poisson batches (empty ones included),
 * the same seed repeating a private run, leak checks, and the refusals.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { ArgumentError, Random } from '../../src/core/index.js';
import { createMlpGan, GanTrainer } from '../../src/generative/index.js';
import { sparseSoftmaxCrossEntropy } from '../../src/losses/index.js';
import { dpEpsilon } from '../../src/privacy/index.js';
import { planPerExample, privateGradients } from '../../src/training/dp-sgd.js';
import { createResNet, createSimpleCnn, trainClassifier } from '../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { patchImages } from '../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

let seed = 40;
function denseModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [4] });
  const h = tfl.layers
    .dense({
      units: 16,
      activation: 'tanh',
      kernelInitializer: tfl.initializers.glorotNormal({ seed: seed++ }),
    })
    .apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed++ }) })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const X = Array.from({ length: 8 }, (_, i) => [
  Math.sin(i),
  Math.cos(2 * i),
  i / 8 - 0.5,
  (i % 3) - 1,
]);
const Y = [0, 1, 2, 0, 1, 2, 0, 1];

/** Each example's gradient by itself, clipped to C, averaged: the definition of the update. */
function clippedMeanByHand(model: tfl.LayersModel, C: number): number[][] {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sum = variables.map((v) => new Float64Array(v.size));
  for (let i = 0; i < X.length; i++) {
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() =>
          sparseSoftmaxCrossEntropy(
            [Y[i]!],
            model.apply(tf.tensor2d([X[i]!]), { training: true }) as tf.Tensor,
          ),
        ) as tf.Scalar,
      variables,
    );
    const g = variables.map((v) => Array.from(grads[v.name]!.dataSync()));
    const norm = Math.sqrt(g.flat().reduce((a, b) => a + b * b, 0));
    const scale = Math.min(1, C / norm);
    for (const [k, gv] of g.entries()) {
      for (const [j, x] of gv.entries()) sum[k]![j]! += (scale * x) / X.length;
    }
    tf.dispose([value, ...Object.values(grads)]);
  }
  return sum.map((s) => Array.from(s));
}

const weights = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describeBackends('DP-SGD', () => {
  it('one step is minus the mean of the per-example gradients, each clipped to C', async () => {
    const model = denseModel();
    const before = weights(model);
    const expected = clippedMeanByHand(model, 0.05);
    const x = tf.tensor2d(X);
    const r = await expectNoLeak(() =>
      trainClassifier(
        model,
        { x, y: Y },
        {
          epochs: 1,
          batchSize: 8,
          shuffle: false,
          optimizer: 'sgd',
          learningRate: 1,
          seed: 3,
          privacy: { maxGradNorm: 0.05, noiseMultiplier: 0, sampling: 'shuffle' },
        },
      ),
    );
    expect(r.privacy).toMatchObject({
      steps: 1,
      noiseMultiplier: 0,
      sampling: 'shuffle',
      epsilon: Number.POSITIVE_INFINITY,
    });
    const after = weights(model);
    for (const [k, w] of after.entries()) {
      for (const [j, v] of w.entries()) expect(v).toBeCloseTo(before[k]![j]! - expected[k]![j]!, 6);
    }
    x.dispose();
    model.dispose();
  });

  it('with σ = 1 the update differs from that by noise of standard deviation σ·C / B per weight', async () => {
    const model = denseModel();
    const before = weights(model);
    const expected = clippedMeanByHand(model, 0.05);
    const x = tf.tensor2d(X);
    await trainClassifier(
      model,
      { x, y: Y },
      {
        epochs: 1,
        batchSize: 8,
        shuffle: false,
        optimizer: 'sgd',
        learningRate: 1,
        seed: 3,
        privacy: { maxGradNorm: 0.05, noiseMultiplier: 1, sampling: 'shuffle' },
      },
    );
    const noise = weights(model).flatMap((w, k) =>
      w.map((v, j) => before[k]![j]! - expected[k]![j]! - v),
    );
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const std = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / (noise.length - 1));
    expect(noise.length).toBe(4 * 16 + 16 + 16 * 3 + 3);
    expect(std / (0.05 / 8)).toBeGreaterThan(0.8);
    expect(std / (0.05 / 8)).toBeLessThan(1.2);
    expect(Math.abs(mean)).toBeLessThan((3 * (0.05 / 8)) / Math.sqrt(noise.length));
    x.dispose();
    model.dispose();
  });

  it('the fast path (dense and 2D convolution layers) equals the loop over examples', async () => {
    const model = createSimpleCnn({
      inputShape: [8, 8, 1],
      numClasses: 2,
      filters: [4, 6],
      denseUnits: 8,
      seed: 2,
    });
    const plan = planPerExample('test', model);
    expect(plan.covered?.map((c) => c.kind)).toEqual(['conv2d', 'conv2d', 'dense', 'dense']);
    const { x, y } = patchImages(12);
    const labels = tf.cast(y, 'int32') as tf.Tensor1D;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const privacy = {
      maxGradNorm: 0.1,
      noiseMultiplier: 0,
      delta: 1e-5,
      sampling: 'shuffle' as const,
      sampleRate: 0.5,
      expectedBatch: 12,
      stepsPerEpoch: 1,
    };
    const loss = {
      perExample: (o: tf.Tensor, rows: { start: number; size: number }) =>
        sparseSoftmaxCrossEntropy(tf.slice(labels, rows.start, rows.size), o, {
          reduction: 'none',
        }),
    };
    const fast = await expectNoLeak(async () => {
      const r = await privateGradients(model, variables, plan, privacy, x, loss, new Random(1));
      const out = Object.fromEntries(
        Object.entries(r.gradients).map(([k, v]) => [k, Array.from(v.dataSync())]),
      );
      tf.dispose(Object.values(r.gradients));
      return { out, loss: r.loss };
    });
    const slow = await privateGradients(model, variables, {}, privacy, x, loss, new Random(1));
    for (const v of variables) {
      const a = fast.out[v.name]!;
      const b = Array.from(slow.gradients[v.name]!.dataSync());
      const scale = Math.max(...b.map(Math.abs));
      for (const [j, value] of a.entries()) {
        expect(Math.abs(value - b[j]!)).toBeLessThan(1e-5 * Math.max(scale, 1e-3));
      }
    }
    expect(fast.loss).toBeCloseTo(slow.loss, 5);
    tf.dispose([x, y, labels, ...Object.values(slow.gradients)]);
    model.dispose();
  });

  it('Poisson batches (empty ones too), ε per epoch from the accountant, the same seed repeats', async () => {
    const { x, y } = patchImages(16);
    const run = async () => {
      const model = createSimpleCnn({
        inputShape: [8, 8, 1],
        numClasses: 2,
        filters: [4],
        denseUnits: 8,
        dropout: 0.3,
        seed: 4,
      });
      const sizes: number[] = [];
      const r = await trainClassifier(
        model,
        { x, y },
        {
          epochs: 3,
          batchSize: 2,
          seed: 9,
          learningRate: 0.01,
          privacy: { maxGradNorm: 1, noiseMultiplier: 1.1 },
          onProgress: (e) => {
            if (e.type === 'stepEnd') sizes.push(e.loss === undefined ? 0 : 1);
          },
        },
      );
      const w = weights(model);
      model.dispose();
      return { r, w, sizes };
    };
    const a = await expectNoLeak(run);
    const b = await run();
    expect(b.w).toEqual(a.w);
    expect(a.r.privacy!.steps).toBe(24); // n / batchSize = 8 steps an epoch
    expect(a.r.history.epsilon).toHaveLength(3);
    const delta = 1 / 16 ** 1.1;
    a.r.history.epsilon!.forEach((eps, e) => {
      expect(eps).toBeCloseTo(
        dpEpsilon({ sampleRate: 2 / 16, noiseMultiplier: 1.1, steps: 8 * (e + 1), delta }).epsilon,
        10,
      );
    });
    expect(a.r.privacy!.delta).toBeCloseTo(delta, 15);
    tf.dispose([x, y]);
  });

  it('targetEpsilon calibrates σ so the run spends at most that', async () => {
    const model = denseModel();
    const x = tf.tensor2d(X);
    const r = await trainClassifier(
      model,
      { x, y: Y },
      {
        epochs: 2,
        batchSize: 4,
        privacy: { maxGradNorm: 1, targetEpsilon: 5, delta: 1e-3 },
      },
    );
    expect(r.privacy!.epsilon).toBeLessThanOrEqual(5);
    expect(r.privacy!.epsilon).toBeGreaterThan(4.9);
    x.dispose();
    model.dispose();
  });

  it('refuses what would break the guarantee, naming the fix', async () => {
    const { x, y } = patchImages(16);
    const model = createSimpleCnn({
      inputShape: [8, 8, 1],
      numClasses: 2,
      filters: [4],
      denseUnits: 8,
    });
    const privacy = { maxGradNorm: 1, noiseMultiplier: 1 };
    const train = (options: object, m: tfl.LayersModel = model) =>
      trainClassifier(m, { x, y }, { epochs: 1, batchSize: 4, ...options });
    const resnet = createResNet({
      inputShape: [8, 8, 1],
      numClasses: 2,
      stages: [1],
      baseFilters: 4,
    });
    await expect(train({ privacy }, resnet)).rejects.toThrow(
      /batch normalisation.*group or layer normalisation/,
    );
    await expect(train({ privacy, classWeights: 'balanced' })).rejects.toThrow(
      /computed from the private labels/,
    );
    await expect(
      train({ privacy, validationSplit: 0.25, earlyStopping: { monitor: 'valAuc' } }),
    ).rejects.toThrow(/validationData/);
    await expect(train({ privacy, earlyStopping: true })).rejects.toThrow(/private training data/);
    await expect(
      train({ privacy, loss: (l: tf.Tensor, o: tf.Tensor) => sparseSoftmaxCrossEntropy(l, o) }),
    ).rejects.toThrow(/default loss/);
    await expect(train({ privacy: { maxGradNorm: 1 } })).rejects.toThrow(
      /exactly one of `noiseMultiplier` and `targetEpsilon`/,
    );
    await expect(train({ privacy: { ...privacy, delta: 0.1 } })).rejects.toThrow(/allowLargeDelta/);
    await expect(train({ privacy: { ...privacy, maxGradNorm: 0 } })).rejects.toThrow(ArgumentError);
    await expect(
      trainClassifier(
        model,
        async function* () {
          yield { x, y };
        },
        { privacy },
      ),
    ).rejects.toThrow(/in memory/);
    tf.dispose([x, y]);
    model.dispose();
    resnet.dispose();
  });
});

describeBackends('DP-GAN', () => {
  const data = () =>
    tf.tidy(() => tf.add(tf.mul(tf.randomNormal([64, 2], 0, 1, 'float32', 5), 0.5), 2));

  it('clips and noises the real-data term per sample; ε from the accountant over every critic step; repeats with a seed', async () => {
    const x = data();
    const run = async () => {
      const { generator, discriminator } = createMlpGan({
        dataShape: [2],
        latentDim: 4,
        hidden: [16],
        dropout: 0.2,
        seed: 3,
      });
      const trainer = new GanTrainer({
        generator,
        discriminator,
        loss: 'least-squares',
        criticSteps: 2,
        seed: 4,
        privacy: { maxGradNorm: 0.5, noiseMultiplier: 1.2, delta: 1e-3 },
      });
      const r = await trainer.fit({ x }, { epochs: 2, batchSize: 16 });
      trainer.dispose();
      const w = weights(discriminator);
      generator.dispose();
      discriminator.dispose();
      return { r, w };
    };
    const a = await expectNoLeak(run);
    const b = await run();
    expect(b.w).toEqual(a.w);
    const p = a.r.privacy!;
    expect(p.steps).toBe(2 * 4 * 2); // epochs × n/batchSize × critic steps
    expect(p.sampleRate).toBe(16 / 64);
    expect(p.epsilonByEpoch).toHaveLength(2);
    expect(p.epsilon).toBeCloseTo(
      dpEpsilon({ sampleRate: 0.25, noiseMultiplier: 1.2, steps: 16, delta: 1e-3 }).epsilon,
      10,
    );
    expect(p.epsilonByEpoch[0]).toBeCloseTo(
      dpEpsilon({ sampleRate: 0.25, noiseMultiplier: 1.2, steps: 8, delta: 1e-3 }).epsilon,
      10,
    );
    expect(a.r.history.discriminatorLoss.every(Number.isFinite)).toBe(true);
    x.dispose();
  });

  it('refuses penalties, the relativistic loss, a condition and shuffled batches with privacy', async () => {
    const { generator, discriminator } = createMlpGan({
      dataShape: [2],
      latentDim: 4,
      hidden: [8],
    });
    const privacy = { maxGradNorm: 1, noiseMultiplier: 1 };
    expect(() => new GanTrainer({ generator, discriminator, privacy, r1Weight: 1 })).toThrow(/R1/);
    expect(
      () => new GanTrainer({ generator, discriminator, privacy, loss: 'relativistic-average' }),
    ).toThrow(/relativistic-average/);
    const conditional = createMlpGan({
      dataShape: [2],
      latentDim: 4,
      hidden: [8],
      conditionDim: 1,
    });
    expect(() => new GanTrainer({ ...conditional, privacy })).toThrow(/unconditional/);
    const x = data();
    const t = new GanTrainer({
      generator,
      discriminator,
      privacy: { ...privacy, sampling: 'shuffle' },
    });
    await expect(t.fit({ x }, { epochs: 1, batchSize: 16 })).rejects.toThrow(/Poisson/);
    t.dispose();
    tf.dispose(x);
    for (const m of [generator, discriminator, conditional.generator, conditional.discriminator])
      m.dispose();
  });
});
