/**
 * `Slice` for the wasm backend without copying the input: the wasm backend's own kernel reads
 * the whole input tensor out of the WebAssembly heap (`readSync`) before copying the slice, so
 * taking a batch of rows cost as much as the whole tensor. This
 * one copies only the slice, row by row, from a view of the heap.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import type { WasmBackendLike } from './js-access.js';

/** Builds the kernel function for `backendName`. @internal */
export function sliceFromHeap(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const b = backend as unknown as WasmBackendLike;
    if (x.dtype === 'string')
      return callKernel('Slice', backendName, backend as never, { x }, attrs as never);
    const { begin, size } = attrs as unknown as { begin: number[]; size: number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [
      number[],
      number[],
    ];
    const out = b.makeOutput(size_, x.dtype); // may grow the heap: take the views after it
    const outVals = b.typedArrayFromHeap(out);
    const xVals = b.typedArrayFromHeap(x);
    const strides = tf.util.computeStrides(x.shape);
    const total = size_.reduce((p, d) => p * d, 1);
    if (total === 0) return out;
    if (tf.slice_util.isSliceContinous(x.shape, begin_, size_)) {
      const offset = tf.slice_util.computeFlatOffset(begin_, strides);
      outVals.set(xVals.subarray(offset, offset + total));
      return out;
    }
    // copy runs along the last axis; walk the leading axes like an odometer
    const rank = x.shape.length;
    const run = size_[rank - 1]!;
    const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
    for (let o = 0; o < total; o += run) {
      let offset = begin_[rank - 1]!;
      for (let d = 0; d < rank - 1; d++) offset += (begin_[d]! + index[d]!) * strides[d]!;
      outVals.set(xVals.subarray(offset, offset + run), o);
      for (let d = rank - 2; d >= 0; d--) {
        if (++index[d]! < size_[d]!) break;
        index[d] = 0;
      }
    }
    return out;
  };
}
