/**
 * `GatherV2` for the wasm backend without copying the input: like its `Slice`, the wasm
 * backend's own kernel reads the whole input out of the WebAssembly heap first, so drawing a
 * batch of rows cost as much as the whole training set. This
 * one copies the gathered runs from a view of the heap. Indices outside the axis, batch
 * dimensions and string tensors go to the backend's own kernel.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import type { WasmBackendLike } from './js-access.js';

/** Builds the kernel function for `backendName`. @internal */
export function gatherFromHeap(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const b = backend as unknown as WasmBackendLike;
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    const stock = () =>
      callKernel('GatherV2', backendName, backend as never, inputs as never, attrs as never);
    if (x.dtype === 'string' || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return stock();
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const dim = x.shape[ax]!;
    const idx = b.typedArrayFromHeap(indices) as Int32Array;
    for (let j = 0; j < idx.length; j++) if (!(idx[j]! >= 0 && idx[j]! < dim)) return stock();
    const outer = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
    const n = idx.length;
    const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    const out = b.makeOutput(outShape, x.dtype); // may grow the heap: take the views after it
    const outVals = b.typedArrayFromHeap(out);
    const xVals = b.typedArrayFromHeap(x);
    const at = b.typedArrayFromHeap(indices) as Int32Array;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < n; j++) {
        const from = (o * dim + at[j]!) * inner;
        outVals.set(xVals.subarray(from, from + inner), (o * n + j) * inner);
      }
    return out;
  };
}
