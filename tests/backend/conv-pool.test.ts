/**
 * `MedkitConv2DPoolForward` and `MedkitConv2DPoolBackward`: a convolution whose ReLU output a 2×2,
 * stride-2 max pooling takes, forward and backward as one kernel call each. The forward is
 * `MedkitConv2DForward` and `MaxPool`, bit for bit. The backward's filter and bias gradients
 * (on wasm straight from the pooling's gradient where the filter is 3×3 at stride 1, up to four
 * input channels) match the float64 sums Σ δ·x and Σ δ over δ = `MedkitMaxPoolReluGrad` of dy
 * within (K + 2)·2⁻²⁴·Σ|δ·x| for K terms (the direct sum's bound, and the add of the two
 * halves), are NaN where the composition's are, and dx is the composition's bit for bit; on
 * 'same' and 'valid', one to five input channels, odd batches and a batch of one, y's height or
 * width odd (the composition), NaN in the input; nothing left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

beforeAll(() => {
  registerTrainingKernels();
});

const POOL = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };

/** [batch, height, width, in, out, padding, filter size] */
const CASES: [number, number, number, number, number, 'same' | 'valid', number][] = [
  [3, 12, 10, 1, 8, 'same', 3], // a first layer on grey images, an odd batch
  [1, 8, 8, 3, 4, 'same', 3], // one image: the first half empty
  [4, 10, 6, 2, 12, 'valid', 3], // y 8 × 4
  [2, 14, 14, 4, 16, 'same', 3],
  [2, 7, 9, 1, 8, 'same', 3], // y's height and width odd: the composition
  [2, 8, 8, 5, 8, 'same', 3], // five input channels: the composition
  [2, 8, 6, 2, 4, 'same', 1], // a 1×1 filter: the composition
];

/** A kernel's outputs, as a list. */
function run(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out as tf.Tensor];
}

describeBackends('convolution, ReLU and 2×2 pooling in one kernel call', (backend) => {
  for (const [B, H, W, ci, co, pad, k] of CASES)
    it(`${backend}: ${B}×${H}×${W}×${ci} → ${co}, ${k}×${k} ${pad}: the pooling's gradient to the filter's, the bias's and the input's`, async () => {
      const x = tf.randomNormal([B, H, W, ci], 0, 1, 'float32', H * W + ci);
      const filter = tf.randomNormal([k, k, ci, co], 0, 0.5, 'float32', co);
      const bias = tf.randomNormal([co], 0, 0.3, 'float32', 7);
      const geometry = { strides: [1, 1], pad };
      const [y, pooled] = run('MedkitConv2DPoolForward', { x, filter, bias }, geometry);
      // the forward: the fused convolution, then the pooling, bit for bit
      const [relu] = run(
        'MedkitConv2DForward',
        { x, filter, bias },
        { ...geometry, activation: 'relu' },
      );
      const [pool] = run('MaxPool', { x: relu! }, POOL);
      expect(y!.dataSync()).toEqual(relu!.dataSync());
      expect(pooled!.dataSync()).toEqual(pool!.dataSync());
      const dy = tf.randomNormal(pooled!.shape, 0, 1, 'float32', 9);
      const wants = { dx: true, dw: true, db: true };
      const backward = () =>
        run('MedkitConv2DPoolBackward', { x, filter, y: y!, dy }, { ...geometry, ...wants });
      await expectNoLeak(() => tf.dispose(backward()));
      const [dx, dw, db] = backward();
      // the composition: δ, then the convolution's backward pass
      const [delta] = run('MedkitMaxPoolReluGrad', { dy, input: y!, output: pooled! }, POOL);
      const [dx0] = run(
        'MedkitConv2DBackward',
        { x, filter, dy: delta! },
        { ...geometry, activation: 'linear', dx: true, dw: false, db: false },
      );
      expect(dx!.dataSync()).toEqual(dx0!.dataSync());
      // float64 sums over δ and the padded input
      const d = delta!.dataSync();
      const xv = x.dataSync();
      const [, Ho, Wo] = y!.shape;
      const p = pad === 'same' ? (k - 1) / 2 : 0;
      const dw64 = new Float64Array(k * k * ci * co);
      const size = new Float64Array(k * k * ci * co);
      const db64 = new Float64Array(co);
      const dbSize = new Float64Array(co);
      for (let b = 0; b < B; b++)
        for (let i = 0; i < Ho!; i++)
          for (let j = 0; j < Wo!; j++)
            for (let o = 0; o < co; o++) {
              const g = d[((b * Ho! + i) * Wo! + j) * co + o]!;
              db64[o]! += g;
              dbSize[o]! += Math.abs(g);
              for (let ky = 0; ky < k; ky++)
                for (let kx = 0; kx < k; kx++) {
                  const [r, c] = [i + ky - p, j + kx - p];
                  if (r < 0 || r >= H || c < 0 || c >= W) continue;
                  for (let ch = 0; ch < ci; ch++) {
                    const t = g * xv[((b * H + r) * W + c) * ci + ch]!;
                    const at = ((ky * k + kx) * ci + ch) * co + o;
                    dw64[at]! += t;
                    size[at]! += Math.abs(t);
                  }
                }
            }
      const K = B * Ho! * Wo!;
      const bound = (s: number) => (K + 2) * 2 ** -24 * s;
      const dwv = dw!.dataSync();
      const dbv = db!.dataSync();
      dwv.forEach((v, i) => {
        expect(Math.abs(v - dw64[i]!)).toBeLessThanOrEqual(bound(size[i]!));
      });
      dbv.forEach((v, i) => {
        expect(Math.abs(v - db64[i]!)).toBeLessThanOrEqual(bound(dbSize[i]!));
      });
      expect(dwv.some((v) => v !== 0)).toBe(true);
      tf.dispose([x, filter, bias, y!, pooled!, relu!, pool!, dy, dx!, dw!, db!, delta!, dx0!]);
    });

  for (const where of ['x', 'dy'] as const)
    it(`${backend}: a NaN in ${where}: NaN in the filter and bias gradients where the composition has NaN`, () => {
      const [B, H, W, ci, co] = [2, 8, 8, 1, 8];
      const values = tf.randomNormal([B, H, W, ci], 0, 1, 'float32', 3).dataSync();
      if (where === 'x') values[(1 * H + 3) * W + 4] = Number.NaN;
      const x = tf.tensor4d(values, [B, H, W, ci]);
      const filter = tf.randomNormal([3, 3, ci, co], 0, 0.5, 'float32', 4);
      const geometry = { strides: [1, 1], pad: 'same' };
      const [y, pooled] = run('MedkitConv2DPoolForward', { x, filter }, geometry);
      const dyValues = tf.randomNormal(pooled!.shape, 0, 1, 'float32', 5).dataSync();
      if (where === 'dy') dyValues[((1 * 4 + 2) * 4 + 1) * co + 3] = Number.NaN; // channel 3
      const dy = tf.tensor4d(dyValues, pooled!.shape as [number, number, number, number]);
      const wants = { dx: false, dw: true, db: true };
      const [dw, db] = run(
        'MedkitConv2DPoolBackward',
        { x, filter, y: y!, dy },
        { ...geometry, ...wants },
      );
      const [delta] = run('MedkitMaxPoolReluGrad', { dy, input: y!, output: pooled! }, POOL);
      const [dw0, db0] = run(
        'MedkitConv2DBackward',
        { x, filter, dy: delta! },
        { ...geometry, activation: 'linear', ...wants },
      );
      const nan = (t: tf.Tensor) => Array.from(t.dataSync(), Number.isNaN);
      expect(nan(dw!)).toEqual(nan(dw0!));
      expect(nan(db!)).toEqual(nan(db0!));
      expect(nan(dw!).some((v) => v)).toBe(true);
      // a NaN in dy reaches its channel alone
      if (where === 'dy') expect(nan(db!)).toEqual(Array.from({ length: co }, (_, o) => o === 3));
      tf.dispose([x, filter, y!, pooled!, dy, dw!, db!, delta!, dw0!, db0!]);
    });

  for (const [B, H, W, ci, co, pad, useBias] of [
    [3, 12, 10, 1, 8, 'same', true],
    [1, 8, 8, 3, 4, 'same', false],
    [4, 10, 6, 2, 12, 'valid', true],
    [2, 14, 14, 4, 16, 'same', true],
    [2, 7, 9, 1, 8, 'same', true], // an odd output: the backend's own
  ] as const)
    it(`${backend}: FusedConv2D on ${B}×${H}×${W}×${ci} → ${co}, ${pad}${useBias ? '' : ', no bias'}: the float64 sums within rounding; its ReLU that of its linear output`, () => {
      const x = tf.randomNormal([B, H, W, ci], 0, 1, 'float32', 11 + ci);
      const filter = tf.randomNormal([3, 3, ci, co], 0, 0.5, 'float32', 12);
      const bias = useBias ? tf.randomNormal([co], 0, 0.3, 'float32', 13) : undefined;
      const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] };
      const inputs = { x, filter, ...(bias ? { bias } : {}) };
      const [linear] = run('FusedConv2D', inputs, { ...attrs, activation: 'linear' });
      const [relu] = run('FusedConv2D', inputs, { ...attrs, activation: 'relu' });
      const [, Ho, Wo] = linear!.shape as number[];
      const p = pad === 'same' ? 1 : 0;
      const [xv, wv, bv] = [x.dataSync(), filter.dataSync(), bias?.dataSync()];
      const got = linear!.dataSync();
      for (let b = 0; b < B; b++)
        for (let i = 0; i < Ho!; i++)
          for (let j = 0; j < Wo!; j++)
            for (let o = 0; o < co; o++) {
              let ref = bv ? bv[o]! : 0;
              let size = Math.abs(ref);
              for (let ky = 0; ky < 3; ky++)
                for (let kx = 0; kx < 3; kx++) {
                  const [r, c] = [i + ky - p, j + kx - p];
                  if (r < 0 || r >= H || c < 0 || c >= W) continue;
                  for (let ch = 0; ch < ci; ch++) {
                    const t =
                      xv[((b * H + r) * W + c) * ci + ch]! *
                      wv[((ky * 3 + kx) * ci + ch) * co + o]!;
                    ref += t;
                    size += Math.abs(t);
                  }
                }
              const v = got[((b * Ho! + i) * Wo! + j) * co + o]!;
              expect(Math.abs(v - ref)).toBeLessThanOrEqual((9 * ci + 2) * 2 ** -24 * size);
            }
      const [reluOfLinear] = run('Relu', { x: linear! }, {});
      expect(relu!.dataSync()).toEqual(reluOfLinear!.dataSync());
      tf.dispose([x, filter, ...(bias ? [bias] : []), linear!, relu!, reluOfLinear!]);
    });
});
