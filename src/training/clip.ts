/**
 * Gradient clipping by global norm, as a {@link GradientTransform}.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../core/errors.js';
import type { GradientTransform } from './gradient-transform.js';

/**
 * A gradient transform that rescales a step's gradients, all variables together, to an L2 norm
 * of at most `maxNorm` (PyTorch's `clip_grad_norm_`, tf.clip_by_global_norm):
 * g ← g · min(1, maxNorm / ‖g‖₂), where ‖g‖₂ = √(Σ over every variable of Σ g²).
 *
 * @param maxNorm - the largest norm let through, > 0.
 * @throws {@link ArgumentError} for a `maxNorm` that is not a positive finite number.
 * @example
 * ```ts
 * await trainClassifier(model, { x, y }, { transformGradients: clipByGlobalNorm(1) });
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransform {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new ArgumentError(
      `clipByGlobalNorm: \`maxNorm\` must be a positive finite number. Received: ${describeValue(maxNorm)}.`,
    );
  }
  return (gradients) => {
    const names = Object.keys(gradients);
    if (names.length === 0) return { ...gradients };
    const squares = names.map((n) => tf.sum(tf.square(gradients[n]!)));
    const norm = tf.sqrt(tf.addN(squares));
    // min(1, maxNorm / norm); a zero norm keeps the scale at 1
    const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-30)));
    const out: tf.NamedTensorMap = {};
    for (const n of names) out[n] = tf.mul(gradients[n]!, scale);
    return out;
  };
}
