/**
 * `Slice` for the wasm and cpu backends as a copy of contiguous runs. The wasm backend's own
 * kernel reads the whole input tensor out of the WebAssembly heap (`readSync`) before copying the
 * slice, so taking a batch of rows cost as much as the whole tensor; the cpu backend's own kernel
 * goes element by element through index arithmetic for any slice that is not one contiguous
 * block (the shifted input windows of DP-SGD's per-example convolution gradients: ~2.3 s of a
 * 3 s private seed-CNN step). This one copies runs, each as long as the slice allows: the last
 * axis together with every axis after the first one it takes only part of.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor, type WasmBackendLike } from './js-access.js';

/** Builds the kernel function for `backendName` (wasm: any dtype but string; cpu: float32). @internal */
export function sliceByRuns(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string' || (backendName !== 'wasm' && x.dtype !== 'float32'))
      return callKernel('Slice', backendName, backend as never, { x }, attrs as never);
    const { begin, size } = attrs as unknown as { begin: number[]; size: number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [
      number[],
      number[],
    ];
    let out: tf.TensorInfo;
    let outVals: tf.TypedArray;
    let xVals: tf.TypedArray;
    if (backendName === 'wasm') {
      const b = backend as unknown as WasmBackendLike;
      out = b.makeOutput(size_, x.dtype); // may grow the heap: take the views after it
      outVals = b.typedArrayFromHeap(out);
      xVals = b.typedArrayFromHeap(x);
    } else {
      const o = accessFor(backendName, backend).output(size_, [x], false);
      [out, outVals, xVals] = [o.out, o.outValues, o.values[0]!];
    }
    const total = size_.reduce((p, d) => p * d, 1);
    if (total === 0) return out;
    if (x.shape.length === 0) {
      outVals[0] = xVals[0]!;
      return out;
    }
    const strides = tf.util.computeStrides(x.shape);
    const rank = x.shape.length;
    // the runs: axis `k` (the last one sliced in part) with every axis after it, taken whole
    let k = rank - 1;
    while (k > 0 && size_[k] === x.shape[k]) k--;
    const run = size_.slice(k).reduce((p, d) => p * d, 1);
    const index = new Array<number>(k).fill(0);
    for (let o = 0; o < total; o += run) {
      let offset = begin_[k]! * (strides[k] ?? 1);
      for (let d = 0; d < k; d++) offset += (begin_[d]! + index[d]!) * strides[d]!;
      outVals.set(xVals.subarray(offset, offset + run), o);
      // walk the axes before k like an odometer
      for (let d = k - 1; d >= 0; d--) {
        if (++index[d]! < size_[d]!) break;
        index[d] = 0;
      }
    }
    return out;
  };
}
