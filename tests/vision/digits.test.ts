/**
 * Learning on real data: createSimpleCnn trained with trainClassifier on the real 8×8 digits
 * (UCI, via scikit-learn; pixels ÷ 16; a fixed seeded stratified 80/20 split) reaches at least
 * 97% test accuracy on every test backend, with registerTrainingKernels(). The run time is
 * printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { splitIndices } from '../../src/core/index.js';
import { accuracy, confusionMatrix } from '../../src/metrics/index.js';
import { createSimpleCnn, trainClassifier } from '../../src/vision/index.js';
import { describeBackends } from '../helpers/backends.js';

const rows = gunzipSync(
  // the copy bundled with the demo: ../shared/data/images/digits_8x8.csv.gz, byte for byte
  readFileSync(new URL('../../examples/data/digits_8x8.csv.gz', import.meta.url)),
)
  .toString()
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number));
const pixels = rows.map((r) => r.slice(0, 64).map((v) => v / 16));
const labels = rows.map((r) => r[64]!);
const { train, test } = splitIndices(labels, { testSize: 0.2, seed: 0 });

beforeAll(() => {
  registerTrainingKernels();
});

describeBackends('createSimpleCnn on the real 8×8 digits', (backend) => {
  it('reaches ≥ 97% test accuracy', { timeout: 240_000 }, async () => {
    expect(rows).toHaveLength(1797);
    const xTrain = tf.tensor4d(
      train.flatMap((i) => pixels[i]!),
      [train.length, 8, 8, 1],
    );
    const yTrain = tf.tensor1d(
      train.map((i) => labels[i]!),
      'int32',
    );
    const xTest = tf.tensor4d(
      test.flatMap((i) => pixels[i]!),
      [test.length, 8, 8, 1],
    );
    const model = createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 10, seed: 1 });
    const started = performance.now();
    await trainClassifier(model, { x: xTrain, y: yTrain }, { epochs: 12, batchSize: 32, seed: 1 });
    const seconds = (performance.now() - started) / 1000;
    const predicted = tf.tidy(() => tf.argMax(model.predict(xTest) as tf.Tensor, -1));
    const yPred = Array.from(await predicted.data());
    const yTrue = test.map((i) => labels[i]!);
    const acc = accuracy(yTrue, yPred);
    console.log(
      `digits [${backend}]: test accuracy ${(100 * acc).toFixed(2)}% after ${seconds.toFixed(1)} s of training`,
    );
    expect(acc).toBeGreaterThanOrEqual(0.97);
    expect(
      confusionMatrix(yTrue, yPred)
        .flat()
        .reduce((a, b) => a + b, 0),
    ).toBe(test.length);
    tf.dispose([xTrain, yTrain, xTest, predicted]);
    model.dispose();
  });
});
