/**
 * Every model family trains on every test backend once registerTrainingKernels() has run: the
 * seed CNN, a ResNet-style CNN, a 3D CNN, a depthwise-separable CNN (one dilated depthwise
 * layer) and an embedding model. checkTrainingSupport passes first; the loss falls on a learnable
 * toy problem; no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { checkTrainingSupport, registerTrainingKernels } from '../../src/index.js';
import { createLoss } from '../../src/losses/index.js';
import { describeBackends } from '../helpers/backends.js';
import {
  cnn3d,
  embeddingModel,
  resNetStyle,
  seedCnn,
  separableCnn,
  toyData,
} from '../helpers/models.js';

beforeAll(() => {
  registerTrainingKernels();
});

const CASES: [string, () => tfl.LayersModel, number[], number | undefined][] = [
  ['seed CNN', () => seedCnn(8), [8, 8, 1], undefined],
  ['ResNet-style CNN', () => resNetStyle(8), [8, 8, 3], undefined],
  ['3D CNN', () => cnn3d(8), [8, 8, 8, 1], undefined],
  ['depthwise-separable CNN', () => separableCnn(12), [12, 12, 1], undefined],
  ['embedding model', () => embeddingModel(20, 6), [6], 20],
];

describeBackends('training on every backend', () => {
  it.each(CASES)('%s trains: loss falls, no leak', async (_name, build, shape, tokens) => {
    const model = build();
    checkTrainingSupport(model);
    model.compile({ optimizer: tf.train.adam(0.01), loss: createLoss('softmaxCrossEntropy') });
    const { x, y } = toyData(shape, 32, tokens);
    await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 }); // warm-up
    const before = tf.memory().numTensors;
    const history = await model.fit(x, y, {
      epochs: 12,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]!);
    tf.dispose([x, y]);
    model.dispose();
  });
});
