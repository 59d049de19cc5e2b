/**
 * `MaxPoolGrad` as one pass over the WebAssembly heap: the wasm backend's own kernel took a
 * quarter of the seed CNN's training step (41 ms of 166 for batch 64 on this machine). The
 * gradient of each pooling window goes to its first maximum in row-major window order (strictly
 * greater wins, as the cpu backend's `maxPoolPositions`); a window with no finite maximum
 * (all −∞ or NaN) passes no gradient.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { accessFor } from './js-access.js';

/** Builds the kernel function for `backendName`. @internal */
export function maxPoolGrad(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const a = attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
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
    const {
      out,
      outValues: dx,
      values,
    } = accessFor(backendName, backend).output(input.shape, [dy, input]);
    const [dyv, xv] = values as [Float32Array, Float32Array];
    for (let b = 0; b < B; b++) {
      const xb = b * H * W * C;
      for (let oh = 0; oh < OH; oh++) {
        const r0 = oh * SH - top;
        const rMin = Math.max(0, r0);
        const rMax = Math.min(H, r0 + FH);
        for (let ow = 0; ow < OW; ow++) {
          const c0 = ow * SW - left;
          const cMin = Math.max(0, c0);
          const cMax = Math.min(W, c0 + FW);
          const yo = ((b * OH + oh) * OW + ow) * C;
          for (let c = 0; c < C; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let at = -1;
            for (let r = rMin; r < rMax; r++) {
              const row = xb + r * W * C + c;
              for (let col = cMin; col < cMax; col++) {
                const v = xv[row + col * C]!;
                if (v > best) {
                  best = v;
                  at = row + col * C;
                }
              }
            }
            if (at >= 0) dx[at]! += dyv[yo + c]!;
          }
        }
      }
    }
    return out;
  };
}
