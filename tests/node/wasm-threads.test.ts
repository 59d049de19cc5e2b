/**
 * useWasmThreads: the wasm backend started with tfjs-backend-wasm's multi-threaded build under
 * Node (this file runs in its own process, where nothing has started the wasm backend yet). Each
 * model family's gradients on two threads, with registerTrainingKernels, equal the stock cpu
 * backend's to 1e-4 of the largest gradient; training makes the loss fall without leaking; the
 * bad calls are refused before anything starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, BackendError, registerTrainingKernels } from '../../src/index.js';
import { createLoss } from '../../src/losses/index.js';
import { useWasmThreads } from '../../src/node/index.js';
import { expectNoLeak } from '../helpers/backends.js';
import { expectLearns, MODEL_FAMILIES, seedCnn, toyData } from '../helpers/models.js';

const loss = createLoss('softmaxCrossEntropy');

/** Inputs and one-hot labels as plain arrays, so that each backend builds its own tensors. */
function toyArrays(shape: number[], n: number, tokens?: number) {
  const size = shape.reduce((p, d) => p * d, 1);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const x = Array.from({ length: n * size }, (_, i) =>
    tokens === undefined
      ? next() * 2 - 1 + (labels[Math.floor(i / size)] === 1 ? 0.75 : -0.75)
      : 1 + Math.floor(next() * (tokens - 1)),
  );
  return { x, labels };
}

/** The loss's gradient for each trainable weight, with the given weights, on the active backend. */
function gradients(
  build: () => tfl.LayersModel,
  shape: number[],
  tokens: number | undefined,
  weights?: Float32Array[],
): { weights: Float32Array[]; grads: Float32Array[] } {
  const model = build();
  if (weights)
    tf.tidy(() =>
      model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i]!.shape))),
    );
  const { x, labels } = toyArrays(shape, 8, tokens);
  const xs = tf.tensor(x, [8, ...shape], tokens === undefined ? 'float32' : 'int32');
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 2));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => loss(ys, model.apply(xs, { training: false }) as tf.Tensor) as tf.Scalar,
    vars,
  );
  const out = {
    weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
    grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array),
  };
  tf.dispose([xs, ys, value, grads]);
  model.dispose();
  return out;
}

describe('useWasmThreads', () => {
  it('refuses a thread count that is not an integer from 1 to 8, before starting anything', async () => {
    for (const threads of [0, 9, 1.5, Number.NaN, '2' as unknown as number])
      await expect(useWasmThreads({ threads })).rejects.toThrow(ArgumentError);
    expect(tf.findBackend('wasm')).toBeNull();
  });

  beforeAll(() => {
    registerTrainingKernels();
  });

  it('starts the wasm backend with two threads; a second call returns the same count', async () => {
    expect(await useWasmThreads({ threads: 2 })).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    await tf.setBackend('cpu');
    expect(await useWasmThreads()).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    await expect(useWasmThreads({ threads: 3 })).rejects.toThrow(BackendError);
    await expect(useWasmThreads({ threads: 3 })).rejects.toThrow(/already runs 2 threads/);
  });

  it.each(MODEL_FAMILIES)(
    '%s: gradients on two threads equal the stock cpu backend',
    async (_n, build, shape, tokens) => {
      await tf.setBackend('wasm');
      const threaded = await expectNoLeak(() => gradients(build, shape, tokens));
      await tf.setBackend('cpu');
      const reference = gradients(build, shape, tokens, threaded.weights);
      for (const [i, g] of reference.grads.entries()) {
        const scale = Math.max(...g.map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        const worst = Math.max(...threaded.grads[i]!.map((v, j) => Math.abs(v - g[j]!)));
        expect(worst).toBeLessThanOrEqual(1e-4 * scale + 1e-7);
      }
    },
  );

  it('trains the seed CNN on two threads: the loss falls, no tensor is left behind', async () => {
    await tf.setBackend('wasm');
    const model = seedCnn(12);
    model.compile({ optimizer: tf.train.adam(0.01), loss });
    const { x, y } = toyData([12, 12, 1], 32);
    await expectLearns(model, x, y, 10);
    tf.dispose([x, y]);
    model.dispose();
  });
});
