/**
 * Softmax cross-entropy on logits, with one-hot or probability labels (dense) and with class
 * indices (sparse).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInput } from '../core/tensors.js';
import { resolveOptions } from '../core/validate.js';
import { categoricalLoss, targetCrossEntropy } from './categorical-loss.js';
import { toDenseLabels, toLogits, toSparseLabels } from './inputs.js';
import {
  CROSS_ENTROPY_SPECS,
  type CrossEntropyOptions,
  SPARSE_SPECS,
  type SparseCrossEntropyOptions,
} from './options.js';
import { logSoftmax } from './stable-math.js';

/**
 * Softmax cross-entropy between dense labels (one-hot or class probabilities) and logits.
 *
 * Per sample: `ℓ = −Σ_c w_c · ỹ_c · log softmax(z)_c`, with `ỹ = (1 − ε)·y + ε/C` under label
 * smoothing ε and class weights `w` (all 1 by default); then sample weights and the reduction
 * (see {@link Reduction}: `'mean'` divides by the number of samples, `'weightedMean'` by the summed
 * class weights `Σᵢ sᵢ·Σ_c w_c·y_ic` of the unsmoothed targets). The log-softmax is computed
 * without cancellation and with the exact gradient `softmax − target`, so logits of ±1e4 are fine.
 *
 * @param labels - one-hot or probability targets, the logits' shape `[..., C]` (values in [0, 1]).
 * @param logits - unnormalised scores, float32, classes on the last axis.
 * @param options - see {@link CrossEntropyOptions}; defaults: no smoothing, no weights, `'mean'`.
 * @returns a scalar, or the per-sample losses `[...]` for `reduction: 'none'`.
 * @throws {@link ShapeError} when the shapes differ or the input is empty;
 *   {@link ArgumentError} for a bad option, dtype, weight length, or (when checked) value.
 *
 * @example
 * ```ts
 * const labels = tf.tensor2d([[1, 0], [0, 1]]);
 * const logits = tf.tensor2d([[10, -10], [10, -10]]);
 * softmaxCrossEntropy(labels, logits).print(); // 10 (0 for the first sample, 20 for the second)
 * ```
 */
export function softmaxCrossEntropy(
  labels: TensorInput,
  logits: TensorInput,
  options?: CrossEntropyOptions,
): tf.Tensor {
  const fn = 'softmaxCrossEntropy';
  const opts = resolveOptions(fn, options, CROSS_ENTROPY_SPECS);
  return tf.tidy(() => {
    const z = toLogits(logits, fn, opts.checkValues);
    const y = toDenseLabels(labels, z, fn, opts.checkValues);
    return categoricalLoss(fn, y, undefined, opts, (a) => targetCrossEntropy(a, logSoftmax(z)));
  });
}

/**
 * Softmax cross-entropy between class indices and logits (PyTorch's `cross_entropy` with class
 * targets; Keras's sparse categorical cross-entropy `from_logits`).
 *
 * Per sample: `ℓ = (1 − ε)·w_y·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c)` with `p = softmax(z)`, label
 * smoothing ε and class weights `w`; samples labelled `ignoreIndex` count for nothing. With class
 * weights, `reduction: 'weightedMean'` divides by `Σᵢ sᵢ·w_{yᵢ}` and so equals PyTorch's `'mean'`;
 * the default `'mean'` divides by the number of counted samples.
 *
 * Inside `model.compile`: tfjs-layers' `fit` insists that targets have the model output's shape
 * unless the loss is its own sparse loss, so pass one-hot targets to {@link softmaxCrossEntropy}
 * there, or train with `fitDataset` or the library's trainers, which accept class indices.
 *
 * @param labels - class indices, shape `[...]` (or `[..., 1]`): an int32 tensor, a float tensor
 *   of whole numbers, or a `number[]`.
 * @param logits - float32 scores, shape `[..., C]`.
 * @param options - see {@link SparseCrossEntropyOptions}.
 * @returns a scalar, or the per-sample losses `[...]` for `reduction: 'none'` (0 where ignored).
 * @throws {@link ShapeError} for a label shape that does not match the logits;
 *   {@link ArgumentError} for labels outside [0, C) (always for arrays; for tensors with
 *   `checkValues`), a bad option or a weight vector of the wrong length.
 *
 * @example
 * ```ts
 * const logits = tf.tensor2d([[2, 0, 0], [0, 2, 0]]);
 * sparseSoftmaxCrossEntropy([0, 1], logits).print(); // 0.2395447
 * sparseSoftmaxCrossEntropy([0, -100], logits, { ignoreIndex: -100 }).print(); // 0.2395447
 * ```
 */
export function sparseSoftmaxCrossEntropy(
  labels: TensorInput,
  logits: TensorInput,
  options?: SparseCrossEntropyOptions,
): tf.Tensor {
  const fn = 'sparseSoftmaxCrossEntropy';
  const opts = resolveOptions(fn, options, SPARSE_SPECS);
  return tf.tidy(() => {
    const checkValues = opts.checkValues;
    const z = toLogits(logits, fn, checkValues);
    const { targets, counted } = toSparseLabels(labels, z, fn, opts.ignoreIndex, checkValues);
    return categoricalLoss(fn, targets, counted, opts, (a) => targetCrossEntropy(a, logSoftmax(z)));
  });
}
