/**
 * Focal loss (Lin et al., "Focal Loss for Dense Object Detection", 2017): cross-entropy scaled by
 * `(1 − p_t)^γ`, so easy, well-classified examples count less. Common for imbalanced medical
 * data (rare lesions, rare findings).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '../core/errors.js';
import { checkArrayValues, type TensorInput } from '../core/tensors.js';
import { argName, checkConstraint, resolveOptions } from '../core/validate.js';
import { binaryLoss } from './binary-loss.js';
import { categoricalLoss } from './categorical-loss.js';
import { toDenseLabels, toLogits, toSparseLabels } from './inputs.js';
import {
  CROSS_ENTROPY_SPECS,
  type CrossEntropyOptions,
  FOCAL_SPECS,
  type FocalOptions,
  SIGMOID_SPECS,
  type SigmoidCrossEntropyOptions,
  SPARSE_SPECS,
  type SparseCrossEntropyOptions,
} from './options.js';
import { sigmoidUnitLoss } from './sigmoid-cross-entropy.js';
import { logSoftmax } from './stable-math.js';

type ResolvedFocal = { alpha: number | readonly number[] | null; gamma: number };

/** Smallest base of the modulating factor: keeps `0^γ`'s gradient finite for γ < 1. */
const TINY = 1e-30;

/** `(1 − p)^γ` with `oneMinusP` given; exactly 1 for γ = 0. */
function modulatingFactor(oneMinusP: tf.Tensor, gamma: number): tf.Tensor | undefined {
  return gamma === 0 ? undefined : tf.pow(tf.maximum(oneMinusP, TINY), gamma);
}

/** Checks `alpha`: a number in [0, 1], or (softmax only) one weight ≥ 0 per class, or null (sigmoid). */
function checkAlpha(fn: string, alpha: unknown, numClasses: number | undefined): void {
  const name = argName(fn, 'alpha');
  if (alpha === null && numClasses === undefined) return;
  if (Array.isArray(alpha) && numClasses !== undefined) {
    if (alpha.length !== numClasses) {
      throw new ArgumentError(
        `${name} must have one weight per class (${numClasses}). Received: ${alpha.length} weights.`,
      );
    }
    checkArrayValues(alpha, name, (v) => Number.isFinite(v) && v >= 0, 'finite weights ≥ 0');
    return;
  }
  checkConstraint(name, alpha, { kind: 'number', min: 0, max: 1 });
}

/**
 * Binary focal loss on logits, elementwise (torchvision's `sigmoid_focal_loss`).
 *
 * Per element: `ℓ = α_t·(1 − p_t)^γ·CE(z, ỹ)` with `p = σ(z)`, `p_t = p·ỹ + (1 − p)·(1 − ỹ)`,
 * `α_t = α·ỹ + (1 − α)·(1 − ỹ)` and CE the sigmoid cross-entropy. `1 − p_t` is computed as
 * `ỹ·σ(−z) + (1 − ỹ)·σ(z)`, exact for confident predictions. Weights, smoothing and reductions as
 * in {@link sigmoidCrossEntropy}.
 *
 * @param labels - 0/1 labels, the logits' shape.
 * @param logits - float32 scores.
 * @param options - {@link SigmoidCrossEntropyOptions} and {@link FocalOptions} (α 0.25, γ 2;
 *   `alpha: null` for no α weighting).
 * @returns a scalar, or elementwise losses for `reduction: 'none'`.
 * @throws {@link ArgumentError} for α outside [0, 1] or γ < 0, and as {@link sigmoidCrossEntropy}.
 *
 * @example
 * ```ts
 * sigmoidFocalLoss([1, 0], tf.tensor1d([2, -2])).print(); // 0.0009018 (two easy examples)
 * ```
 */
export function sigmoidFocalLoss(
  labels: TensorInput,
  logits: TensorInput,
  options?: SigmoidCrossEntropyOptions & FocalOptions,
): tf.Tensor {
  const fn = 'sigmoidFocalLoss';
  const opts = resolveOptions(fn, options, {
    ...SIGMOID_SPECS,
    ...FOCAL_SPECS,
  });
  checkAlpha(fn, opts.alpha, undefined);
  const alpha = opts.alpha as number | null;
  return tf.tidy(() => {
    const z = toLogits(logits, fn, opts.checkValues);
    const y = toDenseLabels(labels, z, fn, opts.checkValues);
    return binaryLoss(fn, y, opts, (ys, pw) => {
      const ce = sigmoidUnitLoss(ys, z, pw);
      const oneMinusPt = tf.add(
        tf.mul(ys, tf.sigmoid(tf.neg(z))),
        tf.mul(tf.sub(1, ys), tf.sigmoid(z)),
      );
      const factor = modulatingFactor(oneMinusPt, opts.gamma);
      let loss = factor ? tf.mul(factor, ce) : ce;
      if (alpha !== null)
        loss = tf.mul(tf.add(tf.mul(ys, alpha), tf.mul(tf.sub(1, ys), 1 - alpha)), loss);
      return loss;
    });
  });
}

/** Per-unit categorical focal term `−Σ_c α_c·(1 − p_c)^γ·a_c·log p_c`. */
function categoricalFocalUnit(a: tf.Tensor, z: tf.Tensor, focal: ResolvedFocal): tf.Tensor {
  const logp = logSoftmax(z);
  const factor = modulatingFactor(tf.sub(1, tf.exp(logp)), focal.gamma);
  let term = tf.mul(a, logp);
  if (factor) term = tf.mul(term, factor);
  if (focal.alpha !== null) term = tf.mul(term, tf.tensor(focal.alpha as number | number[]));
  return tf.neg(tf.sum(term, -1));
}

/**
 * Categorical focal loss on logits with dense labels (Keras's `CategoricalFocalCrossentropy`
 * with `from_logits=True`).
 *
 * Per sample: `ℓ = −Σ_c α_c·(1 − p_c)^γ·w_c·ỹ_c·log p_c`, `p = softmax(z)`; weights, smoothing
 * and reductions as in {@link softmaxCrossEntropy}.
 *
 * @param labels - one-hot or probability targets, shape `[..., C]`.
 * @param logits - float32 scores, shape `[..., C]`.
 * @param options - {@link CrossEntropyOptions} and {@link FocalOptions} (α 0.25 or one per class, γ 2).
 * @returns a scalar, or per-sample losses for `reduction: 'none'`.
 * @throws {@link ArgumentError} for a bad α or γ, and as {@link softmaxCrossEntropy}.
 *
 * @example
 * ```ts
 * softmaxFocalLoss([[0, 1]], tf.tensor2d([[0, 2]])).print(); // 0.0004509
 * ```
 */
export function softmaxFocalLoss(
  labels: TensorInput,
  logits: TensorInput,
  options?: CrossEntropyOptions & FocalOptions,
): tf.Tensor {
  const fn = 'softmaxFocalLoss';
  const opts = resolveOptions(fn, options, {
    ...CROSS_ENTROPY_SPECS,
    ...FOCAL_SPECS,
  });
  return tf.tidy(() => {
    const z = toLogits(logits, fn, opts.checkValues);
    checkAlpha(fn, opts.alpha, z.shape[z.rank - 1]!);
    const y = toDenseLabels(labels, z, fn, opts.checkValues);
    return categoricalLoss(fn, y, undefined, opts, (a) => categoricalFocalUnit(a, z, opts));
  });
}

/**
 * Categorical focal loss on logits with class-index labels; as {@link softmaxFocalLoss}, with
 * `ignoreIndex` as in {@link sparseSoftmaxCrossEntropy}.
 *
 * @param labels - class indices, shape `[...]`.
 * @param logits - float32 scores, shape `[..., C]`.
 * @param options - {@link SparseCrossEntropyOptions} and {@link FocalOptions}.
 * @returns a scalar, or per-sample losses for `reduction: 'none'`.
 * @throws as {@link softmaxFocalLoss} and {@link sparseSoftmaxCrossEntropy}.
 *
 * @example
 * ```ts
 * sparseSoftmaxFocalLoss([1], tf.tensor2d([[0, 2]])).print(); // 0.0004509
 * ```
 */
export function sparseSoftmaxFocalLoss(
  labels: TensorInput,
  logits: TensorInput,
  options?: SparseCrossEntropyOptions & FocalOptions,
): tf.Tensor {
  const fn = 'sparseSoftmaxFocalLoss';
  const opts = resolveOptions(fn, options, {
    ...SPARSE_SPECS,
    ...FOCAL_SPECS,
  });
  return tf.tidy(() => {
    const z = toLogits(logits, fn, opts.checkValues);
    checkAlpha(fn, opts.alpha, z.shape[z.rank - 1]!);
    const { targets: y, counted } = toSparseLabels(
      labels,
      z,
      fn,
      opts.ignoreIndex,
      opts.checkValues,
    );
    return categoricalLoss(fn, y, counted, opts, (a) => categoricalFocalUnit(a, z, opts));
  });
}
