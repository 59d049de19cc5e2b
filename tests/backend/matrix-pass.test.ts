/**
 * matrixPass: A·v and Aᵀ·w(A·v) in one read of a float32 matrix on the wasm backend, against the
 * float64 definition, over odd widths (columns past the SIMD loops' multiples of 8 and 4),
 * several blocks of rows and several chunks of columns. float32Tensor2d: doubles rounded as
 * Math.fround rounds them, across stages and a tail, and every kind of non-finite value seen.
 * allFinite: every kind of non-finite value seen in a float32 tensor, in the SIMD part and the tail.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { allFinite, float32Tensor2d, matrixPass } from '../../src/backend/matrix-pass.js';
import { Random } from '../../src/core/random.js';
import { registerTrainingKernels } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

beforeAll(() => {
  registerTrainingKernels();
});

describeBackends('matrixPass', (backend) => {
  it.runIf(backend === 'wasm').each([
    [600, 1003], // two blocks of rows; 3 columns past the multiples of 8 and of 4
    [40, 9003], // four chunks of columns a block (their sums added in order)
    [5, 16],
    [9, 6], // narrower than one SIMD step
  ])('%i × %i: the dots and the weighted row sums equal the definition', (rows, cols) => {
    const rng = new Random(rows * cols);
    const a = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 1));
    const v = Float64Array.from({ length: cols }, () => rng.normal(0, 1));
    const A = tf.tensor2d(a, [rows, cols]);
    const before = tf.memory().numTensors;
    const pass = matrixPass(A)!;
    expect(pass).toBeDefined();
    const dots = new Float64Array(rows);
    const weights = new Float64Array(rows);
    const out = new Float64Array(cols).fill(1);
    const blocks: number[] = [];
    pass.run(
      v,
      (i0, i1, d) => {
        blocks.push(i0);
        for (let i = i0; i < i1; i++) {
          dots[i] = d[i - i0]!;
          weights[i] = Math.tanh(d[i - i0]!) + i / rows;
        }
        return weights.subarray(i0, i1);
      },
      out,
    );
    pass.dispose();
    expect(tf.memory().numTensors).toBe(before);
    if (rows * cols * 4 > 1 << 21) expect(blocks.length).toBeGreaterThan(1);
    const f32 = (x: number) => Math.fround(x);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += a[i * cols + j]! * f32(v[j]!);
      expect(Math.abs(dots[i]! - s)).toBeLessThan(1e-4 * Math.sqrt(cols));
    }
    for (let j = 0; j < cols; j++) {
      let s = 1;
      for (let i = 0; i < rows; i++) s += f32(weights[i]!) * a[i * cols + j]!;
      expect(Math.abs(out[j]! - s)).toBeLessThan(1e-4 * Math.sqrt(rows));
    }
    A.dispose();
  });

  it.runIf(backend === 'wasm')(
    "three vectors a pass, strided (a multinomial model's class blocks)",
    () => {
      const [rows, cols, K, stride] = [200, 1003, 3, 1005];
      const rng = new Random(5);
      const a = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 1));
      const v = Float64Array.from({ length: K * stride }, () => rng.normal(0, 1));
      const A = tf.tensor2d(a, [rows, cols]);
      const pass = matrixPass(A, K)!;
      const dots = new Float64Array(rows * K);
      const weights = new Float64Array(rows * K);
      const out = new Float64Array(K * stride);
      pass.run(
        v,
        (i0, i1, d) => {
          for (let i = i0; i < i1; i++)
            for (let k = 0; k < K; k++) {
              dots[i * K + k] = d[(i - i0) * K + k]!;
              weights[i * K + k] = Math.sin(d[(i - i0) * K + k]!) + k;
            }
          return weights.subarray(i0 * K, i1 * K);
        },
        out,
        { columns: K, stride },
      );
      pass.dispose();
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < rows; i++) {
          let s = 0;
          for (let j = 0; j < cols; j++) s += a[i * cols + j]! * Math.fround(v[k * stride + j]!);
          expect(Math.abs(dots[i * K + k]! - s)).toBeLessThan(1e-4 * Math.sqrt(cols));
        }
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += Math.fround(weights[i * K + k]!) * a[i * cols + j]!;
          expect(Math.abs(out[k * stride + j]! - s)).toBeLessThan(1e-4 * Math.sqrt(rows));
        }
        // the gaps between the blocks are left alone
        expect(out[k * stride + cols]).toBe(0);
      }
      A.dispose();
    },
  );

  it.runIf(backend === 'wasm')(
    'a vector of zeros: dots of +0 (no sweep for them), the weighted sums as ever',
    () => {
      const [rows, cols] = [30, 203];
      const rng = new Random(9);
      const a = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 1));
      const A = tf.tensor2d(a, [rows, cols]);
      const pass = matrixPass(A)!;
      const out = new Float64Array(cols);
      const seen: number[] = [];
      pass.run(
        new Float64Array(cols),
        (i0, i1, d) => {
          seen.push(...d);
          return Float64Array.from({ length: i1 - i0 }, (_, i) => (i0 + i) / rows);
        },
        out,
      );
      pass.dispose();
      expect(seen).toEqual(new Array(rows).fill(0));
      expect(seen.every((d) => Object.is(d, 0))).toBe(true);
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += Math.fround(i / rows) * a[i * cols + j]!;
        expect(Math.abs(out[j]! - s)).toBeLessThan(1e-4 * Math.sqrt(rows));
      }
      A.dispose();
    },
  );

  it(`${backend}: only the wasm backend's float32 matrices get a pass`, () => {
    const A = tf.zeros([4, 8]) as tf.Tensor2D;
    const I = tf.zeros([4, 8], 'int32') as tf.Tensor2D;
    const pass = matrixPass(A);
    expect(pass === undefined).toBe(backend !== 'wasm');
    pass?.dispose();
    expect(matrixPass(I)).toBeUndefined();
    tf.dispose([A, I]);
  });

  it(`${backend}: float32Tensor2d rounds as Math.fround, over several stages and a tail`, () => {
    // 37 × 1,003 values: three stages of the heap's conversion, the last ending in 3 values
    const [rows, cols] = [37, 1003];
    const rng = new Random(8);
    const values = Float64Array.from({ length: rows * cols }, (_, i) =>
      i % 5 === 0 ? rng.normal(0, 1e-30) : rng.normal(0, 1e3),
    );
    const before = tf.memory().numTensors;
    const { tensor, finite } = float32Tensor2d(values, rows, cols);
    expect(finite).toBe(true);
    expect(tensor.shape).toEqual([rows, cols]);
    expect(tensor.dataSync()).toEqual(Float32Array.from(values));
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['NaN in the SIMD part', 100, Number.NaN],
    ['+∞ in the SIMD part', 20000, Number.POSITIVE_INFINITY],
    ['a double beyond float32 in the SIMD part', 7, 1e39],
    ['−∞ in the tail', 37 * 1003 - 1, Number.NEGATIVE_INFINITY],
    ['a double beyond float32 in the tail', 37 * 1003 - 2, -4e38],
  ])(`${backend}: float32Tensor2d sees %s`, (_, at, bad) => {
    const values = new Float64Array(37 * 1003).fill(0.5);
    values[at] = bad;
    const { tensor, finite } = float32Tensor2d(values, 37, 1003);
    expect(finite).toBe(false);
    tensor.dispose();
  });

  it(`${backend}: allFinite sees every kind of non-finite value, in the SIMD part and in the tail`, () => {
    // 37 × 1,003 values: the SIMD loop over the first multiple of 8, the last 3 here
    const n = 37 * 1003;
    const values = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3 + 1e-30 * i);
    const clean = tf.tensor2d(values, [37, 1003]);
    const before = tf.memory().numTensors;
    expect(allFinite(clean)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    clean.dispose();
    for (const [at, bad] of [
      [0, Number.NaN],
      [12_345, Number.POSITIVE_INFINITY],
      [n - 4, Number.NEGATIVE_INFINITY], // the SIMD loop's last value
      [n - 3, Number.NaN], // the tail
      [n - 1, Number.NEGATIVE_INFINITY],
    ] as [number, number][]) {
      const v = values.slice();
      v[at] = bad;
      const t = tf.tensor2d(v, [37, 1003]);
      expect(allFinite(t), `${bad} at ${at}`).toBe(false);
      t.dispose();
    }
    // a small one, shorter than a SIMD step
    const small = tf.tensor1d([1, Number.NaN, 3]);
    expect(allFinite(small)).toBe(false);
    small.dispose();
  });
});
