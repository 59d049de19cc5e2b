/**
 * Small models of each family the library trains (built directly with tfjs-layers), with seeded
 * initialisers, and a learnable toy problem for each.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';

let seed = 1;
const init = () => tfl.initializers.glorotUniform({ seed: seed++ });

/** The seed CNN (conv32 → pool → conv64 → pool → fc128 → fc2), on `size`×`size` inputs. */
export function seedCnn(size = 28, classes = 2): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [size, size, 1],
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 64,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init() }),
      tfl.layers.dense({ units: classes, kernelInitializer: init() }),
    ],
  });
}

/** A ResNet-style 2D CNN: stem, two residual blocks (one strided, with a projection), batch norm, global pooling. */
export function resNetStyle(size = 8, classes = 2): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3] });
  const conv = (filters: number, strides = 1, kernelSize = 3) =>
    tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(),
    });
  const block = (x: tfl.SymbolicTensor, filters: number, strides: number) => {
    let h = conv(filters, strides).apply(x) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization().apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor;
    h = conv(filters).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization().apply(h) as tfl.SymbolicTensor;
    const skip =
      strides === 1 && x.shape[3] === filters
        ? x
        : (conv(filters, strides, 1).apply(x) as tfl.SymbolicTensor);
    return tfl.layers.reLU().apply(tfl.layers.add().apply([h, skip])) as tfl.SymbolicTensor;
  };
  let x = conv(8).apply(input) as tfl.SymbolicTensor;
  x = block(x, 8, 1);
  x = block(x, 16, 2);
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: classes, kernelInitializer: init() })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/** A small 3D CNN for volumes of `size`³. */
export function cnn3d(size = 8, classes = 2): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv3d({
        inputShape: [size, size, size, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling3d({ poolSize: 2 }),
      tfl.layers.conv3d({
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tfl.layers.averagePooling3d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: classes, kernelInitializer: init() }),
    ],
  });
}

/** A depthwise-separable CNN (MobileNet-style blocks, one dilated). */
export function separableCnn(size = 12, classes = 2): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [size, size, 1],
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tfl.layers.depthwiseConv2d({
        kernelSize: 3,
        padding: 'same',
        depthMultiplier: 2,
        activation: 'relu',
        depthwiseInitializer: init(),
      }),
      tfl.layers.separableConv2d({
        filters: 16,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        depthwiseInitializer: init(),
        pointwiseInitializer: init(),
      }),
      tfl.layers.depthwiseConv2d({
        kernelSize: 3,
        padding: 'same',
        dilationRate: 2,
        activation: 'relu',
        depthwiseInitializer: init(),
      }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: classes, kernelInitializer: init() }),
    ],
  });
}

/** An embedding model over token sequences. */
export function embeddingModel(vocabulary = 20, length = 6, classes = 2): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.embedding({
        inputDim: vocabulary,
        outputDim: 8,
        inputLength: length,
        embeddingsInitializer: tfl.initializers.randomUniform({
          minval: -0.1,
          maxval: 0.1,
          seed: seed++,
        }),
      }),
      tfl.layers.globalAveragePooling1d({}),
      tfl.layers.dense({ units: classes, kernelInitializer: init() }),
    ],
  });
}

/**
 * A learnable toy problem for inputs of `shape` (per sample): class 1 samples are noise shifted
 * up by 0.75, class 0 shifted down (brightness, which every family can see, global pooling
 * included). For integer token inputs: class 1 when token 0 starts the sequence.
 */
export function toyData(
  shape: number[],
  n: number,
  tokens?: number,
): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const label = tf.cast(tf.less(tf.randomUniform([n], 0, 1, 'float32', 6), 0.5), 'int32');
    if (tokens !== undefined) {
      const x = tf.randomUniform([n, ...shape], 1, tokens, 'int32', 5);
      const first = tf.mul(tf.slice(x, [0, 0], [n, 1]), tf.reshape(tf.sub(1, label), [n, 1]));
      return { x: tf.concat([first, tf.slice(x, [0, 1])], 1), y: tf.oneHot(label, 2) };
    }
    const noise = tf.randomNormal([n, ...shape], 0, 1, 'float32', 7);
    const shift = tf.reshape(tf.sub(tf.mul(tf.cast(label, 'float32'), 1.5), 0.75), [
      n,
      ...shape.map(() => 1),
    ]);
    return { x: tf.add(noise, shift), y: tf.oneHot(label, 2) };
  });
}

/**
 * Fits a compiled `model` on (x, y) for `epochs` after a one-epoch warm-up, batch 16, and asserts
 * that no tensor is left behind, every loss is finite and the last is below 0.8× the first.
 */
export async function expectLearns(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  epochs: number,
): Promise<void> {
  await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 }); // warm-up
  const before = tf.memory().numTensors;
  const history = await model.fit(x, y, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
  expect(tf.memory().numTensors).toBe(before);
  const losses = history.history.loss as number[];
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]!);
}

/**
 * The five model families the library trains, small: name, builder, per-sample input shape and,
 * for token inputs, the vocabulary size.
 */
export const MODEL_FAMILIES: [string, () => tfl.LayersModel, number[], number | undefined][] = [
  ['seed CNN', () => seedCnn(8), [8, 8, 1], undefined],
  ['ResNet-style CNN', () => resNetStyle(8), [8, 8, 3], undefined],
  ['3D CNN', () => cnn3d(8), [8, 8, 8, 1], undefined],
  ['depthwise-separable CNN', () => separableCnn(12), [12, 12, 1], undefined],
  ['embedding model', () => embeddingModel(20, 6), [6], 20],
];
