/**
 * The cpu backend's 2D convolutions (NHWC) as WebAssembly SIMD matrix products on the
 * {@link scratchHeap}, some thirty times the rate of the JavaScript loops of `conv2d-js.ts`
 * (docs/backends.md). With P the im2row panel of the input (a row per output position (b, oh, ow), a column
 * per tap (kh, kw, ci), zero where the tap falls in the padding):
 *
 *   forward            y  = P · W            (W as [taps × CO]; a bias is one more column of P, all ones,
 *                                             and one more row of W)
 *   filter gradient    dW = Pᵀ · dy          (P transposed by SIMD 4 × 4 tiles)
 *   input gradient     dx = fold(dy · Wᵀ)    (each row of dy · Wᵀ added back onto the input
 *                                             positions its taps read: the transpose of building P)
 *
 * Panels are built over chunks of output rows (at most `CONV_CHUNKS.panel` values each) by SIMD
 * copies of runs of `CI` floats, from the input of a group of samples (at most
 * `CONV_CHUNKS.input` values) on the heap. Sums run in float32 (the stock cpu kernels' precision) in k
 * order per output element; the filter gradient sums its chunks in float64.
 *
 * Each function returns false, having written nothing, when the scratch heap cannot hold the
 * operands; the caller then uses its JavaScript loops.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { tapRange } from './conv-geometry.js';
import {
  layout,
  placeRows,
  roundUp,
  type ScratchHeap,
  scratchHeap,
  takeRows,
  zeroFloats,
} from './scratch-heap.js';

type Info = tf.backend_util.Conv2DInfo;

/**
 * How much of a convolution the scratch heap takes at a time (values): the panel of one product
 * (larger convolutions are done in chunks of output rows) and the input of one group of samples
 * (larger batches are done a group at a time). @internal (tests make them small)
 */
export const CONV_CHUNKS = { panel: 1 << 22, input: 1 << 23 };

/** A chunk of output rows: rows r0 … r0 + rows − 1 of the B·OH rows, M = rows·OW positions. */
interface Chunk {
  r0: number;
  rows: number;
  M: number;
  /** M rounded up to the gemm's blocks of four rows. */
  M4: number;
}

/** Samples b0 … b1 − 1 (their input, or input gradient, on the heap at once) and their chunks. */
interface Group {
  b0: number;
  b1: number;
  chunks: Chunk[];
}

/**
 * The groups of samples and chunks of output rows for panels `width` floats wide, and the
 * scratch heap laid out with `regions(M4max, inputMax)` (the regions' sizes, given a chunk's most
 * panel rows and a group's most input values): undefined when the heap cannot hold them.
 */
function plan(
  info: Info,
  width: number,
  regions: (M4max: number, inputMax: number) => number[],
): { heap: ScratchHeap; offsets: number[]; groups: Group[] } | undefined {
  const { batchSize: B, outHeight: OH, outWidth: OW } = info;
  const sample = info.inHeight * info.inWidth * info.inChannels;
  const G = Math.max(1, Math.min(B, Math.floor(CONV_CHUNKS.input / sample)));
  const per = Math.max(1, Math.min(G * OH, Math.floor(CONV_CHUNKS.panel / (OW * width))));
  const { offsets, total } = layout(regions(roundUp(per * OW, 4), G * sample));
  const heap = scratchHeap(total);
  if (!heap) return undefined;
  const groups: Group[] = [];
  for (let b0 = 0; b0 < B; b0 += G) {
    const b1 = Math.min(B, b0 + G);
    const chunks: Chunk[] = [];
    for (let r0 = b0 * OH; r0 < b1 * OH; r0 += per) {
      const rows = Math.min(per, b1 * OH - r0);
      chunks.push({ r0, rows, M: rows * OW, M4: roundUp(rows * OW, 4) });
    }
    groups.push({ b0, b1, chunks });
  }
  return { heap, offsets, groups };
}

/**
 * Copies samples b0 … b1 − 1 of x onto the heap at `x0`; returns the float offset at which sample
 * 0 would start (x0 − b0·sample), so that global sample indices address the group.
 */
function placeGroup(
  f32: Float32Array,
  x: Float32Array,
  info: Info,
  b0: number,
  b1: number,
  x0: number,
): number {
  const sample = info.inHeight * info.inWidth * info.inChannels;
  f32.set(x.subarray(b0 * sample, b1 * sample), x0);
  return x0 - b0 * sample;
}

/**
 * Fills panel rows for output rows r0 … r0 + rows − 1 (each OW positions, `width` floats a
 * position: taps × CI, then a 1 when `ones`) from x at float `x0` of the heap.
 */
function buildPanel(
  heap: ScratchHeap,
  info: Info,
  x0: number,
  p0: number,
  width: number,
  r0: number,
  rows: number,
  ones: boolean,
): void {
  const { f32, loops } = heap;
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const { top, left } = info.padInfo;
  const ranges = Array.from({ length: KW }, (_, kw) => tapRange(kw, DW, left, SW, W, OW));
  for (let rr = 0; rr < rows; rr++) {
    const r = r0 + rr;
    const b = Math.floor(r / OH);
    const oh = r - b * OH;
    const base = p0 + rr * OW * width;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * SH + kh * DH - top;
      const inside = ih >= 0 && ih < H;
      for (let kw = 0; kw < KW; kw++) {
        const col = base + (kh * KW + kw) * CI;
        const [j0, j1] = inside ? ranges[kw]! : [0, 0];
        const end = Math.max(j0, j1);
        for (let ow = 0; ow < j0; ow++) zeroFloats(f32, col + ow * width, CI);
        for (let ow = end; ow < OW; ow++) zeroFloats(f32, col + ow * width, CI);
        if (j1 > j0)
          loops.copyRuns(
            4 * (x0 + ((b * H + ih) * W + j0 * SW + kw * DW - left) * CI),
            4 * SW * CI,
            4 * (col + j0 * width),
            4 * width,
            j1 - j0,
            CI,
          );
      }
    }
    if (ones) for (let ow = 0; ow < OW; ow++) f32[base + ow * width + width - 1] = 1;
  }
}

/** y = conv(x, W) (+ bias) by SIMD products; false when the scratch heap cannot hold it. @internal */
export function conv2dForwardGemm(
  info: Info,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  bias?: Float32Array,
): boolean {
  const { outChannels: CO, outWidth: OW } = info;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const width = taps + (bias ? 1 : 0);
  const CO8 = roundUp(CO, 8);
  const p = plan(info, width, (M4, input) => [input, width * CO8, M4 * width, M4 * CO8]);
  if (!p) return false;
  const [x0, w0, p0, c0] = p.offsets as [number, number, number, number];
  const { f32, loops } = p.heap;
  placeRows(f32, w, taps, CO, w0, CO8);
  if (bias) placeRows(f32, bias, 1, CO, w0 + taps * CO8, CO8);
  for (const { b0, b1, chunks } of p.groups) {
    // sample b's input at x0 + (b − b0)·sample
    const base = placeGroup(f32, x, info, b0, b1, x0);
    for (const { r0, rows, M, M4 } of chunks) {
      buildPanel(p.heap, info, base, p0, width, r0, rows, bias !== undefined);
      zeroFloats(f32, p0 + M * width, (M4 - M) * width);
      loops.gemm(4 * p0, 4 * w0, 4 * c0, M4, width, CO8, 4 * CO8);
      takeRows(f32, c0, CO8, y, r0 * OW * CO, M, CO);
    }
  }
  return true;
}

/** dW = Pᵀ · dy by SIMD products; false when the scratch heap cannot hold it. @internal */
export function conv2dFilterGradientGemm(
  info: Info,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
): boolean {
  const { outChannels: CO, outWidth: OW } = info;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const T4 = roundUp(taps, 4);
  const CO8 = roundUp(CO, 8);
  // the panel has 4 floats of slack: its transpose reads T4 columns of the last row
  const p = plan(info, taps, (M4, input) => [input, M4 * taps + 4, T4 * M4, M4 * CO8, T4 * CO8]);
  if (!p) return false;
  const [x0, p0, t0, d0, c0] = p.offsets as [number, number, number, number, number];
  const { f32, loops } = p.heap;
  const single = p.groups.length === 1 && p.groups[0]!.chunks.length === 1;
  const sums = single ? undefined : new Float64Array(taps * CO);
  for (const { b0, b1, chunks } of p.groups) {
    const base = placeGroup(f32, x, info, b0, b1, x0);
    for (const { r0, rows, M, M4 } of chunks) {
      buildPanel(p.heap, info, base, p0, taps, r0, rows, false);
      zeroFloats(f32, p0 + M * taps, (M4 - M) * taps + 4);
      loops.transpose4(4 * p0, 4 * t0, M4, T4, 4 * taps, 4 * M4);
      placeRows(f32, dy.subarray(r0 * OW * CO, (r0 * OW + M) * CO), M, CO, d0, CO8, M4);
      loops.gemm(4 * t0, 4 * d0, 4 * c0, T4, M4, CO8, 4 * CO8);
      if (!sums) takeRows(f32, c0, CO8, dw, 0, taps, CO);
      else
        for (let t = 0; t < taps; t++)
          for (let co = 0; co < CO; co++) sums[t * CO + co]! += f32[c0 + t * CO8 + co]!;
    }
  }
  if (sums) dw.set(sums);
  return true;
}

/** dx = fold(dy · Wᵀ) by SIMD products; false when the scratch heap cannot hold it. @internal */
export function conv2dInputGradientGemm(
  info: Info,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
): boolean {
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH } = info;
  const { outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: SH } = info;
  const { strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = info;
  const { top, left } = info.padInfo;
  const taps = KH * KW * CI;
  const T8 = roundUp(taps, 8);
  const p = plan(info, T8, (M4, input) => [input, CO * T8, M4 * CO, M4 * T8]);
  if (!p) return false;
  const [x0, w0, d0, g0] = p.offsets as [number, number, number, number];
  const { f32, loops } = p.heap;
  const sample = H * W * CI;
  for (let co = 0; co < CO; co++) {
    const row = w0 + co * T8;
    for (let t = 0; t < taps; t++) f32[row + t] = w[t * CO + co]!;
    zeroFloats(f32, row + taps, T8 - taps);
  }
  const ranges = Array.from({ length: KW }, (_, kw) => tapRange(kw, DW, left, SW, W, OW));
  for (const { b0, b1, chunks } of p.groups) {
    // the group's input gradient at x0 (sample b at base + b·sample), its chunks folded onto it
    const base = x0 - b0 * sample;
    f32.fill(0, x0, x0 + (b1 - b0) * sample);
    for (const { r0, rows, M, M4 } of chunks) {
      placeRows(f32, dy.subarray(r0 * OW * CO, (r0 * OW + M) * CO), M, CO, d0, CO, M4);
      loops.gemm(4 * d0, 4 * w0, 4 * g0, M4, CO, T8, 4 * T8);
      for (let rr = 0; rr < rows; rr++) {
        const r = r0 + rr;
        const b = Math.floor(r / OH);
        const oh = r - b * OH;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh * DH - top;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const [j0, j1] = ranges[kw]!;
            if (j1 <= j0) continue;
            loops.addRuns(
              4 * (g0 + (rr * OW + j0) * T8 + (kh * KW + kw) * CI),
              4 * T8,
              4 * (base + ((b * H + ih) * W + j0 * SW + kw * DW - left) * CI),
              4 * SW * CI,
              j1 - j0,
              CI,
            );
          }
        }
      }
    }
    dx.set(f32.subarray(x0, x0 + (b1 - b0) * sample), b0 * sample);
  }
  return true;
}
