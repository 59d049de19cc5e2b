/**
 * Small Add, Sub, Multiply, RealDiv and Relu on the calling thread (the multi-threaded wasm
 * backend's replacements): bit for bit the stock wasm kernels, NaN, ±0, ±∞ and subnormals
 * included, for every broadcast they take (same shape, a single element on either side, a vector
 * along the last axis, a column), either operand the larger; other broadcasts and large outputs
 * go to the stock kernels; one output, nothing else left on the backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKernel, type KernelBackend } from '../../src/backend/kernel-calls.js';
import { smallBinaryKernel, smallReluKernel } from '../../src/backend/kernels/small-elementwise.js';
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

describe('small binary kernels on one thread', () => {
  const backend = () => tf.backend() as unknown as KernelBackend;
  it.each(['Add', 'Sub', 'Multiply', 'RealDiv'])(
    '%s: the stock kernel’s bits for each broadcast',
    (op) => {
      const kernel = smallBinaryKernel(op, false)('wasm');
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
        [[200, 100], [100]], // too large: the stock kernel
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
    const kernel = smallReluKernel(false)('wasm');
    const raw = new Float32Array([...SPECIAL, -0.5, 0.25, -1e-45]);
    new Uint32Array(raw.buffer)[0] = 0xffc00000; // a NaN with its sign bit set
    for (const x of [tf.tensor1d(raw), values([64, 128], 3), values([3, 5], 4)]) {
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
    const kernel = smallBinaryKernel('Add', false)('wasm');
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
