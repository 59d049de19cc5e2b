/**
 * `MaxPoolGrad` as one pass over the WebAssembly heap: the wasm backend's own kernel took a
 * quarter of the seed CNN's training step (docs/backends.md). The
 * gradient of each pooling window goes to its first maximum in row-major window order (strictly
 * greater wins, as the cpu backend's `maxPoolPositions`); a window with no finite maximum
 * (all −∞ or NaN) passes no gradient. 2×2, stride-2 windows take a fast path: WebAssembly SIMD
 * rows on wasm (channels a multiple of 4), four comparisons per channel otherwise; the general
 * loop does the rest (windows reaching into padding, other sizes and strides).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import { inHalves, passHelperFor } from '../pass-helper.js';
import { accessFor, heapOffset, wasmMemoryOf } from './js-access.js';
import { RELU_GRAD } from './leaky-relu.js';
import { pool2dInfo } from './max-pool.js';
import { simdFor } from './simd/modules.js';

/** The gradient of a pooling of ReLU's output through that ReLU too (see {@link maxPoolGrad}). @internal */
export const MAX_POOL_RELU_GRAD = 'MedkitMaxPoolReluGrad';

/**
 * Builds the kernel function for `backendName`: `MaxPoolGrad`, or with `reluMask`
 * `MedkitMaxPoolReluGrad`, the same gradient multiplied by step(input) as `MedkitReluGrad` would
 * multiply it (1 above 0, NaN for NaN, else 0): a pooling of ReLU's output differentiated through
 * the ReLU as well, in the same pass on wasm's SIMD rows (the same values as the two kernels,
 * which it runs one after the other elsewhere). @internal
 */
export function maxPoolGrad(backendName: string, reluMask = false): tf.KernelFunc {
  const unmasked = reluMask ? maxPoolGrad(backendName) : undefined;
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const info = pool2dInfo(input.shape, attrs);
    const {
      batchSize: B,
      inHeight: H,
      inWidth: W,
      inChannels: C,
      outHeight: OH,
      outWidth: OW,
    } = info;
    const {
      strideHeight: SH,
      strideWidth: SW,
      effectiveFilterHeight: FH,
      effectiveFilterWidth: FW,
    } = info;
    const { top, left } = info.padInfo;
    const full2x2 = FH === 2 && FW === 2 && SH === 2 && SW === 2 && top === 0 && left === 0;
    const loops = full2x2 && backendName === 'wasm' && C % 4 === 0 ? simdFor(backend) : undefined;
    // the SIMD rows write every element of dx when the windows tile the input exactly
    const tiled = loops !== undefined && 2 * OH === H && 2 * OW === W;
    if (unmasked && !tiled) {
      const pooled = unmasked(args) as tf.TensorInfo;
      const out = callRegistered(RELU_GRAD, backendName, backend, { dy: pooled, x: input });
      release(backend as KernelBackend, pooled);
      return out;
    }
    const {
      out,
      outValues: dx,
      values,
    } = accessFor(backendName, backend).output(input.shape, [dy, input], !tiled);
    const [dyv, xv] = values as [Float32Array, Float32Array];
    if (full2x2) {
      const oh2 = Math.min(OH, H >> 1);
      const ow2 = Math.min(OW, W >> 1);
      if (loops) {
        const x0 = heapOffset(backend, input);
        const dy0 = heapOffset(backend, dy);
        const delta = heapOffset(backend, out) - x0;
        if (tiled) {
          // every output row two input rows after the last: one call for all of them, the first
          // half on the helper thread where there is one (the rows write apart: the same values)
          const rows = B * OH;
          const helper = rows >= 16 ? passHelperFor(wasmMemoryOf(backend)) : undefined;
          const loop = reluMask ? 'maxPoolReluGrad2x2Rows' : 'maxPoolGrad2x2Rows';
          inHalves(helper, loop, loops[loop], rows, (from, count) => [
            x0 + 8 * from * W * C,
            dy0 + 4 * from * OW * C,
            delta,
            ow2,
            4 * C,
            4 * W * C,
            count,
          ]);
        } else
          for (let b = 0; b < B; b++)
            for (let oh = 0; oh < oh2; oh++)
              loops.maxPoolGrad2x2Row(
                x0 + 4 * (b * H + 2 * oh) * W * C,
                dy0 + 4 * (b * OH + oh) * OW * C,
                delta,
                ow2,
                4 * C,
                4 * W * C,
              );
      } else pool2x2Grad(xv, dyv, dx, B, H, W, C, oh2, ow2, OH, OW);
      if (OH * 2 <= H && OW * 2 <= W) return out;
    }
    // Channels innermost (contiguous in NHWC): each window keeps a running maximum per channel.
    const best = new Float32Array(C);
    const at = new Int32Array(C);
    for (let b = 0; b < B; b++) {
      const xb = b * H * W * C;
      for (let oh = 0; oh < OH; oh++) {
        const r0 = oh * SH - top;
        const rMin = Math.max(0, r0);
        const rMax = Math.min(H, r0 + FH);
        for (let ow = 0; ow < OW; ow++) {
          // Windows the 2×2 pass above already did (it covers every window wholly inside).
          if (full2x2 && 2 * oh + 1 < H && 2 * ow + 1 < W) continue;
          const c0 = ow * SW - left;
          const cMin = Math.max(0, c0);
          const cMax = Math.min(W, c0 + FW);
          best.fill(Number.NEGATIVE_INFINITY);
          at.fill(-1);
          for (let r = rMin; r < rMax; r++) {
            for (let col = cMin; col < cMax; col++) {
              const base = xb + (r * W + col) * C;
              for (let c = 0; c < C; c++) {
                const v = xv[base + c]!;
                if (v > best[c]!) {
                  best[c] = v;
                  at[c] = base + c;
                }
              }
            }
          }
          const yo = ((b * OH + oh) * OW + ow) * C;
          for (let c = 0; c < C; c++) {
            const i = at[c]!;
            if (i >= 0) dx[i]! += dyv[yo + c]!;
          }
        }
      }
    }
    return out;
  };
}

/**
 * The 2×2, stride-2 windows wholly inside the input (rows < 2·oh2, columns < 2·ow2), four
 * comparisons per channel with no per-window state: the common max-pooling layer, about half the
 * time of the general loop.
 */
function pool2x2Grad(
  xv: Float32Array,
  dyv: Float32Array,
  dx: Float32Array,
  B: number,
  H: number,
  W: number,
  C: number,
  oh2: number,
  ow2: number,
  OH: number,
  OW: number,
): void {
  const down = W * C;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < oh2; oh++) {
      for (let ow = 0; ow < ow2; ow++) {
        const p0 = ((b * H + 2 * oh) * W + 2 * ow) * C;
        const p1 = p0 + C;
        const p2 = p0 + down;
        const p3 = p2 + C;
        const yo = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          // First maximum in row-major order; NaN never wins; −∞ everywhere passes nothing.
          let at = -1;
          let best = Number.NEGATIVE_INFINITY;
          let v = xv[p0 + c]!;
          if (v > best) {
            best = v;
            at = p0 + c;
          }
          v = xv[p1 + c]!;
          if (v > best) {
            best = v;
            at = p1 + c;
          }
          v = xv[p2 + c]!;
          if (v > best) {
            best = v;
            at = p2 + c;
          }
          v = xv[p3 + c]!;
          if (v > best) at = p3 + c;
          if (at >= 0) dx[at]! += dyv[yo + c]!;
        }
      }
    }
  }
}
