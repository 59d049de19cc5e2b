/**
 * The wasm `Tanh` by SIMD (and its scalar tail, `tanhf`): bit for bit the stock kernel (the C
 * library's tanhf) on every exponent of float32 (bit patterns spread over the whole range),
 * uniform draws over the range where tanh moves, subnormals, ±0, ±∞ and NaN, in lengths that
 * leave each tail; its gradient unchanged; no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKernel } from '../../src/backend/kernel-calls.js';
import { tanhf } from '../../src/backend/kernels/tanh.js';
import { registerTrainingKernels } from '../../src/index.js';
import { expectNoLeak } from '../helpers/backends.js';

beforeAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

/** The stock wasm kernel's results for `xs`. */
function stock(xs: Float32Array): Float32Array {
  const x = tf.tensor1d(xs);
  const backend = tf.backend() as unknown as Parameters<typeof callKernel>[2];
  const info = callKernel('Tanh', 'wasm', backend, { x });
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const values = out.dataSync() as Float32Array;
  tf.dispose([x, out]);
  return values;
}

/** Indices where two arrays differ as float32 bit patterns (NaN equal to NaN). */
function differences(a: Float32Array, b: Float32Array): number[] {
  const bad: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const same = Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i]));
    if (!same) bad.push(i);
  }
  return bad;
}

const SPECIALS = [
  0,
  -0,
  1e-45,
  -1e-45,
  1e-40,
  -1e-40,
  1.17549435e-38,
  -1.17549435e-38,
  2.98e-8,
  -2.98e-8,
  0.2554,
  0.25541,
  0.5493,
  0.54931,
  0.3466,
  1.0397,
  9.999999,
  10,
  10.000001,
  -10,
  88.7,
  1e30,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
];

describe('wasm Tanh by SIMD', () => {
  it('is bit for bit the stock kernel over every exponent, subnormals and specials', () => {
    const n = 1 << 20;
    const u = new Uint32Array(n);
    const xs = new Float32Array(u.buffer);
    for (const start of [0, 3, 11]) {
      // bit patterns spread over all of float32, both signs
      for (let i = 0; i < n; i++) u[i] = (start + i * 4099) >>> 0;
      const ours = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync() as Float32Array);
      expect(differences(ours, stock(xs))).toEqual([]);
    }
    // uniform over (−12, 12), where every branch of tanhf is taken
    let seed = 1;
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      xs[i] = (seed / 2 ** 32 - 0.5) * 24;
    }
    const ours = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync() as Float32Array);
    expect(differences(ours, stock(xs))).toEqual([]);
    const specials = new Float32Array(SPECIALS);
    const s = tf.tidy(() => tf.tanh(tf.tensor1d(specials)).dataSync() as Float32Array);
    expect(differences(s, stock(specials))).toEqual([]);
  });

  it('takes the scalar path for the last one to three elements, the same values', () => {
    for (const length of [1, 2, 3, 5, 6, 7, 13]) {
      const xs = new Float32Array(length).map((_, i) => (i - 3) * 0.7);
      const ours = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync() as Float32Array);
      expect(differences(ours, stock(xs))).toEqual([]);
      expect(Array.from(xs, (x) => Math.fround(tanhf(x)))).toEqual(Array.from(ours));
    }
  });

  it('keeps the gradient and leaves no tensor behind', async () => {
    const x = tf.tensor2d([
      [-3, -0.4, 0],
      [0.1, 0.6, 12],
    ]);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(v)));
    await expectNoLeak(() => {
      const g = grad(x);
      const expected = tf.tidy(() => tf.sub(1, tf.square(tf.tanh(x))));
      expect(Array.from(g.dataSync())).toEqual(Array.from(expected.dataSync()));
      tf.dispose([g, expected]);
    });
    x.dispose();
  });
});
