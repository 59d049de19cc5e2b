/**
 * The pipeline shared by the sigmoid family (sigmoid cross-entropy, binary cross-entropy on
 * probabilities, sigmoid focal loss). Units are elements: `[N]` for binary labels, `[N, K]` for
 * K labels per sample (multi-label).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VectorInput } from '../core/tensors.js';
import type { ResolvedCrossEntropy } from './categorical-loss.js';
import { toSampleWeights, toWeightVector } from './inputs.js';
import { reduceLoss } from './reduction.js';

/**
 * The weighted Bernoulli negative log-likelihood `−[p·y·log P + (1 − y)·log Q]`, from the two
 * log-probabilities (log σ(±z) for logits, clipped logs for probabilities); `posWeight` p
 * broadcasts (undefined for 1).
 *
 * @internal
 */
export function bernoulliNll(
  labels: tf.Tensor,
  logPositive: tf.Tensor,
  logNegative: tf.Tensor,
  posWeight: tf.Tensor | undefined,
): tf.Tensor {
  const positive = tf.mul(labels, logPositive);
  const negative = tf.mul(tf.sub(1, labels), logNegative);
  return tf.neg(tf.add(posWeight ? tf.mul(positive, posWeight) : positive, negative));
}

/**
 * Per-element loss given smoothed labels `ỹ` and the positive weight (broadcastable, or
 * undefined for 1).
 *
 * @internal
 */
export type BinaryUnitLoss = (
  smoothedLabels: tf.Tensor,
  posWeight: tf.Tensor | undefined,
) => tf.Tensor;

/**
 * Runs the sigmoid-family pipeline for labels `y` (float, the logits' shape).
 *
 * Class weights are `[w_neg, w_pos]`: an element's weight is `w_neg·(1 − y) + w_pos·y` of its
 * unsmoothed label; it multiplies the element's loss and is the element's weight for
 * `'weightedMean'`. Label smoothing: `ỹ = (1 − ε)·y + ε/2`.
 *
 * @internal
 */
export function binaryLoss(
  fn: string,
  labels: tf.Tensor,
  options: ResolvedCrossEntropy & { posWeight?: VectorInput | undefined },
  unitLoss: BinaryUnitLoss,
): tf.Tensor {
  const columns = labels.rank === 0 ? 1 : labels.shape[labels.rank - 1]!;
  const cw = toWeightVector(options.classWeights, 'classWeights', fn, 2, options.checkValues);
  const pw = toWeightVector(options.posWeight, 'posWeight', fn, columns, options.checkValues, true);
  const sampleWeight = toSampleWeights(
    options.sampleWeights,
    labels.shape,
    fn,
    options.checkValues,
  );
  const eps = options.labelSmoothing;
  const smoothed = eps > 0 ? tf.add(tf.mul(labels, 1 - eps), eps / 2) : labels;
  let loss = unitLoss(smoothed, pw);
  let classWeight: tf.Tensor | undefined;
  if (cw) {
    const [wNeg, wPos] = tf.split(cw, 2) as [tf.Tensor, tf.Tensor];
    classWeight = tf.add(tf.mul(tf.sub(1, labels), wNeg), tf.mul(labels, wPos));
    loss = tf.mul(loss, classWeight);
  }
  return reduceLoss({ loss, classWeight, sampleWeight }, options.reduction);
}
