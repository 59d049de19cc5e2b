/**
 * log σ(z) by one kernel call each way (MedkitLogSigmoid, MedkitLogSigmoidGrad) on cpu and wasm:
 * values and gradients bit for bit those of the losses' composition of tfjs ops (±0, tiny and
 * huge logits, ±∞ and NaN included; any rank); one kernel call each way; a gradient of a
 * gradient still right (it takes the composition); no tensor or backend memory leaked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/index.js';
import { logSigmoid, logSigmoidComposed } from '../../src/losses/stable-math.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

beforeAll(() => {
  registerTrainingKernels();
});

const SPECIAL = [
  0,
  -0,
  1e-8,
  -1e-8,
  1e-30,
  -1e-30,
  1e-45,
  0.5,
  -0.5,
  1,
  -1,
  16.6,
  -16.6,
  17,
  -17,
  20,
  -20,
  88,
  -88,
  89,
  -89,
  100,
  -100,
  1e4,
  -1e4,
  3e38,
  -3e38,
  Number.NaN,
  Infinity,
  -Infinity,
];

/** Float32 bit patterns, NaN as one pattern: equal arrays of these are equal bit for bit. */
function bits(values: Float32Array | number[]): number[] {
  const u = new Uint32Array(Float32Array.from(values).buffer);
  return Array.from(values, (v, i) => (Number.isNaN(v) ? -1 : u[i]!));
}

/** The value and the gradient of Σ w·logσ(z) (w spreads dy over scales) by `f`. */
function valueAndGradient(f: (z: tf.Tensor) => tf.Tensor, z: tf.Tensor, w: tf.Tensor) {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.sum(tf.mul(f(x), w)))(z);
    return {
      terms: f(z).dataSync() as Float32Array,
      value: value.dataSync()[0]!,
      grad: grad.dataSync() as Float32Array,
    };
  });
}

describeBackends('one-call log σ', () => {
  it('gives the composition’s values and gradients bit for bit', () => {
    const random = tf.tidy(() =>
      tf.concat([
        tf.randomNormal([300], 0, 1, 'float32', 1),
        tf.randomNormal([300], 0, 30, 'float32', 2),
        tf.mul(tf.randomNormal([100], 0, 1, 'float32', 3), 1e-7),
      ]),
    );
    const z = tf.concat([tf.tensor1d(SPECIAL), random]);
    const w = tf.randomUniform(z.shape, -3, 3, 'float32', 4);
    const fused = valueAndGradient(logSigmoid, z, w);
    const composed = valueAndGradient(logSigmoidComposed, z, w);
    expect(bits(fused.terms)).toEqual(bits(composed.terms));
    expect(bits([fused.value])).toEqual(bits([composed.value]));
    expect(bits(fused.grad)).toEqual(bits(composed.grad));
    // the reference values of log σ at a few points (float32)
    const at = (v: number) => fused.terms[SPECIAL.indexOf(v)]!;
    expect(at(20)).toBeCloseTo(-2.0611537e-9, 15);
    expect(at(-1e4)).toBe(-1e4);
    expect(at(0)).toBeCloseTo(-Math.LN2, 6);
    expect(Number.isNaN(fused.terms[SPECIAL.findIndex(Number.isNaN)]!)).toBe(true);
    tf.dispose([random, z, w]);
  });

  it('keeps the shape of logits of any rank', () => {
    for (const shape of [[], [7], [2, 3, 4]]) {
      const z = tf.randomNormal(shape, 0, 4, 'float32', 5);
      const w = tf.randomUniform(shape, -1, 1, 'float32', 6);
      const fused = valueAndGradient(logSigmoid, z, w);
      const composed = valueAndGradient(logSigmoidComposed, z, w);
      expect(bits(fused.terms)).toEqual(bits(composed.terms));
      expect(bits(fused.grad)).toEqual(bits(composed.grad));
      const out = logSigmoid(z);
      expect(out.shape).toEqual(shape);
      tf.dispose([z, w, out]);
    }
  });

  it('runs as one kernel call forward and one backward', async () => {
    const z = tf.randomNormal([64], 0, 2, 'float32', 7);
    const profile = await tf.profile(() => {
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.sum(logSigmoid(x)))(z);
      return [value, grad];
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'MedkitLogSigmoid')).toHaveLength(1);
    expect(names.filter((n) => n === 'MedkitLogSigmoidGrad')).toHaveLength(1);
    expect(names).not.toContain('Exp');
    expect(names).not.toContain('Sigmoid');
    z.dispose();
  });

  it('takes the composition inside a gradient of a gradient (d² log σ = −σ(z)σ(−z))', () => {
    const zs = [-6, -1.5, 0, 0.25, 3, 9];
    const second = tf.tidy(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.grad((y: tf.Tensor) => tf.sum(logSigmoid(y)))(x)))(
        tf.tensor1d(zs),
      ),
    );
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const got = second.dataSync();
    for (const [i, v] of zs.entries()) expect(got[i]!).toBeCloseTo(-s(v) * s(-v), 6);
    second.dispose();
  });

  it('leaks no tensor and no backend memory', async () => {
    const z = tf.randomNormal([33], 0, 3, 'float32', 8);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    tf.tidy(() => valueAndGradient(logSigmoid, z, tf.onesLike(z))); // warm: scalars cached
    const ids = backend.numDataIds();
    await expectNoLeak(() => {
      tf.tidy(() => valueAndGradient(logSigmoid, z, tf.onesLike(z)));
    });
    expect(backend.numDataIds()).toBe(ids);
    z.dispose();
  });
});
