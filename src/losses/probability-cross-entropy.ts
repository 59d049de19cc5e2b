/**
 * Cross-entropy on probabilities, for models that end in a softmax or sigmoid layer. Prefer the
 * logit losses when you can: clipping the probabilities makes the gradient vanish when the model
 * is confidently wrong, which the logit forms avoid.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInput } from '../core/tensors.js';
import { resolveOptions } from '../core/validate.js';
import { bernoulliNll, binaryLoss } from './binary-loss.js';
import { categoricalLoss, targetCrossEntropy } from './categorical-loss.js';
import { toDenseLabels, toLogits, toSparseLabels } from './inputs.js';
import {
  CROSS_ENTROPY_SPECS,
  type CrossEntropyOptions,
  PROBABILITY_SPECS,
  type ProbabilityCrossEntropyOptions,
  SIGMOID_SPECS,
  type SigmoidCrossEntropyOptions,
  SPARSE_SPECS,
  type SparseCrossEntropyOptions,
} from './options.js';

/** Log of class probabilities: renormalised over the last axis, clipped to [ε, 1 − ε] (Keras). */
function clippedLogProbabilities(probs: tf.Tensor, epsilon: number): tf.Tensor {
  const normalised = tf.div(probs, tf.sum(probs, -1, true));
  return tf.log(tf.clipByValue(normalised, epsilon, 1 - epsilon));
}

/**
 * Categorical cross-entropy between dense labels and class probabilities (Keras's
 * `categorical_crossentropy` with `from_logits=False`).
 *
 * Per sample: `ℓ = −Σ_c w_c·ỹ_c·log clip(p_c / Σ_k p_k, ε, 1 − ε)`; weights, smoothing and
 * reductions as in {@link softmaxCrossEntropy}.
 *
 * @param labels - one-hot or probability targets, shape `[..., C]`.
 * @param probabilities - predicted class probabilities, the labels' shape.
 * @param options - {@link CrossEntropyOptions} and `epsilon` (defaults to 1e-7).
 * @returns a scalar, or per-sample losses for `reduction: 'none'`.
 * @throws {@link ShapeError} or {@link ArgumentError} as {@link softmaxCrossEntropy} does.
 *
 * @example
 * ```ts
 * categoricalCrossEntropy([[0, 1]], tf.tensor2d([[0.2, 0.8]])).print(); // 0.2231435
 * ```
 */
export function categoricalCrossEntropy(
  labels: TensorInput,
  probabilities: TensorInput,
  options?: CrossEntropyOptions & ProbabilityCrossEntropyOptions,
): tf.Tensor {
  const fn = 'categoricalCrossEntropy';
  const opts = resolveOptions(fn, options, {
    ...CROSS_ENTROPY_SPECS,
    ...PROBABILITY_SPECS,
  });
  return tf.tidy(() => {
    const p = toLogits(probabilities, fn, opts.checkValues, 'probabilities');
    const y = toDenseLabels(labels, p, fn, opts.checkValues);
    const logp = clippedLogProbabilities(p, opts.epsilon);
    return categoricalLoss(fn, y, undefined, opts, (a) => targetCrossEntropy(a, logp));
  });
}

/**
 * Categorical cross-entropy between class indices and class probabilities (Keras's
 * `sparse_categorical_crossentropy` with `from_logits=False`; PyTorch's `nll_loss` of the log).
 *
 * @param labels - class indices, shape `[...]`: int32 tensor, whole-number float tensor or `number[]`.
 * @param probabilities - class probabilities, shape `[..., C]`.
 * @param options - {@link SparseCrossEntropyOptions} and `epsilon` (defaults to 1e-7).
 * @returns a scalar, or per-sample losses for `reduction: 'none'`.
 * @throws {@link ShapeError} or {@link ArgumentError} as {@link sparseSoftmaxCrossEntropy} does.
 *
 * @example
 * ```ts
 * sparseCategoricalCrossEntropy([1], tf.tensor2d([[0.2, 0.8]])).print(); // 0.2231435
 * ```
 */
export function sparseCategoricalCrossEntropy(
  labels: TensorInput,
  probabilities: TensorInput,
  options?: SparseCrossEntropyOptions & ProbabilityCrossEntropyOptions,
): tf.Tensor {
  const fn = 'sparseCategoricalCrossEntropy';
  const opts = resolveOptions(fn, options, {
    ...SPARSE_SPECS,
    ...PROBABILITY_SPECS,
  });
  return tf.tidy(() => {
    const p = toLogits(probabilities, fn, opts.checkValues, 'probabilities');
    const { targets: y, counted } = toSparseLabels(
      labels,
      p,
      fn,
      opts.ignoreIndex,
      opts.checkValues,
    );
    const logp = clippedLogProbabilities(p, opts.epsilon);
    return categoricalLoss(fn, y, counted, opts, (a) => targetCrossEntropy(a, logp));
  });
}

/**
 * Binary cross-entropy between labels and probabilities, elementwise (PyTorch's `BCELoss`,
 * Keras's `binary_crossentropy` with `from_logits=False`).
 *
 * Per element: `ℓ = −[p_w·ỹ·log clip(p) + (1 − ỹ)·log(1 − clip(p))]`, `clip` to [ε, 1 − ε];
 * weights, smoothing and reductions as in {@link sigmoidCrossEntropy}.
 *
 * @param labels - 0/1 (or soft) labels, the probabilities' shape.
 * @param probabilities - predicted probabilities of the positive class.
 * @param options - {@link SigmoidCrossEntropyOptions} and `epsilon` (defaults to 1e-7).
 * @returns a scalar, or elementwise losses for `reduction: 'none'`.
 * @throws {@link ShapeError} or {@link ArgumentError} as {@link sigmoidCrossEntropy} does.
 *
 * @example
 * ```ts
 * binaryCrossEntropy([1, 0], tf.tensor1d([0.9, 0.2])).print(); // 0.1642520
 * ```
 */
export function binaryCrossEntropy(
  labels: TensorInput,
  probabilities: TensorInput,
  options?: SigmoidCrossEntropyOptions & ProbabilityCrossEntropyOptions,
): tf.Tensor {
  const fn = 'binaryCrossEntropy';
  const opts = resolveOptions(fn, options, {
    ...SIGMOID_SPECS,
    ...PROBABILITY_SPECS,
  });
  return tf.tidy(() => {
    const p = toLogits(probabilities, fn, opts.checkValues, 'probabilities');
    const y = toDenseLabels(labels, p, fn, opts.checkValues);
    const clipped = tf.clipByValue(p, opts.epsilon, 1 - opts.epsilon);
    const logP = tf.log(clipped);
    const log1mP = tf.log(tf.sub(1, clipped));
    return binaryLoss(fn, y, opts, (ys, pw) => bernoulliNll(ys, logP, log1mP, pw));
  });
}
