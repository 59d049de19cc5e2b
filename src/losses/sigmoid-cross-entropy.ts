/**
 * Sigmoid cross-entropy on logits: binary and multi-label classification, GAN discriminators.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInput } from '../core/tensors.js';
import { resolveOptions } from '../core/validate.js';
import { bernoulliNll, binaryLoss } from './binary-loss.js';
import { toDenseLabels, toLogits } from './inputs.js';
import { SIGMOID_SPECS, type SigmoidCrossEntropyOptions } from './options.js';
import { logSigmoid } from './stable-math.js';

/**
 * Per-element `−[p·y·log σ(z) + (1 − y)·log σ(−z)]`: both logs come from the stable
 * {@link logSigmoid}, so for hard labels nothing cancels and the gradient
 * `(1 − y)·σ(z) − p·y·σ(−z)` is exact at every z.
 *
 * @internal
 */
export function sigmoidUnitLoss(
  labels: tf.Tensor,
  logits: tf.Tensor,
  posWeight: tf.Tensor | undefined,
): tf.Tensor {
  return bernoulliNll(labels, logSigmoid(logits), logSigmoid(tf.neg(logits)), posWeight);
}

/**
 * Sigmoid cross-entropy between labels in [0, 1] and logits, elementwise (PyTorch's
 * `BCEWithLogitsLoss`; TensorFlow's `sigmoid_cross_entropy_with_logits`).
 *
 * Per element: `ℓ = −[p·ỹ·log σ(z) + (1 − ỹ)·log(1 − σ(z))]`, with positive weight `p`
 * (`posWeight`, one per label column), smoothed labels `ỹ = (1 − ε)·y + ε/2`, and class weights
 * `[w_neg, w_pos]` multiplying each element by the weight of its label. Computed as
 * `p·ỹ·softplus(−z) + (1 − ỹ)·softplus(z)` with `softplus(x) = max(x, 0) + log1p(exp(−|x|))`.
 * `'mean'` divides by the number of elements (PyTorch's mean).
 *
 * @param labels - 0/1 (or soft) labels, the logits' shape: `[N]` binary, `[N, K]` multi-label.
 * @param logits - float32 scores.
 * @param options - see {@link SigmoidCrossEntropyOptions}.
 * @returns a scalar, or the elementwise losses for `reduction: 'none'`.
 * @throws {@link ShapeError} when the shapes differ; {@link ArgumentError} for a bad option, a
 *   `posWeight` that is not one per column, or labels outside [0, 1] (arrays always; tensors with
 *   `checkValues`).
 *
 * @example
 * ```ts
 * sigmoidCrossEntropy([1, 0], tf.tensor1d([10, 10])).print(); // 5.0000454
 * sigmoidCrossEntropy([[1, 0]], tf.tensor2d([[0, 0]]), { posWeight: [3, 1] }).print(); // 1.3862944
 * ```
 */
export function sigmoidCrossEntropy(
  labels: TensorInput,
  logits: TensorInput,
  options?: SigmoidCrossEntropyOptions,
): tf.Tensor {
  const fn = 'sigmoidCrossEntropy';
  const opts = resolveOptions(fn, options, SIGMOID_SPECS);
  return tf.tidy(() => {
    const z = toLogits(logits, fn, opts.checkValues);
    const y = toDenseLabels(labels, z, fn, opts.checkValues);
    return binaryLoss(fn, y, opts, (ys, pw) => sigmoidUnitLoss(ys, z, pw));
  });
}
