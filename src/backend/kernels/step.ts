/**
 * `Step` (x > 0 ? 1 : α, NaN for NaN) for the cpu backend as one plain loop: the stock kernel
 * calls a closure per element, and every ReLU gradient (tfjs-core's dy · step(x), also inside
 * the fused convolution's and matrix product's gradients) runs it over a whole activation. Same
 * values; dtypes other than float32 go to the stock kernel.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor } from './js-access.js';

/** Builds the kernel function for `backendName`. @internal */
export function stepLoop(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32')
      return callKernel('Step', backendName, backend as never, inputs as never, attrs as never);
    const alpha = (attrs as { alpha?: number }).alpha ?? 0;
    const { out, outValues, values } = accessFor(backendName, backend).output(x.shape, [x], false);
    const xv = values[0]!;
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i]!;
      outValues[i] = v > 0 ? 1 : Number.isNaN(v) ? Number.NaN : alpha;
    }
    return out;
  };
}
