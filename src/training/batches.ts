/**
 * Seeded batching: the order of each epoch drawn from the run's generator, cut into batches of
 * sample indices, and the rows of in-memory tensors gathered for one batch.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../core/random.js';

/** How an epoch's samples are cut into batches. */
export interface BatchPlan {
  /** Samples in the data. */
  size: number;
  /** Samples per batch. */
  batchSize: number;
  /** A new seeded permutation each epoch (else the data's order). */
  shuffle: boolean;
  /** Leave out the last, smaller batch (a GAN's steps compare equal-sized batches). */
  dropRemainder: boolean;
}

/** Steps in one epoch of `plan`. @internal */
export function stepsPerEpoch(plan: BatchPlan): number {
  return plan.dropRemainder
    ? Math.floor(plan.size / plan.batchSize)
    : Math.ceil(plan.size / plan.batchSize);
}

/**
 * The batches of one epoch as index lists: a permutation drawn from `rng` (one draw sequence per
 * epoch, so the same seed gives the same batches), or the data's order without shuffling.
 *
 * @internal
 */
export function* epochBatches(plan: BatchPlan, rng: Random): Generator<Int32Array> {
  const { size, batchSize } = plan;
  const order = plan.shuffle
    ? rng.permutation(size)
    : Int32Array.from({ length: size }, (_, i) => i);
  const steps = stepsPerEpoch(plan);
  for (let s = 0; s < steps; s++) {
    yield order.subarray(s * batchSize, Math.min(size, (s + 1) * batchSize));
  }
}

/**
 * The rows `indices` of each tensor (all with the same first axis), as new tensors the caller
 * disposes.
 *
 * @internal
 */
export function gatherRows<T extends readonly tf.Tensor[]>(
  tensors: T,
  indices: Int32Array,
): { [K in keyof T]: tf.Tensor } {
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    return tensors.map((t) => tf.gather(t, idx));
  }) as unknown as { [K in keyof T]: tf.Tensor };
}
