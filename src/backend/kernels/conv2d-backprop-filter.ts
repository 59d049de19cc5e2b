/**
 * `Conv2DBackpropFilter` composed from a backend's own `Conv2D` and `Transpose` (the wasm backend
 * has no such kernel; its Conv2D runs on XNNPACK, so the composition is fast).
 *
 * The filter gradient of y = conv(x, W; stride s, dilation d, padding p) is
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh·d − p_top, ow·s + kw·d − p_left, ci] · dy[b, oh, ow, co]
 *
 * which is itself a convolution with batch and channels swapped: the input x transposed to
 * [ci, H, W, b], the "filter" dy transposed to [oh, ow, b, co], stride d and dilation s (the
 * forward pass's roles exchanged), the same top/left padding, and bottom/right padding just large
 * enough for fh × fw outputs; the result [ci, fh, fw, co] is transposed to [fh, fw, ci, co].
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { conv2dGeometry } from './conv-geometry.js';

/** The attributes read here (strides, padding and dilations are read by conv2dGeometry). */
interface Attrs {
  dataFormat: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
}

/** Builds the kernel function for `backendName`. @internal */
export function conv2dBackpropFilterComposed(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as Attrs;
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
    const info = conv2dGeometry(x.shape, a.filterShape, attrs as never);
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
    const {
      dilationHeight: dh,
      dilationWidth: dw,
      inHeight: H,
      inWidth: W,
      outHeight: oh,
      outWidth: ow,
    } = info;
    const { top, left } = info.padInfo;
    const bottom = Math.max(0, (fh - 1) * dh + (oh - 1) * sh + 1 - H - top);
    const right = Math.max(0, (fw - 1) * dw + (ow - 1) * sw + 1 - W - left);
    const xT = callKernel('Transpose', backendName, b, { x }, { perm: [3, 1, 2, 0] });
    const dyT = callKernel('Transpose', backendName, b, { x: dy }, { perm: [1, 2, 0, 3] });
    const conv = callKernel(
      'Conv2D',
      backendName,
      b,
      { x: xT, filter: dyT },
      {
        strides: [dh, dw],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    release(b, xT, dyT);
    let cropped = conv;
    if (conv.shape[1] !== fh || conv.shape[2] !== fw) {
      cropped = callKernel(
        'Slice',
        backendName,
        b,
        { x: conv },
        { begin: [0, 0, 0, 0], size: [-1, fh, fw, -1] },
      );
      release(b, conv);
    }
    const out = callKernel('Transpose', backendName, b, { x: cropped }, { perm: [1, 2, 0, 3] });
    release(b, cropped);
    return out;
  };
}
