/**
 * `Identity` for the wasm backend without a copy: the wasm backend's own kernel copies the whole
 * tensor, and a training step calls it for every tensor a gradient saves (`tf.clone`) and every
 * gradient passed through unchanged, hundreds of times a step. Tensors are immutable, so the
 * output shares the input's memory, counted by reference as `Reshape` does.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';

/** The part of the wasm backend this kernel uses. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

/** Builds the kernel function for `backendName`. @internal */
export function identityShared(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return callKernel('Identity', backendName, backend as never, { x });
    (backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
