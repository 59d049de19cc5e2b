/**
 * useWasmThreads: the wasm backend started with tfjs-backend-wasm's multi-threaded build under
 * Node (this file runs in its own process, where nothing has started the wasm backend yet). Each
 * model family's gradients on two threads, with registerTrainingKernels, equal the stock cpu
 * backend's to 1e-4 of the largest gradient; training makes the loss fall without leaking; the
 * bad calls are refused before anything starts. The helper thread of the matrix loops: a shared
 * pass, a split product and a logistic fit with it equal one thread's bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmMemoryOf } from '../../src/backend/kernels/js-access.js';
import { allFinite, float32Tensor2d, matrixPass } from '../../src/backend/matrix-pass.js';
import { passHelperFor, setPassHelper } from '../../src/backend/pass-helper.js';
import { LogisticRegression } from '../../src/genomics/index.js';
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

/**
 * One matrix pass over A with v, each row's weight `weight` of its dot: the dots and the
 * weighted row sums.
 */
function passOver(A: tf.Tensor2D, v: Float64Array, weight: (dot: number) => number) {
  const [rows, cols] = A.shape;
  const pass = matrixPass(A)!;
  const out = new Float64Array(cols);
  const dots = new Float32Array(rows);
  pass.run(
    v,
    (i0, _i1, d) => {
      dots.set(d, i0);
      return Float32Array.from(d, weight);
    },
    out,
  );
  pass.dispose();
  return { out, dots };
}

/** Whether two float32 arrays hold the same bits. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return bytes(a).equals(bytes(b));
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

  it('shares a large matrix pass with a helper thread: the dots and weighted sums of one thread, bit for bit', async () => {
    await tf.setBackend('wasm');
    const helper = passHelperFor(wasmMemoryOf(tf.backend()));
    expect(helper).toBeDefined();
    // 600 × 9,999 values: over the split threshold, four chunks a block; 9,999 columns leave a
    // JavaScript tail past both loops' widths
    const [rows, cols] = [600, 9999];
    const A = tf.randomNormal([rows, cols], 0, 1, 'float32', 21) as tf.Tensor2D;
    const v = Float64Array.from({ length: cols }, (_, j) => Math.sin(j) / 40);
    // weights from the dots, as a logistic residual is
    const run = () => passOver(A, v, (z) => 1 / (1 + Math.exp(-z)) - 0.5);
    const two = run();
    setPassHelper(undefined);
    const one = run();
    setPassHelper(helper);
    const a = A.dataSync();
    A.dispose();
    for (let i = 0; i < rows; i++) {
      let exact = 0;
      let magnitude = 0;
      for (let j = 0; j < cols; j++) {
        exact += a[i * cols + j]! * v[j]!;
        magnitude += Math.abs(a[i * cols + j]! * Math.fround(v[j]!));
      }
      const bound = 2 * cols * 2 ** -24 * magnitude + 1e-6;
      expect(Math.abs(two.dots[i]! - exact)).toBeLessThanOrEqual(bound);
    }
    // the chunks are the same whichever thread runs them, and added in the same order
    expect(two.dots).toEqual(one.dots);
    expect(two.out).toEqual(one.out);
  });

  it('rounds a large design into the heap with the helper thread: Math.fround bit for bit, every non-finite value seen', async () => {
    await tf.setBackend('wasm');
    expect(passHelperFor(wasmMemoryOf(tf.backend()))).toBeDefined();
    // 1,100 × 1,001 values: over the split threshold, 68 stages, the last ending in 3 values
    const [rows, cols] = [1100, 1001];
    let seed = 3;
    const values = Float64Array.from({ length: rows * cols }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed / 2 ** 32 - 0.5) * 1e3;
    });
    const before = tf.memory().numTensors;
    const { tensor, finite } = float32Tensor2d(values, rows, cols);
    expect(finite).toBe(true);
    expect(sameBits(tensor.dataSync() as Float32Array, Float32Array.from(values))).toBe(true);
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // a bad value early, in the middle (stages either thread may round) and in the tail
    for (const [at, bad] of [
      [5, Number.NaN],
      [16384 + 9, Number.POSITIVE_INFINITY],
      [16384 + 9, -1e39],
      [600 * 1001, Number.NEGATIVE_INFINITY],
      [rows * cols - 1, Number.NaN],
    ] as const) {
      const kept = values[at]!;
      values[at] = bad;
      const out = float32Tensor2d(values, rows, cols);
      values[at] = kept;
      expect(out.finite).toBe(false);
      out.tensor.dispose();
    }
  });

  it('checks a large float32 tensor’s finiteness with the helper thread: a non-finite value in either half is seen', async () => {
    await tf.setBackend('wasm');
    expect(passHelperFor(wasmMemoryOf(tf.backend()))).toBeDefined();
    const n = 1200 * 1001; // over the split threshold; the last 3 values past the SIMD loops
    const values = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 13) - 6);
    const check = (at?: number, bad?: number) => {
      const v = values.slice();
      if (at !== undefined) v[at] = bad!;
      const t = tf.tensor2d(v, [1200, 1001]);
      const finite = allFinite(t);
      t.dispose();
      return finite;
    };
    expect(await expectNoLeak(() => check())).toBe(true);
    expect(check(5, Number.NaN)).toBe(false); // the helper's half
    expect(check(n - 10, Number.POSITIVE_INFINITY)).toBe(false); // this thread's half
    expect(check(n - 1, Number.NEGATIVE_INFINITY)).toBe(false); // the tail
  });

  it('interleaves shared passes and whole-loop jobs on the helper: every result that of one thread', async () => {
    await tf.setBackend('wasm');
    const helper = passHelperFor(wasmMemoryOf(tf.backend()));
    expect(helper).toBeDefined();
    // a pass whose chunks the calling thread may finish before the helper wakes, then an upload
    // whose stages go to the helper as whole-loop jobs, again and again
    const [rows, cols] = [1050, 1000];
    const A = tf.randomNormal([rows, cols], 0, 1, 'float32', 31) as tf.Tensor2D;
    const v = Float64Array.from({ length: cols }, (_, j) => Math.cos(j) / 30);
    const values = Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 100);
    const pass = () => passOver(A, v, Math.tanh).out;
    setPassHelper(undefined);
    const one = pass();
    setPassHelper(helper);
    const rounded = Float32Array.from(values);
    for (let r = 0; r < 20; r++) {
      expect(pass()).toEqual(one);
      const { tensor, finite } = float32Tensor2d(values, rows, cols);
      expect(finite).toBe(true);
      expect(sameBits(tensor.dataSync() as Float32Array, rounded)).toBe(true);
      tensor.dispose();
    }
    A.dispose();
  });

  it('splits a large matrix product with the helper thread by rows or by columns: bit for bit one thread', async () => {
    await tf.setBackend('wasm');
    const helper = passHelperFor(wasmMemoryOf(tf.backend()));
    expect(helper).toBeDefined();
    // over the split threshold (2^24 multiply-adds): A the larger operand (rows; 290 leaves rows
    // past the gemm's and 130 columns past its blocks), then B the larger (columns; of 16 gemm
    // rows the relaxed gemm's helper takes 12 in blocks of 6, this thread the other 4)
    for (const [M, K, N, ta] of [
      [290, 1001, 130, false],
      [17, 30001, 100, false],
      [288, 1000, 128, true],
    ] as const) {
      const a = tf.randomNormal(ta ? [K, M] : [M, K], 0, 1, 'float32', M);
      const b = tf.randomNormal([K, N], 0, 1, 'float32', N);
      const product = () => {
        const c = tf.matMul(a, b, ta, false);
        const values = c.dataSync().slice();
        c.dispose();
        return values;
      };
      const two = await expectNoLeak(product);
      setPassHelper(undefined);
      const one = product();
      setPassHelper(helper);
      expect(two.every(Number.isFinite)).toBe(true);
      expect(two).toEqual(one);
      tf.dispose([a, b]);
    }
  });

  it('splits a convolution (fused too), its gradients (from a pooling’s too), ReLU, its gradient, elementwise arithmetic and max pooling’s gradient (through a ReLU too) with the helper thread: bit for bit one thread', async () => {
    await tf.setBackend('wasm');
    const helper = passHelperFor(wasmMemoryOf(tf.backend()));
    expect(helper).toBeDefined();
    // 3×3 filters at stride 1 (Winograd F(2×2, 3×3): the helper takes the first half of the
    // blocks of tiles; the filter gradient sums the halves apart either way), 1×1 taps of 8
    // (the segmented product's blocks of 4 rows: output positions 1,296)
    for (const [size, ci, co, k] of [
      [14, 32, 64, 3], // dy: 200,704 elements, over the ReLU gradient's sharing threshold
      [9, 8, 16, 1],
      [14, 1, 32, 3], // a first layer on grey images: one input channel
      [13, 8, 16, 3], // Winograd on an odd grid: 784 tiles, the last block part-filled
    ] as const) {
      const x = tf.randomNormal([16, size, size, ci], 0, 1, 'float32', ci);
      const dy = tf.randomNormal([16, size, size, co], 0, 1, 'float32', co);
      const dy2 = tf.randomNormal([16, size, size, co], 0, 1, 'float32', co + 1);
      const bias = tf.randomNormal([co], 0, 1, 'float32', 3);
      const w = tf.randomNormal([k, k, ci, co], 0, 1, 'float32', k);
      const pooled = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
      const dyPool = tf.randomNormal(pooled.shape, 0, 1, 'float32', 5);
      const half = Math.floor(size / 2);
      const dyPoolY = tf.randomNormal([16, half, half, co], 0, 1, 'float32', 6);
      const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
      const results = () => {
        const relu = tf.engine().runKernel(
          'FusedConv2D',
          { x, filter: w, bias },
          {
            ...attrs,
            activation: 'relu',
          },
        ) as tf.Tensor;
        const outs = [
          // a convolution's filter and bias gradients from its ReLU output's pooling's gradient
          // (the images in two halves, the first on the helper)
          ...(tf
            .engine()
            .runKernel(
              'MedkitConv2DPoolBackward',
              { x, filter: w, y: relu, dy: dyPoolY },
              { strides: [1, 1], pad: 'same', dx: false, dw: true, db: true },
            ) as tf.Tensor[]),
          // ReLU's gradient (its first half on the helper for a large activation)
          tf.engine().runKernel('MedkitReluGrad', { dy, x: dy }, {}),
          // ReLU and the four operations, with a bias or with an operand of the same shape (the
          // first half of the rows on the helper)
          tf.engine().runKernel('Relu', { x: dy }, {}),
          tf.engine().runKernel('Add', { a: dy, b: bias }, {}),
          tf.engine().runKernel('Multiply', { a: bias, b: dy }, {}),
          tf.engine().runKernel('Sub', { a: dy, b: dy2 }, {}),
          tf.engine().runKernel('RealDiv', { a: dy, b: dy2 }, {}),
          // 2×2 max pooling's gradient (the first half of its rows on the helper)
          tf
            .engine()
            .runKernel(
              'MaxPoolGrad',
              { dy: dyPool, input: x, output: pooled },
              { filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
            ),
          // and through the ReLU whose output was pooled (x is no ReLU output: the mask matters)
          tf
            .engine()
            .runKernel(
              'MedkitMaxPoolReluGrad',
              { dy: dyPool, input: x, output: pooled },
              { filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
            ),
          tf.engine().runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            {
              ...attrs,
              filterShape: [k, k, ci, co],
            },
          ),
          // bias gradients' column sums (on this thread: the threaded build's)
          tf.engine().runKernel('Sum', { x: dy }, { axis: [0, 1, 2] }),
          tf.engine().runKernel('Sum', { x }, { axis: [0, 1, 2] }),
          tf.engine().runKernel('Conv2D', { x, filter: w }, attrs),
          tf
            .engine()
            .runKernel('FusedConv2D', { x, filter: w, bias }, { ...attrs, activation: 'relu' }),
          tf.engine().runKernel(
            'Conv2DBackpropInput',
            { dy, filter: w },
            {
              ...attrs,
              inputShape: x.shape,
            },
          ),
        ] as tf.Tensor[];
        const values = outs.flatMap((t) => Array.from(t.dataSync()));
        tf.dispose([relu, ...outs]);
        return values;
      };
      const two = await expectNoLeak(results);
      setPassHelper(undefined);
      const one = results();
      setPassHelper(helper);
      expect(two.every(Number.isFinite)).toBe(true);
      expect(two).toEqual(one);
      tf.dispose([x, dy, dy2, bias, w, pooled, dyPool, dyPoolY]);
    }
  });

  it('fits LogisticRegression on the backend with the helper: the one-thread fit, bit for bit', async () => {
    await tf.setBackend('wasm');
    const helper = passHelperFor(wasmMemoryOf(tf.backend()));
    const [rows, cols] = [700, 1600];
    let seed = 5;
    const draw = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const data = Float64Array.from({ length: rows * cols }, () => (draw() < 0.3 ? 1 : 0) - 0.3);
    const y = Array.from({ length: rows }, (_, i) =>
      data[i * cols]! + data[i * cols + 1]! + draw() - 0.5 > 0 ? 1 : 0,
    );
    const fitOnce = async () => {
      const m = await new LogisticRegression({
        C: 0.05,
        maxIter: 500,
        products: 'backend',
        onWarning: () => {},
      }).fit({ data, rows, cols }, y);
      const w = m.coef[0]!;
      const proba = await m.predictProba({ data, rows, cols });
      let loss = 0;
      proba.forEach((row, i) => {
        loss -= Math.log(row[y[i]!]!);
      });
      return { objective: loss + w.reduce((s, x) => s + x * x, 0) / (2 * 0.05), w };
    };
    const two = await expectNoLeak(fitOnce);
    setPassHelper(undefined);
    const one = await fitOnce();
    setPassHelper(helper);
    expect(two.w).toEqual(one.w);
    expect(two.objective).toBe(one.objective);
  });
});
