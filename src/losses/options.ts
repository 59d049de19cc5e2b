/**
 * The options every cross-entropy loss shares, their defaults, and the per-loss option types.
 *
 * @module
 */
import type { TensorInput, VectorInput } from '../core/tensors.js';
import type { OptionSpecs } from '../core/validate.js';
import { REDUCTIONS, type Reduction } from './reduction.js';

/** Options shared by every cross-entropy loss. */
export interface CrossEntropyOptions {
  /**
   * Label smoothing ε in [0, 1]. Softmax family: targets become `(1 − ε)·y + ε/C` (PyTorch,
   * Keras). Sigmoid family: `(1 − ε)·y + ε/2` (Keras). Defaults to 0.
   */
  labelSmoothing?: number;
  /**
   * One non-negative weight per class: softmax family, C weights (PyTorch's `weight`); sigmoid
   * family, 2 weights `[negative, positive]` applied by each element's label. A unit's class
   * weight is `Σ_c w_c·y_c` of its unsmoothed target (`w_y` for a class index). With label
   * smoothing the smoothed target is weighted class by class, as PyTorch does. Defaults to none
   * (all 1).
   */
  classWeights?: VectorInput;
  /**
   * Non-negative per-sample weights: a vector of one weight per sample (the first axis), or a
   * tensor of the units' shape (elementwise). Defaults to none (all 1).
   */
  sampleWeights?: TensorInput;
  /** How the per-unit losses are reduced (see {@link Reduction}). Defaults to `'mean'`. */
  reduction?: Reduction;
  /**
   * Read tensor values back to check them: logits finite, labels in range (and whole numbers
   * for integer labels, skipping `ignoreIndex`), soft labels in [0, 1], weights finite and ≥ 0.
   * This forces a device sync, so it is off by default and meant for debugging, not for a
   * training step. Plain-array arguments are always checked (they are already on the CPU).
   * Defaults to false.
   */
  checkValues?: boolean;
}

/** Options of {@link sparseSoftmaxCrossEntropy} and the other class-index losses. */
export interface SparseCrossEntropyOptions extends CrossEntropyOptions {
  /**
   * A label value whose samples count for nothing: loss 0 under `'none'`, left out of every sum
   * and denominator (PyTorch's `ignore_index`). Defaults to none: every label must be a class.
   */
  ignoreIndex?: number;
}

/** Options of {@link sigmoidCrossEntropy} and {@link binaryCrossEntropy}. */
export interface SigmoidCrossEntropyOptions extends CrossEntropyOptions {
  /**
   * The weight of positive examples, one per label column (the last axis of the labels) or one
   * for all: `ℓ = −[p·y·log σ(z) + (1 − y)·log(1 − σ(z))]` (PyTorch's `pos_weight`). Defaults to
   * none (1).
   */
  posWeight?: VectorInput;
}

/** Options of {@link categoricalCrossEntropy} and {@link sparseCategoricalCrossEntropy}. */
export interface ProbabilityCrossEntropyOptions {
  /**
   * Probabilities are clipped to [ε, 1 − ε] before the log, as Keras does. Defaults to 1e-7.
   */
  epsilon?: number;
}

/** Focal-loss parameters (Lin et al., 2017). */
export interface FocalOptions {
  /**
   * Balance weight α. Sigmoid: positives get α, negatives 1 − α; `null` turns it off. Softmax: a
   * number for all classes or one per class. Defaults to 0.25.
   */
  alpha?: number | readonly number[] | null;
  /** Focusing exponent γ ≥ 0 of the factor (1 − p_t)^γ; 0 gives plain cross-entropy. Defaults to 2. */
  gamma?: number;
}

/** Specs of {@link CrossEntropyOptions}. @internal */
export const CROSS_ENTROPY_SPECS = {
  labelSmoothing: { constraint: { kind: 'number', min: 0, max: 1 }, default: 0 },
  classWeights: { constraint: { kind: 'any' } },
  sampleWeights: { constraint: { kind: 'any' } },
  reduction: { constraint: { kind: 'string', oneOf: REDUCTIONS }, default: 'mean' },
  checkValues: { constraint: { kind: 'boolean' }, default: false },
} as const satisfies OptionSpecs<CrossEntropyOptions>;

/** Specs of {@link SparseCrossEntropyOptions}. @internal */
export const SPARSE_SPECS = {
  ...CROSS_ENTROPY_SPECS,
  ignoreIndex: { constraint: { kind: 'number', integer: true } },
} as const satisfies OptionSpecs<SparseCrossEntropyOptions>;

/** Specs of {@link SigmoidCrossEntropyOptions}. @internal */
export const SIGMOID_SPECS = {
  ...CROSS_ENTROPY_SPECS,
  posWeight: { constraint: { kind: 'any' } },
} as const satisfies OptionSpecs<SigmoidCrossEntropyOptions>;

/** Specs of {@link ProbabilityCrossEntropyOptions}. @internal */
export const PROBABILITY_SPECS = {
  epsilon: { constraint: { kind: 'number', min: 0, max: 0.5, maxExclusive: true }, default: 1e-7 },
} as const satisfies OptionSpecs<ProbabilityCrossEntropyOptions>;

/** Specs of {@link FocalOptions}. @internal */
export const FOCAL_SPECS = {
  alpha: { constraint: { kind: 'any' }, default: 0.25 },
  gamma: { constraint: { kind: 'number', min: 0 }, default: 2 },
} as const satisfies OptionSpecs<FocalOptions>;
