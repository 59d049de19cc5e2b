/**
 * `Relu` for the cpu backend as one plain loop (the stock kernel calls a closure per element):
 * Math.max(0, x), the stock rule, so NaN stays NaN and −0 becomes 0. Other dtypes go to the
 * stock kernel.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor } from './js-access.js';

/** Builds the kernel function for `backendName` (cpu). @internal */
export function reluLoop(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32')
      return callKernel('Relu', backendName, backend as never, inputs as never, attrs as never);
    const { out, outValues, values } = accessFor(backendName, backend).output(x.shape, [x], false);
    const xv = values[0]!;
    for (let i = 0; i < xv.length; i++) outValues[i] = Math.max(0, xv[i]!);
    return out;
  };
}
