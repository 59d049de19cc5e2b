/**
 * The gradient of the one-call log σ(z) kernel (`MedkitLogSigmoid`, which the losses run where
 * it is registered): one `MedkitLogSigmoidGrad` call, dy · σ(−z), from the saved logits.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { LOG_SIGMOID, LOG_SIGMOID_GRAD } from '../core/kernel-names.js';

/** Registers the gradient of `MedkitLogSigmoid` (idempotent); returns the kernel's name. @internal */
export function registerLogSigmoidGradient(): string[] {
  if (!tf.getGradient(LOG_SIGMOID))
    tf.registerGradient({
      kernelName: LOG_SIGMOID,
      inputsToSave: ['z'],
      gradFunc: (dy, saved) => {
        const [z] = saved as tf.Tensor[];
        return {
          z: () => tf.engine().runKernel(LOG_SIGMOID_GRAD, { dy: dy as tf.Tensor, z: z! }, {}),
        };
      },
    });
  return [LOG_SIGMOID];
}
