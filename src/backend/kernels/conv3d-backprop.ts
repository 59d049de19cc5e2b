/**
 * The 3D convolution gradient kernels for the wasm backend, whose own `Conv3DBackpropInputV2`
 * returns wrong input gradients
 * (seen with the wasm backend 4.22: 'same' padding, several channels; the filter gradient is
 * right). Written as a loop over the WebAssembly heap, correct for every stride and padding:
 *
 *   dx[b, id, ih, iw, ci] = Σ dy[b, od, oh, ow, co] · W[kd, kh, kw, ci, co],
 *   id = od·s_d + kd − p_front,  ih = oh·s_h + kh − p_top,  iw = ow·s_w + kw − p_left
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { conv3dGeometry } from './conv-geometry.js';
import { accessFor } from './js-access.js';

/** Builds the kernel function for `backendName`. @internal */
export function conv3dBackpropInput(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as { inputShape: [number, number, number, number, number] };
    const info = conv3dGeometry(a.inputShape, filter.shape, attrs as never);
    const {
      batchSize: B,
      inDepth: D,
      inHeight: H,
      inWidth: W,
      inChannels: C,
      outChannels: O,
    } = info;
    const {
      outDepth: OD,
      outHeight: OH,
      outWidth: OW,
      filterDepth: KD,
      filterHeight: KH,
      filterWidth: KW,
    } = info;
    const { strideDepth: SD, strideHeight: SH, strideWidth: SW } = info;
    const { front, top, left } = info.padInfo;
    const {
      out,
      outValues: dx,
      values,
    } = accessFor(backendName, backend).output(a.inputShape, [dy, filter]);
    const [dyv, wv] = values as [Float32Array, Float32Array];
    for (let b = 0; b < B; b++)
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const yo = (((b * OD + od) * OH + oh) * OW + ow) * O;
            for (let kd = 0; kd < KD; kd++) {
              const id = od * SD + kd - front;
              if (id < 0 || id >= D) continue;
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * SH + kh - top;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const iw = ow * SW + kw - left;
                  if (iw < 0 || iw >= W) continue;
                  const xo = (((b * D + id) * H + ih) * W + iw) * C;
                  const wo = ((kd * KH + kh) * KW + kw) * C * O;
                  for (let ci = 0; ci < C; ci++) {
                    let sum = 0;
                    const wc = wo + ci * O;
                    for (let co = 0; co < O; co++) sum += dyv[yo + co]! * wv[wc + co]!;
                    dx[xo + ci]! += sum;
                  }
                }
              }
            }
          }
    return out;
  };
}

/**
 * `Conv3DBackpropFilterV2` for the wasm backend, whose own kernel is wrong for strides > 1
 * (the wasm backend 4.22):
 *
 *   dW[kd, kh, kw, ci, co] = Σ_{b, od, oh, ow} x[b, id, ih, iw, ci] · dy[b, od, oh, ow, co]
 *
 * @internal
 */
export function conv3dBackpropFilter(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as { filterShape: [number, number, number, number, number] };
    const info = conv3dGeometry(x.shape, a.filterShape, attrs as never);
    const {
      batchSize: B,
      inDepth: D,
      inHeight: H,
      inWidth: W,
      inChannels: C,
      outChannels: O,
    } = info;
    const {
      outDepth: OD,
      outHeight: OH,
      outWidth: OW,
      filterDepth: KD,
      filterHeight: KH,
      filterWidth: KW,
    } = info;
    const { strideDepth: SD, strideHeight: SH, strideWidth: SW } = info;
    const { front, top, left } = info.padInfo;
    const {
      out,
      outValues: dw,
      values,
    } = accessFor(backendName, backend).output(a.filterShape, [x, dy]);
    const [xv, dyv] = values as [Float32Array, Float32Array];
    for (let b = 0; b < B; b++)
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const yo = (((b * OD + od) * OH + oh) * OW + ow) * O;
            for (let kd = 0; kd < KD; kd++) {
              const id = od * SD + kd - front;
              if (id < 0 || id >= D) continue;
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * SH + kh - top;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const iw = ow * SW + kw - left;
                  if (iw < 0 || iw >= W) continue;
                  const xo = (((b * D + id) * H + ih) * W + iw) * C;
                  const wo = ((kd * KH + kh) * KW + kw) * C * O;
                  for (let ci = 0; ci < C; ci++) {
                    const xval = xv[xo + ci]!;
                    const wc = wo + ci * O;
                    for (let co = 0; co < O; co++) dw[wc + co]! += xval * dyv[yo + co]!;
                  }
                }
              }
            }
          }
    return out;
  };
}
