/**
 * `MaxPool` on the wasm backend for 2×2 windows at stride 2 (the common pooling layer): one
 * WebAssembly SIMD loop over the output rows (`maxPool2x2Rows`, four channels a step). Two
 * reasons:
 *
 * - The stock kernel (XNNPACK) gives −∞ for a window holding a NaN even beside finite values
 *   (tfjs-backend-cpu gives their maximum). Here, tfjs-backend-cpu's rule: the first maximum
 *   wins, NaN never does, a window with no number above −∞ gives −∞; the values are the cpu
 *   backend's, bit for bit, and match `MaxPoolGrad`'s choice of position.
 * - On the multi-threaded build XNNPACK's worker keeps spinning for about a millisecond after
 *   each operation, on the core the library's helper thread works on: the product right after a
 *   stock pooling took 1.1–1.3 ms against 0.7 after another product (measured). With this
 *   pooling and the segmented `Conv2D`, a training step leaves XNNPACK's pool asleep.
 *
 * It runs on the calling thread alone: inference interleaves it with XNNPACK's fused
 * convolutions, whose worker is still spinning when it starts (shared with the helper thread,
 * the seed CNN's predictions ran 15% slower; a training step gains ~0.3 ms from sharing).
 * Windows reaching into padding, other window sizes and strides, dtypes other than float32 and
 * channels not a multiple of 4 go to the stock kernel.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel, callRegistered } from '../kernel-calls.js';
import { accessFor, heapOffset } from './js-access.js';
import { simdFor } from './simd/modules.js';

/** The attributes of `MaxPool` and `MaxPoolGrad`. */
interface Pool2DAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry of a 2D pooling of an NHWC input of `shape` (`MaxPool`, `MaxPoolGrad`). @internal */
export function pool2dInfo(shape: number[], attrs: unknown): tf.backend_util.Conv2DInfo {
  const a = attrs as Pool2DAttrs;
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
}

/** Builds the kernel function for `backendName` (wasm). @internal */
export function maxPool2x2(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const stock = () =>
      callKernel('MaxPool', backendName, backend as never, inputs as never, attrs as never);
    if (x.dtype !== 'float32' || x.shape.length !== 4) return stock();
    const info = pool2dInfo(x.shape, attrs);
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: C } = info;
    const { outHeight: OH, outWidth: OW, padInfo } = info;
    const windows2x2 =
      info.effectiveFilterHeight === 2 &&
      info.effectiveFilterWidth === 2 &&
      info.strideHeight === 2 &&
      info.strideWidth === 2 &&
      padInfo.top === 0 &&
      padInfo.left === 0 &&
      2 * OH <= H &&
      2 * OW <= W &&
      C % 4 === 0;
    const loops = windows2x2 && OH * OW * B > 0 ? simdFor(backend) : undefined;
    if (!loops) return stock();
    const { out } = accessFor(backendName, backend).output(info.outShape, [x], false);
    const [x0, y0] = [heapOffset(backend, x), heapOffset(backend, out)];
    // the loop's arguments after x and y: (unused), windows a row, channel bytes, input row bytes
    const args = [0, OW, 4 * C, 4 * W * C] as const;
    if (2 * OH === H)
      // every output row two input rows after the last, across images too: one call for all
      loops.maxPool2x2Rows(x0, y0, ...args, B * OH);
    else
      for (let b = 0; b < B; b++)
        loops.maxPool2x2Rows(x0 + 4 * b * H * W * C, y0 + 4 * b * OH * OW * C, ...args, OH);
    return out;
  };
}

/** The pooling layers' forward kernel (whose gradient may run through a ReLU before it). @internal */
export const MAX_POOL_FORWARD = 'MedkitMaxPool';

/**
 * `MedkitMaxPool`: the registered `MaxPool`, under a name of its own so that its gradient can
 * see what it pooled (see fused-layers). @internal
 */
export function maxPoolForwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) =>
    callRegistered('MaxPool', backendName, backend, inputs as never, attrs as never);
}
