/**
 * Every factory's models pass checkTrainingSupport on every test backend once
 * registerTrainingKernels() has run, and a step of trainClassifier lowers their loss: 2D and 3D
 * ResNets (basic and bottleneck) and DenseNets.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { checkTrainingSupport, registerTrainingKernels } from '../../src/backend/index.js';
import {
  createDenseNet,
  createResNet,
  createSimpleCnn,
  trainClassifier,
} from '../../src/vision/index.js';
import { describeBackends } from '../helpers/backends.js';
import { patchImages } from '../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

const CASES: [string, () => tfl.LayersModel, boolean][] = [
  [
    'simple CNN 3D',
    () =>
      createSimpleCnn({
        inputShape: [8, 8, 8, 1],
        numClasses: 2,
        filters: [2, 4],
        denseUnits: 4,
        seed: 1,
      }),
    true,
  ],
  [
    'ResNet bottleneck 2D',
    () =>
      createResNet({
        inputShape: [8, 8, 1],
        numClasses: 2,
        stages: [1, 1],
        block: 'bottleneck',
        baseFilters: 2,
        seed: 1,
      }),
    false,
  ],
  [
    'ResNet 3D',
    () =>
      createResNet({
        inputShape: [8, 8, 8, 1],
        numClasses: 2,
        stages: [1, 1],
        baseFilters: 2,
        seed: 1,
      }),
    true,
  ],
  [
    'DenseNet 2D',
    () =>
      createDenseNet({
        inputShape: [8, 8, 1],
        numClasses: 2,
        blocks: [2, 2],
        growthRate: 4,
        seed: 1,
      }),
    false,
  ],
  [
    'DenseNet 3D',
    () =>
      createDenseNet({
        inputShape: [8, 8, 8, 1],
        numClasses: 2,
        blocks: [1, 1],
        growthRate: 2,
        seed: 1,
      }),
    true,
  ],
];

describeBackends('factories train on every backend', () => {
  it.each(CASES)(
    '%s: checkTrainingSupport passes and the loss falls',
    async (_name, build, volume) => {
      const model = build();
      checkTrainingSupport(model);
      const { x, y } = patchImages(16, 8, 4, volume);
      const before = tf.memory().numTensors;
      const r = await trainClassifier(
        model,
        { x, y },
        { epochs: 4, batchSize: 8, learningRate: 0.01, seed: 1 },
      );
      expect(tf.memory().numTensors).toBe(before);
      expect(r.history.loss[3]!).toBeLessThan(r.history.loss[0]!);
      tf.dispose([x, y]);
      model.dispose();
    },
  );
});
