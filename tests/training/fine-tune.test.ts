/**
 * Fine-tuning: freezing by name, stage or predicate keeps weights and batch-norm statistics bit
 * for bit (frozen batch norm in inference mode; tfjs-layers' own `trainable = false` checked),
 * per-group learning rates against the definition (SGD) and as a multiple of the step (Adam),
 * gradual unfreezing, replaceHead, a colour stem summed onto one channel, DP-SGD with frozen
 * batch norm; cpu and wasm, no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { ArgumentError } from '../../src/core/index.js';
import { sparseSoftmaxCrossEntropy } from '../../src/losses/index.js';
import {
  createResNet,
  createSimpleCnn,
  freeze,
  loadTorchWeights,
  replaceHead,
  saveTorchWeights,
  trainClassifier,
  unfreeze,
} from '../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { patchImages } from '../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

const values = (m: tfl.LayersModel, name: string) =>
  m
    .getLayer(name)
    .getWeights()
    .map((w) => Array.from(w.dataSync()));
const small = () =>
  createResNet({
    inputShape: [16, 16, 3],
    numClasses: 2,
    depth: 18,
    layout: 'torchvision',
    seed: 1,
  });
const images = () => tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', 3);
const Y = [0, 1, 0, 1, 1, 0, 1, 0];

describeBackends('fine-tuning', () => {
  it("frozen layers keep weights and batch-norm statistics bit for bit; tfjs-layers' trainable = false alone does not", async () => {
    const model = small();
    const x = images();
    const frozen = freeze(model, { until: 'layer3' });
    expect(frozen).toContain('layer3.1.bn2');
    expect(frozen).not.toContain('layer4.0.conv1');
    const keep = ['conv1', 'bn1', 'layer1.0.bn1', 'layer3.1.conv2', 'layer3.1.bn2'].map((n) =>
      values(model, n),
    );
    const moving = ['layer4.0.conv1', 'fc'].map((n) => values(model, n));
    await expectNoLeak(() =>
      trainClassifier(model, { x, y: Y }, { epochs: 2, batchSize: 4, learningRate: 0.01 }),
    );
    expect(
      ['conv1', 'bn1', 'layer1.0.bn1', 'layer3.1.conv2', 'layer3.1.bn2'].map((n) =>
        values(model, n),
      ),
    ).toEqual(keep);
    expect(['layer4.0.conv1', 'fc'].map((n) => values(model, n))).not.toEqual(moving);
    // a frozen batch norm normalises with its moving statistics in training mode too
    const bn = model.getLayer('bn1');
    const z = tf.randomNormal([2, 8, 8, 64], 0, 1, 'float32', 4);
    const [train, infer] = tf.tidy(() => [
      bn.apply(z, { training: true }) as tf.Tensor,
      bn.apply(z, { training: false }) as tf.Tensor,
    ]);
    expect(Array.from(train.dataSync())).toEqual(Array.from(infer.dataSync()));
    // tfjs-layers alone: trainable = false still normalises with (and moves towards) the batch
    unfreeze(model, { layers: ['bn1'] });
    bn.trainable = false;
    const before = values(model, 'bn1');
    tf.tidy(() => bn.apply(z, { training: true }) as tf.Tensor);
    const plain = tf.tidy(() => bn.apply(z, { training: true }) as tf.Tensor);
    expect(Array.from(plain.dataSync())).not.toEqual(Array.from(infer.dataSync()));
    expect(values(model, 'bn1').slice(2)).not.toEqual(before.slice(2));
    tf.dispose([x, z, train, infer, plain]);
    model.dispose();
  });

  it('per-group learning rates: one SGD step is w − η·m·∇L per group; with Adam, m times the step', async () => {
    const build = () => {
      const input = tfl.input({ shape: [4] });
      const h = tfl.layers
        .dense({
          name: 'body',
          units: 6,
          activation: 'tanh',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
        })
        .apply(input);
      const out = tfl.layers
        .dense({
          name: 'head',
          units: 2,
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }),
        })
        .apply(h as tfl.SymbolicTensor);
      return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor });
    };
    const x = tf.tensor2d([
      [1, 0.5, -0.2, 0.3],
      [-0.4, 0.9, 0.1, -1],
      [0.2, -0.3, 0.8, 0.5],
      [0.7, 0.1, -0.6, 0.2],
    ]);
    const y = [0, 1, 1, 0];
    const model = build();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const before = vars.map((v) => Array.from(v.dataSync()));
    const { value, grads } = tf.variableGrads(
      () => sparseSoftmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
      vars,
    );
    const g = vars.map((v) => Array.from(grads[v.name]!.dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
    await trainClassifier(
      model,
      { x, y },
      {
        epochs: 1,
        batchSize: 4,
        shuffle: false,
        optimizer: 'sgd',
        learningRate: 0.1,
        learningRateGroups: [{ layers: { layers: ['head'] }, multiplier: 10 }],
      },
    );
    vars.forEach((v, k) => {
      const m = v.name.startsWith('head') ? 10 : 1;
      for (const [j, w] of Array.from(v.dataSync()).entries()) {
        expect(w).toBeCloseTo(before[k]![j]! - 0.1 * m * g[k]![j]!, 5);
      }
    });
    // Adam: the grouped step is m times the plain one from the same start
    const adam = async (groups: boolean) => {
      const m2 = build();
      const w0 = m2.getWeights().map((w) => Array.from(w.dataSync()));
      await trainClassifier(
        m2,
        { x, y },
        {
          epochs: 1,
          batchSize: 4,
          shuffle: false,
          learningRate: 0.01,
          ...(groups
            ? { learningRateGroups: [{ layers: { layers: ['body'] }, multiplier: 0.25 }] }
            : {}),
        },
      );
      const d = m2
        .getWeights()
        .map((w, k) => Array.from(w.dataSync()).map((v, j) => v - w0[k]![j]!));
      m2.dispose();
      return d;
    };
    const plainStep = await adam(false);
    const grouped = await adam(true);
    grouped.forEach((d, k) => {
      const m = k < 2 ? 0.25 : 1;
      for (const [j, v] of d.entries()) expect(v).toBeCloseTo(m * plainStep[k]![j]!, 6);
    });
    await expect(
      trainClassifier(
        model,
        { x, y },
        { learningRateGroups: [{ layers: { layers: ['nope'] }, multiplier: 2 }] },
      ),
    ).rejects.toThrow(/no layer or stage is named 'nope'/);
    x.dispose();
    model.dispose();
  });

  it('gradual unfreezing: a layer frozen for epoch 1 trains from epoch 2', async () => {
    const model = createSimpleCnn({
      inputShape: [8, 8, 1],
      numClasses: 2,
      filters: [4],
      denseUnits: 8,
      seed: 3,
    });
    const { x, y } = patchImages(16);
    const convName = model.layers.find((l) => l.getClassName() === 'Conv2D')!.name;
    freeze(model, { layers: [convName] });
    const start = values(model, convName);
    let afterFirst: number[][] | undefined;
    await trainClassifier(
      model,
      { x, y },
      {
        epochs: 2,
        batchSize: 8,
        unfreezeSchedule: [{ epoch: 2, layers: { layers: [convName] } }],
        onProgress: (e) => {
          if (e.type === 'epochEnd' && e.epoch === 1) afterFirst = values(model, convName);
        },
      },
    );
    expect(afterFirst).toEqual(start);
    expect(values(model, convName)).not.toEqual(start);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('replaceHead keeps the backbone; a colour stem summed onto one channel gives the grey image its colour twin', async () => {
    const pretrained = small();
    const model = replaceHead(pretrained, 5, { seed: 2 });
    expect(model.outputs[0]!.shape).toEqual([null, 5]);
    expect(values(model, 'layer2.0.conv1')).toEqual(values(pretrained, 'layer2.0.conv1'));
    expect(model.getLayer('fc').getWeights()[0]!.shape).toEqual([512, 5]);
    const x = images();
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([8, 5]);
    // RGB weights into a one-channel network: sum over the input channels
    const grey = createResNet({
      inputShape: [16, 16, 1],
      numClasses: 2,
      depth: 18,
      layout: 'torchvision',
      seed: 5,
    });
    await expect(loadTorchWeights(grey, saveTorchWeights(pretrained))).rejects.toThrow(
      /'conv1.weight' does not fit/,
    );
    await loadTorchWeights(grey, saveTorchWeights(pretrained), { sumInputChannels: true });
    const g = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 6);
    const [a, b] = tf.tidy(() => [
      grey.predict(g) as tf.Tensor,
      pretrained.predict(tf.concat([g, g, g], -1)) as tf.Tensor,
    ]);
    const av = Array.from(a.dataSync());
    for (const [i, v] of Array.from(b.dataSync()).entries()) expect(av[i]).toBeCloseTo(v, 3);
    expect(() => replaceHead(pretrained, 1)).toThrow(ArgumentError);
    tf.dispose([x, y, g, a, b]);
    model.dispose();
    grey.dispose();
  });

  it('DP-SGD trains a pretrained network whose batch norm is frozen', async () => {
    const model = small();
    freeze(model, { where: (l) => l.getClassName() === 'BatchNormalization' });
    const x = images();
    const r = await expectNoLeak(() =>
      trainClassifier(
        model,
        { x, y: Y },
        {
          epochs: 1,
          batchSize: 4,
          privacy: { maxGradNorm: 1, noiseMultiplier: 1, allowLargeDelta: true },
        },
      ),
    );
    expect(r.privacy!.steps).toBe(2);
    x.dispose();
    model.dispose();
  });
});
