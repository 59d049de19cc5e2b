/**
 * `Relu` and `Step` for the cpu backend as plain loops: the stock kernels call a closure per
 * element, and every ReLU layer runs `Relu` forward and `Step` in its gradient (tfjs-core's
 * dy · step(x), also inside the fused convolution's and matrix product's gradients) over a whole
 * activation. Same rules, so the same values: Relu is Math.max(0, x) (NaN stays NaN, −0 becomes
 * 0), Step is x > 0 ? 1 : α with NaN for NaN. Dtypes other than float32 go to the stock kernels.
 * Each kernel keeps its own loop (one shared loop calling a per-kernel function would be the
 * per-element call again).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor } from './js-access.js';

type Loop = (x: Float32Array, out: Float32Array, attrs: tf.NamedAttrMap) => void;

/**
 * `kernelName` as `loop` over a float32 input (and where `applies` says so), else the backend's
 * own kernel. @internal
 */
export function unaryLoop(
  kernelName: string,
  loop: Loop,
  applies: (x: tf.TensorInfo, backend: unknown) => boolean = () => true,
): (backendName: string) => tf.KernelFunc {
  return (backendName) =>
    ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32' || !applies(x, backend))
        return callKernel(
          kernelName,
          backendName,
          backend as never,
          inputs as never,
          attrs as never,
        );
      const { out, outValues, values } = accessFor(backendName, backend).output(
        x.shape,
        [x],
        false,
      );
      loop(values[0]!, outValues, attrs ?? {});
      return out;
    };
}

/** `Relu` (cpu). @internal */
export const reluLoop = unaryLoop('Relu', (x, out) => {
  for (let i = 0; i < x.length; i++) out[i] = Math.max(0, x[i]!);
});

/** `Step` (cpu). @internal */
export const stepLoop = unaryLoop('Step', (x, out, attrs) => {
  const alpha = (attrs as { alpha?: number }).alpha ?? 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? 1 : Number.isNaN(v) ? Number.NaN : alpha;
  }
});
