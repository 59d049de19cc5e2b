/**
 * Reductions of per-unit losses (a unit is a sample for the softmax family, an element for the
 * sigmoid family), kept apart from the per-unit maths as Keras's `Loss.__call__` does.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * How per-unit losses become the returned tensor. With per-unit losses `lᵢ` (already multiplied
 * by their class weight), sample weights `sᵢ`, class weights of the units' labels `wᵢ`, and the
 * set C of counted units (all but those whose label is `ignoreIndex`):
 *
 * | reduction | returns |
 * | --- | --- |
 * | `'none'` | the per-unit values `sᵢ·lᵢ`, 0 for ignored units |
 * | `'sum'` | `Σ_{i∈C} sᵢ·lᵢ` |
 * | `'mean'` (default) | `Σ_{i∈C} sᵢ·lᵢ / |C|`: divided by the number of counted units |
 * | `'sumByNonzeroWeights'` | `Σ_{i∈C} sᵢ·lᵢ / #{i∈C : sᵢ·wᵢ ≠ 0}` |
 * | `'weightedMean'` | `Σ_{i∈C} sᵢ·lᵢ / Σ_{i∈C} sᵢ·wᵢ`: PyTorch's `'mean'` for class-index targets |
 *
 * A zero denominator (nothing counted, or all weights 0) gives 0, never NaN.
 */
export type Reduction = 'none' | 'sum' | 'mean' | 'sumByNonzeroWeights' | 'weightedMean';

/** The reductions, for option validation. @internal */
export const REDUCTIONS: readonly Reduction[] = [
  'none',
  'sum',
  'mean',
  'sumByNonzeroWeights',
  'weightedMean',
];

/** Per-unit terms handed to {@link reduceLoss}. @internal */
export interface UnitTerms {
  /** Per-unit losses, class weights applied (shape: the units' shape). */
  loss: tf.Tensor;
  /** Each unit's class weight `wᵢ`, broadcastable to the units' shape; undefined means 1. */
  classWeight?: tf.Tensor | undefined;
  /** Sample weights `sᵢ`, broadcastable to the units' shape; undefined means 1. */
  sampleWeight?: tf.Tensor | undefined;
  /** 1 for counted units, 0 for ignored ones (bool or float); undefined means all counted. */
  counted?: tf.Tensor | undefined;
}

/**
 * `numerator / denominator`, or 0 where the denominator is 0. (tfjs's `divNoNan` cannot be
 * differentiated: its mask compares a tensor derived from the numerator, and `Equal` has no
 * gradient. Here the mask depends on the denominator alone, which never carries gradient.)
 */
function safeDivide(numerator: tf.Tensor, denominator: tf.Tensor): tf.Tensor {
  const isZero = tf.equal(denominator, 0);
  const quotient = tf.div(numerator, tf.where(isZero, tf.onesLike(denominator), denominator));
  return tf.where(isZero, tf.zeros(quotient.shape), quotient);
}

/**
 * Applies sample weights, the ignore mask and the reduction (see {@link Reduction}).
 *
 * @internal
 */
export function reduceLoss(terms: UnitTerms, reduction: Reduction): tf.Tensor {
  const { classWeight, sampleWeight, counted } = terms;
  let loss = terms.loss;
  if (sampleWeight) loss = tf.mul(loss, sampleWeight);
  // `where`, not a product: an ignored unit's loss may be non-finite, and 0·∞ is NaN.
  const countedBool = counted ? tf.cast(counted, 'bool') : undefined;
  if (countedBool) loss = tf.where(countedBool, loss, tf.zeros(loss.shape));
  if (reduction === 'none') return loss;
  const total = tf.sum(loss);
  if (reduction === 'sum') return total;
  const countedF = countedBool ? tf.cast(countedBool, 'float32') : undefined;
  if (reduction === 'mean') {
    const n = countedF ? tf.sum(countedF) : tf.scalar(loss.size);
    return safeDivide(total, n);
  }
  let weight: tf.Tensor = tf.ones(loss.shape);
  if (classWeight) weight = tf.mul(weight, classWeight);
  if (sampleWeight) weight = tf.mul(weight, sampleWeight);
  if (countedF) weight = tf.mul(weight, countedF);
  const denominator =
    reduction === 'weightedMean'
      ? tf.sum(weight)
      : tf.sum(tf.cast(tf.notEqual(weight, 0), 'float32'));
  return safeDivide(total, denominator);
}
