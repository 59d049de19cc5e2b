/**
 * Class weights for imbalanced data: scikit-learn's `'balanced'` heuristic and the
 * effective-number weights of Cui et al. (2019).
 *
 * @module
 */
import { ArgumentError, describeValue } from '../core/errors.js';
import { checkArrayValues, isTensor, type VectorInput } from '../core/tensors.js';
import { argName, resolveOptions } from '../core/validate.js';

/** Options of {@link computeClassWeights}. */
export interface ClassWeightOptions {
  /** The number of classes C; labels must lie in [0, C). Defaults to the largest label + 1. */
  numClasses?: number;
}

/**
 * Class weights from class-index labels, as scikit-learn's `compute_class_weight`.
 *
 * `'balanced'`: `w_c = n_samples / (n_classes · n_c)`, so every class carries the same total
 * weight. A map `{ class: weight }` gives those weights and 1 for classes it leaves out.
 *
 * @param labels - class indices: a `number[]`, a typed array or a 1-D tensor (read with
 *   `dataSync`: call it before training, not inside a step).
 * @param mode - `'balanced'` or a map from class index to weight.
 * @param options - see {@link ClassWeightOptions}.
 * @returns one weight per class, indexed by class.
 * @throws {@link ArgumentError} for empty labels, labels that are not class indices, a class with
 *   no sample under `'balanced'` (as scikit-learn), or a negative weight in the map.
 *
 * @example
 * ```ts
 * computeClassWeights([0, 0, 0, 1], 'balanced'); // [0.6666667, 2]
 * ```
 */
export function computeClassWeights(
  labels: VectorInput,
  mode: 'balanced' | Readonly<Record<number, number>>,
  options?: ClassWeightOptions,
): number[] {
  const fn = 'computeClassWeights';
  const opts = resolveOptions(fn, options, {
    numClasses: { constraint: { kind: 'number', min: 1, integer: true } },
  });
  const values: ArrayLike<number> = isTensor(labels)
    ? (labels.dataSync() as ArrayLike<number>)
    : (labels as ArrayLike<number>);
  if (values.length === 0) throw new ArgumentError(`${argName(fn, 'labels')} must not be empty.`);
  checkArrayValues(
    values,
    argName(fn, 'labels'),
    (v) => Number.isInteger(v) && v >= 0,
    'class indices (integers ≥ 0)',
  );
  let maxLabel = 0;
  for (let i = 0; i < values.length; i++) maxLabel = Math.max(maxLabel, values[i]!);
  const numClasses = opts.numClasses ?? maxLabel + 1;
  if (maxLabel >= numClasses) {
    throw new ArgumentError(
      `${argName(fn, 'labels')} must lie in [0, ${numClasses}). Received: ${maxLabel}.`,
    );
  }
  if (mode === 'balanced') {
    const counts = new Array<number>(numClasses).fill(0);
    for (let i = 0; i < values.length; i++) counts[values[i]!]! += 1;
    const missing = counts.indexOf(0);
    if (missing >= 0) {
      throw new ArgumentError(
        `${fn}: class ${missing} has no sample, so 'balanced' has no weight for it.`,
      );
    }
    return counts.map((c) => values.length / (numClasses * c));
  }
  if (typeof mode !== 'object' || mode === null || Array.isArray(mode)) {
    throw new ArgumentError(
      `${argName(fn, 'mode')} must be 'balanced' or a map of class → weight. Received: ${describeValue(mode)}.`,
    );
  }
  const weights = new Array<number>(numClasses).fill(1);
  for (const [key, w] of Object.entries(mode)) {
    const c = Number(key);
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new ArgumentError(
        `${argName(fn, 'mode')} names class ${key}, outside [0, ${numClasses}).`,
      );
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new ArgumentError(
        `${argName(fn, 'mode')} must map to finite weights ≥ 0. Received: ${describeValue(w)} for class ${key}.`,
      );
    }
    weights[c] = w;
  }
  return weights;
}

/**
 * Class-balanced weights from the effective number of samples (Cui et al., "Class-Balanced Loss
 * Based on Effective Number of Samples", CVPR 2019).
 *
 * `E_c = (1 − βⁿᶜ) / (1 − β)`, `w_c ∝ 1 / E_c`, normalised so that `Σ_c w_c = C`. β → 0 gives
 * equal weights; β → 1 approaches inverse class frequency.
 *
 * @param samplesPerClass - the number of training samples of each class (each ≥ 1).
 * @param beta - β in [0, 1). Defaults to 0.9999.
 * @returns one weight per class.
 * @throws {@link ArgumentError} for an empty list, a count < 1 or not whole, or β outside [0, 1).
 *
 * @example
 * ```ts
 * classBalancedWeights([900, 100], 0.99); // [0.7760, 1.2240] (rounded)
 * ```
 */
export function classBalancedWeights(samplesPerClass: readonly number[], beta = 0.9999): number[] {
  const fn = 'classBalancedWeights';
  if (!Array.isArray(samplesPerClass) || samplesPerClass.length === 0) {
    throw new ArgumentError(
      `${argName(fn, 'samplesPerClass')} must be a non-empty number[]. Received: ${describeValue(samplesPerClass)}.`,
    );
  }
  checkArrayValues(
    samplesPerClass,
    argName(fn, 'samplesPerClass'),
    (v) => Number.isInteger(v) && v >= 1,
    'whole counts ≥ 1',
  );
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
    throw new ArgumentError(
      `${argName(fn, 'beta')} must be a number in [0, 1). Received: ${describeValue(beta)}.`,
    );
  }
  // 1 − βⁿ = −expm1(n·log β): exact for β near 1, where 1 − βⁿ would cancel.
  const raw = samplesPerClass.map((n) =>
    beta === 0 ? 1 : (1 - beta) / -Math.expm1(n * Math.log(beta)),
  );
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => (w * samplesPerClass.length) / total);
}
