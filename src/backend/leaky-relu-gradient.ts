/**
 * The leaky-ReLU gradient as one kernel: tfjs-core's runs three (Greater, Multiply, Select) for
 * where(x > 0, dy, α·dy). Registered over tfjs-core's own with `tf.registerGradient`; on a
 * backend without `MedkitLeakyReluGrad` it calls tfjs-core's. The kernel gets a gradient of its
 * own (for double backpropagation, as WGAN-GP needs): linear in dy with the same mask, zero in x.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { LEAKY_RELU_GRAD } from './kernels/leaky-relu.js';

let registered = false;

/** Registers the one-kernel leaky-ReLU gradient (once); returns the kernel names. @internal */
export function registerLeakyReluGradient(): string[] {
  const names = ['LeakyRelu', LEAKY_RELU_GRAD];
  if (registered) return names;
  const stock = tf.getGradient('LeakyRelu');
  if (!stock) return [];
  const grad = (dy: tf.Tensor, x: tf.Tensor, alpha: number) =>
    tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha }) as tf.Tensor;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      if (!tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) return stock.gradFunc(dy, saved, attrs);
      return { x: () => grad(dy as tf.Tensor, x!, (attrs as { alpha: number }).alpha) };
    },
  });
  tf.registerGradient({
    kernelName: LEAKY_RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      return {
        dy: () => grad(ddx as tf.Tensor, x!, (attrs as { alpha: number }).alpha),
        x: () => tf.zerosLike(x!),
      };
    },
  });
  registered = true;
  return names;
}
