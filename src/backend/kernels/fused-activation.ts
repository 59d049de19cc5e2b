/**
 * The activations of tfjs's fused kernels (`FusedConv2D`, `_FusedMatMul`), applied after the
 * library's own product by the backend's activation kernels: one place for the names tfjs uses.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';

/** tfjs's fused activation names and the kernels that compute them. */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/** True for `linear` (or none) and the activations {@link activate} applies. @internal */
export function knownActivation(activation: unknown): boolean {
  return (
    activation === undefined ||
    activation === 'linear' ||
    (typeof activation === 'string' && activation in ACTIVATION_KERNELS)
  );
}

/**
 * `activation` applied to `x` by the backend's own kernel (x itself for `linear`; x released
 * otherwise). @internal
 */
export function activate(
  backendName: string,
  backend: KernelBackend,
  x: tf.TensorInfo,
  activation: string | undefined,
  leakyreluAlpha: unknown,
  preluActivationWeights?: tf.TensorInfo,
): tf.TensorInfo {
  if (activation === undefined || activation === 'linear') return x;
  const kernel = ACTIVATION_KERNELS[activation]!;
  const out =
    activation === 'prelu'
      ? callKernel(kernel, backendName, backend, { x, alpha: preluActivationWeights! })
      : callKernel(
          kernel,
          backendName,
          backend,
          { x },
          activation === 'leakyrelu' ? { alpha: leakyreluAlpha } : {},
        );
  release(backend, x);
  return out;
}
