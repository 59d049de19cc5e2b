/**
 * Gradients tfjs-core lacks or gets wrong for double backpropagation (a gradient of a gradient,
 * as WGAN-GP and R1 need): the comparison ops (Greater, Less, Equal, …) that first-order
 * gradients of ReLU, leaky ReLU, ELU, max pooling and clipping use have none (they are piecewise
 * constant, so their gradient is zero: registering that is exact); and the gradients of Tanh and
 * Sigmoid read the saved output, a copy the second derivative cannot flow through, so they are
 * registered again to recompute it from the input (the same first derivative, now
 * differentiable).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

const COMPARISONS = [
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'Equal',
  'NotEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalNot',
];

/**
 * Activations whose tfjs gradient reads the saved *output*: that saved copy is not connected to
 * the graph, so a second derivative through it comes out wrong (silently). Their gradients are
 * re-registered to recompute the output from the saved input, which keeps the graph connected.
 */
const FROM_INPUT: Record<string, (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor> = {
  Tanh: (x, dy) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x)))),
  Sigmoid: (x, dy) => {
    const s = tf.sigmoid(x);
    return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
  },
};

let done = false;

/**
 * Registers zero gradients for the comparison ops that have none, and input-based gradients for
 * Tanh and Sigmoid (idempotent). Returns the kernel names it registered.
 *
 * @internal
 */
export function registerSecondOrderGradients(): string[] {
  if (done) return [];
  done = true;
  const added: string[] = [];
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: kernelName === 'LogicalNot' ? ['x'] : ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as tf.Tensor[];
        const grads: Record<string, () => tf.Tensor> =
          kernelName === 'LogicalNot'
            ? { x: () => tf.zerosLike(a!) }
            : { a: () => tf.zerosLike(a!), b: () => tf.zerosLike(b!) };
        return grads;
      },
    });
    added.push(kernelName);
  }
  for (const [kernelName, grad] of Object.entries(FROM_INPUT)) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as tf.Tensor[];
        return { x: () => grad(x!, dy as tf.Tensor) };
      },
    });
    added.push(kernelName);
  }
  return added;
}
