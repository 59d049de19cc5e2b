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
import { BackendError } from '../core/errors.js';

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
 * Registers the gradients that double backpropagation (a gradient of a gradient, as WGAN-GP's
 * `gradientPenalty` and `r1Penalty` take) needs, for the whole app: zero gradients for the
 * comparison ops that have none (Greater, Less, Equal, …: piecewise constant, so zero is exact),
 * and gradients of Tanh and Sigmoid recomputed from their input instead of read from the saved
 * output (the same first derivative, now differentiable again). Call it once before training
 * with a penalty; the penalties refuse to run without it rather than register it behind your
 * back. Idempotent.
 *
 * @returns the kernel names whose gradients it registered (empty on later calls).
 * @example
 * ```ts
 * import { registerSecondOrderGradients } from 'tfjs-medkit';
 * registerSecondOrderGradients();
 * const trainer = new GanTrainer({ generator, discriminator, loss: 'wasserstein', gradientPenaltyWeight: 10 });
 * ```
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

/**
 * Throws a {@link BackendError} naming `fn` unless {@link registerSecondOrderGradients} has run.
 *
 * @internal
 */
export function requireSecondOrderGradients(fn: string): void {
  if (!done) {
    throw new BackendError(
      `${fn}: a gradient penalty differentiates a gradient, which needs the second-order gradients tfjs lacks; call registerSecondOrderGradients() (from 'tfjs-medkit') once before training.`,
    );
  }
}
