/**
 * The classifier factories: shapes and layer names, parameter counts equal to the reference
 * architectures (torchvision's published counts), 2D and 3D, seeded weights, save/load, and
 * clear errors for bad options.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/core/index.js';
import { loadModel, saveModel } from '../../src/node/index.js';
import { createDenseNet, createResNet, createSimpleCnn } from '../../src/vision/index.js';
import { describeBackends } from '../helpers/backends.js';

const trainableCount = (m: tfl.LayersModel) =>
  m.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);

describeBackends('model factories', () => {
  it('createSimpleCnn: the classic network, named layers, logits by default', async () => {
    const before = tf.memory().numTensors;
    const m = createSimpleCnn({ inputShape: [28, 28, 1], numClasses: 2 });
    expect(m.outputs[0]!.shape).toEqual([null, 2]);
    expect(m.layers.map((l) => l.name)).toEqual([
      'simple_cnn_input',
      'simple_cnn_conv1',
      'simple_cnn_pool1',
      'simple_cnn_conv2',
      'simple_cnn_pool2',
      'simple_cnn_flatten',
      'simple_cnn_dense',
      'simple_cnn_logits',
    ]);
    // conv 1→32: 320, conv 32→64: 18,496, dense 3136→128: 401,536, dense 128→2: 258 (as PyTorch's seed CNN)
    expect(trainableCount(m)).toBe(320 + 18_496 + 401_536 + 258);
    expect((m.layers.at(-1)!.getConfig() as { activation: string }).activation).toBe('linear');
    m.dispose();
    expect(tf.memory().numTensors).toBe(before); // the weights are all the model holds
  });

  it('probabilities, dropout and 3D on request', () => {
    const p = createSimpleCnn({
      inputShape: [8, 8, 3],
      numClasses: 4,
      output: 'probabilities',
      dropout: 0.3,
    });
    const y = p.predict(tf.ones([2, 8, 8, 3])) as tf.Tensor;
    const sums = tf.sum(y, -1);
    expect(Array.from(sums.dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    expect(p.getLayer('simple_cnn_dropout')).toBeDefined();
    tf.dispose([y, sums]);
    p.dispose();
    const v = createSimpleCnn({
      inputShape: [8, 16, 16, 1],
      numClasses: 3,
      filters: [4, 8],
      name: 'ct',
    });
    expect(v.getLayer('ct_conv1').getClassName()).toBe('Conv3D');
    const out = v.predict(tf.zeros([1, 8, 16, 16, 1])) as tf.Tensor;
    expect(out.shape).toEqual([1, 3]);
    out.dispose();
    v.dispose();
  });

  it('the same seed builds the same weights; another seed does not', () => {
    const a = createResNet({
      inputShape: [16, 16, 1],
      numClasses: 2,
      stages: [1, 1],
      baseFilters: 4,
      seed: 5,
    });
    const b = createResNet({
      inputShape: [16, 16, 1],
      numClasses: 2,
      stages: [1, 1],
      baseFilters: 4,
      seed: 5,
    });
    const c = createResNet({
      inputShape: [16, 16, 1],
      numClasses: 2,
      stages: [1, 1],
      baseFilters: 4,
      seed: 6,
    });
    const w = (m: tfl.LayersModel) =>
      Array.from(m.getLayer('resnet_stem_conv').getWeights()[0]!.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    for (const m of [a, b, c]) m.dispose();
  });

  it('ResNet and DenseNet, 2D and 3D, run forward', () => {
    const models = [
      createResNet({ inputShape: [16, 16, 2], numClasses: 3, stages: [1, 1], baseFilters: 4 }),
      createResNet({
        inputShape: [16, 16, 1],
        numClasses: 2,
        stages: [1, 1],
        block: 'bottleneck',
        baseFilters: 4,
      }),
      createResNet({ inputShape: [8, 8, 8, 1], numClasses: 2, stages: [1, 1], baseFilters: 4 }),
      createDenseNet({ inputShape: [16, 16, 1], numClasses: 2, blocks: [2, 2], growthRate: 4 }),
      createDenseNet({ inputShape: [8, 8, 8, 1], numClasses: 2, blocks: [2, 2], growthRate: 4 }),
    ];
    for (const m of models) {
      const shape = m.inputs[0]!.shape.map((d) => d ?? 2);
      const out = m.predict(tf.randomNormal(shape, 0, 1, 'float32', 1)) as tf.Tensor;
      expect(out.shape).toEqual([2, m.outputs[0]!.shape[1]]);
      expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
      out.dispose();
      m.dispose();
    }
  });
});

describe('file handler', () => {
  it('saves and loads with the library file handler: same predictions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medkit-vision-'));
    try {
      const m = createResNet({
        inputShape: [8, 8, 1],
        numClasses: 2,
        stages: [1, 1],
        baseFilters: 4,
        seed: 2,
      });
      await saveModel(m, dir);
      const back = await loadModel(dir);
      const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 3);
      const [a, b] = [m.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(back.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
      tf.dispose([x, a, b]);
      m.dispose();
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reference architectures (torchvision parameter counts)', () => {
  it.each([
    [
      'ResNet-18',
      () => createResNet({ inputShape: [224, 224, 3], numClasses: 1000, depth: 18 }),
      11_689_512,
    ],
    [
      'ResNet-50',
      () => createResNet({ inputShape: [224, 224, 3], numClasses: 1000, depth: 50 }),
      25_557_032,
    ],
    [
      'DenseNet-121',
      () => createDenseNet({ inputShape: [224, 224, 3], numClasses: 1000 }),
      7_978_856,
    ],
  ])('%s has the published number of trainable parameters', async (_name, build, expected) => {
    await tf.setBackend('cpu');
    const m = build();
    expect(trainableCount(m)).toBe(expected);
    expect(
      m.getLayer(m.name === 'densenet' ? 'densenet_stem_pool' : `${m.name}_stem_pool`),
    ).toBeDefined();
    m.dispose();
  });
});

describe('bad options get a clear MedkitError', () => {
  it.each([
    [() => createSimpleCnn(undefined as never), /inputShape/],
    [() => createSimpleCnn({ inputShape: [28, 28], numClasses: 2 }), /\[height, width, channels\]/],
    [() => createSimpleCnn({ inputShape: [28, 28, 0], numClasses: 2 }), /positive integers/],
    [() => createSimpleCnn({ inputShape: [28, 28, 1] } as never), /numClasses/],
    [() => createSimpleCnn({ inputShape: [28, 28, 1], numClasses: 1 }), /numClasses/],
    [() => createSimpleCnn({ inputShape: [2, 2, 1], numClasses: 2 }), /at least 4/],
    [() => createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 2, filters: [] }), /filters/],
    [() => createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 2, dropout: 1 }), /dropout/],
    [() => createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 2, name: 'a b' }), /name/],
    [
      () => createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 2, units: 3 } as never),
      /unknown option `units`/,
    ],
    [() => createResNet({ inputShape: [8, 8, 1], numClasses: 2, depth: 20 as never }), /depth/],
    [() => createResNet({ inputShape: [8, 8, 1], numClasses: 2, stages: [0] }), /stages/],
    [() => createDenseNet({ inputShape: [8, 8, 1], numClasses: 2, blocks: [1.5] }), /blocks/],
    [() => createDenseNet({ inputShape: [8, 8, 1], numClasses: 2, compression: 0 }), /compression/],
  ])('bad option %#', (call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});
