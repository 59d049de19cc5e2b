/**
 * Winograd F(2×2, 3×3) on the wasm backend (3×3 filters at stride 1, input channels a multiple
 * of 4 from 8, output channels a multiple of 8): `Conv2D`, `Conv2DBackpropInput` (a convolution
 * of dy) and `Conv2DBackpropFilter` against the float64 definition entry by entry, within
 * (K + 16)·2⁻²³·S for a sum of K terms, S the Σ|aᵢbᵢ| of the entries whose rounding errors the
 * transforms mix (an output's 2×2 tile; a filter gradient's nine taps): the direct sum's bound,
 * K·2⁻²⁴·Σ|aᵢbᵢ|, widened for the transforms' additions. On even and odd grids, 'same',
 * 'valid' and explicit padding, and batches whose tiles leave the last block part-filled;
 * nothing left behind. `FusedConv2D` with a bias and ReLU applied on the way out (and XNNPACK's,
 * for other convolutions, with 'same' padding made explicit at stride > 1). A NaN in the
 * input makes NaN every output whose window holds it, and leaves finite every output whose tile
 * does not read it.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry } from '../../src/backend/kernels/conv-geometry.js';
import { winogradApplies } from '../../src/backend/kernels/conv2d-winograd.js';
import { Random } from '../../src/core/random.js';
import { registerTrainingKernels } from '../../src/index.js';
import { expectNoLeak } from '../helpers/backends.js';
import { type ConvCase, convGrads, outSize } from '../helpers/conv-reference.js';

beforeAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

/** [batch, height, width, in, out, [top, bottom, left, right]] */
const CASES: [number, number, number, number, number, [number, number, number, number]][] = [
  [3, 14, 14, 32, 64, [1, 1, 1, 1]], // the seed CNN's second layer ('same')
  [4, 8, 8, 64, 32, [1, 1, 1, 1]], // its input gradient's shape: 64 → 32
  [2, 5, 7, 8, 8, [1, 1, 1, 1]], // odd grid
  [3, 9, 6, 12, 16, [0, 0, 0, 0]], // 'valid'
  [5, 11, 13, 16, 24, [1, 1, 1, 1]],
  [2, 6, 5, 8, 16, [2, 0, 1, 3]], // explicit, uneven
  [1, 1, 1, 8, 8, [1, 1, 1, 1]], // one output: one tile, the rest of its block extra
  [1, 2, 3, 20, 8, [0, 1, 2, 0]],
];

/** A 3×3 convolution at stride 1 without dilation. */
const case3x3 = (
  batch: number,
  height: number,
  width: number,
  inChannels: number,
  out: number,
  pads: [number, number, number, number],
): ConvCase => ({
  batch,
  height,
  width,
  inChannels,
  out,
  kernel: [3, 3],
  stride: [1, 1],
  dilation: [1, 1],
  pads,
});

/** The attributes of a convolution with explicit padding. */
const attrsOf = (pads: [number, number, number, number]) => ({
  strides: [1, 1],
  pad: [
    [0, 0],
    [pads[0], pads[1]],
    [pads[2], pads[3]],
    [0, 0],
  ],
  dataFormat: 'NHWC',
  dilations: [1, 1],
  dimRoundingMode: undefined,
});

/** A kernel's output values, the output disposed and nothing else left behind. */
async function valuesOf(run: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array> {
  return expectNoLeak(() => {
    const out = run() as tf.Tensor;
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return values;
  });
}

/**
 * Each entry's scale for the error bound: the Σ|aᵢbᵢ| of the entries computed from the same
 * transformed values, whose rounding errors the transforms mix: the 2×2 tile of outputs around an
 * entry of a convolution ([B, H, W, C]), or the nine taps of a filter gradient's entry ([3, 3,
 * in, out]; `taps`).
 */
function scales(magnitude: Float64Array, shape: readonly number[], taps = false): Float64Array {
  const out = new Float64Array(magnitude.length);
  if (taps) {
    const plane = magnitude.length / 9;
    for (let i = 0; i < plane; i++) {
      let s = 0;
      for (let k = 0; k < 9; k++) s += magnitude[k * plane + i]!;
      for (let k = 0; k < 9; k++) out[k * plane + i] = s;
    }
    return out;
  }
  const [B, H, W, C] = shape as [number, number, number, number];
  for (let b = 0; b < B; b++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          const [y0, x0] = [y - (y % 2), x - (x % 2)];
          for (let ty = y0; ty < Math.min(H, y0 + 2); ty++)
            for (let tx = x0; tx < Math.min(W, x0 + 2); tx++)
              s += magnitude[((b * H + ty) * W + tx) * C + c]!;
          out[((b * H + y) * W + x) * C + c] = s;
        }
  return out;
}

/** Asserts |got − want| ≤ (K + 16)·2⁻²³·scale entry by entry; returns the worst error in K·2⁻²⁴·scale. */
function expectWithin(got: Float32Array, want: Float64Array, scale: Float64Array, K: number) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const bound = (K + 16) * 2 ** -23 * scale[i]!;
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= bound))
      throw new Error(
        `entry ${i} of ${got.length} (K ${K}): ${got[i]} against ${want[i]} (bound ${bound})`,
      );
    worst = Math.max(worst, err / (K * 2 ** -24 * scale[i]! || 1));
  }
  return worst;
}

describe('Winograd F(2×2, 3×3) [wasm]', () => {
  it.each(CASES)(
    '%i × %i × %i × %i → %i, pads %j: the convolution and both gradients equal the float64 definition',
    async (batch, height, width, inChannels, out, pads) => {
      const c = case3x3(batch, height, width, inChannels, out, pads);
      const [OH, OW] = outSize(c);
      const random = new Random(batch * 1000 + inChannels * 10 + out);
      const draw = (n: number) => Float32Array.from({ length: n }, () => random.uniform(-1, 1));
      const xv = draw(batch * height * width * inChannels);
      const wv = draw(9 * inChannels * out);
      const dyv = draw(batch * OH * OW * out);
      const ref = convGrads(c, xv, wv, dyv, false);
      const abs = (a: Float32Array) => a.map(Math.abs);
      const mag = convGrads(c, abs(xv), abs(wv), abs(dyv), false);
      const attrs = attrsOf(pads);
      const info = conv2dGeometry(
        [batch, height, width, inChannels],
        [3, 3, inChannels, out],
        attrs,
      );
      expect(winogradApplies(info)).toBe(true);
      const x = tf.tensor4d(xv, [batch, height, width, inChannels]);
      const w = tf.tensor4d(wv, [3, 3, inChannels, out]);
      const dy = tf.tensor4d(dyv, [batch, OH, OW, out]);
      const engine = tf.engine();
      const y = await valuesOf(() => engine.runKernel('Conv2D', { x, filter: w }, attrs as never));
      const dx = await valuesOf(() =>
        engine.runKernel('Conv2DBackpropInput', { dy, filter: w }, {
          ...attrs,
          inputShape: x.shape,
        } as never),
      );
      const dw = await valuesOf(() =>
        engine.runKernel('Conv2DBackpropFilter', { x, dy }, {
          ...attrs,
          filterShape: w.shape,
        } as never),
      );
      // measured: at most 0.06 (convolutions) and 0.94 (a filter gradient of 3 terms) of
      // K·2⁻²⁴·scale, Node 20 and 24
      for (const worst of [
        expectWithin(y, ref.y, scales(mag.y, [batch, OH, OW, out]), 9 * inChannels),
        expectWithin(dx, ref.dx, scales(mag.dx, x.shape), 9 * out),
        expectWithin(dw, ref.dw, scales(mag.dw, w.shape, true), batch * OH * OW),
      ])
        expect(worst).toBeLessThan(2);
      tf.dispose([x, w, dy]);
    },
  );

  it.each([
    ['relu', true],
    ['linear', true],
    ['relu', false],
  ] as const)(
    'fuses a bias and %s (bias %s) into the convolution: the float64 definition, then the epilogue',
    async (activation, withBias) => {
      const c = case3x3(3, 7, 10, 16, 24, [1, 1, 1, 1]);
      const random = new Random(11);
      const draw = (n: number) => Float32Array.from({ length: n }, () => random.uniform(-1, 1));
      const xv = draw(3 * 7 * 10 * 16);
      const wv = draw(9 * 16 * 24);
      const bv = draw(24);
      const [OH, OW] = outSize(c);
      const dyv = new Float32Array(3 * OH * OW * 24);
      const ref = convGrads(c, xv, wv, dyv, false);
      const mag = convGrads(c, xv.map(Math.abs), wv.map(Math.abs), dyv, false);
      const x = tf.tensor4d(xv, [3, 7, 10, 16]);
      const w = tf.tensor4d(wv, [3, 3, 16, 24]);
      const b = tf.tensor1d(bv);
      const inputs = { x, filter: w, ...(withBias ? { bias: b } : {}) };
      const attrs = { ...attrsOf([1, 1, 1, 1]), activation };
      const y = await valuesOf(() => tf.engine().runKernel('FusedConv2D', inputs, attrs as never));
      const scale = scales(mag.y, [3, OH, OW, 24]);
      // the epilogue on the reference: + bias (its rounding on top of the bound), then ReLU
      const want = ref.y.map((v, i) => {
        const biased = withBias ? v + bv[i % 24]! : v;
        return activation === 'relu' ? Math.max(biased, 0) : biased;
      });
      const K = 9 * 16;
      for (let i = 0; i < y.length; i++) {
        const bound = (K + 16) * 2 ** -23 * (scale[i]! + (withBias ? Math.abs(bv[i % 24]!) : 0));
        expect(Math.abs(y[i]! - want[i]!)).toBeLessThanOrEqual(bound);
        if (activation === 'relu') expect(y[i]!).toBeGreaterThanOrEqual(0);
      }
      tf.dispose([x, w, b]);
    },
  );

  it('leaves other fused convolutions to XNNPACK, with ‘same’ right at stride > 1 and non-square filters', async () => {
    // XNNPACK's own 'same' is wrong in two of these (errors up to 3.3): the padding goes to it
    // explicitly
    for (const [h, w, kh, kw, s] of [
      [1, 2, 3, 1, 2],
      [6, 6, 3, 1, 2],
      [9, 7, 3, 5, 2],
      [5, 8, 1, 3, 2],
    ] as const) {
      const info = tf.backend_util.computeConv2DInfo([2, h, w, 2], [kh, kw, 2, 3], s, 1, 'same');
      const { top, bottom, left, right } = info.padInfo;
      const c: ConvCase = {
        ...case3x3(2, h, w, 2, 3, [top, bottom, left, right]),
        kernel: [kh, kw],
        stride: [s, s],
      };
      const random = new Random(h * 100 + w);
      const draw = (n: number) => Float32Array.from({ length: n }, () => random.uniform(-1, 1));
      const [xv, wv, bv] = [draw(2 * h * w * 2), draw(kh * kw * 2 * 3), draw(3)];
      const [OH, OW] = outSize(c);
      const ref = convGrads(c, xv, wv, new Float32Array(2 * OH * OW * 3), false);
      const x = tf.tensor4d(xv, [2, h, w, 2]);
      const f = tf.tensor4d(wv, [kh, kw, 2, 3]);
      const b = tf.tensor1d(bv);
      const y = await valuesOf(() =>
        tf.fused.conv2d({ x, filter: f, strides: s, pad: 'same', bias: b, activation: 'relu' }),
      );
      expect(y.length).toBe(ref.y.length);
      for (let i = 0; i < y.length; i++)
        expect(y[i]!).toBeCloseTo(Math.max(ref.y[i]! + bv[i % 3]!, 0), 5);
      tf.dispose([x, f, b]);
    }
  });

  it('leaves other convolutions to the other kernels', () => {
    const applies = (x: number[], f: number[], strides: number, dilations: number) =>
      winogradApplies(conv2dGeometry(x, f, { strides, pad: 'same', dilations }));
    expect(applies([1, 8, 8, 8], [3, 3, 8, 8], 1, 1)).toBe(true);
    expect(applies([1, 8, 8, 8], [5, 5, 8, 8], 1, 1)).toBe(false); // 5×5
    expect(applies([1, 8, 8, 8], [3, 1, 8, 8], 1, 1)).toBe(false); // 3×1
    expect(applies([1, 8, 8, 8], [3, 3, 8, 8], 2, 1)).toBe(false); // stride 2
    expect(applies([1, 8, 8, 8], [3, 3, 8, 8], 1, 2)).toBe(false); // dilated
    expect(applies([1, 8, 8, 4], [3, 3, 4, 8], 1, 1)).toBe(false); // 4 input channels
    expect(applies([1, 8, 8, 10], [3, 3, 10, 8], 1, 1)).toBe(false); // 10
    expect(applies([1, 8, 8, 8], [3, 3, 8, 12], 1, 1)).toBe(false); // 12 output channels
  });

  it('makes NaN the outputs whose window holds a NaN, and keeps finite those whose tile does not read it', async () => {
    const [B, H, W, ci, co] = [2, 9, 10, 8, 8];
    const random = new Random(7);
    const xv = Float32Array.from({ length: B * H * W * ci }, () => random.uniform(-1, 1));
    const wv = Float32Array.from({ length: 9 * ci * co }, () => random.uniform(-1, 1));
    const [nb, ny, nx] = [1, 4, 6];
    xv[((nb * H + ny) * W + nx) * ci + 3] = Number.NaN;
    const x = tf.tensor4d(xv, [B, H, W, ci]);
    const w = tf.tensor4d(wv, [3, 3, ci, co]);
    const y = await valuesOf(() =>
      tf.engine().runKernel('Conv2D', { x, filter: w }, attrsOf([1, 1, 1, 1]) as never),
    );
    for (let b = 0; b < B; b++)
      for (let oy = 0; oy < H; oy++)
        for (let ox = 0; ox < W; ox++) {
          const v = y[((b * H + oy) * W + ox) * co]!;
          const inWindow = b === nb && Math.abs(oy - ny) <= 1 && Math.abs(ox - nx) <= 1;
          // the tile's 4×4 input: rows 2⌊oy/2⌋ − 1 … 2⌊oy/2⌋ + 2 (padding 1), columns alike
          const ty = 2 * Math.floor(oy / 2) - 1;
          const tx = 2 * Math.floor(ox / 2) - 1;
          const inTile = b === nb && ny >= ty && ny <= ty + 3 && nx >= tx && nx <= tx + 3;
          if (inWindow) expect(v).toBeNaN();
          if (!inTile) expect(Number.isFinite(v)).toBe(true);
        }
    tf.dispose([x, w]);
  });
});
