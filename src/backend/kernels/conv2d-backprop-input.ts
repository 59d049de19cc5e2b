/**
 * `Conv2DBackpropInput` composed from the backend's registered `Conv2D` (the wasm backend's own
 * kernel is a plain loop; its Conv2D runs on XNNPACK, or at stride 1 on the library's segmented
 * product).
 *
 *   dx[b, ih, iw, ci] = Σ_{kh, kw, co} dy[b, oh, ow, co] · W[kh, kw, ci, co],  ih = oh·s + kh·d − p_top
 *
 * For stride 1 this is a convolution of dy with the kernel rotated by 180° and its channel axes
 * swapped ([fh, fw, co, ci]), dilation d, padded by (fh − 1)·d − p_top on top. For stride s > 1,
 * dy is first spread out with s − 1 zeros between rows and columns (a reshape, a pad and a
 * reshape), which turns the strided case into the stride-1 one.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import { conv2dGeometry } from './conv-geometry.js';
import { accessFor } from './js-access.js';

/** The attributes read here (strides and padding are read by conv2dGeometry). */
interface Attrs {
  dataFormat: 'NHWC' | 'NCHW';
  inputShape: [number, number, number, number];
}

/** Builds the kernel function for `backendName`. @internal */
export function conv2dBackpropInputComposed(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const b = backend as unknown as KernelBackend;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as Attrs;
    const info = conv2dGeometry(a.inputShape, filter.shape, { ...attrs, dilations: 1 });
    const {
      filterHeight: fh,
      filterWidth: fw,
      strideHeight: sh,
      strideWidth: sw,
      inHeight: H,
      inWidth: W,
    } = info;
    const { outHeight: oh, outWidth: ow, batchSize: B, outChannels: co } = info;
    const padTop = fh - 1 - info.padInfo.top;
    const padLeft = fw - 1 - info.padInfo.left;
    if (a.dataFormat === 'NCHW' || padTop < 0 || padLeft < 0) {
      // explicit padding wider than the kernel: the backend's own kernel handles it
      return callKernel('Conv2DBackpropInput', backendName, b, inputs as never, attrs as never);
    }
    let spread = dy;
    if (sh > 1 || sw > 1) {
      const r = callKernel('Reshape', backendName, b, { x: dy }, { shape: [B, oh, 1, ow, 1, co] });
      const p = callKernel(
        'PadV2',
        backendName,
        b,
        { x: r },
        {
          paddings: [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      spread = callKernel(
        'Reshape',
        backendName,
        b,
        { x: p },
        { shape: [B, oh * sh, ow * sw, co] },
      );
      release(b, r, p);
    }
    const rows = spread.shape[1]!;
    const cols = spread.shape[2]!;
    const padBottom = Math.max(0, H + fh - 1 - rows - padTop);
    const padRight = Math.max(0, W + fw - 1 - cols - padLeft);
    const kernel = rotatedFilter(backendName, backend, filter);
    // the registered Conv2D: the library's at stride 1 (the segmented product), else XNNPACK's
    const conv = callRegistered(
      'Conv2D',
      backendName,
      b,
      { x: spread, filter: kernel },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [padTop, padBottom],
          [padLeft, padRight],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    release(b, kernel);
    if (spread !== dy) release(b, spread);
    if (conv.shape[1] === H && conv.shape[2] === W) return conv;
    const out = callKernel(
      'Slice',
      backendName,
      b,
      { x: conv },
      { begin: [0, 0, 0, 0], size: [-1, H, W, -1] },
    );
    release(b, conv);
    return out;
  };
}

/**
 * The filter [fh, fw, ci, co] rotated by 180° with its channel axes swapped, [fh, fw, co, ci], in
 * one pass (a copy: the same values), where the backend's tensors are JavaScript-visible; else by
 * its `Reverse` and `Transpose`.
 */
function rotatedFilter(
  backendName: string,
  backend: unknown,
  filter: tf.TensorInfo,
): tf.TensorInfo {
  const b = backend as KernelBackend;
  const [fh, fw, ci, co] = filter.shape as [number, number, number, number];
  if (filter.dtype !== 'float32' || (backendName !== 'wasm' && backendName !== 'cpu')) {
    const flipped = callKernel('Reverse', backendName, b, { x: filter }, { dims: [0, 1] });
    const out = callKernel('Transpose', backendName, b, { x: flipped }, { perm: [0, 1, 3, 2] });
    release(b, flipped);
    return out;
  }
  const { out, outValues, values } = accessFor(backendName, backend).output(
    [fh, fw, co, ci],
    [filter],
    false,
  );
  const w = values[0]!;
  for (let ky = 0; ky < fh; ky++)
    for (let kx = 0; kx < fw; kx++) {
      const from = ((fh - 1 - ky) * fw + (fw - 1 - kx)) * ci * co;
      const to = (ky * fw + kx) * co * ci;
      for (let c = 0; c < ci; c++)
        for (let o = 0; o < co; o++) outValues[to + o * ci + c] = w[from + c * co + o]!;
    }
  return out;
}
