/**
 * The two depthwise-convolution gradient kernels, with dilation, for backends whose tensors live
 * in JavaScript-visible memory (cpu: plain typed arrays; wasm: views on the WebAssembly heap, so
 * nothing is copied). the wasm backend has neither kernel; the cpu backend's accept a
 * `dilations` attribute but ignore it in their loops.
 *
 *   y[b, oh, ow, c·m + q] = Σ_{kh, kw} x[b, oh·s + kh·d − p_top, ow·s + kw·d − p_left, c] · W[kh, kw, c, q]
 *   dW[kh, kw, c, q] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·m + q]
 *   dx[b, ih, iw, c] = Σ_{oh, ow, kh, kw, q : ih = oh·s + kh·d − p_top, …} dy[b, oh, ow, c·m + q] · W[kh, kw, c, q]
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { conv2dGeometry } from './conv-geometry.js';
import { accessFor } from './js-access.js';

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
