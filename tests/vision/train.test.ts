/**
 * trainClassifier: learns, repeats exactly with a seed, validates (stratified, grouped), stops
 * early and restores the best weights, schedules the learning rate, augments, reports progress,
 * stops on an AbortSignal, trains on a stream, leaks nothing, and refuses bad input before the
 * first step.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { MedkitError, type ProgressEvent } from '../../src/core/index.js';
import {
  computeClassWeights,
  createLoss,
  sparseSoftmaxCrossEntropy,
} from '../../src/losses/index.js';
import { createResNet, createSimpleCnn, trainClassifier } from '../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { patchImages } from '../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

const small = (seed = 1, extra = {}) =>
  createSimpleCnn({
    inputShape: [8, 8, 1],
    numClasses: 2,
    filters: [4, 8],
    denseUnits: 16,
    seed,
    ...extra,
  });

describeBackends('trainClassifier', () => {
  it('learns the patch task; loss falls; no tensor left behind', async () => {
    const { x, y } = patchImages(64);
    const model = small();
    const result = await expectNoLeak(() =>
      trainClassifier(model, { x, y }, { epochs: 8, batchSize: 16, learningRate: 0.01, seed: 1 }),
    );
    const { loss, accuracy } = result.history;
    expect(loss).toHaveLength(8);
    expect(loss[7]!).toBeLessThan(loss[0]! * 0.5);
    expect(accuracy[7]!).toBeGreaterThan(0.9);
    expect(result.stopReason).toBe('completed');
    expect(result.epochs).toBe(8);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('repeats exactly with the same seed (dropout included), differs with another', async () => {
    const { x, y } = patchImages(48);
    const run = async (seed: number) => {
      const model = small(3, { dropout: 0.5 });
      const r = await trainClassifier(model, { x, y }, { epochs: 2, batchSize: 8, seed });
      const w = Array.from(model.getWeights()[0]!.dataSync());
      model.dispose();
      return { loss: r.history.loss, w };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(b).toEqual(a);
    expect(c.loss).not.toEqual(a.loss);
    tf.dispose([x, y]);
  });

  it('trains a ResNet with batch norm (2D) and a 3D CNN', async () => {
    const img = patchImages(32, 8, 2);
    const resnet = createResNet({
      inputShape: [8, 8, 1],
      numClasses: 2,
      stages: [1, 1],
      baseFilters: 4,
      seed: 1,
    });
    const r1 = await trainClassifier(resnet, img, { epochs: 4, batchSize: 8, learningRate: 0.01 });
    expect(r1.history.loss[3]!).toBeLessThan(r1.history.loss[0]!);
    const vol = patchImages(16, 8, 3, true);
    const cnn3d = createSimpleCnn({
      inputShape: [8, 8, 8, 1],
      numClasses: 2,
      filters: [2, 4],
      denseUnits: 8,
      seed: 1,
    });
    const r2 = await trainClassifier(cnn3d, vol, { epochs: 4, batchSize: 8, learningRate: 0.01 });
    expect(r2.history.loss[3]!).toBeLessThan(r2.history.loss[0]!);
    tf.dispose([img.x, img.y, vol.x, vol.y]);
    resnet.dispose();
    cnn3d.dispose();
  });

  it('validation split: stratified and grouped; figures per epoch', async () => {
    const { x, y } = patchImages(40);
    const groups = Array.from({ length: 40 }, (_, i) => `p${Math.floor(i / 4)}`);
    const model = small();
    const r = await expectNoLeak(() =>
      trainClassifier(
        model,
        { x, y },
        { epochs: 3, batchSize: 8, validationSplit: 0.25, groups, learningRate: 0.01 },
      ),
    );
    for (const key of ['valLoss', 'valAccuracy', 'valAuc', 'valBalancedAccuracy'] as const) {
      expect(r.history[key]).toHaveLength(3);
      for (const v of r.history[key]!) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(r.history.valAuc![2]!).toBeLessThanOrEqual(1);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('early stopping stops, and restores the best epoch’s weights', async () => {
    const { x, y } = patchImages(32, 8, 4);
    // labels that carry no signal: validation loss soon rises
    const noise = tf.tensor1d(
      Array.from({ length: 32 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      'int32',
    );
    const val = patchImages(16, 8, 5);
    const model = small(2);
    const r = await trainClassifier(
      model,
      { x, y: noise },
      {
        epochs: 30,
        batchSize: 8,
        learningRate: 0.02,
        validationData: { x: val.x, y: val.y },
        earlyStopping: { monitor: 'valLoss', patience: 2 },
      },
    );
    expect(r.stopReason).toBe('earlyStopping');
    expect(r.epochs).toBeLessThan(30);
    const best = r.bestEpoch!;
    expect(r.history.valLoss![best - 1]).toBe(Math.min(...r.history.valLoss!));
    // the model now holds the best epoch's weights: its validation loss is that epoch's
    const again = await trainClassifier(
      model,
      { x, y: noise },
      {
        epochs: 1,
        batchSize: 32,
        learningRate: 1e-12,
        shuffle: false,
        validationData: { x: val.x, y: val.y },
        optimizer: 'sgd',
      },
    );
    expect(again.history.valLoss![0]!).toBeCloseTo(r.history.valLoss![best - 1]!, 3);
    tf.dispose([x, y, noise, val.x, val.y]);
    model.dispose();
  });

  it('the default loss takes balanced class weights and label smoothing (first step against the definition)', async () => {
    // imbalanced: 24 of class 0, 8 of class 1 (the patch images alternate classes)
    const all = patchImages(48);
    const keep = Int32Array.from(
      all.labels.flatMap((l, i) => (l === 0 ? (i < 48 ? [i] : []) : i < 16 ? [i] : [])),
    );
    const x = tf.gather(all.x, keep);
    const labels = Array.from(keep, (i) => all.labels[i]!);
    expect(labels.filter((l) => l === 1)).toHaveLength(8);
    const firstLoss = async (options: object) => {
      const model = small(5);
      let loss: number | undefined;
      await trainClassifier(
        model,
        { x, y: labels },
        {
          epochs: 1,
          batchSize: 32,
          shuffle: false,
          optimizer: 'sgd',
          ...options,
          onProgress: (e) => {
            if (e.type === 'stepEnd') loss ??= e.loss;
          },
        },
      );
      model.dispose();
      return loss!;
    };
    // the loss of the untrained model's output, computed from the definitions
    const model = small(5);
    const expected = tf.tidy(() => {
      const out = model.apply(x, { training: true }) as tf.Tensor;
      const y = tf.tensor1d(labels, 'int32');
      const weights = computeClassWeights(labels, 'balanced'); // n / (k · n_c) = [2/3, 2]
      expect(weights).toEqual([32 / 48, 32 / 16]);
      return [
        sparseSoftmaxCrossEntropy(y, out).dataSync()[0]!,
        sparseSoftmaxCrossEntropy(y, out, {
          classWeights: weights,
          labelSmoothing: 0.1,
        }).dataSync()[0]!,
      ];
    });
    model.dispose();
    const plain = await firstLoss({});
    const weighted = await firstLoss({ classWeights: 'balanced', labelSmoothing: 0.1 });
    // the former spelling still works
    expect(await firstLoss({ classWeight: 'balanced', labelSmoothing: 0.1 })).toBe(weighted);
    expect(plain).toBeCloseTo(expected[0]!, 5);
    expect(weighted).toBeCloseTo(expected[1]!, 5);
    expect(Math.abs(weighted - plain)).toBeGreaterThan(1e-3);
    tf.dispose([x, all.x, all.y]);
  });

  it('schedules with warm-up, the augmentation hook, progress events', async () => {
    const { x, y } = patchImages(32);
    const model = small();
    const events: ProgressEvent['type'][] = [];
    const seen: number[] = [];
    const r = await trainClassifier(
      model,
      { x, y },
      {
        epochs: 4,
        batchSize: 8,
        schedule: 'cosine',
        warmupEpochs: 1,
        augment: (batch, ctx) => {
          seen.push(ctx.random.nextFloat());
          expect(ctx.labels).toHaveLength(batch.shape[0]!);
          return tf.reverse(batch, 2); // a horizontal flip
        },
        onProgress: (e) => {
          events.push(e.type);
        },
      },
    );
    expect(r.history.learningRate).toHaveLength(4);
    // warm-up over epoch 1, then the cosine falls
    expect(r.history.learningRate[1]!).toBeGreaterThan(r.history.learningRate[3]!);
    expect(seen).toHaveLength(16);
    expect(events[0]).toBe('start');
    expect(events[1]).toBe('epochStart');
    expect(events.filter((e) => e === 'stepEnd')).toHaveLength(16);
    expect(events.filter((e) => e === 'epochEnd')).toHaveLength(4);
    expect(events.at(-1)).toBe('end');
    tf.dispose([x, y]);
    model.dispose();
  });

  it('an AbortSignal stops training at the next step', async () => {
    const { x, y } = patchImages(32);
    const model = small();
    const controller = new AbortController();
    let steps = 0;
    const r = await expectNoLeak(() =>
      trainClassifier(
        model,
        { x, y },
        {
          epochs: 5,
          batchSize: 8,
          signal: controller.signal,
          onProgress: (e) => {
            if (e.type === 'stepEnd' && ++steps === 2) controller.abort();
          },
        },
      ),
    );
    expect(r.stopReason).toBe('aborted');
    expect(steps).toBe(2);
    expect(r.epochs).toBe(0);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('trains on a streamed dataset, disposing each batch', async () => {
    const model = small();
    const stream = async function* () {
      for (let b = 0; b < 4; b++) {
        const { x, y } = patchImages(8, 8, 10 + b);
        yield { x, y };
      }
    };
    const r = await expectNoLeak(() =>
      trainClassifier(model, () => stream(), { epochs: 3, learningRate: 0.01, schedule: 'cosine' }),
    );
    expect(r.history.loss).toHaveLength(3);
    expect(r.history.loss[2]!).toBeLessThan(r.history.loss[0]!);
    model.dispose();
  });

  it('a softmax-output model and a one-hot library loss both train', async () => {
    const { x, y } = patchImages(32);
    const probs = small(1, { output: 'probabilities' });
    const r1 = await trainClassifier(
      probs,
      { x, y },
      { epochs: 3, batchSize: 8, learningRate: 0.01 },
    );
    expect(r1.history.loss[2]!).toBeLessThan(r1.history.loss[0]!);
    const logits = small();
    const r2 = await trainClassifier(
      logits,
      { x, y },
      {
        epochs: 3,
        batchSize: 8,
        learningRate: 0.01,
        loss: createLoss('softmaxFocalLoss', { gamma: 2 }),
      },
    );
    expect(r2.history.loss[2]!).toBeLessThan(r2.history.loss[0]!);
    tf.dispose([x, y]);
    probs.dispose();
    logits.dispose();
  });
});

describe('trainClassifier refuses bad input before the first step', () => {
  it.each([
    ['wrong rank', () => ({ x: tf.zeros([4, 8, 8]), y: [0, 1, 0, 1] }), {}, /rank 4/],
    [
      'wrong channel count',
      () => ({ x: tf.zeros([4, 8, 8, 3]), y: [0, 1, 0, 1] }),
      {},
      /channels: expected 1, received 3/,
    ],
    [
      'labels out of range',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 2, 1] }),
      {},
      /class indices in \[0, 1\]/,
    ],
    [
      'fractional labels',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 0.5, 1, 1] }),
      {},
      /class indices/,
    ],
    ['a single class', () => ({ x: tf.zeros([4, 8, 8, 1]), y: [1, 1, 1, 1] }), {}, /single class/],
    ['empty data', () => ({ x: tf.zeros([0, 8, 8, 1]), y: [] }), {}, /must not be empty/],
    [
      'too few labels',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1] }),
      {},
      /one label per sample/,
    ],
    [
      'NaN pixels',
      () => ({
        x: tf.tile(tf.tensor4d([Number.NaN, ...new Array(63).fill(0)], [1, 8, 8, 1]), [2, 1, 1, 1]),
        y: [0, 1],
      }),
      {},
      /NaN or infinite/,
    ],
    ['not a tensor', () => ({ x: [[1]] as never, y: [0, 1] }), {}, /must be a tensor/],
    [
      'an unknown option',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 0, 1] }),
      { epoch: 3 },
      /unknown option `epoch`/,
    ],
    [
      'class weights with a custom loss',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 0, 1] }),
      { classWeight: 'balanced', loss: createLoss('softmaxCrossEntropy') },
      /default loss/,
    ],
    [
      'groups without a split',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 0, 1] }),
      { groups: ['a', 'b', 'c', 'd'] },
      /validationSplit/,
    ],
    [
      'val monitor without validation',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 0, 1] }),
      { earlyStopping: { monitor: 'valAuc' } },
      /needs validation data/,
    ],
    [
      'class weights of the wrong length',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 0, 1] }),
      { classWeight: [1, 2, 3] },
      /2 weights/,
    ],
    [
      'a bad optimizer',
      () => ({ x: tf.zeros([4, 8, 8, 1]), y: [0, 1, 0, 1] }),
      { optimizer: 'adagrad' },
      /optimizer/,
    ],
  ])('%s', async (_what, makeData, options, message) => {
    await tf.setBackend('cpu');
    const model = small();
    const data = makeData();
    const before = tf.memory().numTensors;
    await expect(trainClassifier(model, data as never, options as never)).rejects.toThrow(
      MedkitError,
    );
    await expect(trainClassifier(model, data as never, options as never)).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    if (data.x instanceof tf.Tensor) data.x.dispose();
    model.dispose();
  });

  it('refuses a model with one output unit, and a streamed split', async () => {
    await tf.setBackend('cpu');
    const { x, y } = patchImages(4);
    const one = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 1 })] });
    await expect(trainClassifier(one, { x: tf.zeros([2, 3]), y: [0, 1] })).rejects.toThrow(
      /numClasses ≥ 2/,
    );
    const two = small();
    await expect(
      trainClassifier(two, () => (async function* () {})(), { validationSplit: 0.2 }),
    ).rejects.toThrow(/validationSplit.*in-memory/);
    await expect(trainClassifier({} as never, { x, y })).rejects.toThrow(/LayersModel/);
    tf.dispose([x, y]);
    one.dispose();
    two.dispose();
  });
});
