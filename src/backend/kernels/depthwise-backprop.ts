/**
 * The two depthwise-convolution gradient kernels, with dilation, for backends whose tensors live
 * in JavaScript-visible memory (cpu: plain typed arrays; wasm: views on the WebAssembly heap, so
 * nothing is copied). the wasm backend has neither kernel; the cpu backend's accept a
 * `dilations` attribute but ignore it in their loops. On wasm, with one filter per channel (the
 * separable convolutions' case) and channels a multiple of 4, the inner loops are WebAssembly SIMD
 * passes over whole rows of channels (`rows.loops.ts`).
 *
 *   y[b, oh, ow, c·m + q] = Σ_{kh, kw} x[b, oh·s + kh·d − p_top, ow·s + kw·d − p_left, c] · W[kh, kw, c, q]
 *   dW[kh, kw, c, q] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·m + q]
 *   dx[b, ih, iw, c] = Σ_{oh, ow, kh, kw, q : ih = oh·s + kh·d − p_top, …} dy[b, oh, ow, c·m + q] · W[kh, kw, c, q]
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { conv2dGeometry, tapRange } from './conv-geometry.js';
import { accessFor, heapOffset } from './js-access.js';
import { simdFor } from './simd/modules.js';

/**
 * The SIMD loops' rows (one filter per channel): for each batch b, output row oh and tap (kh, kw)
 * whose input row lies inside the input, the element offsets of the first valid column's x and
 * dy rows and of the tap's weights, and the number of valid columns.
 */
function forEachTapRow(
  info: tf.backend_util.Conv2DInfo,
  visit: (xRow: number, dyRow: number, tap: number, count: number) => void,
): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C } = info;
  const { outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = info;
  const { strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = info;
  const { top, left } = info.padInfo;
  const columns = Array.from({ length: FW }, (_, kw) => tapRange(kw, DW, left, SW, W, OW));
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let kh = 0; kh < FH; kh++) {
        const ih = oh * SH + kh * DH - top;
        if (ih < 0 || ih >= H) continue;
        for (let kw = 0; kw < FW; kw++) {
          const [owMin, owMax] = columns[kw]!;
          if (owMax <= owMin) continue;
          visit(
            ((b * H + ih) * W + owMin * SW + kw * DW - left) * C,
            ((b * OH + oh) * OW + owMin) * C,
            (kh * FW + kw) * C,
            owMax - owMin,
          );
        }
      }
}

/** `DepthwiseConv2dNativeBackpropFilter` with dilation. @internal */
export function depthwiseBackpropFilter(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as { filterShape: [number, number, number, number] };
    const info = conv2dGeometry(x.shape, a.filterShape, attrs as never, true);
    const {
      batchSize: B,
      inHeight: H,
      inWidth: W,
      inChannels: C,
      outHeight: OH,
      outWidth: OW,
    } = info;
    const {
      filterHeight: FH,
      filterWidth: FW,
      strideHeight: SH,
      strideWidth: SW,
      dilationHeight: DH,
      dilationWidth: DW,
    } = info;
    const M = info.outChannels / C;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const {
      out,
      outValues: dw,
      values,
    } = accessFor(backendName, backend).output(a.filterShape, [x, dy]);
    const [xv, dyv] = values as [Float32Array, Float32Array];
    const OC = C * M;
    const loops = backendName === 'wasm' && M === 1 && C % 4 === 0 ? simdFor(backend) : undefined;
    if (loops) {
      // one filter per channel: each tap's row of products summed into its weights by SIMD
      const [x0, dy0, dw0] = [
        heapOffset(backend, x),
        heapOffset(backend, dy),
        heapOffset(backend, out),
      ];
      forEachTapRow(info, (xRow, dyRow, tap, count) =>
        loops.dotRows(
          x0 + 4 * xRow,
          4 * SW * C,
          dy0 + 4 * dyRow,
          4 * C,
          dw0 + 4 * tap,
          count,
          4 * C,
        ),
      );
      return out;
    }
    for (let kh = 0; kh < FH; kh++) {
      for (let kw = 0; kw < FW; kw++) {
        const base = (kh * FW + kw) * OC;
        for (let b = 0; b < B; b++) {
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH + kh * DH - top;
            if (ih < 0 || ih >= H) continue;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * SW + kw * DW - left;
              if (iw < 0 || iw >= W) continue;
              const xo = ((b * H + ih) * W + iw) * C;
              const yo = ((b * OH + oh) * OW + ow) * OC;
              for (let c = 0; c < C; c++) {
                const xval = xv[xo + c]!;
                const wo = base + c * M;
                const yc = yo + c * M;
                for (let q = 0; q < M; q++) dw[wo + q]! += xval * dyv[yc + q]!;
              }
            }
          }
        }
      }
    }
    return out;
  };
}

/** `DepthwiseConv2dNativeBackpropInput` with dilation. @internal */
export function depthwiseBackpropInput(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as { inputShape: [number, number, number, number] };
    const info = conv2dGeometry(a.inputShape, filter.shape, attrs as never, true);
    const {
      batchSize: B,
      inHeight: H,
      inWidth: W,
      inChannels: C,
      outHeight: OH,
      outWidth: OW,
    } = info;
    const {
      filterHeight: FH,
      filterWidth: FW,
      strideHeight: SH,
      strideWidth: SW,
      dilationHeight: DH,
      dilationWidth: DW,
    } = info;
    const M = info.outChannels / C;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const {
      out,
      outValues: dx,
      values,
    } = accessFor(backendName, backend).output(a.inputShape, [dy, filter]);
    const [dyv, wv] = values as [Float32Array, Float32Array];
    const OC = C * M;
    const loops = backendName === 'wasm' && M === 1 && C % 4 === 0 ? simdFor(backend) : undefined;
    if (loops) {
      // one filter per channel: each tap's row of dy, scaled by its weights, added into dx by SIMD
      const [dy0, w0, dx0] = [
        heapOffset(backend, dy),
        heapOffset(backend, filter),
        heapOffset(backend, out),
      ];
      forEachTapRow(info, (xRow, dyRow, tap, count) =>
        loops.axpyRows(
          dy0 + 4 * dyRow,
          4 * C,
          dx0 + 4 * xRow,
          4 * SW * C,
          w0 + 4 * tap,
          count,
          4 * C,
        ),
      );
      return out;
    }
    for (let b = 0; b < B; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const yo = ((b * OH + oh) * OW + ow) * OC;
          for (let kh = 0; kh < FH; kh++) {
            const ih = oh * SH + kh * DH - top;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < FW; kw++) {
              const iw = ow * SW + kw * DW - left;
              if (iw < 0 || iw >= W) continue;
              const xo = ((b * H + ih) * W + iw) * C;
              const wo = (kh * FW + kw) * OC;
              for (let c = 0; c < C; c++) {
                let sum = 0;
                const yc = yo + c * M;
                const wc = wo + c * M;
                for (let q = 0; q < M; q++) sum += dyv[yc + q]! * wv[wc + q]!;
                dx[xo + c]! += sum;
              }
            }
          }
        }
      }
    }
    return out;
  };
}
