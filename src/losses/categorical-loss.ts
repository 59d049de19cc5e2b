/**
 * The pipeline shared by the softmax family (softmax and sparse softmax cross-entropy, their
 * probability-input twins, categorical focal loss): class weights, label smoothing, sample
 * weights, ignored units and reduction are applied here once; each loss supplies only its
 * per-unit formula in terms of the weighted, smoothed targets.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInput } from '../core/tensors.js';
import { toSampleWeights, toWeightVector } from './inputs.js';
import type { CrossEntropyOptions } from './options.js';
import { type Reduction, reduceLoss } from './reduction.js';

/** Resolved common options. @internal */
export type ResolvedCrossEntropy = Required<
  Pick<CrossEntropyOptions, 'labelSmoothing' | 'checkValues'>
> & {
  reduction: Reduction;
  classWeights?: CrossEntropyOptions['classWeights'];
  sampleWeights?: TensorInput;
};

/**
 * Per-unit loss given target weights `a[..., c] = w_c · ỹ_c` (class weight times smoothed target).
 *
 * @internal
 */
export type CategoricalUnitLoss = (targetWeights: tf.Tensor) => tf.Tensor;

/**
 * Per-unit cross-entropy `−Σ_c a_c · log p_c` of target weights `a` against log-probabilities.
 *
 * @internal
 */
export function targetCrossEntropy(
  targetWeights: tf.Tensor,
  logProbabilities: tf.Tensor,
): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(targetWeights, logProbabilities), -1));
}

/**
 * Runs the softmax-family pipeline for dense targets `y` of shape `[..., C]`.
 *
 * `unitLoss` returns per-unit losses of shape `[...]`. A unit's class weight (for
 * `'weightedMean'` and `'sumByNonzeroWeights'`) is `Σ_c w_c·y_c` of the unsmoothed target.
 *
 * @internal
 */
export function categoricalLoss(
  fn: string,
  targets: tf.Tensor,
  counted: tf.Tensor | undefined,
  options: ResolvedCrossEntropy,
  unitLoss: CategoricalUnitLoss,
): tf.Tensor {
  const numClasses = targets.shape[targets.rank - 1]!;
  const unitShape = targets.shape.slice(0, -1);
  const w = toWeightVector(
    options.classWeights,
    'classWeights',
    fn,
    numClasses,
    options.checkValues,
  );
  const sampleWeight = toSampleWeights(options.sampleWeights, unitShape, fn, options.checkValues);
  const eps = options.labelSmoothing;
  const smoothed = eps > 0 ? tf.add(tf.mul(targets, 1 - eps), eps / numClasses) : targets;
  const targetWeights = w ? tf.mul(smoothed, w) : smoothed;
  const classWeight = w ? tf.sum(tf.mul(targets, w), -1) : undefined;
  return reduceLoss(
    { loss: unitLoss(targetWeights), classWeight, sampleWeight, counted },
    options.reduction,
  );
}
