/**
 * Add, Sub, Multiply, RealDiv and Relu of float32 tensors on the wasm backend (the library's
 * replacements): bit for bit the stock wasm kernels, NaN, ±0, ±∞ and subnormals included. Small
 * ones on the calling thread for every broadcast they take (same shape, a single element on
 * either side, a vector along the last axis, a column), either operand the larger; large ones by
 * the SIMD loops (the same shape, or a vector of a multiple of 4 along the last axis); other
 * broadcasts go to the stock kernels; one output, nothing else left on the backend. The helper
 * thread's share of large ones: tests/node/wasm-threads.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKernel, type KernelBackend } from '../../src/backend/kernel-calls.js';
import { wasmBinaryKernel, wasmReluKernel } from '../../src/backend/kernels/elementwise.js';
import { registerTrainingKernels } from '../../src/index.js';

beforeAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

const SPECIAL = [0, -0, 1, -1, 1e-40, -1e-40, 3e38, -3e38, Infinity, -Infinity, Number.NaN, 0.1, 7];

/** Values of `shape`: the special ones, then draws. */
function values(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const draws = tf.randomNormal([n], 0, 10, 'float32', seed).dataSync();
  const v = Float32Array.from(draws, (d, i) =>
    i < SPECIAL.length ? SPECIAL[(i + seed) % SPECIAL.length]! : d,
  );
  return tf.tensor(v, shape);
}

/** Float32 bit patterns, every NaN as one pattern. */
function bits(v: Float32Array): number[] {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  return Array.from(v, (x, i) => (Number.isNaN(x) ? -1 : u[i]!));
}

describe('elementwise kernels on one thread', () => {
  const backend = () => tf.backend() as unknown as KernelBackend;
  it.each(['Add', 'Sub', 'Multiply', 'RealDiv'])(
    '%s: the stock kernel’s bits for each broadcast',
    (op) => {
      const kernel = wasmBinaryKernel(op, false)('wasm');
      for (const [as, bs] of [
        [
          [64, 2],
          [64, 2],
        ],
        [[64, 128], [128]],
        [[128], [64, 128]],
        [
          [64, 2],
          [64, 1],
        ],
        [
          [64, 1],
          [64, 2],
        ],
        [[3, 5, 7], []],
        [[], [3, 5, 7]],
        [[1], [9]],
        [[], []],
        [
          [2, 64],
          [1, 64],
        ], // not handled here: the stock kernel
        [[200, 100], [100]], // large: the SIMD loop, by rows
        [[100], [200, 100]], // the same, the vector first (the stock kernel for Sub and RealDiv)
        [
          [257, 67],
          [257, 67],
        ], // large, the same shape: the SIMD loop and the last 3 elements here
        [[130, 130], [130]], // large, a width not a multiple of 4: the stock kernel
        [
          [300, 100],
          [300, 1],
        ], // large, a column: the stock kernel
      ] as [number[], number[]][]) {
        const a = values(as, 1);
        const b = values(bs, 2);
        const stock = tf
          .engine()
          .makeTensorFromTensorInfo(callKernel(op, 'wasm', backend(), { a, b }));
        // one new data id (the output), nothing else left behind
        const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
        const info = kernel({
          inputs: { a, b },
          backend: tf.backend(),
          attrs: {},
        }) as tf.TensorInfo;
        expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids + 1);
        const mine = tf.engine().makeTensorFromTensorInfo(info);
        expect(mine.shape).toEqual(stock.shape);
        expect(bits(mine.dataSync() as Float32Array)).toEqual(
          bits(stock.dataSync() as Float32Array),
        );
        tf.dispose([a, b, stock, mine]);
      }
    },
  );

  it('Relu: the stock kernel’s bits (+0 for a set sign bit, NaN with it too)', () => {
    const kernel = wasmReluKernel(false)('wasm');
    const raw = new Float32Array([...SPECIAL, -0.5, 0.25, -1e-45]);
    new Uint32Array(raw.buffer)[0] = 0xffc00000; // a NaN with its sign bit set
    // small ones (this thread's loop), large ones (the SIMD loop and the last 1–3 elements here)
    const large = new Float32Array(16_387);
    large.set(raw);
    const draws = values([16_000], 5);
    large.set(draws.dataSync() as Float32Array, raw.length);
    draws.dispose();
    for (const x of [
      tf.tensor1d(raw),
      values([64, 128], 3),
      values([3, 5], 4),
      tf.tensor1d(large),
      values([8, 28, 28, 32], 6),
    ]) {
      const stock = tf
        .engine()
        .makeTensorFromTensorInfo(callKernel('Relu', 'wasm', backend(), { x }));
      const mine = tf
        .engine()
        .makeTensorFromTensorInfo(
          kernel({ inputs: { x }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo,
        );
      const [s1, m1] = [stock.dataSync() as Float32Array, mine.dataSync() as Float32Array];
      expect(Array.from(new Uint32Array(m1.buffer, m1.byteOffset, m1.length))).toEqual(
        Array.from(new Uint32Array(s1.buffer, s1.byteOffset, s1.length)),
      );
      tf.dispose([x, stock, mine]);
    }
  });

  it('leaves int32 operands to the stock kernel', () => {
    const kernel = wasmBinaryKernel('Add', false)('wasm');
    const a = tf.tensor1d([1, 2, 3], 'int32');
    const out = tf
      .engine()
      .makeTensorFromTensorInfo(
        kernel({ inputs: { a, b: a }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo,
      );
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([2, 4, 6]);
    tf.dispose([a, out]);
  });
});
