/**
 * `UnsortedSegmentSum` (the gradient of `gather`, so of every embedding layer), composed as a
 * matrix product: out[s, :] = Σ_{i : ids[i] = s} x[i, :] = (oneHot(ids, S)ᵀ · x)[s, :].
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';

/** Builds the kernel function for `backendName`. @internal */
export function unsortedSegmentSumComposed(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as { numSegments: number };
    if (segmentIds.shape.length !== 1) {
      throw new Error('UnsortedSegmentSum: only 1-D segment ids are supported on this backend');
    }
    const n = segmentIds.shape[0]!;
    const rest = x.shape.slice(1);
    const width = rest.reduce((p, d) => p * d, 1);
    const ids =
      segmentIds.dtype === 'int32'
        ? segmentIds
        : callKernel('Cast', backendName, b, { x: segmentIds }, { dtype: 'int32' });
    // the wasm backend's OneHot writes int32 values whatever dtype it is asked for (and labels
    // the output with that dtype), so ask for int32 and cast
    const oneHotInt = callKernel(
      'OneHot',
      backendName,
      b,
      { indices: ids },
      { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' },
    );
    const oneHot = callKernel('Cast', backendName, b, { x: oneHotInt }, { dtype: 'float32' });
    release(b, oneHotInt);
    const oneHotT = callKernel('Transpose', backendName, b, { x: oneHot }, { perm: [1, 0] });
    const a3 = callKernel(
      'Reshape',
      backendName,
      b,
      { x: oneHotT },
      { shape: [1, numSegments, n] },
    );
    const x3 = callKernel('Reshape', backendName, b, { x }, { shape: [1, n, width] });
    const prod = callKernel(
      'BatchMatMul',
      backendName,
      b,
      { a: a3, b: x3 },
      { transposeA: false, transposeB: false },
    );
    const out = callKernel(
      'Reshape',
      backendName,
      b,
      { x: prod },
      { shape: [numSegments, ...rest] },
    );
    release(b, oneHot, oneHotT, a3, x3, prod);
    if (ids !== segmentIds) release(b, ids);
    return out;
  };
}
