/**
 * The ReLU and leaky-ReLU gradients as one kernel each: tfjs-core composes ReLU's of three
 * kernels, Step, Cast and Multiply (dy · float(step(x))), and leaky ReLU's of three, Greater,
 * Multiply and Select (where(x > 0, dy, α·dy)); `MedkitReluGrad` and `MedkitLeakyReluGrad`
 * compute the same values in one pass. Registered over tfjs-core's own with
 * `tf.registerGradient`; on a backend without the kernel the gradient calls tfjs-core's. Each
 * kernel gets a gradient of its own (for double backpropagation, as WGAN-GP needs): linear in dy
 * with the same mask, zero in x.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { LEAKY_RELU_GRAD, RELU_GRAD } from './kernels/leaky-relu.js';

const registered = new Set<string>();

/**
 * Registers `kernel` (inputs dy and x, the forward kernel's attributes) as the gradient of
 * `forward`, whose one saved tensor is x, and the kernel's own gradient; once. Returns the two
 * names, or none where tfjs-core has no gradient for `forward`.
 */
function registerOneKernelGradient(forward: string, kernel: string): string[] {
  const names = [forward, kernel];
  if (registered.has(forward)) return names;
  const stock = tf.getGradient(forward);
  if (!stock) return [];
  const grad = (dy: tf.Tensor, x: tf.Tensor, attrs: tf.NamedAttrMap) =>
    tf.engine().runKernel(kernel, { dy, x }, attrs ?? {}) as tf.Tensor;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      if (!tf.getKernel(kernel, tf.getBackend())) return stock.gradFunc(dy, saved, attrs);
      return { x: () => grad(dy as tf.Tensor, x!, attrs) };
    },
  });
  tf.registerGradient({
    kernelName: kernel,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      return {
        dy: () => grad(ddx as tf.Tensor, x!, attrs),
        x: () => tf.zerosLike(x!),
      };
    },
  });
  registered.add(forward);
  return names;
}

/** Registers the one-kernel ReLU and leaky-ReLU gradients (once); returns the kernel names. @internal */
export function registerActivationGradients(): string[] {
  return [
    ...registerOneKernelGradient('Relu', RELU_GRAD),
    ...registerOneKernelGradient('LeakyRelu', LEAKY_RELU_GRAD),
  ];
}
