/**
 * Every model family trains on every test backend once registerTrainingKernels() has run: the
 * seed CNN, a ResNet-style CNN, a 3D CNN, a depthwise-separable CNN (one dilated depthwise
 * layer) and an embedding model. checkTrainingSupport passes first; the loss falls on a learnable
 * toy problem; no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, it } from 'vitest';
import { checkTrainingSupport, registerTrainingKernels } from '../../src/index.js';
import { createLoss } from '../../src/losses/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectLearns, MODEL_FAMILIES, toyData } from '../helpers/models.js';

beforeAll(() => {
  registerTrainingKernels();
});

describeBackends('training on every backend', () => {
  it.each(MODEL_FAMILIES)('%s trains: loss falls, no leak', async (_name, build, shape, tokens) => {
    const model = build();
    checkTrainingSupport(model);
    model.compile({ optimizer: tf.train.adam(0.01), loss: createLoss('softmaxCrossEntropy') });
    const { x, y } = toyData(shape, 32, tokens);
    await expectLearns(model, x, y, 12);
    tf.dispose([x, y]);
    model.dispose();
  });
});
